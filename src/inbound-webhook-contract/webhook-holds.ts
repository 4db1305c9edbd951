import { WebhookSource } from './signature-verifiers.js';

/**
 * Whether a source's deliveries are held rather than handled now: a superadmin paused the source
 * (`paused`), or its held deliveries are still being released in arrival order (`resuming`), so a
 * live one must queue behind them. Answered from memory, never from the database: it is asked on
 * every delivery (src/inbound-webhook-sources/ keeps the state, in MongoDB, and provides this).
 */
export abstract class WebhookHolds {
  abstract holding(source: WebhookSource): boolean;
}

/** The answer's message of a held delivery: the sender only needs the 2xx to stop retrying. */
export function heldMessage(source: WebhookSource): string {
  return `Delivery held: ${source} processing is paused; it is stored and will be applied, in arrival order, when ${source} is resumed`;
}
