import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const OUTBOUND_EVENT_TYPES = ['video.completed', 'video.failed', 'batch.completed', 'reel.completed', 'reel.failed'] as const;
export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** One signing secret; during a rotation the old one signs beside the new one until `expiresAt`. */
@Schema({ _id: false })
export class EndpointSecret {
  /** `whsec_<base64>`, as shown to the customer once. */
  @Prop({ required: true })
  secret: string;

  @Prop({ required: true })
  createdAt: Date;

  @Prop()
  expiresAt?: Date;
}

/** A customer's own URL that receives our events, signed the Standard Webhooks way. */
@Schema({ collection: 'webhookEndpoints', timestamps: true })
export class WebhookEndpoint {
  @Prop({ type: Types.ObjectId, ref: 'Workspace', required: true })
  workspaceId: Types.ObjectId;

  @Prop({ required: true })
  url: string;

  @Prop({ type: [String], required: true })
  eventTypes: OutboundEventType[];

  @Prop()
  description?: string;

  @Prop({ required: true, default: true })
  enabled: boolean;

  /** Why it was disabled (by a person, a 410, or failing too long). */
  @Prop()
  disabledReason?: string;

  @Prop()
  disabledAt?: Date;

  /**
   * The producers' e-mail about an automatic disable is owed: set in the update that disables,
   * cleared once the e-mail is queued (once for good), so a crash in between delays it to the
   * next sweep and never loses it.
   */
  @Prop()
  disabledNoticeOwed?: boolean;

  /** The first failed delivery since the last success: failing this long disables the endpoint. */
  @Prop()
  failingSince?: Date;

  /** Never read unless asked for (`+secrets`): only delivery signs with them. */
  @Prop({ type: [SchemaFactory.createForClass(EndpointSecret)], required: true, select: false })
  secrets: EndpointSecret[];

  createdAt: Date;
  updatedAt: Date;
}

export const WebhookEndpointSchema = SchemaFactory.createForClass(WebhookEndpoint);
WebhookEndpointSchema.index({ workspaceId: 1, createdAt: -1 });
WebhookEndpointSchema.index({ workspaceId: 1, enabled: 1, eventTypes: 1 });
// The sweep's owed notices: only endpoints that owe one are in it.
WebhookEndpointSchema.index({ disabledAt: 1 }, { name: 'disabledNoticeOwed', partialFilterExpression: { disabledNoticeOwed: true } });
