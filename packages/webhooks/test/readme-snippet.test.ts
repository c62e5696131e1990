import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/index.js';

type Verify = (
  secret: string,
  headers: Record<string, string>,
  rawBody: string | Buffer,
  toleranceSeconds?: number,
) => boolean;

// The verification snippet of docs/WEBHOOKS.md is what receivers copy: run it as written against real signatures.
const webhooksDoc = readFileSync(new URL('../../../docs/WEBHOOKS.md', import.meta.url), 'utf8');
const snippet = /```js\n(import \{ createHmac[\s\S]*?verifyAiqumJobsWebhook[\s\S]*?)```/.exec(
  webhooksDoc,
)?.[1];
const dir = mkdtempSync(join(tmpdir(), 'webhook-snippet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadSnippet(): Promise<Verify> {
  if (snippet === undefined) throw new Error('docs/WEBHOOKS.md has no verification snippet');
  const file = join(dir, 'verify.mjs');
  writeFileSync(file, snippet);
  const module = (await import(pathToFileURL(file).href)) as { verifyAiqumJobsWebhook: Verify };
  return module.verifyAiqumJobsWebhook;
}

describe('the verification snippet of docs/WEBHOOKS.md', () => {
  const secret = 'receiver-secret-0123456789';
  const body = JSON.stringify({ id: 'r1:completed', type: 'request.completed' });
  const headersAt = (timestamp: number, signedBody = body) => ({
    'x-aiqumjobs-timestamp': String(timestamp),
    'x-aiqumjobs-signature': signWebhook({ secret, body: signedBody, timestamp }),
  });

  it('accepts a fresh delivery signed with the secret, as a string or a Buffer', async () => {
    const verify = await loadSnippet();
    const now = Math.floor(Date.now() / 1_000);
    expect(verify(secret, headersAt(now), body)).toBe(true);
    expect(verify(secret, headersAt(now), Buffer.from(body))).toBe(true);
  });

  it('rejects a tampered body, another secret, an old timestamp and missing headers', async () => {
    const verify = await loadSnippet();
    const now = Math.floor(Date.now() / 1_000);
    expect(verify(secret, headersAt(now), body.replace('r1', 'r2'))).toBe(false);
    expect(verify('another-secret-0123456789', headersAt(now), body)).toBe(false);
    expect(verify(secret, headersAt(now - 600), body)).toBe(false);
    expect(verify(secret, {}, body)).toBe(false);
  });
});
