import { describe, it } from 'node:test';
import { expect } from 'expect';
import { createHmac } from 'node:crypto';
import { standardWebhookKey } from '../common/standard-webhook-key.js';
import { HeygenSignatureVerifier, signHeygenWebhook, signStandardWebhook, StandardWebhooksVerifier } from './signature-verifiers.js';

// The example from the Standard Webhooks specification (its reference libraries' test vector).
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TIMESTAMP = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('StandardWebhooksVerifier', () => {
  const key = standardWebhookKey(SPEC_SECRET)!;
  const at = (seconds: number) => seconds * 1000;
  const headers = (signature = SPEC_SIGNATURE, id = SPEC_ID, timestamp = String(SPEC_TIMESTAMP)) => ({
    'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature,
  });

  it('verifies the specification\'s example and signs it identically', () => {
    const verifier = new StandardWebhooksVerifier([key]);
    expect(verifier.verify(headers(), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP))).toEqual({ valid: true, deliveryId: SPEC_ID });
    expect(signStandardWebhook(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  it('takes the secret with or without the whsec_ prefix, and refuses what is not base64', () => {
    expect(standardWebhookKey(SPEC_SECRET.slice('whsec_'.length))).toEqual(key);
    expect(standardWebhookKey('whsec_not base64!')).toBeUndefined();
    expect(standardWebhookKey('test-secret-with-dashes')).toBeUndefined();
  });

  it('refuses a body, id or timestamp other than the signed ones, and a stale or future timestamp', () => {
    const verifier = new StandardWebhooksVerifier([key]);
    expect(verifier.verify(headers(), Buffer.from('{"test": 2432232315}'), at(SPEC_TIMESTAMP)).valid).toBe(false);
    expect(verifier.verify(headers(SPEC_SIGNATURE, 'msg_other'), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(false);
    expect(verifier.verify(headers(SPEC_SIGNATURE, SPEC_ID, String(SPEC_TIMESTAMP + 1)), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(false);
    expect(verifier.verify(headers(), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP + 300)).valid).toBe(true);
    expect(verifier.verify(headers(), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP + 301))).toEqual({
      valid: false, reason: 'webhook-timestamp outside the tolerance window', deliveryId: SPEC_ID,
    });
    expect(verifier.verify(headers(), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP - 301)).valid).toBe(false);
    expect(verifier.verify({}, Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).reason).toBe('missing webhook-id, webhook-timestamp or webhook-signature');
  });

  it('accepts any listed signature with any configured key (rotation on both sides)', () => {
    const old = Buffer.from('the-previous-secret-key-bytes!!');
    const rotating = new StandardWebhooksVerifier([old, key]);
    expect(rotating.verify(headers(), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(true);
    const byOld = signStandardWebhook(old, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);
    const onlyNew = new StandardWebhooksVerifier([key]);
    expect(onlyNew.verify(headers(`${byOld} ${SPEC_SIGNATURE}`), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(true);
    expect(onlyNew.verify(headers(byOld), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(false);
    // A v1a (asymmetric) or unknown version is not an HMAC signature.
    const hex = createHmac('sha256', key).update(`${SPEC_ID}.${SPEC_TIMESTAMP}.${SPEC_BODY}`).digest('hex');
    expect(onlyNew.verify(headers(`v1a,${SPEC_SIGNATURE.slice(3)} v0,${hex}`), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid).toBe(false);
  });

  it('takes only the canonical base64 of the 32-byte digest: other spellings that decode to it are refused', () => {
    const verifier = new StandardWebhooksVerifier([key]);
    const verifies = (signature: string) => verifier.verify(headers(signature), Buffer.from(SPEC_BODY), at(SPEC_TIMESTAMP)).valid;
    const base64 = SPEC_SIGNATURE.slice(3);
    expect(verifies(`v1,${base64}`)).toBe(true);
    // Each of these decodes to the very same bytes with Node's lenient decoder.
    const digest = Buffer.from(base64, 'base64');
    const lastBitsSet = `${base64.slice(0, 42)}${String.fromCharCode(base64.charCodeAt(42) + 1)}=`;
    for (const spelling of [
      base64.slice(0, -1), // no padding
      `${base64}AAAA`, // trailing data after the padding
      `${base64}=AAAA`,
      `${base64}==`,
      ` ${base64}`.replace(' ', '\t'),
      `${base64.slice(0, 20)}\n${base64.slice(20)}`,
      base64.replace(/\+/g, '-').replace(/\//g, '_'), // URL-safe alphabet
      lastBitsSet, // bits past the last byte set
    ]) {
      expect(Buffer.from(spelling, 'base64')).toEqual(digest);
      expect({ spelling, valid: verifies(`v1,${spelling}`) }).toEqual({ spelling, valid: false });
    }
    // A longer or shorter digest is no HMAC-SHA256, whatever it starts with.
    expect(verifies(`v1,${Buffer.concat([digest, Buffer.from([0])]).toString('base64')}`)).toBe(false);
    expect(verifies(`v1,${digest.subarray(0, 31).toString('base64')}`)).toBe(false);
    // A malformed entry beside a good one does not hide it.
    expect(verifies(`v1,${base64.slice(0, -1)} v1,${base64}`)).toBe(true);
  });

  it('is not configured without keys', () => {
    expect(new StandardWebhooksVerifier([]).configured).toBe(false);
  });
});

describe('HeygenSignatureVerifier', () => {
  const secret = 'heygen-endpoint-secret';
  const body = Buffer.from('{"event_type":"avatar_video.success","event_data":{"video_id":"v1"}}');
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  const names = ['x-heygen-signature', 'signature', 'heygen-signature'];

  it('verifies the hex HMAC-SHA256 of the raw body in any configured header, first present wins', () => {
    const verifier = new HeygenSignatureVerifier([secret], names);
    expect(signHeygenWebhook(secret, body)).toBe(hex);
    for (const name of names) expect(verifier.verify({ [name]: hex }, body).valid).toBe(true);
    expect(verifier.verify({ signature: hex.toUpperCase() }, body).valid).toBe(true);
    expect(verifier.verify({ 'x-heygen-signature': 'f'.repeat(64), signature: hex }, body).valid).toBe(false);
    expect(verifier.verify({ 'heygen-signature': hex, 'heygen-event-id': 'evt_1' }, body)).toEqual({ valid: true, deliveryId: 'evt_1' });
  });

  it('refuses a missing, malformed or wrong signature, saying why', () => {
    const verifier = new HeygenSignatureVerifier([secret], names);
    expect(verifier.verify({}, body).reason).toBe('missing signature header (x-heygen-signature, signature, heygen-signature)');
    expect(verifier.verify({ signature: 'zz' }, body).reason).toBe('malformed signature');
    // Exactly 64 hex digits: Buffer.from(…, 'hex') would stop at the first non-hex character.
    for (const malformed of [hex.slice(0, 63), `${hex}0`, `${hex}00`, `${hex.slice(0, 62)}zz`, `${hex.slice(0, 32)} ${hex.slice(32)}`, `${hex}g`]) {
      expect({ malformed, reason: verifier.verify({ signature: malformed }, body).reason }).toEqual({ malformed, reason: 'malformed signature' });
    }
    expect(verifier.verify({ signature: hex }, Buffer.from(`${body.toString()} `)).reason).toBe('no matching signature in signature');
    expect(new HeygenSignatureVerifier(['another-secret'], names).verify({ signature: hex }, body).valid).toBe(false);
  });

  it('accepts any of several secrets, and is not configured without one', () => {
    expect(new HeygenSignatureVerifier(['old-secret', secret], names).verify({ signature: hex }, body).valid).toBe(true);
    expect(new HeygenSignatureVerifier([], names).configured).toBe(false);
  });
});
