import { BadRequestException, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, PipelineStage, Types } from 'mongoose';
import {
  PeriodStatsDto,
  RefusedStatsDto,
  SourceStatsDto,
  StatsPeriod,
  StatusCountsDto,
  WebhookEventStatsDto,
} from '../inbound-webhook-events/webhook-event.dto.js';
import { WebhookEventStatsProvider, WebhookEventStatsQuery, WebhookEventStatsRegistry } from '../inbound-webhook-events/webhook-event-stats.registry.js';
import { WEBHOOK_EVENT_STATUSES, WebhookEvent, WebhookEventStatus } from '../inbound-webhook-events/webhook-event.schema.js';
import { VideoStatistics } from './video.statistics.js';

const DEFAULT_STATS_WINDOW_MS = 30 * 24 * 3600_000;

/** One group of the stats aggregation: events of one source, status, period and kind. */
export interface WebhookEventStatsGroup {
  source: string;
  status: WebhookEventStatus;
  period: string;
  /** What an accepted delivery reported: a finished video, a failed one, or neither. */
  kind: 'succeeded' | 'failed' | 'other';
  httpStatus: number;
  count: number;
}

/** `$dateToString` formats of the stats periods (UTC; hours like 2025-01-17T09; ISO weeks, e.g. 2025-W03). */
export const PERIOD_FORMATS: Record<StatsPeriod, string> = { hour: '%Y-%m-%dT%H', day: '%Y-%m-%d', week: '%G-W%V', month: '%Y-%m' };

/**
 * An event type ending like these reports a finished video or a failed one (RCK's, HeyGen's and the
 * names docs/contracts/heygen.md#the-webhook also takes).
 */
const SUCCEEDED_EVENT_TYPE = '(^|[._])(success|succeeded|completed)$';
const FAILED_EVENT_TYPE = '(^|[._])(fail|failed|failure)$';

/**
 * The event log counted in the database: the webhook statistics (`GET /api/webhook-events/stats`,
 * docs/contracts/webhook-events.md#statistics, with the videos' generation time beside them) and
 * the dashboard's delivery chart. A read-side (it never writes): it reads the event log's
 * collection through its exported schema, and answers the event log's route through
 * WebhookEventStatsRegistry, so the log depends on neither this folder nor the videos.
 */
@Injectable()
export class WebhookEventStatistics implements WebhookEventStatsProvider, OnModuleInit {
  constructor(
    @InjectModel(WebhookEvent.name) private readonly events: Model<WebhookEvent>,
    private readonly videos: VideoStatistics,
    private readonly registry: WebhookEventStatsRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async stats(query: WebhookEventStatsQuery, now = new Date()): Promise<WebhookEventStatsDto> {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - DEFAULT_STATS_WINDOW_MS);
    if (from >= to) throw new BadRequestException('from must be before to');
    const groupBy = query.groupBy ?? 'day';
    const { workspaceId } = query;
    const [groups, generationTime] = await Promise.all([
      this.statsGroups(from, to, groupBy, workspaceId),
      this.videos.generationTimes(from, to, workspaceId),
    ]);

    const bySource = new Map<string, SourceStatsDto>();
    const byPeriod = new Map<string, PeriodStatsDto>();
    const refused = new Map<string, RefusedStatsDto>();
    let total = 0;
    let succeeded = 0;
    let failed = 0;
    for (const group of groups) {
      total += group.count;
      add(getOrCreate(bySource, group.source, () => ({ source: group.source, ...emptyCounts() })), group.status, group.count);
      add(getOrCreate(byPeriod, group.period, () => ({ period: group.period, ...emptyCounts() })), group.status, group.count);
      if (group.kind === 'succeeded') succeeded += group.count;
      if (group.kind === 'failed') failed += group.count;
      if (group.status === 'rejected') {
        const entry = getOrCreate<RefusedStatsDto>(refused, group.source, () => ({ source: group.source, total: 0, byHttpStatus: {} }));
        entry.total += group.count;
        entry.byHttpStatus[String(group.httpStatus)] = (entry.byHttpStatus[String(group.httpStatus)] ?? 0) + group.count;
      }
    }
    const decided = succeeded + failed;
    return {
      from,
      to,
      groupBy,
      total,
      bySource: [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source)),
      outcomes: {
        succeeded,
        failed,
        successRate: decided === 0 ? null : round(succeeded / decided),
        failureRate: decided === 0 ? null : round(failed / decided),
      },
      generationTime: {
        videos: generationTime.videos,
        averageMs: generationTime.averageMs === null ? null : Math.round(generationTime.averageMs),
        p95Ms: generationTime.p95Ms,
      },
      volume: [...byPeriod.values()].sort((a, b) => a.period.localeCompare(b.period)),
      refused: [...refused.values()].sort((a, b) => a.source.localeCompare(b.source)),
    };
  }

  /** Deliveries in [from, to) by bucket of `bucketMinutes` and status (see deliveryVolumePipeline). */
  async countByBucket(from: Date, to: Date, bucketMinutes: number, workspaceId?: string): Promise<Array<{ start: Date; status: WebhookEventStatus; count: number }>> {
    return this.events.aggregate<{ start: Date; status: WebhookEventStatus; count: number }>(deliveryVolumePipeline(from, to, bucketMinutes, workspaceId)).exec();
  }

  /** Counts by source, status, period, kind and HTTP status: small groups `stats` folds into the answer. */
  private statsGroups(from: Date, to: Date, period: StatsPeriod, workspaceId?: string): Promise<WebhookEventStatsGroup[]> {
    return this.events.aggregate<WebhookEventStatsGroup>(statsPipeline(from, to, period, workspaceId)).exec();
  }
}

/**
 * The stats aggregation (one pass over the window, read through the createdAt index, or the
 * workspace one for a workspace); exported for the index-use test.
 */
export function statsPipeline(from: Date, to: Date, period: StatsPeriod, workspaceId?: string): PipelineStage[] {
  const eventType = { $ifNull: ['$eventType', ''] };
  return [
    { $match: { ...(workspaceId && { workspaceId: new Types.ObjectId(workspaceId) }), createdAt: { $gte: from, $lt: to } } },
    {
      $group: {
        _id: {
          source: '$source',
          status: '$status',
          period: { $dateToString: { date: '$createdAt', format: PERIOD_FORMATS[period] } },
          kind: {
            $cond: [
              { $ne: ['$status', 'accepted'] },
              'other',
              {
                $cond: [
                  { $regexMatch: { input: eventType, regex: SUCCEEDED_EVENT_TYPE, options: 'i' } },
                  'succeeded',
                  { $cond: [{ $regexMatch: { input: eventType, regex: FAILED_EVENT_TYPE, options: 'i' } }, 'failed', 'other'] },
                ],
              },
            ],
          },
          httpStatus: '$httpStatus',
        },
        count: { $sum: 1 },
      },
    },
    {
      $project: {
        _id: 0,
        source: '$_id.source',
        status: '$_id.status',
        period: '$_id.period',
        kind: '$_id.kind',
        httpStatus: '$_id.httpStatus',
        count: 1,
      },
    },
  ];
}

/** The bucket sizes the dashboard's delivery chart may use, in minutes, finest first. */
export const BUCKET_MINUTES = [1, 5, 15, 60, 360, 1440, 10080] as const;
/** A range gets the finest bucket that makes at most this many bars. */
export const MAX_BUCKETS = 48;

/**
 * The bucket for a range: the finest of BUCKET_MINUTES giving at most MAX_BUCKETS buckets, so a
 * 1-hour range is drawn in 5-minute bars, 24 hours in hours, 7 days in 6 hours, 30 days in days.
 */
export function bucketMinutesFor(rangeMs: number): number {
  return BUCKET_MINUTES.find((minutes) => Math.ceil(rangeMs / (minutes * 60_000)) <= MAX_BUCKETS) ?? BUCKET_MINUTES[BUCKET_MINUTES.length - 1];
}

/**
 * Deliveries in [from, to) by bucket and status (bucket starts are UTC, aligned on multiples of the
 * bucket since 2000-01-01, so hours and days start on the hour and at midnight). Read through the
 * event log's createdAt index, or its workspace one; exported for the index-use test.
 */
export function deliveryVolumePipeline(from: Date, to: Date, bucketMinutes: number, workspaceId?: string): PipelineStage[] {
  return [
    { $match: { ...(workspaceId && { workspaceId: new Types.ObjectId(workspaceId) }), createdAt: { $gte: from, $lt: to } } },
    {
      $group: {
        _id: { start: { $dateTrunc: { date: '$createdAt', unit: 'minute', binSize: bucketMinutes } }, status: '$status' },
        count: { $sum: 1 },
      },
    },
    { $project: { _id: 0, start: '$_id.start', status: '$_id.status', count: 1 } },
  ];
}

function emptyCounts(): StatusCountsDto {
  return { total: 0, accepted: 0, duplicate: 0, conflict: 0, ignored: 0, held: 0, released: 0, rejected: 0, failed: 0 };
}

function add(counts: StatusCountsDto, status: WebhookEventStatus, count: number): void {
  counts.total += count;
  if ((WEBHOOK_EVENT_STATUSES as readonly string[]).includes(status)) counts[status] += count;
}

function getOrCreate<V>(map: Map<string, V>, key: string, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

function round(rate: number): number {
  return Math.round(rate * 10_000) / 10_000;
}
