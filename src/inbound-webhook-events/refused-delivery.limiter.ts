import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { webhookEventsConfig, type WebhookEventsConfig } from './webhook-events.config.js';
import { RefusalWindow, RefusedDeliveryWindowRepository } from './refused-delivery-window.repository.js';

/** How often the 429s answered are added to their windows, and expired limits forgotten. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * The limit on deliveries refused before their handler, per client address: anyone can send
 * those, and each one used to cost a stored event. Beyond WEBHOOK_REFUSED_RATE_LIMIT_MAX refusals
 * in a window (WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS), an address's refusals are counted but
 * not stored, and its further deliveries are answered 429 unless their signature verifies (so a
 * generator behind the same NAT as an attacker is never turned away).
 *
 * - Counted in MongoDB (one document per address and window, an atomic $inc), so every instance
 *   adds to the same count and the event log keeps at most `max` refusals per address per window,
 *   however many instances share the load.
 * - Answering 429 needs no query: an instance learns that an address is over its limit from the
 *   count its own next refusal gets back, and remembers it in memory until the window ends. So a
 *   delivery from an address that is not limited costs nothing more than before, and an instance
 *   that has not yet heard of a limited address answers it once as before (counted, not stored).
 * - The 429s are counted in memory and added to their window documents once a second, so a
 *   flood of them costs neither a write nor storage per request.
 */
@Injectable()
export class RefusedDeliveryLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger(RefusedDeliveryLimiter.name);
  /** Addresses this instance knows to be over their limit, and when their window ends (epoch ms). */
  private readonly limited = new Map<string, number>();
  /** 429s answered and not yet added to their window document, by window key. */
  private pending = new Map<string, { window: RefusalWindow; limited: number }>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly windows: RefusedDeliveryWindowRepository,
    @Inject(webhookEventsConfig.KEY) private readonly config: WebhookEventsConfig,
  ) {}

  /** True while this instance knows of any limited address (the common case, false, costs nothing more). */
  get anyLimited(): boolean {
    return this.limited.size > 0;
  }

  /** When the address's limit ends (epoch ms), if this instance knows it to be over its limit. */
  limitedUntil(address: string, nowMs = Date.now()): number | undefined {
    const until = this.limited.get(address);
    if (until === undefined) return undefined;
    if (until > nowMs) return until;
    this.limited.delete(address);
    return undefined;
  }

  /**
   * Counts one refused delivery from `address`; true when it is within the limit and its event
   * should be stored. From the limit on, the address's next deliveries are answered 429. When the
   * count cannot be made (the database refuses), the event is stored: the log loses nothing.
   */
  async countRefusal(address: string, now = new Date()): Promise<boolean> {
    const window = this.windowOf(address, now);
    let refused: number;
    try {
      refused = await this.windows.countRefusal(window);
    } catch (error) {
      this.logger.warn(`Could not count a refused delivery from ${address}: ${String(error)}`);
      return true;
    }
    if (refused >= this.config.refusals.max) {
      this.limited.set(address, window.endsAt.getTime());
      this.schedule();
    }
    return refused <= this.config.refusals.max;
  }

  /** Counts one delivery answered 429 (added to its window document within a second). */
  countLimited(address: string, now = new Date()): void {
    this.countLimitedInWindow(this.windowOf(address, now), 1);
    this.schedule();
  }

  private countLimitedInWindow(window: RefusalWindow, limited: number): void {
    const key = `${window.address} ${window.start.getTime()}`;
    const entry = this.pending.get(key);
    if (entry) entry.limited += limited;
    else this.pending.set(key, { window, limited });
  }

  /** Adds the 429s counted so far to their windows (tests wait on it; shutdown calls it). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    const counts = [...this.pending.values()];
    this.pending = new Map();
    if (counts.length === 0) return;
    this.flushing = this.windows
      .addLimited(counts)
      .catch((error: unknown) => {
        // Counted again with the next flush, rather than lost.
        for (const count of counts) this.countLimitedInWindow(count.window, count.limited);
        throw error;
      })
      .finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch((error: unknown) => this.logger.warn(`Could not count the deliveries answered 429: ${String(error)}`));
  }

  /** The fixed window `now` falls in (aligned to the epoch, so every instance agrees on it). */
  private windowOf(address: string, now: Date): RefusalWindow {
    const { windowMs } = this.config.refusals;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const keptDays = this.config.refusedRetentionDays ?? this.config.retentionDays;
    return {
      address,
      start: new Date(start),
      endsAt: new Date(start + windowMs),
      ...(keptDays !== undefined && { expiresAt: new Date(start + windowMs + keptDays * 24 * 3600_000) }),
    };
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.forgetEnded(Date.now());
      this.flush()
        .catch((error: unknown) => this.logger.warn(`Could not count the deliveries answered 429: ${String(error)}`))
        .finally(() => {
          if (this.pending.size > 0 || this.limited.size > 0) this.schedule();
        });
    }, FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  private forgetEnded(nowMs: number): void {
    for (const [address, until] of this.limited) if (until <= nowMs) this.limited.delete(address);
  }
}
