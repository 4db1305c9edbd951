import { IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { standardWebhookKey } from '../common/standard-webhook-key.js';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { splitSecrets } from '../config/env-values.js';

class WebhookSecretsEnvironment {
  /**
   * Standard Webhooks secrets RCK signs with: `whsec_<base64>` (the prefix is optional), several
   * separated by spaces or commas while a secret is being rotated.
   */
  @IsOptional()
  @IsString()
  RCK_WEBHOOK_SECRET?: string;

  /**
   * The secret HeyGen gave for our webhook endpoint (the answer of `npm run heygen:register`).
   * Several, separated by spaces or commas, while one is replaced.
   */
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'HEYGEN_WEBHOOK_SECRET must be at least 8 characters long' })
  HEYGEN_WEBHOOK_SECRET?: string;

  /**
   * Headers that may carry HeyGen's signature, comma-separated, first present wins. They are
   * redacted in logs and never stored with a webhook event, like the default ones.
   */
  @IsString()
  @Matches(/^\s*[\w!#$%&'*+.^`|~-]+(\s*,\s*[\w!#$%&'*+.^`|~-]+)*\s*$/, {
    message: 'HEYGEN_SIGNATURE_HEADERS must be header names separated by commas',
  })
  HEYGEN_SIGNATURE_HEADERS = 'X-HeyGen-Signature,Signature,Heygen-Signature';
}

function check(env: WebhookSecretsEnvironment): string[] {
  const valid = splitSecrets(env.RCK_WEBHOOK_SECRET ?? '').every((secret) => (standardWebhookKey(secret)?.length ?? 0) >= 16);
  return valid ? [] : ['RCK_WEBHOOK_SECRET: each secret must be whsec_<base64> (the prefix is optional) of at least 16 bytes'];
}

/**
 * What the webhook signature guard verifies with (here, in the shared contract, because the
 * guard, the event log's refusal hooks and the log redaction all read it): RCK's Standard
 * Webhooks keys (decoded; several during a rotation), HeyGen's secrets and signature headers.
 * Without a secret, development accepts unsigned deliveries (src/config/production-rules.ts).
 */
export const webhookSecretsConfig = defineConfig(
  'webhooks',
  WebhookSecretsEnvironment,
  (env) => ({
    rckKeys: splitSecrets(env.RCK_WEBHOOK_SECRET ?? '').map((secret) => standardWebhookKey(secret)!),
    heygenSecrets: splitSecrets(env.HEYGEN_WEBHOOK_SECRET ?? ''),
    heygenSignatureHeaders: env.HEYGEN_SIGNATURE_HEADERS.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean),
  }),
  { check },
);
export type WebhookSecretsConfig = ConfigType<typeof webhookSecretsConfig>;
