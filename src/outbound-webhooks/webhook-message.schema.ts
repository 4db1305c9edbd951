import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const MESSAGE_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const ATTEMPT_STATUSES = ['succeeded', 'failed'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/**
 * One event for one endpoint. `messageId` (`msg_…`, the `webhook-id` header) is the event's and
 * stays the same on every retry and redelivery, so the receiver can deduplicate on it; `payload`
 * is the exact body sent each time.
 */
@Schema({ collection: 'webhookMessages', timestamps: true })
export class WebhookMessage {
  @Prop({ required: true })
  messageId: string;

  @Prop({ type: Types.ObjectId, required: true })
  endpointId: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  workspaceId: Types.ObjectId;

  @Prop({ required: true })
  eventType: string;

  /** What the event is about: the video, the reel or the batch its data names (see subjectOf). */
  @Prop()
  subjectId?: string;

  @Prop({ required: true })
  payload: string;

  /** `pending` while scheduled attempts remain; `failed` once they are spent (or the endpoint stopped). */
  @Prop({ required: true, enum: MESSAGE_STATUSES, type: String, default: 'pending' })
  status: MessageStatus;

  /** Scheduled attempts made (redeliveries by hand not counted). */
  @Prop({ required: true, default: 0 })
  attempts: number;

  @Prop()
  nextAttemptAt?: Date;

  @Prop()
  lastAttemptAt?: Date;

  createdAt: Date;
  updatedAt: Date;
}

export const WebhookMessageSchema = SchemaFactory.createForClass(WebhookMessage);
WebhookMessageSchema.index({ endpointId: 1, messageId: 1 }, { unique: true });
WebhookMessageSchema.index({ endpointId: 1, status: 1, createdAt: 1 });
// The sweep for messages whose delivery job was never queued.
WebhookMessageSchema.index({ status: 1, nextAttemptAt: 1 });
// A video's, a reel's or a batch's messages (the timeline).
WebhookMessageSchema.index({ workspaceId: 1, subjectId: 1, createdAt: 1 }, { partialFilterExpression: { subjectId: { $exists: true } } });

/** One try at delivering a message: what was sent when, and what came back. */
@Schema({ collection: 'webhookAttempts' })
export class WebhookAttempt {
  @Prop({ type: Types.ObjectId, required: true })
  endpointId: Types.ObjectId;

  @Prop({ type: Types.ObjectId, required: true })
  workspaceId: Types.ObjectId;

  @Prop({ required: true })
  messageId: string;

  @Prop({ required: true })
  eventType: string;

  /** The scheduled attempt's number (1–10); absent for a redelivery by hand. */
  @Prop()
  attempt?: number;

  @Prop({ required: true, enum: ['scheduled', 'manual'], type: String })
  trigger: 'scheduled' | 'manual';

  @Prop({ required: true, enum: ATTEMPT_STATUSES, type: String })
  status: AttemptStatus;

  @Prop()
  responseStatus?: number;

  /** The first KB of the answer. */
  @Prop()
  responseBody?: string;

  @Prop({ required: true })
  latencyMs: number;

  @Prop()
  error?: string;

  @Prop({ required: true })
  attemptedAt: Date;

  /** When the next scheduled attempt is due, if one is. */
  @Prop()
  nextAttemptAt?: Date;
}

export const WebhookAttemptSchema = SchemaFactory.createForClass(WebhookAttempt);
WebhookAttemptSchema.index({ endpointId: 1, attemptedAt: -1 });
WebhookAttemptSchema.index({ endpointId: 1, status: 1, attemptedAt: -1 });
// The attempts at given messages (the timeline).
WebhookAttemptSchema.index({ workspaceId: 1, messageId: 1, attemptedAt: 1 });
