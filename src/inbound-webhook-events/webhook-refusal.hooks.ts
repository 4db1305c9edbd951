import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { normalizeIp } from '@nestjs/throttler';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from '../common/all-exceptions.filter.js';
import { RAW_BODY_CHECK, RawBodyCheck } from '../common/http-body.js';
import { secretHeaderNames } from '../logging/secret-headers.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { webhookSecretsConfig, type WebhookSecretsConfig } from '../inbound-webhook-contract/webhook-secrets.config.js';
import { SignatureVerifier, WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { WEBHOOK_ROUTE_CONFIG_KEY } from '../inbound-webhook-contract/webhook-receiver.decorator.js';
import { webhookVerifiers, WebhookRequest } from '../inbound-webhook-contract/webhook-signature.guard.js';
import { refusedEventFromRequest } from './delivery-facts.js';
import { RefusedDeliveryLimiter } from './refused-delivery.limiter.js';
import { WebhookEventRecorder } from './webhook-event.recorder.js';

type RefusedRequest = WebhookRequest & {
  webhookRefusal?: string;
  /** The refusal's answer as sent (the error envelope's text). */
  webhookAnswer?: string;
  /** Answered 429: the address was over its limit of refused deliveries. */
  webhookLimited?: boolean;
  /** The signature verified before the body was parsed (an address over its limit). */
  webhookVerifiedEarly?: boolean;
  [RAW_BODY_CHECK]?: RawBodyCheck;
};

export const REFUSED_LIMIT_MESSAGE = 'Too many refused deliveries from this address; try again later';

/**
 * Records the deliveries refused before WebhookRecordingInterceptor runs: by Fastify (wrong
 * content type 415, oversized or over-shaped body 413, malformed JSON 400), which Nest never
 * routes, and by the guards (a bad or stale signature, 401), which run before interceptors. A
 * Fastify hook sees every answer; the route's config (set by @WebhookReceiver) says whether it is
 * a webhook route and of which source. What the interceptor recorded is skipped, as is OPTIONS.
 *
 * Anyone can send such a delivery, so each is stored small (refusedEventFromRequest: the body's
 * size, SHA-256 and first 2 KB, never the parsed payload) and counted per client address
 * (RefusedDeliveryLimiter). Beyond the limit, refusals are counted without being stored, and the
 * address's next deliveries are answered 429 here, as early as their headers allow: at once when
 * they could not verify (no or a stale signature, not JSON), otherwise as soon as the body has
 * arrived and its signature fails, before it is parsed. A delivery whose signature verifies is
 * never limited: a generator behind the same address as an attacker still gets through.
 */
@Injectable()
export class WebhookRefusalHooks implements OnModuleInit {
  private readonly verifiers: Record<WebhookSource, SignatureVerifier>;
  /** Refusals being counted, whose events are recorded once their count is back. */
  private readonly counting = new Set<Promise<void>>();

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly recorder: WebhookEventRecorder,
    private readonly limiter: RefusedDeliveryLimiter,
    @Inject(webhookSecretsConfig.KEY) private readonly webhooks: WebhookSecretsConfig,
  ) {
    this.verifiers = webhookVerifiers(webhooks);
  }

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!instance?.addHook) return;
    const secretHeaders = secretHeaderNames(this.webhooks);
    instance.addHook('onRequest', (request: RefusedRequest, reply, done) => {
      // The common case, no address over its limit, costs one property read.
      if (!this.limiter.anyLimited || request.method === 'OPTIONS') return done();
      const source = sourceOf(request);
      const until = source ? this.limiter.limitedUntil(clientAddress(request)) : undefined;
      if (!source || until === undefined) return done();
      const retryAfterSeconds = () => Math.max(1, Math.ceil((until - Date.now()) / 1000));
      const verifier = this.verifiers[source as WebhookSource];
      if (!verifier.configured || !isJson(request) || verifier.refuseByHeaders(request.headers, Date.now())) {
        // It cannot verify: answered before its body is read.
        markLimited(request, source);
        const retryAfter = retryAfterSeconds();
        const { status, body } = toErrorResponse(new TooManyRequestsException(REFUSED_LIMIT_MESSAGE, retryAfter));
        void reply.code(status).header('retry-after', String(retryAfter)).header('content-type', 'application/json; charset=utf-8').send(body);
        return;
      }
      request[RAW_BODY_CHECK] = (bytes) => {
        if (verifier.verify(request.headers, bytes, Date.now()).valid) {
          request.webhookVerifiedEarly = true;
          return undefined;
        }
        markLimited(request, source);
        return new TooManyRequestsException(REFUSED_LIMIT_MESSAGE, retryAfterSeconds());
      };
      done();
    });
    instance.addHook('onSend', (request: RefusedRequest, reply, payload, done) => {
      // The refusal's message, from the error envelope about to be sent.
      if (reply.statusCode >= 400 && typeof payload === 'string' && !request.webhook?.recorded && !request.webhookLimited && sourceOf(request)) {
        request.webhookRefusal = messageOf(payload);
        request.webhookAnswer = payload;
      }
      done(null, payload);
    });
    instance.addHook('onResponse', (request: RefusedRequest, reply, done) => {
      if (request.webhookLimited) {
        this.limiter.countLimited(clientAddress(request));
        return done();
      }
      // What the interceptor recorded first (the common case; reading the route's config costs more).
      const source = request.webhook?.recorded || request.method === 'OPTIONS' ? undefined : sourceOf(request);
      if (source) this.recordRefusal(request, reply, source, secretHeaders);
      done();
    });
  }

  /** Stores the refusal's event, unless its address is over its limit (then it is only counted). */
  private recordRefusal(request: RefusedRequest, reply: FastifyReply, source: string, secretHeaders: ReadonlySet<string>): void {
    const outcome = { httpStatus: reply.statusCode, durationMs: reply.elapsedTime, error: request.webhookRefusal, response: jsonOrText(request.webhookAnswer) };
    const arrivedAt = new Date(Date.now() - reply.elapsedTime);
    const record = () => this.recorder.record({ ...refusedEventFromRequest(request, source, outcome, secretHeaders), createdAt: arrivedAt });
    // Signed by the sender (it was refused for its body): never limited, so never counted.
    if (request.webhookVerifiedEarly) return record();
    const counted = this.limiter.countRefusal(clientAddress(request)).then((store) => {
      if (store) record();
    });
    this.counting.add(counted);
    void counted.finally(() => this.counting.delete(counted));
  }

  /** Resolves once every refusal answered so far is counted and, if kept, recorded (tests wait on it). */
  async settled(): Promise<void> {
    while (this.counting.size > 0) await Promise.all(this.counting);
  }
}

/** The client address as the login limit takes it: after TRUST_PROXY, an IPv6 address by its /64. */
function clientAddress(request: FastifyRequest): string {
  return normalizeIp(request.ip);
}

function markLimited(request: RefusedRequest, source: string): void {
  request.webhookLimited = true;
  // The metrics hook counts it as a delivery with this outcome.
  request.webhook = { source: source as WebhookSource, outcome: 'limited' };
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && /^\s*application\/json\s*(;|$)/i.test(type);
}

function sourceOf(request: FastifyRequest): string | undefined {
  const source = (request.routeOptions?.config as unknown as Record<string, unknown> | undefined)?.[WEBHOOK_ROUTE_CONFIG_KEY];
  return typeof source === 'string' ? source : undefined;
}

function jsonOrText(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function messageOf(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
