import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { secretHeaderNames } from '../common/secret-headers.js';
import { AppConfig } from '../config/app-config.js';
import { WEBHOOK_ROUTE_CONFIG_KEY } from '../webhooks/webhook-endpoint.decorator.js';
import type { WebhookRequest } from '../webhooks/webhook-signature.guard.js';
import { refusedEventFromRequest } from './delivery-facts.js';
import { WebhookEventRecorder } from './webhook-event.recorder.js';

type RefusedRequest = WebhookRequest & { webhookRefusal?: string };

/**
 * Records the deliveries refused before WebhookRecordingInterceptor runs: by Fastify (wrong
 * content type 415, oversized or over-shaped body 413, malformed JSON 400), which Nest never
 * routes, and by the guards (a bad or stale signature, 401), which run before interceptors. A
 * Fastify hook sees every answer; the route's config (set by @WebhookEndpoint) says whether it is
 * a webhook route and of which source. What the interceptor recorded is skipped, as is OPTIONS.
 * Anyone can send such a delivery, so each is stored small (refusedEventFromRequest: the body's
 * size, SHA-256 and first 2 KB, never the parsed payload).
 */
@Injectable()
export class WebhookRefusalHooks implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly recorder: WebhookEventRecorder,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!instance?.addHook) return;
    const secretHeaders = secretHeaderNames(this.config);
    instance.addHook('onSend', (request: RefusedRequest, reply, payload, done) => {
      // The refusal's message, from the error envelope about to be sent.
      if (reply.statusCode >= 400 && typeof payload === 'string' && !request.webhook?.recorded && sourceOf(request)) {
        request.webhookRefusal = messageOf(payload);
      }
      done(null, payload);
    });
    instance.addHook('onResponse', (request: RefusedRequest, reply, done) => {
      // What the interceptor recorded first (the common case; reading the route's config costs more).
      const source = request.webhook?.recorded || request.method === 'OPTIONS' ? undefined : sourceOf(request);
      if (source) {
        this.recorder.record(
          refusedEventFromRequest(
            request,
            source,
            { httpStatus: reply.statusCode, durationMs: reply.elapsedTime, error: request.webhookRefusal },
            secretHeaders,
          ),
        );
      }
      done();
    });
  }
}

function sourceOf(request: FastifyRequest): string | undefined {
  const source = (request.routeOptions?.config as unknown as Record<string, unknown> | undefined)?.[WEBHOOK_ROUTE_CONFIG_KEY];
  return typeof source === 'string' ? source : undefined;
}

function messageOf(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
