import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { standardWebhookKey } from '../common/standard-webhook-key.js';
import { HasVisibleCharacter } from '../common/text.js';

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Environment values are strings; numeric settings are converted before validation. */
const AsNumber = () => Transform(({ value }) => (value === undefined ? value : Number(value)));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every variable the service reads. `.env.example` documents each one; the names here are the
 * names people set, so a validation message points straight at the variable to fix.
 */
export class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @AsNumber()
  @Min(0)
  @Max(65535)
  @IsInt()
  PORT = 5000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional()
  @IsString()
  MONGODB_URI?: string;

  @IsString()
  DATA_DIR = '.data';

  /**
   * Production needs MONGODB_URI; `true` lets it run on the embedded database instead (a demo on
   * one machine), knowingly.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  ALLOW_EMBEDDED_DB?: 'true' | 'false';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters long' })
  JWT_SECRET?: string;

  @AsNumber()
  @Min(60)
  @IsInt()
  JWT_EXPIRES_IN_SECONDS = 3600;

  /**
   * Standard Webhooks secrets RCK signs with: `whsec_<base64>` (the prefix is optional), several
   * separated by spaces or commas while a secret is being rotated.
   */
  @IsOptional()
  @IsString()
  RCK_WEBHOOK_SECRET?: string;

  /**
   * The secret HeyGen gave for our webhook endpoint (the answer of `npm run heygen:register`).
   * Several, separated by spaces or commas, while one is replaced.
   */
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'HEYGEN_WEBHOOK_SECRET must be at least 8 characters long' })
  HEYGEN_WEBHOOK_SECRET?: string;

  /**
   * Headers that may carry HeyGen's signature, comma-separated, first present wins. They are
   * redacted in logs and never stored with a webhook event, like the default ones.
   */
  @IsString()
  @Matches(/^\s*[\w!#$%&'*+.^`|~-]+(\s*,\s*[\w!#$%&'*+.^`|~-]+)*\s*$/, {
    message: 'HEYGEN_SIGNATURE_HEADERS must be header names separated by commas',
  })
  HEYGEN_SIGNATURE_HEADERS = 'X-HeyGen-Signature,Signature,Heygen-Signature';

  /** HeyGen's API (a local fake in tests). */
  @IsUrl({ require_tld: false, require_protocol: true })
  HEYGEN_API_URL = 'https://api.heygen.com';

  /** HeyGen's API key (X-Api-Key). Required in production: without it no reel can be generated. */
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'HEYGEN_API_KEY must be at least 8 characters long' })
  HEYGEN_API_KEY?: string;

  /** How long one request to HeyGen may take before it counts as failed. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  HEYGEN_REQUEST_TIMEOUT_MS = 30_000;

  /** First delay before asking HeyGen again to generate an approved reel; doubles each time, with jitter. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  HEYGEN_GENERATE_BACKOFF_MS = 10_000;

  /** Calls to HeyGen's generate (the first included) before an approved reel is marked failed. */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  HEYGEN_GENERATE_MAX_ATTEMPTS = 6;

  /** A reel `processing` this long without a webhook is checked with HeyGen's status API. */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  HEYGEN_RECONCILE_AFTER_MINUTES = 30;

  /**
   * A reel HeyGen still reports as rendering this many hours after it took it is failed (its
   * owner told), rather than asked about forever. A success HeyGen sends later still wins.
   */
  @AsNumber()
  @Min(1)
  @Max(30 * 24)
  @IsInt()
  HEYGEN_MAX_PROCESSING_HOURS = 24;

  /** How often the reconciliation (and the retry of lost e-mail notifications) runs. */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  HEYGEN_RECONCILE_INTERVAL_MS = 300_000;

  /** SMTP server for e-mail, e.g. smtp://user:pass@smtp.example.com:587. Unset: e-mails go to MAIL_OUTBOX_DIR. */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /**
   * Production needs SMTP_URL (its e-mails would otherwise only reach the outbox folder); `true`
   * lets it run without, knowingly (a demo on one machine).
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  ALLOW_MAIL_OUTBOX?: 'true' | 'false';

  @IsString()
  MAIL_FROM = 'videogen <no-reply@localhost>';

  /** Where e-mails are written (.eml files) when SMTP_URL is unset. Default: DATA_DIR/outbox. */
  @IsOptional()
  @IsString()
  MAIL_OUTBOX_DIR?: string;

  /** First delay before sending a failed e-mail again; doubles each time. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  MAIL_RETRY_BACKOFF_MS = 30_000;

  /** Sends of one e-mail (the first included) before it is given up (logged). */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  MAIL_MAX_ATTEMPTS = 6;

  /** First delay before a failed Slack or Discord message is sent again; doubles each time. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  CHAT_RETRY_BACKOFF_MS = 30_000;

  /** Sends of one Slack or Discord message (the first included) before it is given up (logged). */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  CHAT_MAX_ATTEMPTS = 6;

  @IsOptional()
  @IsEmail()
  SUPERADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'SUPERADMIN_PASSWORD must be at least 12 characters long' })
  @HasVisibleCharacter({ message: 'SUPERADMIN_PASSWORD must not be only whitespace or control characters' })
  SUPERADMIN_PASSWORD?: string;

  @IsUrl({ require_tld: false, require_protocol: true })
  SERVER_URL = 'http://localhost:5000';

  /**
   * The React app's base URL: links in e-mails and chat messages point there. Required in
   * production (a link to the wrong host is worse than none); elsewhere http://localhost:5173.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'APP_URL must be an http(s) URL' })
  APP_URL?: string;

  /**
   * A bulk request's digest e-mail goes out when its last video reaches a final state, or this
   * many minutes after the request, whichever comes first (the videos still generating are then
   * listed as such).
   */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  BATCH_DIGEST_AFTER_MINUTES = 60;

  @IsUrl({ require_tld: false, require_protocol: true })
  RCK_DESCRIPTION_SERVER_URL = 'http://localhost:8000';

  /** Most products one bulk-generate request may name (the JSON shape limit allows 1000). */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  BULK_GENERATE_MAX_PRODUCTS = 1000;

  /** Products per create-images-batch request to RCK. */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  RCK_BATCH_SIZE = 50;

  /** How long one request to RCK may take before it counts as failed. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  RCK_REQUEST_TIMEOUT_MS = 15_000;

  /** First delay before sending a batch RCK refused again; it doubles each attempt, with jitter. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  RCK_DISPATCH_BACKOFF_MS = 5000;

  /** Sends of one batch to RCK (the first included) before its videos are marked failed. */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  RCK_DISPATCH_MAX_ATTEMPTS = 6;

  /** A video still `generating` this long after RCK took it is marked failed (an orphan). */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  VIDEO_ORPHAN_TIMEOUT_MINUTES = 120;

  /** How often the orphan sweep and the product-copy repair run. */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  VIDEO_MAINTENANCE_INTERVAL_MS = 60_000;

  /** Times a user may retry one failed video. */
  @AsNumber()
  @Min(0)
  @Max(100)
  @IsInt()
  VIDEO_MAX_RETRIES = 3;

  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  LOGIN_MAX_FAILURES = 5;

  @AsNumber()
  @Min(1)
  @Max(24 * 60)
  @IsInt()
  LOGIN_LOCKOUT_MINUTES = 15;

  /**
   * Password checks (argon2, a core's worth of work each) run at once; unset, one fewer than the
   * cores (at least one), so a flood of logins from many addresses leaves a core to the webhooks.
   */
  @IsOptional()
  @AsNumber()
  @Min(1)
  @Max(256)
  @IsInt()
  PASSWORD_CHECK_CONCURRENCY?: number;

  /** Password checks that may wait for one of those; beyond, a login is answered 503 with Retry-After. */
  @AsNumber()
  @Min(0)
  @Max(100_000)
  @IsInt()
  PASSWORD_CHECK_QUEUE = 32;

  /**
   * Whether Swagger UI (/docs) and the OpenAPI document (/docs/openapi.json) are served. Unset:
   * served except in production, where the API's whole surface is not shown to anyone who asks.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: 'true' | 'false';

  /**
   * Whether product image URLs may point at loopback, private or link-local addresses (the
   * generator fetches them). Unset: allowed in development only.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  IMAGE_URLS_ALLOW_PRIVATE?: 'true' | 'false';

  /**
   * Whether customers' webhook endpoints may be (or resolve to) loopback, private or link-local
   * addresses. Unset: allowed except in production.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  OUTBOUND_ALLOW_PRIVATE_URLS?: 'true' | 'false';

  /** How long one delivery to a customer's webhook endpoint may take, answer included. */
  @AsNumber()
  @Min(100)
  @Max(120_000)
  @IsInt()
  OUTBOUND_TIMEOUT_MS = 15_000;

  /** An endpoint whose deliveries have failed without a success for this many days is disabled. */
  @AsNumber()
  @Min(1)
  @Max(365)
  @IsInt()
  OUTBOUND_DISABLE_AFTER_DAYS = 5;

  /**
   * How often the sweep looks for messages to customers' endpoints that were stored but never
   * queued for delivery (a crash in between) and queues them.
   */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  OUTBOUND_SWEEP_INTERVAL_MS = 60_000;

  /** Login requests one client address may make per window, whatever the emails. */
  @AsNumber()
  @Min(1)
  @Max(100_000)
  @IsInt()
  LOGIN_RATE_LIMIT_MAX = 20;

  @AsNumber()
  @Min(1)
  @Max(24 * 60 * 60)
  @IsInt()
  LOGIN_RATE_LIMIT_WINDOW_SECONDS = 60;

  /**
   * Which proxies in front of the service to believe about the client address
   * (X-Forwarded-For): `true` (all), a number of hops, or comma-separated addresses / CIDRs.
   * Unset: none, the client address is the connection's.
   */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @AsNumber()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  @IsInt()
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Largest body of a webhook call (routes under /internal/ and /api/webhook/). */
  @AsNumber()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  @IsInt()
  WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

  /**
   * How long a client has to send a whole request, headers and body (408 after that), so a body
   * trickled a byte at a time cannot hold a connection open.
   */
  @AsNumber()
  @Min(100)
  @Max(10 * 60_000)
  @IsInt()
  REQUEST_TIMEOUT_MS = 30_000;

  /** A connection with no traffic for this long is closed (also bounds a handler's time). */
  @AsNumber()
  @Min(1000)
  @Max(60 * 60_000)
  @IsInt()
  CONNECTION_TIMEOUT_MS = 120_000;

  /**
   * Comma-separated browser origins allowed to call the API (the React app). Unset: the usual
   * local dev-server origins in development, none in production.
   */
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /** How often each instance looks for due jobs (ms). A number: agenda misreads strings like '200 ms'. */
  @AsNumber()
  @Min(10)
  @Max(60_000)
  @IsInt()
  JOBS_PROCESS_EVERY_MS = 1000;

  /** How long a claimed job stays locked without finishing before another instance may take it over (ms). */
  @AsNumber()
  @Min(100)
  @Max(24 * 60 * 60_000)
  @IsInt()
  JOBS_LOCK_LIFETIME_MS = 60_000;

  /** Jobs one instance runs at once (all names together), and the default per job name. */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  JOBS_CONCURRENCY = 10;

  /**
   * How long shutdown waits for running jobs to finish (ms). Capped below main.ts's 15 s hard
   * exit; a job still running then keeps its lock until JOBS_LOCK_LIFETIME_MS ends.
   */
  @AsNumber()
  @Min(0)
  @Max(10_000)
  @IsInt()
  JOBS_SHUTDOWN_GRACE_MS = 5000;

  /**
   * Bearer token Prometheus must send to GET /metrics in production (without it, /metrics is
   * closed there). Development and tests serve /metrics openly.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long' })
  METRICS_TOKEN?: string;

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

  /**
   * After SIGTERM, how long /health/ready answers 503 before the server stops taking requests,
   * so a load balancer sees it and drains. Default: 5000 in production, 0 otherwise.
   */
  @IsOptional()
  @AsNumber()
  @Min(0)
  @Max(120_000)
  @IsInt()
  SHUTDOWN_READINESS_DELAY_MS?: number;

  /** How often the job runner evaluates the alert rules (one instance at a time). */
  @AsNumber()
  @Min(1000)
  @Max(3_600_000)
  @IsInt()
  ALERTS_EVALUATE_EVERY_MS = 60_000;

  /** Most events one bulk replay (POST /api/webhook-events/replay) may queue. */
  @AsNumber()
  @Min(1)
  @Max(1_000_000)
  @IsInt()
  WEBHOOK_REPLAY_MAX_EVENTS = 10_000;

  /** How often each instance's monitoring stream reads new deliveries and counters from the database (ms). */
  @AsNumber()
  @Min(50)
  @Max(60_000)
  @IsInt()
  MONITORING_STREAM_POLL_MS = 1000;

  /** A comment line on every open monitoring stream this often (ms), so proxies keep it open. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  MONITORING_STREAM_HEARTBEAT_MS = 15_000;

  /**
   * How far back the monitoring stream looks again for deliveries that became visible late (the
   * event log writes in batches, and instances' clocks differ); a delivery stored later than this
   * after its arrival time is not streamed (it is still in the log).
   */
  @AsNumber()
  @Min(1000)
  @Max(3_600_000)
  @IsInt()
  MONITORING_STREAM_OVERLAP_MS = 30_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  @IsIn(['auto', 'mongod', 'wire'])
  EMBEDDED_DB: 'auto' | 'mongod' | 'wire' = 'auto';
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Secrets that must be set in production; development falls back to documented behaviour. */
export const PRODUCTION_SECRETS = ['JWT_SECRET', 'RCK_WEBHOOK_SECRET', 'HEYGEN_WEBHOOK_SECRET', 'HEYGEN_API_KEY'] as const;

export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  // A blank value (`PORT=` in a .env file) means "not set", so the default applies.
  const present = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const env = plainToInstance(EnvironmentVariables, present, { exposeDefaultValues: true });
  const problems = validateSync(env, { stopAtFirstError: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((text) =>
      text.startsWith(error.property) ? text : `${error.property}: ${text}`,
    ),
  );
  for (const origin of parseOrigins(env.CORS_ORIGINS ?? '')) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) problems.push(`CORS_ORIGINS: ${origin} is not an origin like https://app.example.com`);
  }
  for (const secret of splitSecrets(env.RCK_WEBHOOK_SECRET ?? '')) {
    const key = standardWebhookKey(secret);
    if (!key || key.length < 16) {
      problems.push('RCK_WEBHOOK_SECRET: each secret must be whsec_<base64> (the prefix is optional) of at least 16 bytes');
      break;
    }
  }
  if (env.TRUST_PROXY !== undefined && parseTrustProxy(env.TRUST_PROXY) === undefined) {
    problems.push('TRUST_PROXY must be true, false, a number of hops, or comma-separated addresses / CIDRs');
  }
  if (env.MONGODB_URI !== undefined && !/^mongodb(\+srv)?:\/\//.test(env.MONGODB_URI)) {
    problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }
  if (env.NODE_ENV === 'production') {
    for (const key of PRODUCTION_SECRETS) {
      if (!env[key]) problems.push(`${key} is required when NODE_ENV=production`);
    }
    // The embedded database is an unauthenticated, in-process development store.
    // E-mail is how people learn that their videos are ready: none sent is a broken service.
    if (!env.SMTP_URL && env.ALLOW_MAIL_OUTBOX !== 'true') {
      problems.push('SMTP_URL is required when NODE_ENV=production (set ALLOW_MAIL_OUTBOX=true to only write e-mails to the outbox folder)');
    }
    if (!env.APP_URL) problems.push('APP_URL is required when NODE_ENV=production (the links in e-mails and chat messages)');
    if (!env.MONGODB_URI && env.ALLOW_EMBEDDED_DB !== 'true') {
      problems.push('MONGODB_URI is required when NODE_ENV=production (set ALLOW_EMBEDDED_DB=true to run on the embedded database)');
    }
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return env;
}

/** A comma-separated origin list as browsers send origins: trimmed, no trailing slash, lower case. */
export function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean);
}

/** A list of secrets as configured for rotation: separated by spaces or commas. */
export function splitSecrets(list: string): string[] {
  return list.split(/[\s,]+/).filter(Boolean);
}

/** Fastify's `trustProxy` from TRUST_PROXY; undefined when the value makes no sense. */
export function parseTrustProxy(value: string): boolean | number | string[] | undefined {
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^\d+$/.test(text)) return Number(text);
  const list = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  return list.length > 0 && list.every((entry) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(entry)) ? list : undefined;
}
