import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { IsHttpUrl } from '../common/http-url.js';
import { Trim } from '../common/text.js';
import { NotificationSettingsRecord } from './notification-settings.repository.js';

/** Absent leaves a setting as it is; `null` removes a URL. */
export class UpdateNotificationSettingsDto {
  /** A Slack incoming-webhook URL (https://hooks.slack.com/services/…); null removes it. */
  @IsOptional()
  @Trim()
  @IsHttpUrl({ notHttpUrl: 'slackWebhookUrl must be an https URL' })
  @IsString({ message: 'slackWebhookUrl must be a string or null' })
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://hooks.slack.com/services/T000/B000/XXXX' })
  slackWebhookUrl?: string | null;

  /** A Discord channel webhook URL (https://discord.com/api/webhooks/…); null removes it. */
  @IsOptional()
  @Trim()
  @IsHttpUrl({ notHttpUrl: 'discordWebhookUrl must be an https URL' })
  @IsString({ message: 'discordWebhookUrl must be a string or null' })
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://discord.com/api/webhooks/123/abc' })
  discordWebhookUrl?: string | null;

  /** E-mails about the workspace's videos and reels (batch digests, reel results). */
  @IsOptional()
  @IsBoolean({ message: 'emailEnabled must be a boolean' })
  emailEnabled?: boolean;
}

export class NotificationSettingsResponseDto {
  workspaceId: string;
  /** Masked (scheme, host and the last four characters); null when none is set. */
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://hooks.slack.com/…XXXX' })
  slackWebhookUrl: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: 'https://discord.com/…/abc' })
  discordWebhookUrl: string | null;
  emailEnabled: boolean;
  updatedAt?: Date;
}

export function toNotificationSettingsResponse(settings: NotificationSettingsRecord): NotificationSettingsResponseDto {
  return { ...settings };
}
