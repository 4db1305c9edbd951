/** Request headers that carry credentials or signatures: redacted in logs, never stored with a webhook event. */
export const SECRET_HEADERS = [
  'authorization',
  'cookie',
  'x-api-key',
  'signature',
  'x-heygen-signature',
  'heygen-signature',
  'webhook-signature',
  'x-rck-signature',
] as const;

/**
 * SECRET_HEADERS and the signature headers an operator named in HEYGEN_SIGNATURE_HEADERS (lower
 * case; the `webhooks` slice, src/inbound-webhook-contract/webhook-secrets.config.ts).
 */
export function secretHeaderNames(webhooks: { readonly heygenSignatureHeaders: readonly string[] }): ReadonlySet<string> {
  return new Set<string>([...SECRET_HEADERS, ...webhooks.heygenSignatureHeaders]);
}
