import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { errorMessage } from '../common/error-message.js';
import { webhookEventsConfig, type WebhookEventsConfig } from '../inbound-webhook-events/webhook-events.config.js';
import { monitoringStreamConfig, type MonitoringStreamConfig } from './monitoring.config.js';
import { JobCounts, JobRunner } from '../jobs/job-runner.js';
import { WebhookEventRecord, WebhookEventRepository } from '../inbound-webhook-events/webhook-event.repository.js';
import { StreamDeliveryDto } from './monitoring.dto.js';
import { ReelStatistics } from './reel.statistics.js';
import { StreamCursor } from './stream-cursor.js';
import { VideoStatistics } from './video.statistics.js';

/** One delivery as the stream sends it (`event: delivery`): the shape the API document declares. */
export type StreamDelivery = StreamDeliveryDto;

/** The counters the stream sends (`event: counters`) when they change. */
export interface StreamCounters {
  videos: Record<string, number>;
  reels: Record<string, number>;
  jobs: JobCounts;
}

/** Where a subscriber's bytes go (the HTTP response); `write` false means the client reads slowly. */
export interface StreamSink {
  write(chunk: string): boolean;
  /** Bytes written and not yet taken by the client. */
  readonly backlog: number;
  end(): void;
}

const PAGE = 500;
/** Beyond the recorder's flush interval, how long an event may take to be written. */
const SETTLE_MARGIN_MS = 100;
/** A client this far behind is dropped (it reconnects and resumes from its Last-Event-ID). */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

/** One `text/event-stream` message. */
export function sseMessage(fields: { id?: string; event?: string; data?: unknown; retry?: number }): string {
  let out = '';
  if (fields.retry !== undefined) out += `retry: ${fields.retry}\n`;
  if (fields.id !== undefined) out += `id: ${fields.id}\n`;
  if (fields.event !== undefined) out += `event: ${fields.event}\n`;
  if (fields.data !== undefined) out += `data: ${JSON.stringify(fields.data)}\n`;
  return `${out}\n`;
}

class Subscriber {
  constructor(
    readonly workspaceId: string | undefined,
    readonly cursor: StreamCursor,
    private readonly sink: StreamSink,
    private readonly onOverflow: (subscriber: Subscriber) => void,
  ) {}

  get countersKey(): string {
    return this.workspaceId ?? '';
  }

  /** Sends the deliveries it has not seen and that match its filter, in the order given. */
  deliver(events: StreamDelivery[]): void {
    for (const event of events) {
      const at = Date.parse(event.createdAt);
      if (this.workspaceId && event.workspaceId !== this.workspaceId) {
        // Not for this client, but its position moves on (what it was sent stays remembered).
        this.cursor.advance(at);
        continue;
      }
      if (this.cursor.accept(event.id, at)) this.send(sseMessage({ id: this.cursor.encode(), event: 'delivery', data: event }));
    }
  }

  send(chunk: string): void {
    this.sink.write(chunk);
    if (this.sink.backlog > MAX_BACKLOG_BYTES) this.onOverflow(this);
  }

  end(): void {
    this.sink.end();
  }
}

/**
 * The live side of the dashboard (GET /api/monitoring/stream). One poller per process, shared by
 * every connected client: every MONITORING_STREAM_POLL_MS it reads from the database the
 * deliveries that became visible since its last read (whichever instance received them, see
 * StreamCursor for late writes) and the counters, and hands them to each client, which keeps its
 * own cursor (its SSE id). A new or resuming client is brought up to date by its own read, in
 * the same serialized section as the polls, so nothing falls between the two.
 */
@Injectable()
export class MonitoringStreamService implements OnModuleDestroy {
  private readonly logger = new Logger(MonitoringStreamService.name);
  private readonly subscribers = new Set<Subscriber>();
  /**
   * What the shared poller has seen. Set only while a client is being set up, before that
   * client's own read (so the poller never steps over what the client has not seen); afresh when
   * nobody was watching.
   */
  private hubCursor?: StreamCursor;
  private readonly lastCounters = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  /** Polls and client set-ups run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();
  private failures = 0;
  private closed = false;

  constructor(
    @Inject(monitoringStreamConfig.KEY) private readonly config: MonitoringStreamConfig,
    @Inject(webhookEventsConfig.KEY) private readonly webhookEventsConfig: WebhookEventsConfig,
    private readonly events: WebhookEventRepository,
    private readonly videos: VideoStatistics,
    private readonly reels: ReelStatistics,
    private readonly jobs: JobRunner,
  ) {}

  /** Polls made, for tests and monitoring. */
  readonly stats = { polls: 0 };

  get clients(): number {
    return this.subscribers.size;
  }

  /**
   * Starts a client's stream: from its cursor (a resume sends what it missed first) or, without
   * one, from now; returns the function that ends it (the client went away).
   */
  subscribe(sink: StreamSink, options: { workspaceId?: string; cursor?: StreamCursor }): () => void {
    const { overlapMs } = this.config;
    const subscriber = new Subscriber(options.workspaceId, options.cursor ?? new StreamCursor(Date.now(), overlapMs), sink, (s) => this.drop(s));
    let gone = false;
    void this.exclusive(async () => {
      if (gone || this.closed) return;
      sink.write(sseMessage({ retry: 2000 }));
      if (!this.hubCursor || this.subscribers.size === 0) this.hubCursor = await this.primedCursor(Date.now());
      if (options.cursor) {
        // Read with a copy: the subscriber's own cursor decides what it has been sent.
        await this.readNew(subscriber.cursor.clone(), undefined, (events) => subscriber.deliver(events));
      } else {
        // "New" means visible from now on: what is already stored within the window is seen.
        await this.readNew(subscriber.cursor, undefined, () => undefined);
      }
      if (gone || this.closed) return;
      this.subscribers.add(subscriber);
      subscriber.send(sseMessage({ id: subscriber.cursor.encode(), event: 'ready', data: { resumed: !!options.cursor } }));
      const counters = await this.counters(subscriber.workspaceId, await this.jobs.counts());
      subscriber.send(sseMessage({ event: 'counters', data: counters }));
      // The first of its kind sets the reference; otherwise the next poll sends what changed to all.
      if (!this.lastCounters.has(subscriber.countersKey)) this.lastCounters.set(subscriber.countersKey, JSON.stringify(counters));
      this.startTimers();
    }).catch((error: unknown) => {
      this.logger.warn(`A monitoring stream could not start: ${errorMessage(error)}`);
      sink.end();
    });
    return () => {
      gone = true;
      this.subscribers.delete(subscriber);
      this.stopTimersWhenIdle();
    };
  }

  async onModuleDestroy(): Promise<void> {
    // Before the HTTP server closes: an open stream must not hold up shutdown.
    this.closed = true;
    for (const subscriber of this.subscribers) subscriber.end();
    this.subscribers.clear();
    this.stopTimersWhenIdle();
    await this.queue.catch(() => undefined);
  }

  private drop(subscriber: Subscriber): void {
    this.logger.warn('A monitoring stream client fell too far behind; closing it (it resumes from its Last-Event-ID)');
    this.subscribers.delete(subscriber);
    subscriber.end();
  }

  private startTimers(): void {
    if (this.closed || this.subscribers.size === 0) return;
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        for (const subscriber of this.subscribers) subscriber.send(': heartbeat\n\n');
      }, this.config.heartbeatMs);
      this.heartbeat.unref();
    }
    this.schedulePoll();
  }

  private stopTimersWhenIdle(): void {
    if (this.subscribers.size > 0 && !this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = this.heartbeat = undefined;
    // The hub cursor stays: a client whose set-up is under way now may rely on it (the next
    // set-up with nobody watching replaces it).
    this.lastCounters.clear();
  }

  private schedulePoll(): void {
    if (this.timer || this.closed || this.subscribers.size === 0) return;
    const timer = setTimeout(() => {
      void this.exclusive(() => this.poll()).finally(() => {
        // Unless the timers were stopped (and maybe started again) meanwhile: one chain only.
        if (this.timer !== timer) return;
        this.timer = undefined;
        this.schedulePoll();
      });
    }, this.config.pollMs);
    timer.unref();
    this.timer = timer;
  }

  private async poll(): Promise<void> {
    if (this.closed || this.subscribers.size === 0) return;
    const hub = this.hubCursor;
    if (!hub) return;
    this.stats.polls++;
    try {
      // Only events older than a flush interval: every instance writes its events in batches one
      // flush interval after the request, so waiting that long lets each instance's batch land
      // and deliveries to different instances go out in the order they arrived. (An event later
      // still is sent all the same, by the cursor's overlap.) Catch-ups read everything stored.
      const settled = new Date(Date.now() - this.webhookEventsConfig.flushIntervalMs - SETTLE_MARGIN_MS);
      await this.readNew(hub, settled, (events) => {
        for (const subscriber of this.subscribers) subscriber.deliver(events);
      });
      const jobs = await this.jobs.counts();
      const keys = new Set([...this.subscribers].map((s) => s.countersKey));
      for (const key of keys) {
        const counters = await this.counters(key || undefined, jobs);
        const json = JSON.stringify(counters);
        if (this.lastCounters.get(key) === json) continue;
        this.lastCounters.set(key, json);
        const message = sseMessage({ event: 'counters', data: counters });
        for (const subscriber of this.subscribers) if (subscriber.countersKey === key) subscriber.send(message);
      }
      if (this.failures > 0) this.logger.log(`Monitoring stream reads work again after ${this.failures} failure(s)`);
      this.failures = 0;
    } catch (error) {
      // The database may be away for a while: keep polling, say so once per streak (and every 60th).
      if (this.failures++ % 60 === 0) this.logger.warn(`Monitoring stream could not read the database: ${errorMessage(error)}`);
    }
  }

  /** A cursor at `now` that has seen everything already stored within the window. */
  private async primedCursor(now: number): Promise<StreamCursor> {
    const cursor = new StreamCursor(now, this.config.overlapMs);
    await this.readNew(cursor, undefined, () => undefined);
    return cursor;
  }

  /** Reads, page by page, every event the cursor has not seen (received before `before`, if given), and hands over each page in order. */
  private async readNew(cursor: StreamCursor, before: Date | undefined, handle: (events: StreamDelivery[]) => void): Promise<void> {
    for (;;) {
      const page = await this.events.findReceivedSince(cursor.since, cursor.seenIds, PAGE, before);
      const fresh = page.filter((event) => cursor.accept(event.id, event.createdAt.getTime()));
      if (fresh.length > 0) handle(fresh.map(toStreamDelivery));
      if (page.length < PAGE || this.closed) return;
    }
  }

  private async counters(workspaceId: string | undefined, jobs: JobCounts): Promise<StreamCounters> {
    const [videos, reels] = await Promise.all([this.videos.countByStatus({ workspaceId }), this.reels.countByStatus({ workspaceId })]);
    return { videos, reels, jobs };
  }

  private exclusive(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * A stored event as the stream sends it. Its workspace is the one stored with it, so the stream's
 * workspace filter and the event log's (`GET /api/webhook-events?workspaceId=`) agree.
 */
function toStreamDelivery(e: Omit<WebhookEventRecord, 'payload' | 'headers'>): StreamDelivery {
  return {
    id: e.id,
    createdAt: e.createdAt.toISOString(),
    source: e.source,
    endpoint: e.endpoint,
    ...(e.eventType !== undefined && { eventType: e.eventType }),
    ...(e.videoId !== undefined && { videoId: e.videoId }),
    ...(e.recordId !== undefined && { recordId: e.recordId }),
    ...(e.callbackId !== undefined && { callbackId: e.callbackId }),
    status: e.status,
    httpStatus: e.httpStatus,
    durationMs: e.durationMs,
    ...(e.replayOf !== undefined && { replayOf: e.replayOf }),
    ...(e.workspaceId !== undefined && { workspaceId: e.workspaceId }),
  };
}
