import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsObjectId } from '../common/object-id.js';

export class MonitoringSummaryQueryDto {
  /** Start of the window (ISO 8601, inclusive). Default: 24 hours before `to`. */
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  from?: Date;

  /** End of the window (ISO 8601, exclusive). Default: now. */
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be a date (ISO 8601)' })
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  to?: Date;

  /** Only this workspace's videos and reels. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;

  /** A video counts as stuck once it has been generating this many minutes since RCK took it (1 to 10080). Default 30. */
  @IsOptional()
  @Type(() => Number)
  @Min(1, { message: 'stuckAfterMinutes must be between 1 and 10080' })
  @Max(10080, { message: 'stuckAfterMinutes must be between 1 and 10080' })
  @IsInt({ message: 'stuckAfterMinutes must be a whole number of minutes' })
  @ApiPropertyOptional({ default: 30, minimum: 1, maximum: 10080 })
  stuckAfterMinutes?: number;
}

export class MonitoringStreamQueryDto {
  /** Only deliveries about this workspace's videos and reels (their stored workspaceId), and its counters. */
  @IsOptional()
  @IsObjectId({ api: { required: false } })
  workspaceId?: string;
}

export class VideoStatusCountsDto {
  pending: number;
  generating: number;
  completed: number;
  failed: number;
}

export class ReelStatusCountsDto {
  requested: number;
  approved: number;
  rejected: number;
  processing: number;
  completed: number;
  failed: number;
}

export class JobCountsDto {
  /** One-off jobs due or scheduled (retries waiting included). */
  waiting: number;
  /** Jobs locked by a worker now. */
  running: number;
  /** Jobs that failed for good. */
  failed: number;
}

export class StuckVideoDto {
  videoId: string;
  workspaceId: string;
  productId: string;
  template: string;
  /** When RCK took it. */
  dispatchedAt: Date;
  /** How long it has been generating since then, at the time of the answer. */
  generatingForMs: number;
  /** RCK's job id. */
  externalJobId?: string;
}

export const FAILURE_KINDS = ['video', 'reel'] as const;

export class FailureReasonDto {
  @ApiProperty({ enum: FAILURE_KINDS })
  kind: (typeof FAILURE_KINDS)[number];
  /** The recorded error (its first 300 characters). */
  reason: string;
  count: number;
}

/** Deliveries received in one bucket, by the status they were answered with. */
export class DeliveryBucketDto {
  /** The bucket's start (UTC); it ends where the next one starts. */
  start: Date;
  total: number;
  accepted: number;
  duplicate: number;
  conflict: number;
  ignored: number;
  rejected: number;
  failed: number;
  /** Stored while their source was paused (see webhook-sources). */
  held: number;
  /** Held deliveries applied on resume (each also recorded as its replay). */
  released: number;
}

/**
 * Deliveries over the window, every bucket present (empty ones as zeros). The bucket is the finest
 * of 1, 5, 15, 60, 360, 1440 or 10080 minutes that makes at most 48: a 1-hour window is in 5-minute
 * buckets, 24 hours in hours, 7 days in 6 hours, 30 days in days.
 */
export class DeliveryVolumeDto {
  bucketMinutes: number;
  buckets: DeliveryBucketDto[];
}

/** The dashboard's numbers for a window (videos and reels by the time they were created). */
export class MonitoringSummaryDto {
  from: Date;
  to: Date;
  /** The workspace asked for; absent for all of them. */
  workspaceId?: string;
  /** Videos created in the window, by status now. */
  videos: VideoStatusCountsDto;
  /** Reels created in the window, by status now. */
  reels: ReelStatusCountsDto;
  /** The job queue now, all workspaces (jobs belong to no workspace). */
  jobs: JobCountsDto;
  /** The threshold `stuckGenerating` used: generating longer than this since RCK took them. */
  stuckAfterMs: number;
  /** Videos generating longer than `stuckAfterMs` since RCK took them (whenever created), longest first, at most 10. */
  stuckGenerating: StuckVideoDto[];
  /** The most frequent errors of the videos and reels created in the window that failed, at most 10. */
  failureReasons: FailureReasonDto[];
  /** Webhook deliveries received in the window, in buckets sized to it. */
  deliveries: DeliveryVolumeDto;
}

/** `event: delivery`: a webhook delivery stored in the event log (by any instance). */
export class StreamDeliveryDto {
  /** The stored event: GET /api/webhook-events/{id}, POST /api/webhook-events/{id}/replay. */
  id: string;
  /** When it arrived. */
  createdAt: string;
  source: string;
  endpoint: string;
  eventType?: string;
  videoId?: string;
  recordId?: string;
  callbackId?: string;
  /** accepted, duplicate, ignored, rejected or failed. */
  status: string;
  httpStatus: number;
  durationMs: number;
  replayOf?: string;
  /** The workspace of the video or reel it is about, as stored with the event; absent on deliveries refused before their handler. */
  workspaceId?: string;
}

/** `event: counters`: sent on connect and whenever a number changes (all time, or the workspace's). */
export class StreamCountersDto {
  videos: VideoStatusCountsDto;
  reels: ReelStatusCountsDto;
  /** All workspaces. */
  jobs: JobCountsDto;
}

/** `event: ready`: the client is up to date (after a resume: everything it missed was sent). */
export class StreamReadyDto {
  resumed: boolean;
}
