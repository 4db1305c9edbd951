import { randomUUID } from 'node:crypto';
import { signStandardWebhook } from '../../src/inbound-webhook-contract/signature-verifiers.js';
import { standardWebhookKey } from '../../src/common/standard-webhook-key.js';
import { TEST_SECRETS } from './test-app.js';

export const RCK_TEST_KEY = standardWebhookKey(TEST_SECRETS.RCK_WEBHOOK_SECRET)!;

/** The Standard Webhooks headers RCK sends with `body`, signed with `key` (the test secret by default). */
export function rckHeaders(
  body: string,
  options: { key?: Buffer; id?: string; timestamp?: number } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhook(options.key ?? RCK_TEST_KEY, id, timestamp, body),
  };
}
