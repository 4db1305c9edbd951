import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

export const WEBHOOK_SOURCE_NAMES = ['rck', 'heygen'] as const;
export const WEBHOOK_SOURCE_STATES = ['active', 'paused', 'resuming'] as const;
export type WebhookSourceState = (typeof WEBHOOK_SOURCE_STATES)[number];

/**
 * Whether a source's deliveries are handled (`active`), held (`paused`), or held while the held
 * ones are released in arrival order (`resuming`). One document per source, shared by every
 * instance; a source without one is active. `generation` counts resumes: a release job works for
 * the resume that queued it and stops once another pause or resume follows.
 */
@Schema({ collection: 'webhooksources', versionKey: false })
export class WebhookSourceDoc {
  @Prop({ required: true, type: String, enum: WEBHOOK_SOURCE_NAMES })
  source: string;

  @Prop({ required: true, type: String, enum: WEBHOOK_SOURCE_STATES })
  state: WebhookSourceState;

  @Prop()
  pausedAt?: Date;

  /** The email of the superadmin who paused it. */
  @Prop()
  pausedBy?: string;

  @Prop()
  resumedAt?: Date;

  @Prop({ required: true, default: 0 })
  generation: number;

  @Prop({ required: true })
  updatedAt: Date;
}

export const WebhookSourceSchema = SchemaFactory.createForClass(WebhookSourceDoc);
WebhookSourceSchema.index({ source: 1 }, { unique: true });
