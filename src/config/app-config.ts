import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  EnvironmentVariables,
  NodeEnv,
  parseOrigins,
  parseTrustProxy,
  splitSecrets,
  validateEnvironment,
} from './environment.js';
import { standardWebhookKey } from '../common/standard-webhook-key.js';

export interface ConfigWarning {
  variable: string;
  message: string;
}

/**
 * The typed configuration every provider reads (never `process.env`). Built once at start-up
 * from validated environment variables; development fallbacks are applied here and reported as
 * warnings so `main.ts` can print them loudly.
 */
export class AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  /** Undefined means "start the embedded database" (see src/database/embedded-database.ts). */
  readonly mongodbUri?: string;
  readonly dataDir: string;
  readonly embeddedDb: 'auto' | 'mongod' | 'wire';
  readonly jwt: { secret: string; expiresInSeconds: number };
  /**
   * Failed logins for one email from one client address within the window lock that pair out
   * until the window ends.
   */
  readonly loginThrottle: { maxFailures: number; windowMs: number };
  /** How many password checks run at once, and how many may wait. */
  readonly passwordChecks: { concurrency: number; queue: number };
  /** Login requests per client address per window, whatever the emails (before any password check). */
  readonly loginRateLimit: { max: number; windowMs: number };
  /** Fastify's `trustProxy`: which proxies may tell the client address. */
  readonly trustProxy: boolean | number | string[];
  /** RCK's Standard Webhooks keys (decoded; several during a rotation) and HeyGen's secret. */
  readonly webhooks: { rckKeys: Buffer[]; heygenSecrets: string[]; heygenSignatureHeaders: string[] };
  /** HeyGen's API, the generate retries and the reconciliation of reels whose webhook never came. */
  readonly heygen: {
    apiUrl: string;
    apiKey?: string;
    timeoutMs: number;
    generateBackoffMs: number;
    generateMaxAttempts: number;
    reconcileAfterMs: number;
    maxProcessingMs: number;
    reconcileIntervalMs: number;
  };
  /** E-mail: SMTP when smtpUrl is set, otherwise .eml files in outboxDir (and the log). */
  readonly mail: { smtpUrl?: string; from: string; outboxDir: string; retryBackoffMs: number; maxAttempts: number };
  /** Slack and Discord messages: retries of a failed send. */
  readonly chat: { retryBackoffMs: number; maxAttempts: number };
  /** /metrics: open unless `required` (production), then only with this bearer token. */
  readonly metrics: { token?: string; required: boolean };
  readonly videos: {
    bulkMaxProducts: number;
    rckBatchSize: number;
    rckTimeoutMs: number;
    dispatchBackoffMs: number;
    dispatchMaxAttempts: number;
    orphanTimeoutMs: number;
    maintenanceIntervalMs: number;
    maxRetries: number;
  };
  readonly superadmin?: { email: string; password: string };
  readonly serverUrl: string;
  /** The React app's base URL (no trailing slash): where e-mails and chat messages link to. */
  readonly appUrl: string;
  /** RCK bulk requests: when a request's digest e-mail is due at the latest. */
  readonly batchDigest: { afterMs: number };
  readonly rckDescriptionServerUrl: string;
  /** The largest body elsewhere; login and webhooks have their own (src/common/http-body.ts). */
  readonly bodyLimitBytes: number;
  /** Whether product image URLs may name loopback, private or link-local hosts. */
  readonly allowInternalImageUrls: boolean;
  /** Swagger UI and the OpenAPI document at /docs (off in production unless DOCS_ENABLED). */
  readonly docsEnabled: boolean;
  readonly webhookBodyLimitBytes: number;
  /** Webhooks to customers' own endpoints (src/outbound-webhooks/). */
  readonly outbound: { allowPrivateUrls: boolean; timeoutMs: number; disableAfterMs: number; sweepIntervalMs: number };
  /** A whole request must arrive within `requestMs`; an idle connection is closed after `connectionMs`. */
  readonly timeouts: { requestMs: number; connectionMs: number };
  readonly alerts: { evaluateEveryMs: number };
  /** After SIGTERM: how long readiness fails before the server stops taking requests. */
  readonly shutdownReadinessDelayMs: number;
  /** Browser origins allowed by CORS; anything else gets no CORS headers. */
  readonly corsOrigins: string[];
  readonly logLevel: string;
  /** The durable job runner (src/jobs/). */
  readonly jobs: { processEveryMs: number; lockLifetimeMs: number; concurrency: number; shutdownGraceMs: number };
  /** The webhook event log (src/inbound-webhook-events/). */
  readonly webhookEvents: {
    /** Undefined: kept forever. */
    retentionDays?: number;
    /** `rejected` events, when kept for less than the others; undefined: as long as the others. */
    refusedRetentionDays?: number;
    batchSize: number;
    flushIntervalMs: number;
    maxBuffered: number;
    replayMaxEvents: number;
    /** /health/ready is 503 while more events than this wait to be written. */
    readyMaxBacklog: number;
  };
  /**
   * Deliveries refused before their handler per client address per window; beyond `max` they
   * are answered 429 and counted, not stored (src/inbound-webhook-events/refused-delivery.limiter.ts).
   */
  readonly webhookRefusals: { max: number; windowMs: number };
  /** The monitoring stream (GET /api/monitoring/stream). */
  readonly monitoringStream: { pollMs: number; heartbeatMs: number; overlapMs: number };
  readonly warnings: ConfigWarning[] = [];

  constructor(env: EnvironmentVariables) {
    this.nodeEnv = env.NODE_ENV;
    this.isProduction = env.NODE_ENV === 'production';
    this.port = env.PORT;
    this.host = env.HOST;
    this.mongodbUri = env.MONGODB_URI;
    this.dataDir = env.DATA_DIR;
    this.embeddedDb = env.EMBEDDED_DB;
    this.serverUrl = env.SERVER_URL.replace(/\/+$/, '');
    this.appUrl = (env.APP_URL ?? 'http://localhost:5173').replace(/\/+$/, '');
    this.batchDigest = { afterMs: env.BATCH_DIGEST_AFTER_MINUTES * 60_000 };
    this.rckDescriptionServerUrl = env.RCK_DESCRIPTION_SERVER_URL.replace(/\/+$/, '');
    this.bodyLimitBytes = env.BODY_LIMIT_BYTES;
    this.webhookBodyLimitBytes = env.WEBHOOK_BODY_LIMIT_BYTES;
    this.allowInternalImageUrls = (env.IMAGE_URLS_ALLOW_PRIVATE ?? String(this.nodeEnv === 'development')) === 'true';
    this.docsEnabled = (env.DOCS_ENABLED ?? String(!this.isProduction)) === 'true';
    this.outbound = {
      allowPrivateUrls: (env.OUTBOUND_ALLOW_PRIVATE_URLS ?? String(!this.isProduction)) === 'true',
      timeoutMs: env.OUTBOUND_TIMEOUT_MS,
      disableAfterMs: env.OUTBOUND_DISABLE_AFTER_DAYS * 24 * 3600_000,
      sweepIntervalMs: env.OUTBOUND_SWEEP_INTERVAL_MS,
    };
    this.timeouts = { requestMs: env.REQUEST_TIMEOUT_MS, connectionMs: env.CONNECTION_TIMEOUT_MS };
    this.alerts = { evaluateEveryMs: env.ALERTS_EVALUATE_EVERY_MS };
    this.shutdownReadinessDelayMs = env.SHUTDOWN_READINESS_DELAY_MS ?? (this.isProduction ? 5000 : 0);
    this.corsOrigins = parseOrigins(
      env.CORS_ORIGINS ?? (this.isProduction ? '' : 'http://localhost:3000,http://localhost:5173'),
    );
    this.logLevel = env.LOG_LEVEL;
    this.jobs = {
      processEveryMs: env.JOBS_PROCESS_EVERY_MS,
      lockLifetimeMs: env.JOBS_LOCK_LIFETIME_MS,
      concurrency: env.JOBS_CONCURRENCY,
      shutdownGraceMs: env.JOBS_SHUTDOWN_GRACE_MS,
    };
    this.webhookEvents = {
      retentionDays: env.WEBHOOK_EVENT_RETENTION_DAYS || undefined,
      refusedRetentionDays:
        env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS > 0 && (env.WEBHOOK_EVENT_RETENTION_DAYS === 0 || env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS < env.WEBHOOK_EVENT_RETENTION_DAYS)
          ? env.WEBHOOK_EVENT_REFUSED_RETENTION_DAYS
          : undefined,
      batchSize: env.WEBHOOK_EVENT_BATCH_SIZE,
      flushIntervalMs: env.WEBHOOK_EVENT_FLUSH_INTERVAL_MS,
      maxBuffered: env.WEBHOOK_EVENT_MAX_BUFFERED,
      replayMaxEvents: env.WEBHOOK_REPLAY_MAX_EVENTS,
      readyMaxBacklog: env.READY_MAX_RECORDER_BACKLOG,
    };
    this.webhookRefusals = { max: env.WEBHOOK_REFUSED_RATE_LIMIT_MAX, windowMs: env.WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS * 1000 };
    this.monitoringStream = {
      pollMs: env.MONITORING_STREAM_POLL_MS,
      heartbeatMs: env.MONITORING_STREAM_HEARTBEAT_MS,
      overlapMs: env.MONITORING_STREAM_OVERLAP_MS,
    };

    let jwtSecret = env.JWT_SECRET;
    if (!jwtSecret) {
      // A per-process random secret: tokens stop working on restart, which is loud enough to
      // notice and can never be guessed from the source code.
      jwtSecret = randomBytes(32).toString('hex');
      this.warn('JWT_SECRET', 'not set: using a random secret for this process; tokens will not survive a restart');
    }
    this.jwt = { secret: jwtSecret, expiresInSeconds: env.JWT_EXPIRES_IN_SECONDS };
    this.loginThrottle = { maxFailures: env.LOGIN_MAX_FAILURES, windowMs: env.LOGIN_LOCKOUT_MINUTES * 60_000 };
    this.passwordChecks = {
      concurrency: env.PASSWORD_CHECK_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
      queue: env.PASSWORD_CHECK_QUEUE,
    };
    this.loginRateLimit = { max: env.LOGIN_RATE_LIMIT_MAX, windowMs: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000 };
    this.trustProxy = env.TRUST_PROXY === undefined ? false : parseTrustProxy(env.TRUST_PROXY)!;

    this.webhooks = {
      rckKeys: splitSecrets(env.RCK_WEBHOOK_SECRET ?? '').map((secret) => standardWebhookKey(secret)!),
      heygenSecrets: splitSecrets(env.HEYGEN_WEBHOOK_SECRET ?? ''),
      heygenSignatureHeaders: env.HEYGEN_SIGNATURE_HEADERS.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean),
    };
    this.heygen = {
      apiUrl: env.HEYGEN_API_URL.replace(/\/+$/, ''),
      apiKey: env.HEYGEN_API_KEY,
      timeoutMs: env.HEYGEN_REQUEST_TIMEOUT_MS,
      generateBackoffMs: env.HEYGEN_GENERATE_BACKOFF_MS,
      generateMaxAttempts: env.HEYGEN_GENERATE_MAX_ATTEMPTS,
      reconcileAfterMs: env.HEYGEN_RECONCILE_AFTER_MINUTES * 60_000,
      maxProcessingMs: env.HEYGEN_MAX_PROCESSING_HOURS * 3600_000,
      reconcileIntervalMs: env.HEYGEN_RECONCILE_INTERVAL_MS,
    };
    this.mail = {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      outboxDir: env.MAIL_OUTBOX_DIR ?? join(env.DATA_DIR, 'outbox'),
      retryBackoffMs: env.MAIL_RETRY_BACKOFF_MS,
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
    };
    this.chat = { retryBackoffMs: env.CHAT_RETRY_BACKOFF_MS, maxAttempts: env.CHAT_MAX_ATTEMPTS };
    this.metrics = { token: env.METRICS_TOKEN, required: this.isProduction };
    if (this.isProduction && !env.METRICS_TOKEN) {
      this.warn('METRICS_TOKEN', 'not set: GET /metrics answers 401 to everyone in production');
    }
    this.videos = {
      bulkMaxProducts: env.BULK_GENERATE_MAX_PRODUCTS,
      rckBatchSize: env.RCK_BATCH_SIZE,
      rckTimeoutMs: env.RCK_REQUEST_TIMEOUT_MS,
      dispatchBackoffMs: env.RCK_DISPATCH_BACKOFF_MS,
      dispatchMaxAttempts: env.RCK_DISPATCH_MAX_ATTEMPTS,
      orphanTimeoutMs: env.VIDEO_ORPHAN_TIMEOUT_MINUTES * 60_000,
      maintenanceIntervalMs: env.VIDEO_MAINTENANCE_INTERVAL_MS,
      maxRetries: env.VIDEO_MAX_RETRIES,
    };
    if (!env.RCK_WEBHOOK_SECRET) {
      this.warn('RCK_WEBHOOK_SECRET', 'not set: RCK webhook signatures are NOT verified (development only)');
    }
    if (!env.HEYGEN_WEBHOOK_SECRET) {
      this.warn('HEYGEN_WEBHOOK_SECRET', 'not set: HeyGen webhook signatures are NOT verified (development only)');
    }
    if (!env.HEYGEN_API_KEY) {
      this.warn('HEYGEN_API_KEY', 'not set: approved reels cannot be sent to HeyGen (development only)');
    }
    if (!env.SMTP_URL && this.isProduction) {
      // Only with ALLOW_MAIL_OUTBOX=true: validation refuses production without SMTP_URL otherwise.
      this.warn('SMTP_URL', `not set (ALLOW_MAIL_OUTBOX=true): e-mails are NOT sent, only written to ${this.mail.outboxDir} and the log`);
    }

    if (env.SUPERADMIN_EMAIL && env.SUPERADMIN_PASSWORD) {
      this.superadmin = { email: env.SUPERADMIN_EMAIL.toLowerCase(), password: env.SUPERADMIN_PASSWORD };
    } else if (env.SUPERADMIN_EMAIL || env.SUPERADMIN_PASSWORD) {
      const [set, missing] = env.SUPERADMIN_EMAIL ? ['SUPERADMIN_EMAIL', 'SUPERADMIN_PASSWORD'] : ['SUPERADMIN_PASSWORD', 'SUPERADMIN_EMAIL'];
      this.warn(set, `is set without ${missing}: no superadmin is seeded (set both, or neither)`);
    }
  }

  static fromEnvironment(raw: Record<string, string | undefined> = process.env): AppConfig {
    return new AppConfig(validateEnvironment(raw));
  }

  private warn(variable: string, message: string): void {
    this.warnings.push({ variable, message: `${variable} ${message}` });
  }
}
