import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsObjectId } from '../common/object-id.js';
import { PaginationDto, PaginationQueryDto } from '../common/pagination.dto.js';
import { WebhookEventRecord } from './webhook-event.repository.js';
import { WEBHOOK_EVENT_STATUSES, WebhookEventStatus } from './webhook-event.schema.js';

export const WEBHOOK_SOURCES = ['rck', 'heygen'] as const;
export type StatsPeriod = 'hour' | 'day' | 'week' | 'month';
export const STATS_PERIODS: StatsPeriod[] = ['hour', 'day', 'week', 'month'];

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
const AsDate = () => Type(() => Date);

/** The filters of the list, and of a bulk replay. */
export class WebhookEventFiltersDto {
  /** The full path (`/internal/videos/success`) or its short form (`/videos/success`). */
  @IsOptional()
  @trim()
  @MaxLength(300)
  @IsString({ message: 'endpoint must be a string' })
  @ApiPropertyOptional({ example: '/videos/success' })
  endpoint?: string;

  /** Events about this video: the sender's id (RCK `videoId`, HeyGen `video_id`), HeyGen's `callback_id` or our record's id. */
  @IsOptional()
  @trim()
  @MaxLength(200)
  @IsString({ message: 'videoId must be a string' })
  videoId?: string;

  /**
   * Deliveries about this HeyGen reel (our reel id): HeyGen's deliveries whose `callback_id` is
   * the reel or that its handler matched to it.
   */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  reelId?: string;

  /**
   * Deliveries about this workspace's videos and reels (as their handler found them). Deliveries
   * refused before the handler (bad signature, invalid body, unknown video) have no workspace and
   * never match.
   */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;

  @IsOptional()
  @IsIn(WEBHOOK_SOURCES, { message: `source must be one of ${WEBHOOK_SOURCES.join(', ')}` })
  @ApiPropertyOptional({ enum: WEBHOOK_SOURCES })
  source?: string;

  @IsOptional()
  @IsIn(WEBHOOK_EVENT_STATUSES, { message: `status must be one of ${WEBHOOK_EVENT_STATUSES.join(', ')}` })
  @ApiPropertyOptional({ enum: WEBHOOK_EVENT_STATUSES, enumName: 'WebhookEventStatus' })
  status?: WebhookEventStatus;

  /** The HTTP status we answered (e.g. 401, 404, 503). */
  @IsOptional()
  @Type(() => Number)
  @Min(100, { message: 'httpStatus must be an HTTP status code (100 to 599)' })
  @Max(599, { message: 'httpStatus must be an HTTP status code (100 to 599)' })
  @IsInt({ message: 'httpStatus must be an integer' })
  @ApiPropertyOptional({ type: 'integer', minimum: 100, maximum: 599, example: 404 })
  httpStatus?: number;

  /** e.g. `success`, `failure` (RCK, from the path), `avatar_video.success` (HeyGen). */
  @IsOptional()
  @trim()
  @MaxLength(200)
  @IsString({ message: 'eventType must be a string' })
  eventType?: string;

  /** Received at or after this time (ISO 8601). */
  @IsOptional()
  @AsDate()
  @IsDate({ message: 'from must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  from?: Date;

  /** Received before this time (ISO 8601). */
  @IsOptional()
  @AsDate()
  @IsDate({ message: 'to must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  to?: Date;
}

/**
 * `page`, `limit` and `endpoint`, and the filters debugging needs
 * (docs/contracts/webhook-events.md#listing-events).
 */
export class ListWebhookEventsQueryDto extends IntersectionType(PaginationQueryDto, WebhookEventFiltersDto) {}

/** A bulk replay takes the list's filters (e.g. `{ "status": "failed", "from": "…" }`). */
export class ReplayWebhookEventsDto extends WebhookEventFiltersDto {}

/**
 * A WebhookEvent (`_id`, `endpoint`, `payload`, `createdAt`) and what debugging needs beside it
 * (docs/contracts/webhook-events.md#the-record).
 */
export class WebhookEventResponseDto {
  /** The record's id: the one name every DTO uses for it. */
  @ApiProperty({ example: '65def456abc789012345abcd' })
  id: string;
  /** The same id under the name the first API gave it; kept so existing clients go on working. */
  @ApiProperty({ example: '65def456abc789012345abcd' })
  _id: string;
  /** The full request path. */
  @ApiProperty({ example: '/internal/videos/success' })
  endpoint: string;
  @ApiProperty({ example: 'POST' })
  method: string;
  @ApiProperty({
    description:
      'The body as received: parsed JSON, or the raw text (cut short) when it was not JSON, or null. ' +
      'For a delivery refused before its handler (status rejected: bad signature, malformed, oversized or wrong content type), ' +
      'only the first 2 KB of the raw body as text; payloadBytes and payloadSha256 describe the whole body.',
    nullable: true,
    example: { videoId: '65abc123def456789012abcd', youtubeVideoId: 'dQw4w9WgXcQ' },
  })
  payload: unknown;
  /** True when `payload` is raw text cut short. */
  payloadTruncated?: boolean;
  /** For a delivery refused before its handler: the size of the whole body received, in bytes. */
  payloadBytes?: number;
  /**
   * For a delivery refused before its handler, and for a `conflict` (its id was handled before
   * with another body): the SHA-256 (hex) of the whole body received.
   */
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{64}$' })
  payloadSha256?: string;
  @ApiProperty({ enum: WEBHOOK_SOURCES })
  source: string;
  eventType?: string;
  /** The sender's delivery id (`webhook-id`, HeyGen `event_id`). */
  deliveryId?: string;
  videoId?: string;
  callbackId?: string;
  /** Our record's id (the AIVideo). */
  recordId?: string;
  /** The workspace of the video or reel, when the handler found it. */
  workspaceId?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Selected request headers (never signatures or secrets).' })
  headers?: Record<string, string>;
  @ApiProperty({ enum: WEBHOOK_EVENT_STATUSES, enumName: 'WebhookEventStatus' })
  status: WebhookEventStatus;
  /** The HTTP status we answered. */
  httpStatus: number;
  @ApiPropertyOptional({
    description:
      'Our answer\'s body as the sender received it (the envelope): parsed JSON, or its text cut at 2048 characters (then responseBodyTruncated). ' +
      'Of a 500 whose cause was unexpected, the envelope without its errorId (the log lines of the same requestId carry it). ' +
      'Absent on events recorded before answers were stored.',
    example: { success: true, message: 'Video status updated successfully', data: { videoId: '65abc123def456789012abcd', status: 'completed' } },
  })
  responseBody?: unknown;
  /** True when `responseBody` is our answer's text cut short. */
  responseBodyTruncated?: boolean;
  /** True verified, false refused; absent when not checked (development without a secret, replays). */
  signatureValid?: boolean;
  durationMs: number;
  error?: string;
  requestId?: string;
  /** On a replay: the event it replayed. */
  replayOf?: string;
  /** Of a `released` event (held while its source was paused): when its release was recorded. */
  releasedAt?: Date;
  createdAt: Date;
}

/** An event as the list and the event's own route show it: with whether a replay could change anything. */
export class WebhookEventDetailDto extends WebhookEventResponseDto {
  /**
   * Whether a replay could change something: false for a delivery applied already (accepted), a
   * repeat (duplicate, conflict), one whose delivery id is remembered as handled, and one a replay
   * refuses (signature not verified, body not a JSON object).
   */
  replayable: boolean;
  /** Why a replay would change nothing, in words; absent when `replayable`. */
  notReplayableReason?: string;
}

export class WebhookEventListDto {
  events: WebhookEventDetailDto[];
  pagination: PaginationDto;
}

/** What a bulk replay of these filters would do, before it is asked for. */
export class ReplayPreviewDto {
  /** Events a bulk replay of the filters would queue (never a signature-refused or non-JSON one, nor a duplicate or conflict). */
  replayable: number;
  /** The most one bulk replay takes (WEBHOOK_REPLAY_MAX_EVENTS); above it, narrow the filters. */
  max: number;
}

export class WebhookEventStatsQueryDto {
  /** Default: 30 days before `to`. */
  @IsOptional()
  @AsDate()
  @IsDate({ message: 'from must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  from?: Date;

  /** Default: now. */
  @IsOptional()
  @AsDate()
  @IsDate({ message: 'to must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  to?: Date;

  @IsOptional()
  @IsIn(STATS_PERIODS, { message: `groupBy must be one of ${STATS_PERIODS.join(', ')}` })
  @ApiPropertyOptional({ enum: STATS_PERIODS, default: 'day' })
  groupBy?: StatsPeriod = 'day';

  /**
   * Only deliveries about this workspace's videos and reels, and its videos' generation time.
   * Refused deliveries have no workspace (they were refused before their video was known), so
   * with this filter `refused` is always empty.
   */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class StatusCountsDto {
  total: number;
  accepted: number;
  duplicate: number;
  /** A delivery id seen before with another body: answered as the first, not applied. */
  conflict: number;
  ignored: number;
  /** Stored while the source was paused, not yet applied. */
  held: number;
  /** Held, then applied on resume (their release is counted as a replay of its own). */
  released: number;
  rejected: number;
  failed: number;
}

export class SourceStatsDto extends StatusCountsDto {
  @ApiProperty({ enum: WEBHOOK_SOURCES })
  source: string;
}

export class PeriodStatsDto extends StatusCountsDto {
  /** `2025-01-17T09` (hour), `2025-01-17` (day), `2025-W03` (ISO week), `2025-01` (month), UTC. */
  period: string;
}

export class OutcomeStatsDto {
  /** Accepted deliveries that reported a finished video (event type ending in success / completed). */
  succeeded: number;
  /** Accepted deliveries that reported a failed video (event type ending in fail / failed / failure). */
  failed: number;
  /** succeeded / (succeeded + failed), 0 to 1; null when there were none. */
  @ApiProperty({ type: Number, nullable: true })
  successRate: number | null;
  @ApiProperty({ type: Number, nullable: true })
  failureRate: number | null;
}

export class GenerationTimeDto {
  /** Videos completed in the window. */
  videos: number;
  /** From `metadata.queuedAt` to `metadata.completedAt`; null without videos. */
  @ApiProperty({ type: Number, nullable: true })
  averageMs: number | null;
  /** Nearest-rank 95th percentile; null without videos. */
  @ApiProperty({ type: Number, nullable: true })
  p95Ms: number | null;
}

export class RefusedStatsDto {
  @ApiProperty({ enum: WEBHOOK_SOURCES })
  source: string;
  total: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { '401': 3, '415': 1 } })
  byHttpStatus: Record<string, number>;
}

/** The webhook statistics (docs/contracts/webhook-events.md#statistics). */
export class WebhookEventStatsDto {
  from: Date;
  to: Date;
  @ApiProperty({ enum: STATS_PERIODS })
  groupBy: StatsPeriod;
  /** Deliveries received in the window. */
  total: number;
  bySource: SourceStatsDto[];
  outcomes: OutcomeStatsDto;
  generationTime: GenerationTimeDto;
  /** Deliveries per period, oldest first (periods without any are left out). */
  volume: PeriodStatsDto[];
  /**
   * Deliveries refused (4xx: signature, body, validation, unknown video) per source. Empty with a
   * `workspaceId` filter: a refused delivery has no workspace.
   */
  refused: RefusedStatsDto[];
}

export class WebhookReplayResultDto {
  /** The event that recorded the replay (`replayOf` names the original). */
  event: WebhookEventResponseDto;
  /** What the handler answered (as the sender would have received it). */
  @ApiProperty({ description: 'The handler\'s answer, in the envelope the sender gets.', example: { success: true, message: 'Video status updated successfully', data: {} } })
  response: unknown;
}

export class BulkReplayResultDto {
  /** Events queued for replay in the background. */
  queued: number;
}

export function toWebhookEventResponse(event: WebhookEventRecord): WebhookEventResponseDto {
  return { _id: event.id, ...event };
}

export function toWebhookEventDetail(event: WebhookEventRecord, notReplayableReason: string | undefined): WebhookEventDetailDto {
  return { ...toWebhookEventResponse(event), replayable: notReplayableReason === undefined, ...(notReplayableReason !== undefined && { notReplayableReason }) };
}
