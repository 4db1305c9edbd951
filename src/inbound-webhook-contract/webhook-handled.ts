import { HttpStatus } from '@nestjs/common';

/**
 * What a delivery did: applied, seen before, deliberately not applied, or stored to be applied
 * later (`held`: its source is paused; WebhookHolds).
 */
export type WebhookOutcome = 'accepted' | 'duplicate' | 'ignored' | 'held';

/**
 * What a webhook handler returns for a delivery it handled, live or replayed: the answer the
 * sender gets (`response`, with `httpStatus`, 200 unless said) and what the event log records
 * about it. One adapter turns it into both (WebhookRecordingInterceptor for a live delivery,
 * WebhookReplayService for a replay), so no handler writes on the request.
 */
export interface WebhookHandled<T = unknown> {
  outcome: WebhookOutcome;
  response: T;
  httpStatus?: number;
  /** The video as the sender names it (RCK `videoId`, HeyGen `video_id`). */
  videoId?: string;
  /** Our record (the AIVideo, the reel), when found. */
  recordId?: string;
  /** The workspace of that record, when found. */
  workspaceId?: string;
  /** The delivery's id when only its body says it (HeyGen's `event_id`). */
  deliveryId?: string;
}

const HANDLED = Symbol('webhookHandled');

/** Marks a handler's result as a WebhookHandled, so the adapter tells it from a plain body. */
export function handled<T>(result: WebhookHandled<T>): WebhookHandled<T> {
  return Object.defineProperty({ httpStatus: HttpStatus.OK, ...result }, HANDLED, { value: true, enumerable: false });
}

export function isWebhookHandled(value: unknown): value is WebhookHandled & { httpStatus: number } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HANDLED] === true;
}
