import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const TIMELINE_KINDS = ['delivery', 'state', 'dispatch', 'message', 'attempt', 'email', 'chat'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/**
 * One thing that happened to a video or a reel. `summary` says it in a sentence; the other fields
 * are those of its kind:
 * - `delivery`: a webhook delivery about it (eventId, source, eventType, outcome = the event's status, httpStatus, replayOf);
 * - `state`: a state change (version, outcome = the status entered, reason, by);
 * - `dispatch`: a call to RCK or HeyGen (target, outcome succeeded / failed, externalId, error);
 * - `message`: an event stored for a customer's endpoint (messageId, endpointId, endpointUrl, eventType, outcome = pending / succeeded / failed);
 * - `attempt`: an attempt at delivering one (messageId, endpointId, endpointUrl, attempt, outcome, responseStatus, latencyMs, error, nextAttemptAt);
 * - `email`, `chat`: a notice (channel, to, outcome = waiting / sending / sent / retrying / failed, sentAt, attempts, error).
 */
export class TimelineEntryDto {
  /** When it happened: a delivery's arrival, a change, the answer to a call, a message stored, an attempt, a notice queued. */
  at: Date;
  @ApiProperty({ enum: TIMELINE_KINDS, enumName: 'TimelineKind' })
  kind: TimelineKind;
  /** What happened, in a sentence. */
  summary: string;
  /** What it came to, in one word (see the kinds). */
  outcome?: string;
  /** True for a message or notice about the video's batch rather than the video alone. */
  batch?: boolean;
  version?: number;
  reason?: string;
  /** Who made the change (a user id). */
  by?: string;
  eventId?: string;
  @ApiPropertyOptional({ enum: ['rck', 'heygen'] })
  source?: string;
  eventType?: string;
  httpStatus?: number;
  replayOf?: string;
  @ApiPropertyOptional({ enum: ['rck', 'heygen'] })
  target?: string;
  /** RCK's job id, HeyGen's video id. */
  externalId?: string;
  messageId?: string;
  endpointId?: string;
  /** The endpoint's URL; absent once the endpoint is deleted. */
  endpointUrl?: string;
  /** A scheduled attempt's number; absent for a redelivery by hand. */
  attempt?: number;
  responseStatus?: number;
  latencyMs?: number;
  nextAttemptAt?: Date;
  @ApiPropertyOptional({ enum: ['email', 'slack', 'discord'] })
  channel?: string;
  /** An e-mail's recipient. */
  to?: string;
  sentAt?: Date;
  /** Sends of a notice tried so far. */
  attempts?: number;
  error?: string;
}

/** The video or reel the timeline is of, as it is now. */
export class TimelineSubjectDto {
  @ApiProperty({ enum: ['video', 'reel'] })
  kind: 'video' | 'reel';
  id: string;
  workspaceId: string;
  status: string;
  version: number;
  /** A video's template, a reel's title. */
  title: string;
  createdAt: Date;
  productId?: string;
  /** The bulk request a video was asked in. */
  batchId?: string;
  /** RCK's job id, HeyGen's video id. */
  externalId?: string;
  error?: string;
}

export class TimelineDto {
  subject: TimelineSubjectDto;
  /** Oldest first. */
  entries: TimelineEntryDto[];
  /**
   * True when a source had more than a timeline shows (200 deliveries, 100 messages, 500 attempts,
   * 100 notices; 50 state changes and 20 calls are kept per record): the latest are shown.
   */
  truncated: boolean;
}
