import { HttpService } from '@nestjs/axios';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { AppConfig } from '../config/app-config.js';
import { standardWebhookKey } from '../config/environment.js';
import { JobRunner } from '../jobs/job-runner.js';
import { signStandardWebhook } from '../webhooks/signature-verifiers.js';
import { Clock } from './clock.js';
import { DELIVER_JOB, DeliverJobData } from './outbound-events.js';
import { OutboundUrlGuard, OutboundUrlRefused } from './outbound-url.js';
import { WebhookDeliveryRepository, WebhookMessageRecord } from './webhook-delivery.repository.js';
import { WebhookEndpointRecord, WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { MessageStatus } from './webhook-message.schema.js';

/**
 * When each scheduled attempt is made, after the one before it failed (Standard Webhooks' and
 * Svix's schedule): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Ten
 * attempts over about three and a half days.
 */
export const RETRY_SCHEDULE_MS = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 14 * 3600_000, 20 * 3600_000, 24 * 3600_000];
/** Each delay is spread over ±10 % so that endpoints failing together do not come back together. */
export const RETRY_JITTER = 0.1;
/** A Retry-After beyond this is read as this. */
export const MAX_RETRY_AFTER_MS = 24 * 3600_000;
/** How much of an answer the delivery log keeps. */
export const RESPONSE_PREFIX_BYTES = 1024;

interface SendResult {
  ok: boolean;
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
export class WebhookDeliveryService implements OnModuleInit {
  private readonly logger = new Logger('WebhookEndpoints');

  constructor(
    private readonly config: AppConfig,
    private readonly http: HttpService,
    private readonly jobs: JobRunner,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly urls: OutboundUrlGuard,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.jobs.define<DeliverJobData>(DELIVER_JOB, (data) => this.deliver(data), {
      // A run lasts at most the request's timeout, plus the database work around it.
      lockLifetimeMs: Math.max(this.config.jobs.lockLifetimeMs, this.config.outbound.timeoutMs * 2),
      backoff: { delayMs: 5000, factor: 2, maxRetries: 5, jitter: 0.2 },
    });
  }

  /** One attempt at one message (a job run). */
  async deliver(job: DeliverJobData): Promise<void> {
    const manual = job.manual === true;
    const message = await this.deliveries.findMessage(job.workspaceId, job.endpointId, job.messageId);
    if (!message || (!manual && message.status !== 'pending')) return;
    const target = await this.endpoints.findForDelivery(job.workspaceId, job.endpointId, this.clock.now());
    if (!target || !target.endpoint.enabled) {
      if (!manual) await this.deliveries.abandon(message.id);
      return;
    }
    const { endpoint, secrets } = target;
    const attempt = message.attempts + 1;
    const result = await this.send(endpoint.url, secrets, message);
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
          { workspaceId: job.workspaceId, endpointId: job.endpointId, messageId: job.messageId },
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
   * Hook for telling the workspace its endpoint was disabled. The e-mail belongs to the
   * notifications module (issue 16, another branch); until it is wired here, this logs.
   */
  onEndpointDisabled(endpoint: WebhookEndpointRecord, reason: string): void {
    this.logger.warn(
      `Webhook endpoint ${endpoint.id} (${endpoint.url}) of workspace ${endpoint.workspaceId} disabled: ${reason}. ` +
        'Notify the workspace by e-mail (notifications module: not wired yet)',
    );
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
      const { disableAfterMs } = this.config.outbound;
      if (failingSince && at.getTime() - failingSince.getTime() >= disableAfterMs) {
        reason = `Deliveries have failed for ${Math.round(disableAfterMs / (24 * 3600_000))} day(s) without a success`;
      }
    }
    if (reason && (await this.endpoints.disable(endpoint.id, reason, at))) this.onEndpointDisabled(endpoint, reason);
  }

  private async send(url: string, secrets: string[], message: WebhookMessageRecord): Promise<SendResult> {
    const started = performance.now();
    const latencyMs = () => Math.round(performance.now() - started);
    try {
      await this.urls.check(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) return { ok: false, latencyMs: 0, error: error.message };
      throw error;
    }
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    const signature = secrets
      .map((secret) => signStandardWebhook(standardWebhookKey(secret)!, message.messageId, timestamp, message.payload))
      .join(' ');
    const timeoutMs = this.config.outbound.timeoutMs;
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
        latencyMs: latencyMs(),
        responseStatus: status,
        responseBody,
        retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after'], this.clock.now()) : undefined,
        error: ok ? undefined : `The endpoint answered ${status}`,
      };
    } catch (error) {
      return { ok: false, latencyMs: latencyMs(), error: describeFailure(error, timeoutMs) };
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
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now.getTime();
  if (Number.isNaN(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
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

function describeFailure(error: unknown, timeoutMs: number): string {
  if (isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' || error.code === 'ERR_CANCELED') return `No answer within ${timeoutMs} ms`;
    if (error.cause instanceof OutboundUrlRefused) return error.cause.message;
    if (error.code === 'ECONNREFUSED') return 'Connection refused';
    if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return 'The host does not resolve';
    return `Request failed (${error.code ?? error.message})`;
  }
  if (error instanceof OutboundUrlRefused) return error.message;
  if (error instanceof Error && error.name === 'AbortError') return `No answer within ${timeoutMs} ms`;
  return `Request failed: ${error instanceof Error ? error.message : String(error)}`;
}
