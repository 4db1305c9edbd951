import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class WebhookEventsEnvironment {
  /**
   * Days a webhook event is kept (a TTL index on createdAt removes older ones; a changed value
   * changes the index in place at start-up). 0: events are kept forever.
   */
  @AsNumber()
  @Min(0)
  @Max(36_500)
  @IsInt()
  WEBHOOK_EVENT_RETENTION_DAYS = 90;

  /**
   * Days a `rejected` event (a 4xx: bad signature, malformed or invalid body) is kept, when
   * shorter than WEBHOOK_EVENT_RETENTION_DAYS (a partial TTL index on createdAt for them alone).
   * Anyone can send those, so they should not stay as long as the deliveries we handled. 0: they
   * are kept as long as the others.
   */
  @AsNumber()
  @Min(0)
  @Max(36_500)
  @IsInt()
  WEBHOOK_EVENT_REFUSED_RETENTION_DAYS = 7;

  /**
   * Deliveries to webhook routes refused before their handler (bad signature, malformed body,
   * wrong content type, too large) one client address may make per window; beyond that its
   * deliveries are answered 429 and counted instead of stored, unless their signature verifies.
   */
  @AsNumber()
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  WEBHOOK_REFUSED_RATE_LIMIT_MAX = 60;

  @AsNumber()
  @Min(1)
  @Max(24 * 60 * 60)
  @IsInt()
  WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS = 60;

  /** Webhook events written in one insertMany, at most. */
  @AsNumber()
  @Min(1)
  @Max(10_000)
  @IsInt()
  WEBHOOK_EVENT_BATCH_SIZE = 500;

  /** How long a recorded webhook event may wait in memory before its batch is written (ms). */
  @AsNumber()
  @Min(1)
  @Max(60_000)
  @IsInt()
  WEBHOOK_EVENT_FLUSH_INTERVAL_MS = 200;

  /**
   * Events held in memory while the database refuses writes; beyond this, the oldest are written
   * to the log in full instead, so memory stays bounded and nothing is lost without a trace.
   */
  @AsNumber()
  @Min(100)
  @Max(10_000_000)
  @IsInt()
  WEBHOOK_EVENT_MAX_BUFFERED = 100_000;

  /**
   * GET /health/ready answers 503 while more webhook events than this wait to be written (the
   * database refuses the event log's writes), so an orchestrator sends deliveries elsewhere.
   */
  @AsNumber()
  @Min(1)
  @Max(10_000_000)
  @IsInt()
  READY_MAX_RECORDER_BACKLOG = 10_000;

  /** Most events one bulk replay (POST /api/webhook-events/replay) may queue. */
  @AsNumber()
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  WEBHOOK_REPLAY_MAX_EVENTS = 10_000;
}

/** The webhook event log: retention, batched writes, replays, and the refused-delivery limit. */
export const webhookEventsConfig = defineConfig('webhookEvents', WebhookEventsEnvironment, (env) => ({
  /** Undefined: kept forever. */
  retentionDays: env.WEBHOOK_EVENT_RETENTION_DAYS || undefined,
  /** `rejected` events, when kept for less than the others; undefined: as long as the others. */
  refusedRetentionDays:
    env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS > 0 &&
    (env.WEBHOOK_EVENT_RETENTION_DAYS === 0 || env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS < env.WEBHOOK_EVENT_RETENTION_DAYS)
      ? env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS
      : undefined,
  batchSize: env.WEBHOOK_EVENT_BATCH_SIZE,
  flushIntervalMs: env.WEBHOOK_EVENT_FLUSH_INTERVAL_MS,
  maxBuffered: env.WEBHOOK_EVENT_MAX_BUFFERED,
  replayMaxEvents: env.WEBHOOK_REPLAY_MAX_EVENTS,
  /** /health/ready is 503 while more events than this wait to be written. */
  readyMaxBacklog: env.READY_MAX_RECORDER_BACKLOG,
  /**
   * Deliveries refused before their handler per client address per window; beyond `max` they
   * are answered 429 and counted, not stored (refused-delivery.limiter.ts).
   */
  refusals: { max: env.WEBHOOK_REFUSED_RATE_LIMIT_MAX, windowMs: env.WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS * 1000 },
}));
export type WebhookEventsConfig = ConfigType<typeof webhookEventsConfig>;
