import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema, Types } from 'mongoose';

export const WEBHOOK_EVENT_STATUSES = ['accepted', 'duplicate', 'conflict', 'ignored', 'held', 'released', 'rejected', 'failed'] as const;
/**
 * What a delivery came to: applied (`accepted`), seen before (`duplicate`), an id seen before
 * with another body (`conflict`: answered as the first, not applied; a sender's bug), deliberately
 * not applied (`ignored`, e.g. a failure after a success), refused as the sender's fault
 * (`rejected`, any 4xx: bad signature, malformed or invalid body, unknown video) or not handled
 * because of ours (`failed`, a 5xx: the sender should retry, or we replay). While its source is
 * paused a delivery is stored and answered 2xx but not handled (`held`); when the source is
 * resumed it runs as a replay (a new event with `replayOf`) and becomes `released`.
 */
export type WebhookEventStatus = (typeof WEBHOOK_EVENT_STATUSES)[number];

/**
 * One delivery to a webhook endpoint, as received (docs/contracts/webhook-events.md#the-record):
 * `endpoint`, `payload` and `createdAt`, and what someone debugging an integration needs beside
 * them.
 */
@Schema({ collection: 'webhookevents', versionKey: false })
export class WebhookEvent {
  /** The full request path, e.g. `/internal/videos/success`. */
  @Prop({ required: true })
  endpoint: string;

  @Prop({ required: true })
  method: string;

  /**
   * The body as received (parsed JSON); the raw text, cut short, when it was not JSON; null when
   * none was read. Of a delivery refused before its handler, always the text of its first
   * REFUSED_PAYLOAD_BYTES bytes, never the parsed body.
   */
  @Prop({ type: MongooseSchema.Types.Mixed, default: null })
  payload: unknown;

  /** True when `payload` is the raw text cut short (PAYLOAD_TEXT_LIMIT characters, REFUSED_PAYLOAD_BYTES bytes). */
  @Prop()
  payloadTruncated?: boolean;

  /** Of a delivery refused before its handler: the size of the whole body received, in bytes. */
  @Prop()
  payloadBytes?: number;

  /**
   * The SHA-256 (hex) of the whole body received, of a delivery refused before its handler and of
   * a `conflict` (to hold beside the first delivery's, which its id's memory keeps).
   */
  @Prop()
  payloadSha256?: string;

  @Prop({ required: true })
  source: string;

  @Prop()
  eventType?: string;

  /** The sender's id of this delivery (Standard Webhooks `webhook-id`, HeyGen `event_id`). */
  @Prop()
  deliveryId?: string;

  /** The video as the sender names it (RCK `videoId`, HeyGen `video_id`). */
  @Prop()
  videoId?: string;

  /** HeyGen's `callback_id` (our id, echoed). */
  @Prop()
  callbackId?: string;

  /** Our record's id (the AIVideo), when the handler found it. */
  @Prop()
  recordId?: string;

  /**
   * The workspace of the video or reel, as the handler found it (a replay records it too);
   * absent on deliveries refused before the handler (bad signature, invalid body, unknown video).
   */
  @Prop({ type: Types.ObjectId })
  workspaceId?: Types.ObjectId;

  /** Every id above, for the `videoId` filter (one multikey index). */
  @Prop({ type: [String], default: undefined })
  videoIds?: string[];

  /** Selected request headers; never signatures, tokens or secrets. */
  @Prop({ type: MongooseSchema.Types.Mixed })
  headers?: Record<string, string>;

  @Prop({ required: true, type: String, enum: WEBHOOK_EVENT_STATUSES })
  status: WebhookEventStatus;

  @Prop({ required: true })
  httpStatus: number;

  /**
   * Our answer's body, as the sender received it (the envelope): parsed JSON, or its text cut at
   * RESPONSE_BODY_LIMIT characters (then `responseBodyTruncated`). Of a 500 whose cause was
   * unexpected, the envelope without its `errorId` (the log line of the same `requestId` has it).
   */
  @Prop({ type: MongooseSchema.Types.Mixed })
  responseBody?: unknown;

  @Prop()
  responseBodyTruncated?: boolean;

  /** True verified, false refused, absent when not checked (development without a secret, replays). */
  @Prop()
  signatureValid?: boolean;

  @Prop({ required: true })
  durationMs: number;

  @Prop()
  error?: string;

  @Prop()
  requestId?: string;

  /** Of a `released` event: when its release (the replay that ran it) was recorded. */
  @Prop()
  releasedAt?: Date;

  /** Set on a replay: the event it replayed. */
  @Prop({ type: Types.ObjectId })
  replayOf?: Types.ObjectId;

  /** When the delivery arrived (not when it was written: events are written in batches). */
  @Prop({ required: true })
  createdAt: Date;
}

export const WebhookEventSchema = SchemaFactory.createForClass(WebhookEvent);

/**
 * Every list filter and the stats read through one of these (each followed by the list's sort),
 * so none scans the collection. The retention TTL indexes are managed apart, at start-up
 * (WebhookEventRepository.applyRetention), because their options change with the configuration.
 */
export const WEBHOOK_EVENT_INDEXES = {
  byTime: { createdAt: -1, _id: -1 },
  byEndpoint: { endpoint: 1, createdAt: -1, _id: -1 },
  byVideo: { videoIds: 1, createdAt: -1, _id: -1 },
  bySource: { source: 1, createdAt: -1, _id: -1 },
  byStatus: { status: 1, createdAt: -1, _id: -1 },
  byEventType: { eventType: 1, createdAt: -1, _id: -1 },
  // The list's workspaceId filter and the stats of one workspace (its window on createdAt).
  byWorkspace: { workspaceId: 1, createdAt: -1, _id: -1 },
} as const;

export const WEBHOOK_EVENT_INDEX_NAMES = Object.fromEntries(
  Object.keys(WEBHOOK_EVENT_INDEXES).map((key) => [key, `webhookEvents_${key}`]),
) as Record<keyof typeof WEBHOOK_EVENT_INDEXES, string>;

for (const [key, fields] of Object.entries(WEBHOOK_EVENT_INDEXES)) {
  WebhookEventSchema.index(fields, { name: WEBHOOK_EVENT_INDEX_NAMES[key as keyof typeof WEBHOOK_EVENT_INDEXES] });
}
// Replays of one event.
WebhookEventSchema.index({ replayOf: 1 }, { sparse: true, name: 'webhookEvents_replayOf' });

export const RETENTION_INDEX_NAME = 'webhookEvents_retention';
/** The shorter retention of `rejected` events: a second TTL index on createdAt, partial on the status. */
export const REFUSED_RETENTION_INDEX_NAME = 'webhookEvents_refusedRetention';
export const REFUSED_RETENTION_FILTER = { status: 'rejected' } as const;
