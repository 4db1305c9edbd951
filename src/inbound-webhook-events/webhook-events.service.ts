import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { AIVideoRepository } from '../videos/ai-video.repository.js';
import { WEBHOOK_MOUNTS } from './delivery-facts.js';
import { StatsPeriod, WebhookEventFilter, WebhookEventRecord, WebhookEventRepository } from './webhook-event.repository.js';
import { WEBHOOK_EVENT_STATUSES, WebhookEventStatus } from './webhook-event.schema.js';
import { PeriodStatsDto, RefusedStatsDto, SourceStatsDto, StatusCountsDto, WebhookEventFiltersDto, WebhookEventStatsDto } from './webhook-event.dto.js';

const DEFAULT_STATS_WINDOW_MS = 30 * 24 * 3600_000;

/** Querying the event log: the list, one event, the statistics. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly events: WebhookEventRepository,
    private readonly videos: AIVideoRepository,
  ) {}

  list(filters: WebhookEventFiltersDto, skip: number, limit: number): Promise<{ events: WebhookEventRecord[]; total: number }> {
    return this.events.list(toFilter(filters), skip, limit);
  }

  async get(id: string): Promise<WebhookEventRecord> {
    const event = await this.events.findById(id);
    if (!event) throw new NotFoundException('Webhook event not found');
    return event;
  }

  async stats(query: { from?: Date; to?: Date; groupBy?: StatsPeriod; workspaceId?: string }, now = new Date()): Promise<WebhookEventStatsDto> {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - DEFAULT_STATS_WINDOW_MS);
    if (from >= to) throw new BadRequestException('from must be before to');
    const groupBy = query.groupBy ?? 'day';
    const { workspaceId } = query;
    const [groups, generationTime] = await Promise.all([
      this.events.statsGroups(from, to, groupBy, workspaceId),
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
}

/**
 * The list's filters as the repository takes them; the short endpoint form stands for the full
 * paths too (docs/contracts/webhook-events.md#listing-events).
 */
export function toFilter(filters: WebhookEventFiltersDto): WebhookEventFilter {
  if (filters.from && filters.to && filters.from >= filters.to) throw new BadRequestException('from must be before to');
  return {
    ...(filters.endpoint && { endpoints: endpointForms(filters.endpoint) }),
    videoId: filters.videoId,
    reelId: filters.reelId,
    workspaceId: filters.workspaceId,
    source: filters.source,
    status: filters.status,
    httpStatus: filters.httpStatus,
    eventType: filters.eventType,
    from: filters.from,
    to: filters.to,
  };
}

/** `/videos/success` → itself and `/internal/videos/success`, `/api/webhook/videos/success`; a full path → itself. */
export function endpointForms(endpoint: string): string[] {
  const path = endpoint.startsWith('/') ? endpoint : `/${endpoint}`;
  if (WEBHOOK_MOUNTS.some((mount) => path.startsWith(`${mount}/`))) return [path];
  return [path, ...WEBHOOK_MOUNTS.map((mount) => `${mount}${path}`)];
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
