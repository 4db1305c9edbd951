import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { errorMessage } from '../common/error-message.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { jobsConfig, type JobsConfig } from '../jobs/jobs.config.js';
import { outboundConfig, type OutboundConfig } from '../outbound-url/outbound.config.js';
import { outboundWebhooksConfig, type OutboundWebhooksConfig } from './outbound-webhooks.config.js';
import { standardWebhookKey } from '../common/standard-webhook-key.js';
import { JobRunner } from '../jobs/job-runner.js';
import { maskUrl } from '../common/mask-url.js';
import { MetricsService, OutboundAttemptOutcome } from '../metrics/metrics.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { signStandardWebhook } from '../inbound-webhook-contract/signature-verifiers.js';
import { Clock } from '../common/clock.js';
import { DELIVER_JOB, DeliverJobData, SWEEP_JOB } from './outbound-events.js';
import { describeOutboundFailure, outboundFailureKind, OutboundUrlGuard, OutboundUrlRefused } from '../outbound-url/outbound-url.js';
import { OutboundMessageRepository, WebhookMessageRecord } from './outbound-message.repository.js';
import { WebhookEndpointRecord, WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { MessageStatus } from './webhook-message.schema.js';

/**
 * When each scheduled attempt is made, after the one before it failed (Standard Webhooks' and
 * Svix's schedule): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Ten
 * attempts over a little more than three days (3.15 d; 3.5 at most with every delay 10 % late).
 */
export const RETRY_SCHEDULE_MS = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 14 * 3600_000, 20 * 3600_000, 24 * 3600_000];
/** Each delay is spread over ±10 % so that endpoints failing together do not come back together. */
export const RETRY_JITTER = 0.1;
/** A Retry-After beyond this is read as this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;
/** Messages the sweep queues per run, the most overdue first. */
const SWEEP_LIMIT = 500;
/** How much of an answer the delivery log keeps. */
export const RESPONSE_PREFIX_BYTES = 1024;

interface SendResult {
  ok: boolean;
  /** What came of the attempt, as the attempts metric counts it. */
  outcome: OutboundAttemptOutcome;
  latencyMs: number;
  responseStatus?: number;
  responseBody?: string;
  retryAfterMs?: number;
  error?: string;
}

/**
 * Sends messages to customers' endpoints, one job run per attempt. The job runner's own backoff
 * cannot follow the schedule above, so a failed attempt enqueues the next one itself with `runAt`
 * (the runner retries only our own failures, such as the database). A run may happen twice: the
 * receiver deduplicates on `webhook-id`, and only one run records the attempt's outcome.
 */
@Injectable()
export class OutboundDeliveryService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(OutboundDeliveryService.name);

  constructor(
    @Inject(outboundWebhooksConfig.KEY) private readonly config: OutboundWebhooksConfig,
    @Inject(outboundConfig.KEY) private readonly outboundConfig: OutboundConfig,
    @Inject(jobsConfig.KEY) private readonly jobsConfig: JobsConfig,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
    private readonly http: HttpService,
    private readonly jobs: JobRunner,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: OutboundMessageRepository,
    private readonly urls: OutboundUrlGuard,
    private readonly clock: Clock,
    private readonly notifications: NotificationsService,
    private readonly metrics: MetricsService,
  ) {}

  /** A run lasts at most the request's timeout, plus the database work around it. */
  private get deliverLockLifetimeMs(): number {
    return Math.max(this.jobsConfig.lockLifetimeMs, this.outboundConfig.timeoutMs * 2);
  }

  onModuleInit(): void {
    this.jobs.define<DeliverJobData>(DELIVER_JOB, (data) => this.deliver(data), {
      lockLifetimeMs: this.deliverLockLifetimeMs,
      backoff: { delayMs: 5000, factor: 2, maxRetries: 5, jitter: 0.2 },
    });
    this.jobs.define(SWEEP_JOB, () => this.sweep().then(() => undefined), { concurrency: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(SWEEP_JOB, this.config.sweepIntervalMs);
  }

  /**
   * The repair for a crash between storing a message and queueing its delivery (or any attempt
   * whose job went missing): a pending message whose attempt was due longer ago than a delivery
   * run may last (twice its lock lifetime, at least a minute) and that no delivery job waits for
   * or runs is queued again, under the unique key its own job would have had, so concurrent
   * sweeps queue it once. Answers how many were queued.
   */
  async sweep(): Promise<number> {
    const grace = Math.max(60_000, 2 * this.deliverLockLifetimeMs);
    // The job runner's time, not the Clock: a job missing is a matter of real time passing.
    const overdue = await this.deliveries.findOverdue(new Date(Date.now() - grace), SWEEP_LIMIT);
    let queued = 0;
    for (const message of overdue) {
      if (await this.jobs.isQueued(DELIVER_JOB, { endpointId: message.endpointId, messageId: message.messageId })) continue;
      queued++;
      await this.jobs.enqueue<DeliverJobData>(
        DELIVER_JOB,
        { workspaceId: message.workspaceId, endpointId: message.endpointId, messageId: message.messageId, attempt: message.attempts + 1 },
        { uniqueKey: { endpointId: message.endpointId, messageId: message.messageId, attempt: message.attempts + 1 } },
      );
    }
    if (queued > 0) this.logger.warn(`Sweep: ${queued} webhook message(s) stored but never queued, queued for delivery now`);
    // Disables whose e-mail a crash left owed (their run has had its time): the Clock's time, as it wrote disabledAt.
    const owed = await this.endpoints.findOwedNotices(new Date(this.clock.now().getTime() - grace), SWEEP_LIMIT);
    for (const endpoint of owed) await this.onEndpointDisabled(endpoint, endpoint.disabledReason ?? 'Disabled', endpoint.disabledAt!);
    return queued;
  }

  /** One attempt at one message (a job run). */
  async deliver(job: DeliverJobData): Promise<void> {
    const manual = job.manual === true;
    const message = await this.deliveries.findMessage(job.workspaceId, job.endpointId, job.messageId);
    if (!message || (!manual && message.status !== 'pending')) return;
    if (!manual && job.attempt !== undefined) {
      // A repeated run of a job whose attempt is recorded: the next one is queued for its time.
      if (job.attempt <= message.attempts) return;
      // Ahead of the record: the attempt before is still being recorded (its run queues this one
      // first). Failing hands it to the job's backoff, so it runs again once that is recorded.
      if (job.attempt > message.attempts + 1) throw new AttemptNotRecordedYet(job.attempt, message.attempts);
    }
    const target = await this.endpoints.findForDelivery(job.workspaceId, job.endpointId, this.clock.now());
    if (!target || !target.endpoint.enabled) {
      if (!manual) await this.deliveries.abandon(message.id);
      return;
    }
    const { endpoint, secrets } = target;
    const attempt = message.attempts + 1;
    const result = await this.send(endpoint.url, secrets, message);
    // Each attempt's own outcome: the job run that made it succeeds whatever the endpoint answered.
    this.metrics.outboundAttempt(result.outcome);
    const at = this.clock.now();

    let nextAttemptAt: Date | undefined;
    if (!manual) {
      let status: MessageStatus = result.ok ? 'succeeded' : 'failed';
      if (!result.ok && result.responseStatus !== 410 && attempt < RETRY_SCHEDULE_MS.length) {
        status = 'pending';
        nextAttemptAt = new Date(at.getTime() + (result.retryAfterMs ?? jittered(RETRY_SCHEDULE_MS[attempt])));
        // Enqueued before the outcome is recorded: a crash in between repeats this attempt
        // later rather than leaving the message with no job.
        await this.jobs.enqueue<DeliverJobData>(
          DELIVER_JOB,
          { workspaceId: job.workspaceId, endpointId: job.endpointId, messageId: job.messageId, attempt: attempt + 1 },
          { runAt: nextAttemptAt, uniqueKey: { endpointId: job.endpointId, messageId: job.messageId, attempt: attempt + 1 } },
        );
      }
      await this.deliveries.recordScheduledOutcome(message.id, attempt, { status, at, nextAttemptAt });
    } else if (result.ok) {
      await this.deliveries.markDelivered(message.id, at);
    }
    await this.deliveries.addAttempt({
      workspaceId: job.workspaceId,
      endpointId: job.endpointId,
      messageId: message.messageId,
      eventType: message.eventType,
      attempt: manual ? undefined : attempt,
      trigger: manual ? 'manual' : 'scheduled',
      status: result.ok ? 'succeeded' : 'failed',
      responseStatus: result.responseStatus,
      responseBody: result.responseBody || undefined,
      latencyMs: result.latencyMs,
      error: result.error,
      attemptedAt: at,
      nextAttemptAt,
    });
    await this.updateHealth(endpoint, result, at);
  }

  /**
   * Tells the workspace's producers by e-mail that deliveries to their endpoint stopped: owed by
   * the update that disabled it (`disabledNoticeOwed`), queued once for good per producer and
   * disable, then marked paid. Called by the run whose update disabled it, and by the sweep for a
   * notice a crash left owed. Never throws: the delivery's outcome is recorded whatever becomes of
   * the e-mail, and what is not queued stays owed for the next sweep.
   */
  async onEndpointDisabled(endpoint: WebhookEndpointRecord, reason: string, disabledAt: Date): Promise<void> {
    const shown = maskUrl(endpoint.url);
    this.logger.warn(`Webhook endpoint ${endpoint.id} (${shown}) of workspace ${endpoint.workspaceId} disabled: ${reason}`);
    try {
      await this.notifications.emailProducers(
        endpoint.workspaceId,
        (producer) => ({
          subject: `Webhook endpoint disabled: ${shown}`,
          text:
            `Hello ${producer.name},\n\nWe stopped sending events to your webhook endpoint ${shown}` +
            (endpoint.description ? ` (${endpoint.description})` : '') +
            `.\n\nReason: ${reason}\n\nFix the endpoint, then enable it again (PATCH /api/webhook-endpoints/${endpoint.id} with ` +
            `{"enabled": true}, or in the app: ${this.linksConfig.appUrl}/webhook-endpoints/${endpoint.id}). Messages that failed ` +
            'meanwhile can be sent again with POST /api/webhook-endpoints/' + endpoint.id + '/recover.\n',
        }),
        { endpointDisabled: endpoint.id, at: disabledAt.toISOString() },
        { once: true },
      );
      await this.endpoints.noticePaid(endpoint.id, disabledAt);
    } catch (error) {
      this.logger.error(`Webhook endpoint ${endpoint.id}: the e-mail about it being disabled could not be queued; the sweep tries again (${errorMessage(error)})`);
    }
  }

  private async updateHealth(endpoint: WebhookEndpointRecord, result: SendResult, at: Date): Promise<void> {
    if (result.ok) {
      await this.endpoints.markHealthy(endpoint.id);
      return;
    }
    let reason: string | undefined;
    if (result.responseStatus === 410) {
      reason = 'The endpoint answered 410 Gone';
    } else {
      const failingSince = await this.endpoints.markFailing(endpoint.id, at);
      const { disableAfterMs } = this.config;
      if (failingSince && at.getTime() - failingSince.getTime() >= disableAfterMs) {
        reason = `Deliveries have failed for ${Math.round(disableAfterMs / (24 * 3600_000))} day(s) without a success`;
      }
    }
    if (reason && (await this.endpoints.disable(endpoint.id, reason, at))) await this.onEndpointDisabled(endpoint, reason, at);
  }

  private async send(url: string, secrets: string[], message: WebhookMessageRecord): Promise<SendResult> {
    const started = performance.now();
    const latencyMs = () => Math.round(performance.now() - started);
    try {
      await this.urls.check(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) return { ok: false, outcome: 'refused', latencyMs: 0, error: error.message };
      throw error;
    }
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    const signature = secrets
      .map((secret) => signStandardWebhook(standardWebhookKey(secret)!, message.messageId, timestamp, message.payload))
      .join(' ');
    const timeoutMs = this.outboundConfig.timeoutMs;
    try {
      const response = await firstValueFrom(
        this.http.post<Readable>(url, message.payload, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'videogen-webhooks',
            'webhook-id': message.messageId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signature,
          },
          // The socket's idle time and, with the signal, the whole exchange including the answer.
          timeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
          responseType: 'stream',
          validateStatus: () => true,
          // A redirect could lead anywhere, our own network included: it counts as a failure.
          maxRedirects: 0,
          proxy: false,
          transformRequest: [(body: string) => body],
          ...(this.urls.enforced && { lookup: this.urls.lookup }),
        }),
      );
      const responseBody = await readPrefix(response.data, RESPONSE_PREFIX_BYTES);
      const status = response.status;
      const ok = status >= 200 && status < 300;
      return {
        ok,
        outcome: ok ? 'success' : 'http_error',
        latencyMs: latencyMs(),
        responseStatus: status,
        responseBody,
        retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after'], this.clock.now()) : undefined,
        error: ok ? undefined : `The endpoint answered ${status}`,
      };
    } catch (error) {
      return { ok: false, outcome: outboundFailureKind(error), latencyMs: latencyMs(), error: describeOutboundFailure(error, timeoutMs) };
    }
  }
}

function jittered(ms: number): number {
  return Math.round(ms * (1 - RETRY_JITTER + Math.random() * 2 * RETRY_JITTER));
}

/** Seconds or an HTTP date, at most MAX_RETRY_AFTER_MS; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: Date): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : httpDate(text) - now.getTime();
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** RFC 9110 §5.6.7's three forms of an HTTP-date, which a recipient must all accept; always GMT. */
const HTTP_DATE = [
  new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`), // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`), // rfc850-date
  new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`), // asctime-date: Sun Nov  6 08:49:37 1994
];

/**
 * The time an HTTP-date names, in ms since the epoch, or NaN for anything else: Date.parse alone
 * reads far more (`1.5` and `-5` as days in 2001), which would make such a Retry-After "at once".
 */
function httpDate(text: string): number {
  if (!HTTP_DATE.some((form) => form.test(text))) return NaN;
  // asctime carries no zone but is GMT; Date.parse would read it as local time.
  return Date.parse(text.endsWith('GMT') ? text : `${text} GMT`);
}

/** A delivery job for attempt n ran before attempt n - 1's outcome was recorded: tried again by the job's backoff. */
export class AttemptNotRecordedYet extends Error {
  constructor(attempt: number, recorded: number) {
    super(`Attempt ${attempt} waits for attempt ${attempt - 1} to be recorded (${recorded} recorded so far)`);
  }
}

/** The first `max` bytes of an answer; the rest is not read. */
async function readPrefix(stream: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buffer);
      size += buffer.length;
      if (size >= max) break;
    }
  } catch {
    // An answer cut short (timeout, reset) keeps what arrived.
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}
