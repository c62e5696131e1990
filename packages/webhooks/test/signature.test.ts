import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../src/index.js';

const secret = 'whsec-0123456789abcdef';
const body = '{"id":"r1:completed","type":"request.completed"}';
const nowMs = 1_760_000_000_000;
const timestamp = nowMs / 1_000;
const now = () => nowMs;

describe('webhook signatures', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>", as the docs/WEBHOOKS.md snippet computes it', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
    expect(signWebhook({ secret, body, timestamp })).toBe(`v1=${expected}`);
  });

  it('verifies a signature made with the same secret, timestamp and body', () => {
    const signature = signWebhook({ secret, body, timestamp });
    expect(verifyWebhookSignature({ secret, body, timestamp: String(timestamp), signature, now })).toBe(true);
    expect(verifyWebhookSignature({ secret, body: Buffer.from(body), timestamp, signature, now })).toBe(true);
  });

  it('rejects a tampered body, another secret, another timestamp and a malformed header', () => {
    const signature = signWebhook({ secret, body, timestamp });
    const check = (changes: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret, body, timestamp, signature, now, ...changes });
    expect(check({ body: body.replace('completed"}', 'completed" }') })).toBe(false);
    expect(check({ secret: `${secret}x` })).toBe(false);
    expect(check({ timestamp: timestamp - 1 })).toBe(false);
    expect(check({ signature: signature.toUpperCase() })).toBe(false);
    expect(check({ signature: signature.slice(0, -1) })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    expect(check({ timestamp: undefined })).toBe(false);
    expect(check({ timestamp: '1.5e9' })).toBe(false);
  });

  it('rejects timestamps outside the tolerance either way, so captured deliveries cannot be replayed', () => {
    const signed = (at: number) => ({
      secret,
      body,
      timestamp: at,
      signature: signWebhook({ secret, body, timestamp: at }),
      now,
    });
    expect(verifyWebhookSignature(signed(timestamp - 300))).toBe(true);
    expect(verifyWebhookSignature(signed(timestamp - 301))).toBe(false);
    expect(verifyWebhookSignature(signed(timestamp + 301))).toBe(false);
    expect(verifyWebhookSignature({ ...signed(timestamp - 301), toleranceSeconds: 600 })).toBe(true);
  });
});
