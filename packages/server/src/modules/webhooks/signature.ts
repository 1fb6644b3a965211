import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe-style: `Coffer-Signature: v1=<hex HMAC-SHA-256(secret, "<t>.<body>")>`
 * where `t` is the `Coffer-Timestamp` header (unix seconds) and the key is the secret string as
 * shown at creation (`whsec_…`, UTF-8). Signing the timestamp with the body lets receivers reject
 * replays: accept only timestamps within a few minutes of their clock.
 */

export const SIGNATURE_VERSION = 'v1';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signWebhook(secret: string, timestamp: number | string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The header value for one signature. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `${SIGNATURE_VERSION}=${signWebhook(secret, timestamp, body)}`;
}

/**
 * True when `header` carries a v1 signature of (timestamp, body) under `secret` and the timestamp
 * is within `toleranceSeconds` of `nowMs`. The header may list several signatures separated by
 * commas (any one matching is enough). Comparison is constant-time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number,
  body: string,
  header: string | undefined,
  toleranceSeconds = 300,
  nowMs: number = Date.now(),
): boolean {
  const ts = String(timestamp);
  if (!/^\d{1,12}$/.test(ts) || typeof header !== 'string' || header.length > 2000) return false;
  if (Math.abs(Math.floor(nowMs / 1000) - Number(ts)) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body), 'hex');
  let ok = false;
  for (const part of header.split(',')) {
    const m = /^\s*v1=([0-9a-f]{64})\s*$/.exec(part);
    if (!m) continue;
    // no early exit: every listed signature is compared
    if (timingSafeEqual(Buffer.from(m[1] as string, 'hex'), expected)) ok = true;
  }
  return ok;
}
