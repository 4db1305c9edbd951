import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { WebhookHolds } from '../inbound-webhook-contract/webhook-holds.js';
import { WebhookSourceRecord, WebhookSourceRepository } from './webhook-source.repository.js';
import { WebhookSourceState } from './webhook-source.schema.js';

/** How often each instance reads the sources' states again, and how long a release waits for stragglers (below). */
export interface WebhookSourceTiming {
  refreshMs: number;
  /** More than refreshMs plus a delivery's time from its hold decision to its stored event. */
  settleMs: number;
}

export const WEBHOOK_SOURCE_TIMING = Symbol('WEBHOOK_SOURCE_TIMING');
export const DEFAULT_WEBHOOK_SOURCE_TIMING: WebhookSourceTiming = { refreshMs: 1000, settleMs: 3000 };

/**
 * Every instance's copy of the sources' pause states, so that deciding whether a delivery is held
 * costs no database read (`holding`, asked on every delivery). Read at start-up, then every
 * `refreshMs`; a pause, resume or activation made by this instance updates it at once.
 *
 * The cross-instance window: another instance learns of a change within `refreshMs` (1 s). Until
 * then, after a pause it still handles deliveries live; after a resume it still holds them; after
 * the backlog is released it still holds (as `resuming`) the ones it receives. Nothing is lost:
 * the release job looks again `settleMs` after the source became active and releases whatever an
 * instance held meanwhile. The order between a delivery held by one instance on a stale state and
 * one handled live by another within that second is not kept; handlers are order-tolerant
 * (a late failure never overwrites a completion), so it can change which of two conflicting
 * callbacks wins only within that window. A refresh that fails keeps the last known states.
 */
@Injectable()
export class WebhookSourceStates extends WebhookHolds implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSourceStates.name);
  private readonly states = new Map<WebhookSource, WebhookSourceState>();
  private timer?: NodeJS.Timeout;
  /** Changes made here: a refresh that read the database before one of them does not undo it. */
  private localChanges = 0;

  constructor(
    private readonly repository: WebhookSourceRepository,
    @Inject(WEBHOOK_SOURCE_TIMING) private readonly timing: WebhookSourceTiming,
  ) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.warn(`Could not read the webhook sources' pause states (keeping the last known): ${String(error)}`));
    }, this.timing.refreshMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  holding(source: WebhookSource): boolean {
    const state = this.states.get(source);
    return state === 'paused' || state === 'resuming';
  }

  /** A change this instance made (or read): applied to its copy at once. */
  set(record: Pick<WebhookSourceRecord, 'source' | 'state'>): void {
    this.localChanges++;
    this.states.set(record.source, record.state);
  }

  private async refresh(): Promise<void> {
    const before = this.localChanges;
    const records = await this.repository.findAll();
    if (this.localChanges !== before) return;
    const seen = new Set<WebhookSource>();
    for (const record of records) {
      this.states.set(record.source, record.state);
      seen.add(record.source);
    }
    for (const source of this.states.keys()) if (!seen.has(source)) this.states.delete(source);
  }
}
