import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export type WebhookSource = 'rck' | 'heygen';

export interface VerificationResult {
  valid: boolean;
  /** Why it failed, for the log (never the signature itself). */
  reason?: string;
  /** The sender's delivery id when the scheme has one (Standard Webhooks `webhook-id`). */
  deliveryId?: string;
}

/** How one source signs its deliveries. */
export interface SignatureVerifier {
  /** False in development without a secret: deliveries are then accepted unverified. */
  readonly configured: boolean;
  verify(headers: IncomingHttpHeaders, rawBody: Buffer, nowMs: number): VerificationResult;
  /**
   * Why the headers alone rule a delivery out (no signature, a malformed or stale one), before
   * its body has arrived; undefined when only the body can tell. verify() says the same first.
   */
  refuseByHeaders(headers: IncomingHttpHeaders, nowMs: number): string | undefined;
}

/** Equal-length buffers compared in constant time; different lengths are simply unequal. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com), as RCK signs: `webhook-signature` holds
 * space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.rawBody">` (canonical base64 only,
 * 44 characters: see canonicalBase64Digest); any signature matching
 * any configured key passes (several keys while one is rotated); the timestamp must be within
 * ±`toleranceSeconds` of now, so a captured delivery cannot be replayed later.
 */
export class StandardWebhooksVerifier implements SignatureVerifier {
  constructor(
    private readonly keys: Buffer[],
    private readonly toleranceSeconds = 300,
  ) {}

  get configured(): boolean {
    return this.keys.length > 0;
  }

  refuseByHeaders(headers: IncomingHttpHeaders, nowMs: number): string | undefined {
    const id = header(headers, 'webhook-id');
    const timestamp = header(headers, 'webhook-timestamp');
    const signatures = header(headers, 'webhook-signature');
    if (!id || !timestamp || !signatures) return 'missing webhook-id, webhook-timestamp or webhook-signature';
    if (!/^\d{1,12}$/.test(timestamp)) return 'malformed webhook-timestamp';
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > this.toleranceSeconds) return 'webhook-timestamp outside the tolerance window';
    return undefined;
  }

  verify(headers: IncomingHttpHeaders, rawBody: Buffer, nowMs: number): VerificationResult {
    const id = header(headers, 'webhook-id');
    const refused = this.refuseByHeaders(headers, nowMs);
    if (refused) return { valid: false, reason: refused, ...(id && { deliveryId: id }) };
    const timestamp = header(headers, 'webhook-timestamp')!;
    const signatures = header(headers, 'webhook-signature')!;
    const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), rawBody]);
    const expected = this.keys.map((key) => createHmac('sha256', key).update(signed).digest());
    const offered = signatures
      .split(' ')
      .filter((part) => part.startsWith('v1,'))
      .flatMap((part) => canonicalBase64Digest(part.slice(3)) ?? []);
    // Every pair is compared, so the time taken does not say which key or signature matched.
    let valid = false;
    for (const candidate of offered) for (const digest of expected) valid = constantTimeEqual(candidate, digest) || valid;
    return valid ? { valid, deliveryId: id } : { valid, reason: 'no matching v1 signature', deliveryId: id };
  }
}

/** Base64 of a 32-byte digest: 43 characters and one `=`, the last character carrying 4 bits. */
const BASE64_DIGEST = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * The bytes of an HMAC-SHA256 signature written as canonical base64, or undefined. Node's decoder
 * is lenient (it skips padding, stray `=`, whitespace and URL-safe characters, and ignores bits
 * past the last byte), so several strings decode to the same digest; only the one canonical
 * spelling of exactly 32 bytes is taken. Checking the spelling does not depend on the key, so
 * its timing says nothing about the expected signature; the digests are compared in constant time.
 */
export function canonicalBase64Digest(text: string): Buffer | undefined {
  return BASE64_DIGEST.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** Signs like an RCK server would (for tests, benchmarks and the README's example). */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number, rawBody: string | Buffer): string {
  const signed = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`), Buffer.from(rawBody)]);
  return `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
}

/**
 * HeyGen's scheme: the hex HMAC-SHA256 of the raw body with the endpoint's secret, in the first
 * of `headerNames` the request carries (HeyGen has used `Signature`, `X-HeyGen-Signature` and
 * `Heygen-Signature`). Any configured secret may match (a secret being replaced). The
 * `Heygen-Event-Id` header, when sent, is the delivery id.
 */
export class HeygenSignatureVerifier implements SignatureVerifier {
  private readonly keys: Buffer[];

  constructor(
    secrets: string[],
    private readonly headerNames: string[],
  ) {
    this.keys = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  }

  get configured(): boolean {
    return this.keys.length > 0;
  }

  refuseByHeaders(headers: IncomingHttpHeaders): string | undefined {
    const name = this.signatureHeader(headers);
    if (!name) return `missing signature header (${this.headerNames.join(', ')})`;
    return /^[0-9a-fA-F]{64}$/.test(this.offered(headers, name)) ? undefined : `malformed ${name}`;
  }

  verify(headers: IncomingHttpHeaders, rawBody: Buffer): VerificationResult {
    const deliveryId = header(headers, 'heygen-event-id');
    const refused = this.refuseByHeaders(headers);
    if (refused) return { valid: false, reason: refused, deliveryId };
    const name = this.signatureHeader(headers)!;
    const offered = this.offered(headers, name);
    const candidate = Buffer.from(offered, 'hex');
    let valid = false;
    for (const key of this.keys) valid = constantTimeEqual(candidate, createHmac('sha256', key).update(rawBody).digest()) || valid;
    return valid ? { valid, deliveryId } : { valid, reason: `no matching signature in ${name}`, deliveryId };
  }

  private signatureHeader(headers: IncomingHttpHeaders): string | undefined {
    return this.headerNames.find((candidate) => header(headers, candidate) !== undefined);
  }

  private offered(headers: IncomingHttpHeaders, name: string): string {
    return header(headers, name)!.trim().replace(/^sha256=/i, '');
  }
}

/** Signs like HeyGen (for tests and the README's example). */
export function signHeygenWebhook(secret: string, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}
