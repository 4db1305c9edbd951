import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../common/error-message.js';
import { webhookEventsConfig, type WebhookEventsConfig } from './webhook-events.config.js';
import { Coalescer } from '../database/coalescer.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { WebhookEventRecord, WebhookEventRepository } from './webhook-event.repository.js';

/** How long shutdown keeps trying to write what is left before logging it (main.ts exits after 15 s). */
const SHUTDOWN_FLUSH_MS = 5000;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/**
 * Where every webhook event goes, two ways:
 *
 * - `store()`, for every delivery answered 2xx: the answer waits until its event is written, so a
 *   2xx always means the event is stored. Deliveries that arrive together share one write (group
 *   commit: a call joins the open batch, which is sent once the event loop has run what was
 *   ready, as one unordered insertMany); each waits for the write that holds its event, and a
 *   refused write rejects it (the caller answers 503, so the sender retries).
 * - `record()`, for what is answered otherwise (refusals, errors): only appends to a buffer, so
 *   recording never delays those answers. Buffered events are written in batches, one unordered
 *   insertMany of up to WEBHOOK_EVENT_BATCH_SIZE, as soon as a batch is full or
 *   WEBHOOK_EVENT_FLUSH_INTERVAL_MS after the first waiting event; one batch is written at a time.
 *   A refused write puts the batch back and is retried with exponential backoff (0.1 s to 5 s)
 *   for as long as the database refuses. Events carry their ids, so a retry never stores one twice.
 *   An event the database refuses on its own (one it cannot encode) is logged in full instead of
 *   holding up the others. While it refuses, at most WEBHOOK_EVENT_MAX_BUFFERED events wait in
 *   memory; beyond that the oldest are written to the log in full (error level, `webhookEvent`).
 *   Shutdown (after the HTTP server has finished its requests) writes what is left, retrying for
 *   up to 5 s, and logs in full whatever still could not be written.
 */
@Injectable()
export class WebhookEventRecorder implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookEventRecorder.name);
  private buffer: WebhookEventRecord[] = [];
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private backingOff = false;
  private failures = 0;
  private closed = false;
  /** Counters, for monitoring and the ingest benchmark. */
  readonly counts = { recorded: 0, stored: 0, logged: 0, failedWrites: 0 };
  private readonly durable: Coalescer<WebhookEventRecord, void>;

  constructor(
    private readonly repository: WebhookEventRepository,
    @Inject(webhookEventsConfig.KEY) private readonly config: WebhookEventsConfig,
    metrics: MetricsService,
  ) {
    metrics.recorderBacklogWith(() => this.pending);
    this.durable = new Coalescer((events) => this.writeDurable(events), config.batchSize);
  }

  /**
   * Writes the event before the caller answers: resolves once it is stored, rejects when the
   * database refused it (the caller then answers 503, so the sender retries).
   */
  async store(event: WebhookEventRecord): Promise<void> {
    this.counts.recorded++;
    await this.durable.load(event);
    this.counts.stored++;
  }

  /** Events recorded and not yet stored (or logged). */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  record(event: WebhookEventRecord): void {
    this.counts.recorded++;
    if (this.closed) {
      // Nothing will write it any more: the log is the only place left.
      this.logInFull([event], 'recorded after shutdown');
      return;
    }
    this.buffer.push(event);
    this.enforceBound();
    if (this.pumping) return;
    if (this.buffer.length >= this.config.batchSize && !this.backingOff) {
      this.clearTimer();
      void this.pump();
      return;
    }
    if (!this.timer) this.schedule(this.config.flushIntervalMs);
  }

  /**
   * Writes an event now and waits for it (a replay answers with the event it recorded); when the
   * write fails, the event joins the buffer and is written with the others.
   */
  async recordNow(event: WebhookEventRecord): Promise<void> {
    try {
      await this.repository.insertBatch([event]);
      this.counts.recorded++;
      this.counts.stored++;
    } catch {
      this.record(event);
    }
  }

  /** Writes everything waiting; rejects if a write fails (tests and benchmarks wait on it). */
  async flush(): Promise<void> {
    while (this.pumping) await sleep(5);
    this.clearTimer();
    try {
      while (this.buffer.length > 0) await this.writeNextBatch();
    } catch (error) {
      this.schedule(FIRST_RETRY_MS);
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.pumping && Date.now() < deadline) await sleep(5);
    let delay = FIRST_RETRY_MS;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      try {
        await this.writeNextBatch();
      } catch {
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
    if (this.buffer.length > 0) {
      const left = this.buffer;
      this.buffer = [];
      this.logInFull(left, 'the database refused them until shutdown');
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.buffer.length > 0 && !this.closed) {
        try {
          await this.writeNextBatch();
        } catch (error) {
          this.failures++;
          this.counts.failedWrites++;
          this.backingOff = true;
          const delay = Math.min(FIRST_RETRY_MS * 2 ** (this.failures - 1), MAX_RETRY_MS);
          if (this.failures === 1 || this.failures % 20 === 0) {
            this.logger.warn(
              `Writing webhook events failed (${this.failures} time(s) in a row): ${errorMessage(error)}; ` +
                `${this.pending} waiting, retrying in ${delay} ms`,
            );
          }
          this.schedule(delay);
          return;
        }
        if (this.failures > 0) this.logger.log(`Writing webhook events works again after ${this.failures} failure(s)`);
        this.failures = 0;
        this.backingOff = false;
        // A partial batch waits for more events (up to the flush interval) rather than going alone.
        if (this.buffer.length > 0 && this.buffer.length < this.config.batchSize) {
          this.schedule(this.config.flushIntervalMs);
          return;
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async writeDurable(events: WebhookEventRecord[]): Promise<Array<void | Error>> {
    try {
      return await this.repository.insertEach(events);
    } catch (error) {
      this.counts.failedWrites++;
      throw error;
    }
  }

  private async writeNextBatch(): Promise<void> {
    const batch = this.buffer.splice(0, this.config.batchSize);
    this.inFlight += batch.length;
    let failure: unknown;
    let outcomes: Array<void | Error> = [];
    try {
      outcomes = await this.repository.insertEach(batch);
    } catch (error) {
      failure = error ?? new Error('write failed');
    }
    this.inFlight -= batch.length;
    if (failure === undefined) {
      // Refused on its own (a document the database cannot take): retrying would never help.
      const refused = batch.filter((_, i) => outcomes[i] instanceof Error);
      if (refused.length > 0) this.logInFull(refused, `the database refused them: ${errorMessage(outcomes.find((o) => o instanceof Error))}`);
      this.counts.stored += batch.length - refused.length;
      return;
    }
    // Back at the front, in order: they are the oldest (and no longer counted as in flight).
    this.buffer.unshift(...batch);
    this.enforceBound();
    throw failure;
  }

  private enforceBound(): void {
    const excess = this.pending - this.config.maxBuffered;
    if (excess > 0) this.logInFull(this.buffer.splice(0, Math.min(excess, this.buffer.length)), 'too many waiting while the database refuses writes');
  }

  private logInFull(events: WebhookEventRecord[], why: string): void {
    for (const event of events) this.logger.error({ webhookEvent: event }, `Webhook event not stored (${why}); recorded here in full`);
    this.counts.logged += events.length;
  }

  private schedule(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.pumping) void this.pump();
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
