import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { WEBHOOK_MOUNTS } from './delivery-facts.js';
import { WebhookEventStatsQuery, WebhookEventStatsRegistry } from './webhook-event-stats.registry.js';
import { WebhookEventFilter, WebhookEventRecord, WebhookEventRepository } from './webhook-event.repository.js';
import { WebhookEventFiltersDto, WebhookEventStatsDto } from './webhook-event.dto.js';

/** Querying the event log: the list, one event, the statistics. */
@Injectable()
export class WebhookEventsService {
  constructor(
    private readonly events: WebhookEventRepository,
    private readonly statistics: WebhookEventStatsRegistry,
  ) {}

  list(filters: WebhookEventFiltersDto, skip: number, limit: number): Promise<{ events: WebhookEventRecord[]; total: number }> {
    return this.events.list(toFilter(filters), skip, limit);
  }

  async get(id: string): Promise<WebhookEventRecord> {
    const event = await this.events.findById(id);
    if (!event) throw new NotFoundException('Webhook event not found');
    return event;
  }

  /** The statistics, from the read-side that registered for them (see WebhookEventStatsRegistry). */
  stats(query: WebhookEventStatsQuery): Promise<WebhookEventStatsDto> {
    return this.statistics.stats(query);
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
