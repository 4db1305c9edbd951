import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

/** How long a delivery id is remembered: longer than any sender retries one delivery (Stripe: 3 days). */
export const DELIVERY_ID_MEMORY_SECONDS = 7 * 24 * 3600;

/**
 * A delivery that was handled (answered 2xx), by the sender's delivery id, with the answer it
 * got: a later delivery with the same id is answered the same without running the handler.
 * Written when the answer is known, so every instance sees it at once (unlike the event log,
 * which is written in batches).
 */
@Schema({ collection: 'webhookdeliveries', versionKey: false })
export class WebhookDelivery {
  @Prop({ required: true })
  source: string;

  @Prop({ required: true })
  deliveryId: string;

  @Prop({ required: true })
  httpStatus: number;

  @Prop({ type: MongooseSchema.Types.Mixed })
  response: unknown;

  /** The event that recorded the first delivery. */
  @Prop()
  eventId?: string;

  /** The workspace the first delivery concerned (its handler found it): a repeat's event gets it too. */
  @Prop()
  workspaceId?: string;

  /**
   * The SHA-256 (hex) of the first delivery's raw body: a repeat with another body is a
   * `conflict`. Absent on deliveries remembered before it was kept (a repeat is then a duplicate).
   */
  @Prop()
  bodySha256?: string;

  /** Held while its source was paused, not yet released (InboundDeliveryRepository.settleHeld). */
  @Prop()
  held?: boolean;

  @Prop({ required: true })
  createdAt: Date;
}

export const WebhookDeliverySchema = SchemaFactory.createForClass(WebhookDelivery);
WebhookDeliverySchema.index({ source: 1, deliveryId: 1 }, { unique: true });
WebhookDeliverySchema.index({ createdAt: 1 }, { expireAfterSeconds: DELIVERY_ID_MEMORY_SECONDS });
