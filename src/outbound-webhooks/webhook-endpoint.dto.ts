import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsHttpUrl } from '../common/http-url.js';
import { IsObjectId } from '../common/object-id.js';
import { PaginationDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { IsPlainName, Trim } from '../common/text.js';
import { WebhookAttemptRecord } from './outbound-message.repository.js';
import { WebhookEndpointRecord } from './webhook-endpoint.repository.js';
import { OUTBOUND_EVENT_TYPES, OutboundEventType } from './webhook-endpoint.schema.js';
import { ATTEMPT_STATUSES, AttemptStatus } from './webhook-message.schema.js';

const EVENT_TYPES_MESSAGE = `each eventTypes entry must be one of ${OUTBOUND_EVENT_TYPES.join(', ')}`;

/** Superadmins only: the workspace to act on (others act on their own). */
export class WorkspaceScopeQueryDto {
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class ListWebhookEndpointsQueryDto extends PaginationQueryDto {
  /** Superadmins only: whose endpoints to list. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class CreateWebhookEndpointDto {
  /** Where to POST the events (http or https; no `user:password@`: every user of the workspace sees the URL). */
  @Trim()
  @IsHttpUrl()
  @IsString({ message: 'url must be a string' })
  @ApiProperty({ example: 'https://hooks.example.com/videogen' })
  url: string;

  /** The events this endpoint receives. */
  @IsIn(OUTBOUND_EVENT_TYPES, { each: true, message: EVENT_TYPES_MESSAGE })
  @ArrayUnique({ message: 'eventTypes must not name the same event twice' })
  @ArrayMaxSize(OUTBOUND_EVENT_TYPES.length)
  @ArrayMinSize(1, { message: 'eventTypes must name at least one event' })
  @IsArray({ message: 'eventTypes must be an array of event types' })
  @ApiProperty({ enum: OUTBOUND_EVENT_TYPES, enumName: 'OutboundEventType', isArray: true, example: ['video.completed', 'video.failed'] })
  eventTypes: OutboundEventType[];

  @IsOptional()
  @Trim()
  @IsPlainName()
  @MaxLength(500)
  @IsString({ message: 'description must be a string' })
  @ApiPropertyOptional({ example: 'Our Zapier hook' })
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @IsOptional()
  @Trim()
  @IsHttpUrl()
  @IsString({ message: 'url must be a string' })
  @ApiPropertyOptional({ example: 'https://hooks.example.com/videogen' })
  url?: string;

  @IsOptional()
  @IsIn(OUTBOUND_EVENT_TYPES, { each: true, message: EVENT_TYPES_MESSAGE })
  @ArrayUnique({ message: 'eventTypes must not name the same event twice' })
  @ArrayMaxSize(OUTBOUND_EVENT_TYPES.length)
  @ArrayMinSize(1, { message: 'eventTypes must name at least one event' })
  @IsArray({ message: 'eventTypes must be an array of event types' })
  @ApiPropertyOptional({ enum: OUTBOUND_EVENT_TYPES, enumName: 'OutboundEventType', isArray: true })
  eventTypes?: OutboundEventType[];

  @IsOptional()
  @Trim()
  @IsPlainName()
  @MaxLength(500)
  @IsString({ message: 'description must be a string' })
  description?: string;

  /** false stops deliveries; true starts them again (and forgets past failures). */
  @IsOptional()
  @IsBoolean({ message: 'enabled must be a boolean' })
  enabled?: boolean;
}

export class WebhookEndpointResponseDto {
  @ApiProperty({ example: '65abc123def456789012abcd' })
  id: string;
  workspaceId: string;
  url: string;
  @ApiProperty({ enum: OUTBOUND_EVENT_TYPES, enumName: 'OutboundEventType', isArray: true })
  eventTypes: OutboundEventType[];
  description?: string;
  enabled: boolean;
  /** Why deliveries stopped: by a person, a 410 answer, or failing too long. */
  disabledReason?: string;
  disabledAt?: Date;
  /** Deliveries have failed since then without a success. */
  failingSince?: Date;
  /** After a rotation: until when the previous secret still signs beside the new one. */
  previousSecretExpiresAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Only in the answer that creates the endpoint or rotates its secret. */
export class WebhookEndpointWithSecretDto extends WebhookEndpointResponseDto {
  /** The signing secret (`whsec_…`): shown this once, store it now. */
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })
  secret: string;
}

export class WebhookEndpointListDto {
  endpoints: WebhookEndpointResponseDto[];
  pagination: PaginationDto;
}

export function toWebhookEndpointResponse(endpoint: WebhookEndpointRecord): WebhookEndpointResponseDto {
  return {
    id: endpoint.id,
    workspaceId: endpoint.workspaceId,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    description: endpoint.description,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    disabledAt: endpoint.disabledAt,
    failingSince: endpoint.failingSince,
    previousSecretExpiresAt: endpoint.previousSecretExpiresAt,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}


export class ListAttemptsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(ATTEMPT_STATUSES, { message: `status must be one of ${ATTEMPT_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: ATTEMPT_STATUSES, enumName: 'WebhookAttemptStatus' })
  status?: AttemptStatus;

  /** Superadmins only: whose endpoint. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class WebhookAttemptResponseDto {
  @ApiProperty({ example: '65abc123def456789012abcd' })
  id: string;
  /** The `webhook-id` sent (the same on every attempt of one message). */
  @ApiProperty({ example: 'msg_2b7c6f0e4d3a4b1c9e8f7a6b5c4d3e2f' })
  messageId: string;
  eventType: string;
  /** The scheduled attempt's number (1 to 10); absent for a redelivery by hand. */
  attempt?: number;
  @ApiProperty({ enum: ['scheduled', 'manual'] })
  trigger: 'scheduled' | 'manual';
  @ApiProperty({ enum: ATTEMPT_STATUSES, enumName: 'WebhookAttemptStatus' })
  status: AttemptStatus;
  /** The endpoint's HTTP status, when it answered. */
  responseStatus?: number;
  /** The first KB of its answer. */
  responseBody?: string;
  latencyMs: number;
  /** Why the attempt failed (no answer in time, refused address, an error status). */
  error?: string;
  attemptedAt: Date;
  /** When the next scheduled attempt is due, if one is. */
  nextAttemptAt?: Date;
}

export class WebhookAttemptListDto {
  attempts: WebhookAttemptResponseDto[];
  pagination: PaginationDto;
}

export class RecoverMessagesDto {
  /** Send again every message that failed for good and was created at or after this time. */
  @IsISO8601({ strict: true }, { message: 'since must be an ISO 8601 date-time' })
  @IsString({ message: 'since must be an ISO 8601 date-time' })
  @IsNotEmpty({ message: 'since is required' })
  @ApiProperty({ example: '2025-01-17T00:00:00Z' })
  since: string;
}

export class RedeliveryResponseDto {
  /** The messages queued to be sent again. */
  messageIds: string[];
}

export function toWebhookAttemptResponse(attempt: WebhookAttemptRecord): WebhookAttemptResponseDto {
  return {
    id: attempt.id,
    messageId: attempt.messageId,
    eventType: attempt.eventType,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    status: attempt.status,
    responseStatus: attempt.responseStatus,
    responseBody: attempt.responseBody,
    latencyMs: attempt.latencyMs,
    error: attempt.error,
    attemptedAt: attempt.attemptedAt,
    nextAttemptAt: attempt.nextAttemptAt,
  };
}

/** How many of each endpoint's latest attempts the overview shows. */
export const OVERVIEW_ATTEMPTS = 5;

export class EndpointOverviewQueryDto extends PaginationQueryDto {}

/** An endpoint with its delivery state, as superadmins' overview shows it (never its secrets). */
export class EndpointOverviewItemDto extends WebhookEndpointResponseDto {
  /** Messages waiting for a scheduled attempt (a retry, or their first). */
  pendingMessages: number;
  /** When the earliest of them is due: the next retry. Absent when nothing waits. */
  nextAttemptAt?: Date;
  /** Its latest attempts (at most 5), newest first, with the HTTP code each got. */
  recentAttempts: WebhookAttemptResponseDto[];
}

export class EndpointOverviewListDto {
  endpoints: EndpointOverviewItemDto[];
  pagination: PaginationDto;
}

export function toEndpointOverviewItem(
  endpoint: WebhookEndpointRecord,
  pending: { pending: number; nextAttemptAt?: Date },
  attempts: WebhookAttemptRecord[],
): EndpointOverviewItemDto {
  return {
    ...toWebhookEndpointResponse(endpoint),
    pendingMessages: pending.pending,
    nextAttemptAt: pending.nextAttemptAt,
    // The first KB of a customer's answer stays in the endpoint's own delivery log.
    recentAttempts: attempts.map((attempt) => ({ ...toWebhookAttemptResponse(attempt), responseBody: undefined })),
  };
}
