import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers of every delivery, lower-case as Node.js gives them to a receiver. */
export const webhookHeaders = {
  /** The event's stable id: the same event always has the same id, so receivers de-duplicate by it. */
  eventId: 'x-aiqumjobs-event-id',
  /** When the delivery was signed, in unix seconds. */
  timestamp: 'x-aiqumjobs-timestamp',
  /** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. */
  signature: 'x-aiqumjobs-signature',
} as const;

export interface SignWebhookOptions {
  secret: string;
  /** The raw body, exactly as sent. */
  body: string | Uint8Array;
  /** Unix seconds. */
  timestamp: number;
}

/** The `X-AiqumJobs-Signature` value of a body: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function signWebhook(options: SignWebhookOptions): string {
  const hmac = createHmac('sha256', options.secret).update(`${options.timestamp}.`).update(options.body);
  return `v1=${hmac.digest('hex')}`;
}

export interface VerifyWebhookSignatureOptions {
  /** The subscription's secret. */
  secret: string;
  /** The raw body as received: verify before parsing it, since re-serialised JSON may differ. */
  body: string | Uint8Array;
  /** The `X-AiqumJobs-Timestamp` header. */
  timestamp: string | number | undefined;
  /** The `X-AiqumJobs-Signature` header. */
  signature: string | undefined;
  /** How far the timestamp may be from now, either way, in seconds. @defaultValue 300 */
  toleranceSeconds?: number;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/**
 * True when the signature is the one the secret gives for this timestamp and body, and the timestamp is
 * within the tolerance of now (so a captured delivery cannot be replayed later). Compares in constant time.
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): boolean {
  const { timestamp, signature } = options;
  if (signature === undefined || timestamp === undefined || !/^\d{1,12}$/.test(String(timestamp))) {
    return false;
  }
  const seconds = Number(timestamp);
  const nowSeconds = (options.now ?? Date.now)() / 1_000;
  if (Math.abs(nowSeconds - seconds) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(
    signWebhook({ secret: options.secret, body: options.body, timestamp: seconds }),
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
