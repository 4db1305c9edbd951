import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Schema as MongooseSchema, Types } from 'mongoose';
import { stateChangeSchema, StateChangeOf } from '../common/state-change.schema.js';
import { VIDEO_STATUSES, VideoStatus } from '../common/video-status.js';

/** Where a video's state change sends word: the customer's endpoints, and chat when it says so. */
export const OWED_EVENTS = ['video.completed', 'video.failed'] as const;
export type OwedEvent = (typeof OWED_EVENTS)[number];

/**
 * What one state change owes, recorded in the same conditional update as the change: the
 * outbound event with its data as of that version, whether a chat notice is owed, how the
 * batch's in-flight count moves (-1 leaving flight, +1 a retry re-entering it) and whether a
 * quota unit goes back to the workspace (a video RCK never took). Removed once
 * paid (VideoEffectsService); `at` lets the sweep find what a crash left owed.
 */
@Schema({ _id: false })
export class OwedEffects {
  @Prop({ required: true })
  version: number;

  @Prop({ enum: OWED_EVENTS, type: String })
  event?: OwedEvent;

  @Prop({ type: MongooseSchema.Types.Mixed })
  data?: Record<string, unknown>;

  @Prop()
  chat?: boolean;

  @Prop()
  inFlight?: number;

  /** The quota period ('YYYY-MM') whose unit this change gives back to the workspace. */
  @Prop()
  quotaPeriod?: string;

  @Prop({ required: true })
  at: Date;
}

/** The state changes a video keeps (the oldest go first): far more than a video's life makes. */
export const STATE_HISTORY_LIMIT = 50;
/** The sends to RCK a video keeps (the oldest go first). */
export const DISPATCH_HISTORY_LIMIT = 20;

/** One state change of a video (its version, the status entered, when, why and by whom). */
export type StateChange = StateChangeOf<VideoStatus>;

/** One send to RCK that included the video, recorded by the update that records its outcome. */
@Schema({ _id: false })
export class DispatchAttempt {
  @Prop({ required: true })
  at: Date;

  /** RCK took it (answered its job ids). */
  @Prop({ required: true })
  ok: boolean;

  @Prop()
  externalJobId?: string;

  /** Why RCK did not take it. */
  @Prop()
  error?: string;
}

/**
 * What the RCK contract fills in `AIVideo.metadata` (docs/contracts/rck.md#callbacks), plus what
 * makes dispatch durable: the batch a video was asked for in, how often it was sent to RCK and why
 * the last send failed, whether it holds a unit of its workspace's monthly quota, and whether the
 * product-side copy is in step.
 */
@Schema({ _id: false })
export class AIVideoMetadata {
  @Prop({ required: true })
  templateId: string;

  @Prop()
  templateName?: string;

  @Prop()
  externalJobId?: string;

  @Prop({ required: true })
  queuedAt: Date;

  @Prop({ required: true })
  aspect_ratio: string;

  /** One bulk-generate request: its videos are dispatched and reported together. */
  @Prop({ required: true })
  batchId: string;

  /** Sends to RCK of the current attempt (reset by a retry). */
  @Prop({ default: 0 })
  dispatchAttempts: number;

  @Prop()
  lastDispatchError?: string;

  /** When RCK last took this video: the orphan sweep measures from here. */
  @Prop()
  dispatchedAt?: Date;

  /** When the current attempt began (a retry); absent for the first, which began at `createdAt`. */
  @Prop()
  attemptStartedAt?: Date;

  /** User retries of this video (at most VIDEO_MAX_RETRIES). */
  @Prop({ default: 0 })
  retryCount: number;

  /** The usage month (YYYY-MM) the video's unit was charged to, and whether it still holds it. */
  @Prop({ required: true })
  quotaPeriod: string;

  @Prop({ default: true })
  quotaHeld: boolean;

  /**
   * False from the moment the AIVideo changes state until the product's `videos` entry shows the
   * same: a crash between the two writes leaves this false and the repair picks it up.
   */
  @Prop({ default: true })
  productSynced: boolean;

  @Prop()
  youtubeVideoId?: string;

  @Prop()
  localFilename?: string;

  @Prop()
  videoUrl?: string;

  @Prop()
  imgS3Url?: string;

  @Prop()
  completedAt?: Date;

  @Prop()
  failedAt?: Date;

  /** Who marked the video failed by hand (a superadmin's user id). */
  @Prop()
  failedBy?: string;

  /** Bumped by every state change; the product copy records the version it shows. */
  @Prop({ default: 0 })
  version: number;

  /** Its state changes, oldest first (at most STATE_HISTORY_LIMIT); absent on videos created before they were kept. */
  @Prop({ type: [stateChangeSchema(VIDEO_STATUSES)], default: undefined })
  history?: StateChange[];

  /** Its sends to RCK, oldest first (at most DISPATCH_HISTORY_LIMIT). */
  @Prop({ type: [SchemaFactory.createForClass(DispatchAttempt)], default: undefined })
  dispatches?: DispatchAttempt[];

  /** What state changes owe and has not been paid yet (absent or empty when nothing is). */
  @Prop({ type: [SchemaFactory.createForClass(OwedEffects)], default: undefined })
  owed?: OwedEffects[];
}

@Schema({ collection: 'aivideos', timestamps: true })
export class AIVideo {
  @Prop({ type: Types.ObjectId, ref: 'User', required: true })
  userId: Types.ObjectId;

  @Prop({ type: Types.ObjectId, ref: 'Workspace', required: true })
  workspaceId: Types.ObjectId;

  @Prop({ type: Types.ObjectId, ref: 'Product', required: true })
  productId: Types.ObjectId;

  /** The template's name, as the bulk request gave it (sent to RCK as `template_name`). */
  @Prop({ required: true })
  template: string;

  @Prop({ required: true, enum: VIDEO_STATUSES, type: String })
  status: VideoStatus;

  @Prop()
  error?: string;

  @Prop({ type: SchemaFactory.createForClass(AIVideoMetadata), required: true })
  metadata: AIVideoMetadata;

  createdAt: Date;
  updatedAt: Date;
}

export type AIVideoDocument = HydratedDocument<AIVideo>;
export const AIVideoSchema = SchemaFactory.createForClass(AIVideo);
// The workspace's list, newest first, optionally by status or product.
AIVideoSchema.index({ workspaceId: 1, createdAt: -1 });
AIVideoSchema.index({ workspaceId: 1, status: 1, createdAt: -1 });
AIVideoSchema.index({ workspaceId: 1, productId: 1, createdAt: -1 });
// The orphan sweep and the product-copy repair.
AIVideoSchema.index({ status: 1, 'metadata.dispatchedAt': 1 });
AIVideoSchema.index({ 'metadata.productSynced': 1, updatedAt: 1 });
// The sweep for effects a crash left owed.
AIVideoSchema.index({ 'metadata.owed.at': 1 }, { sparse: true });
// A bulk request's videos (its digest, and whether any is still in flight).
AIVideoSchema.index({ 'metadata.batchId': 1, status: 1 });
// Generation time of the videos completed in a window (the webhook event stats).
AIVideoSchema.index({ status: 1, 'metadata.completedAt': 1 });
// … and of one workspace's videos.
AIVideoSchema.index({ workspaceId: 1, status: 1, 'metadata.completedAt': 1 });
// The monitoring summary: videos by status created in a window, across workspaces.
AIVideoSchema.index({ status: 1, createdAt: -1 });
