import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * A workspace's notification channels. The incoming-webhook URLs are secrets (anyone holding one
 * can post to the channel): stored with `select: false`, read only to send, and shown masked.
 */
@Schema({ collection: 'notificationsettings', timestamps: true })
export class NotificationSettings {
  @Prop({ type: Types.ObjectId, required: true })
  workspaceId: Types.ObjectId;

  @Prop({ select: false })
  slackWebhookUrl?: string;

  @Prop({ select: false })
  discordWebhookUrl?: string;

  /** E-mails about the workspace's videos and reels (batch digests, reel results). */
  @Prop({ required: true, default: true })
  emailEnabled: boolean;

  /** Masked forms, kept beside the secret so that reads never select it. */
  @Prop()
  slackWebhookHint?: string;

  @Prop()
  discordWebhookHint?: string;

  createdAt: Date;
  updatedAt: Date;
}

export const NotificationSettingsSchema = SchemaFactory.createForClass(NotificationSettings);
NotificationSettingsSchema.index({ workspaceId: 1 }, { unique: true });
