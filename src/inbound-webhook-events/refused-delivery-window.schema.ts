import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Deliveries to webhook routes refused before their handler from one client address in one fixed
 * window (WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS, aligned to the epoch): what the limit counts,
 * shared by every instance, and what remains of the deliveries it kept out of the event log. One
 * document per address and window, however many requests, kept as long as refused events are.
 */
@Schema({ collection: 'webhook_refusal_windows', versionKey: false })
export class RefusedDeliveryWindow {
  /** `<client address> <window start, epoch ms>`. */
  @Prop({ type: String })
  _id: string;

  @Prop({ required: true })
  address: string;

  @Prop({ required: true })
  windowStart: Date;

  @Prop({ required: true })
  windowEndsAt: Date;

  /** Refusals counted (those up to the limit were stored as events; those beyond were not). */
  @Prop({ required: true, default: 0 })
  refused: number;

  /** Deliveries answered 429 because the address was over its limit (never stored). */
  @Prop({ required: true, default: 0 })
  limited: number;

  /** When the TTL index removes the window; absent while refused events are kept forever. */
  @Prop({ expires: 0 })
  expiresAt?: Date;
}

export const RefusedDeliveryWindowSchema = SchemaFactory.createForClass(RefusedDeliveryWindow);
