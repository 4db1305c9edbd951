/**
 * The HMAC key of a Standard Webhooks secret: the base64 after an optional `whsec_` prefix,
 * decoded. Undefined when it is not base64 (Node's decoder would silently skip bad characters).
 * Used for RCK's secrets (validated at start-up, verified on every delivery) and for the
 * secrets of customers' endpoints, which we sign with.
 */
export function standardWebhookKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) return undefined;
  return Buffer.from(encoded, 'base64');
}
