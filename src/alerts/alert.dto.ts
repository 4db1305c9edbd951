import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsHttpUrl } from '../common/http-url.js';
import { maskUrl } from '../common/mask-url.js';
import { PaginationDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { Trim } from '../common/text.js';
import { AlertIncidentRecord, AlertRuleRecord } from './alert.repository.js';
import { ALERT_KINDS, ALERT_SOURCES, AlertKind, INCIDENT_STATUSES, IncidentStatus } from './alert.schema.js';

export class AlertChannelsDto {
  /** Addresses that get one e-mail when an incident opens and one when it resolves. */
  @IsOptional()
  @IsArray({ message: 'channels.emails must be an array of e-mail addresses' })
  @ArrayMaxSize(20, { message: 'channels.emails may hold at most 20 addresses' })
  @IsEmail({}, { each: true, message: 'channels.emails must hold valid e-mail addresses' })
  @ApiPropertyOptional({ type: [String], example: ['oncall@example.com'] })
  emails?: string[];

  /** A Slack incoming-webhook URL. */
  @IsOptional()
  @Trim()
  @IsHttpUrl({ notHttpUrl: 'channels.slackWebhookUrl must be an https URL' })
  @IsString({ message: 'channels.slackWebhookUrl must be a string' })
  @ApiPropertyOptional({ example: 'https://hooks.slack.com/services/T000/B000/XXXX' })
  slackWebhookUrl?: string;

  /** A Discord channel webhook URL. */
  @IsOptional()
  @Trim()
  @IsHttpUrl({ notHttpUrl: 'channels.discordWebhookUrl must be an https URL' })
  @IsString({ message: 'channels.discordWebhookUrl must be a string' })
  @ApiPropertyOptional({ example: 'https://discord.com/api/webhooks/123/abc' })
  discordWebhookUrl?: string;
}

export class CreateAlertRuleDto {
  @Trim()
  @IsNotEmpty({ message: 'name is required' })
  @IsString({ message: 'name must be a string' })
  @MaxLength(200, { message: 'name must be at most 200 characters' })
  @ApiProperty({ example: 'RCK failures' })
  name: string;

  @IsIn(ALERT_KINDS, { message: `kind must be one of ${ALERT_KINDS.join(', ')}` })
  @ApiProperty({ enum: ALERT_KINDS, enumName: 'AlertKind' })
  kind: AlertKind;

  /** failure_rate and refused_deliveries: one source, or all when absent. */
  @IsOptional()
  @IsIn(ALERT_SOURCES, { message: `source must be one of ${ALERT_SOURCES.join(', ')}` })
  @ApiPropertyOptional({ enum: ALERT_SOURCES })
  source?: (typeof ALERT_SOURCES)[number];

  /** The measure that opens an incident (failure_rate: a percentage; the others: a count). */
  @IsNumber({}, { message: 'threshold must be a number' })
  @Min(0, { message: 'threshold must not be negative' })
  @ApiProperty({ example: 20 })
  threshold: number;

  /** The window the measure looks back over, in minutes (stuck and failing: how long). */
  @IsInt({ message: 'windowMinutes must be an integer' })
  @Min(1, { message: 'windowMinutes must be at least 1' })
  @Max(10_080, { message: 'windowMinutes must be at most 10080 (a week)' })
  @ApiProperty({ example: 15 })
  windowMinutes: number;

  /** failure_rate: fewer deliveries than this in the window never open an incident (default 1). */
  @IsOptional()
  @IsInt({ message: 'minDeliveries must be an integer' })
  @Min(1, { message: 'minDeliveries must be at least 1' })
  @ApiPropertyOptional({ example: 10 })
  minDeliveries?: number;

  @IsOptional()
  @IsBoolean({ message: 'enabled must be a boolean' })
  @ApiPropertyOptional({ default: true })
  enabled?: boolean;

  @ValidateNested()
  @Type(() => AlertChannelsDto)
  @ApiProperty({ type: AlertChannelsDto })
  channels: AlertChannelsDto;
}

export class UpdateAlertRuleDto extends PartialType(CreateAlertRuleDto) {}

export class AlertRuleResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ALERT_KINDS, enumName: 'AlertKind' }) kind: AlertKind;
  @ApiPropertyOptional({ enum: ALERT_SOURCES }) source?: string;
  @ApiProperty() threshold: number;
  @ApiProperty() windowMinutes: number;
  @ApiPropertyOptional() minDeliveries?: number;
  @ApiProperty() enabled: boolean;
  /** Chat URLs are masked: scheme, host and the last four characters. */
  @ApiProperty({ type: AlertChannelsDto }) channels: AlertChannelsDto;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class AlertRuleListDto {
  @ApiProperty({ type: [AlertRuleResponseDto] }) rules: AlertRuleResponseDto[];
}

export class AlertIncidentResponseDto {
  @ApiProperty() id: string;
  @ApiProperty() ruleId: string;
  @ApiProperty() ruleName: string;
  @ApiProperty({ enum: ALERT_KINDS, enumName: 'AlertKind' }) kind: AlertKind;
  @ApiProperty({ enum: INCIDENT_STATUSES, enumName: 'IncidentStatus' }) status: IncidentStatus;
  @ApiProperty() threshold: number;
  @ApiProperty() openedValue: number;
  @ApiProperty() lastValue: number;
  @ApiProperty() openedAt: Date;
  @ApiPropertyOptional() resolvedAt?: Date;
  @ApiPropertyOptional() resolvedValue?: number;
}

export class AlertIncidentListDto {
  @ApiProperty({ type: [AlertIncidentResponseDto] }) incidents: AlertIncidentResponseDto[];
  @ApiProperty({ type: PaginationDto }) pagination: PaginationDto;
}

export class ListIncidentsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(INCIDENT_STATUSES, { message: `status must be one of ${INCIDENT_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: INCIDENT_STATUSES, enumName: 'IncidentStatus' })
  status?: IncidentStatus;
}

export class EvaluationResultDto {
  @ApiProperty() ruleId: string;
  @ApiProperty() value: number;
  @ApiProperty() breached: boolean;
  @ApiPropertyOptional({ description: 'The incident this evaluation opened' }) opened?: string;
  @ApiPropertyOptional({ description: 'The incident this evaluation resolved' }) resolved?: string;
}

export class EvaluationListDto {
  @ApiProperty({ type: [EvaluationResultDto] }) evaluations: EvaluationResultDto[];
}

export function toAlertRuleResponse(rule: AlertRuleRecord): AlertRuleResponseDto {
  return {
    ...rule,
    channels: {
      emails: rule.channels.emails,
      ...(rule.channels.slackWebhookUrl && { slackWebhookUrl: maskUrl(rule.channels.slackWebhookUrl) }),
      ...(rule.channels.discordWebhookUrl && { discordWebhookUrl: maskUrl(rule.channels.discordWebhookUrl) }),
    },
  };
}

export function toAlertIncidentResponse(incident: AlertIncidentRecord): AlertIncidentResponseDto {
  // What is still to be announced is the service's bookkeeping, not the incident's story.
  const { owedAnnouncements: _owed, ...shown } = incident;
  return shown;
}
