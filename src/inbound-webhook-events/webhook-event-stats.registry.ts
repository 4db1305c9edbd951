import { Injectable } from '@nestjs/common';
import type { StatsPeriod, WebhookEventStatsDto } from './webhook-event.dto.js';

export interface WebhookEventStatsQuery {
  from?: Date;
  to?: Date;
  groupBy?: StatsPeriod;
  workspaceId?: string;
}

/** Computes the answer of `GET /api/webhook-events/stats`. */
export interface WebhookEventStatsProvider {
  stats(query: WebhookEventStatsQuery): Promise<WebhookEventStatsDto>;
}

/**
 * Who answers `GET /api/webhook-events/stats`. The route stays with the event log's other routes
 * (its path, tag and place in the API document), but its figures are the read-side's: the
 * dashboard's statistics (src/monitoring/) count the log and the videos' generation time, and
 * register here when they start, as webhook controllers register their replay handlers in
 * WebhookReplayRegistry. So the event log depends on neither the videos nor the read-side.
 */
@Injectable()
export class WebhookEventStatsRegistry {
  private provider?: WebhookEventStatsProvider;

  register(provider: WebhookEventStatsProvider): void {
    if (this.provider) throw new Error('A webhook event statistics provider is already registered');
    this.provider = provider;
  }

  stats(query: WebhookEventStatsQuery): Promise<WebhookEventStatsDto> {
    if (!this.provider) throw new Error('No webhook event statistics provider is registered (DashboardModule)');
    return this.provider.stats(query);
  }
}
