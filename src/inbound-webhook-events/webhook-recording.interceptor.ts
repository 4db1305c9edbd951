import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { secretHeaderNames } from '../logging/secret-headers.js';
import { webhookSecretsConfig, type WebhookSecretsConfig } from '../inbound-webhook-contract/webhook-secrets.config.js';
import { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { isWebhookHandled } from '../inbound-webhook-contract/webhook-handled.js';
import { WEBHOOK_SOURCE_METADATA, WebhookRequest } from '../inbound-webhook-contract/webhook-signature.guard.js';
import { answerFacts, errorAnswer, errorFacts, eventFromRequest, payloadFacts, rawBodySha256 } from './delivery-facts.js';
import { InboundDeliveryRepository } from './inbound-delivery.repository.js';
import { WebhookEventRecorder } from './webhook-event.recorder.js';
import type { WebhookEventRecord } from './webhook-event.repository.js';

/**
 * Records every request to a route of a controller marked `@WebhookReceiver(source)` that gets
 * past the guards: accepted, duplicate, ignored, or refused by the validation pipe or the handler.
 * (What is refused before, by Fastify or the signature guard, WebhookRefusalHooks records.)
 *
 * A delivery whose id (Standard Webhooks `webhook-id`, HeyGen `event_id`) was handled before is
 * answered as the first one was, without running the handler, and recorded as `duplicate`; as
 * `conflict`, with a warning, when its body is not the first one's (a sender reusing ids: the
 * SHA-256 of each raw body is remembered with its id).
 *
 * A 2xx is sent only once the delivery is stored: its id remembered, then its event written
 * (both shared with the deliveries that arrive together). If the database refuses either, the
 * answer is 503 so the sender retries; the handler's idempotency makes that retry a duplicate.
 * Refusals and errors are answered at once and their events written shortly after (buffered).
 * OPTIONS requests (HeyGen's validation ping, answered within its 1 s) touch nothing.
 *
 * A delivery its handler `held` (its source is paused: WebhookHolds) is stored and remembered the
 * same way, marked held: a retry of it is a `duplicate` answered as held, not held a second time,
 * and the release on resume runs the held event (WebhookReplayService.release).
 */
@Injectable()
export class WebhookRecordingInterceptor implements NestInterceptor {
  private readonly logger = new Logger(WebhookRecordingInterceptor.name);
  private readonly secretHeaders: ReadonlySet<string>;

  constructor(
    private readonly reflector: Reflector,
    private readonly recorder: WebhookEventRecorder,
    private readonly deliveries: InboundDeliveryRepository,
    @Inject(webhookSecretsConfig.KEY) webhooks: WebhookSecretsConfig,
  ) {
    this.secretHeaders = secretHeaderNames(webhooks);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const source = this.reflector.getAllAndOverride<WebhookSource | undefined>(WEBHOOK_SOURCE_METADATA, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    if (!source || request.method === 'OPTIONS') return next.handle();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const webhook = (request.webhook ??= { source });
    webhook.recorded = true;
    const deliveryId = webhook.deliveryId ?? header(request, 'webhook-id') ?? header(request, 'heygen-event-id') ?? payloadFacts(request.body).eventId;

    // One promise per delivery rather than a chain of operators: this runs on every webhook.
    return defer(() => this.deliver(request, reply, webhook, deliveryId, next));
  }

  private async deliver(
    request: WebhookRequest,
    reply: FastifyReply,
    webhook: NonNullable<WebhookRequest['webhook']>,
    deliveryId: string | undefined,
    next: CallHandler,
  ): Promise<unknown> {
    const { source } = webhook;
    const handled = deliveryId
      ? await this.deliveries.findHandled(source, deliveryId).catch((error: unknown) => {
          // Without the lookup the handler's own idempotency holds: a repeat changes nothing.
          this.logger.warn(`Could not look up delivery ${deliveryId}: ${String(error)}`);
          return null;
        })
      : null;
    if (handled) {
      // Standard Webhooks: a known id gets the first answer, whatever the body. Another body
      // under it is still not applied, but shows as a `conflict` rather than passing unseen.
      const bodySha256 = rawBodySha256(request);
      const conflict = handled.bodySha256 !== undefined && bodySha256 !== handled.bodySha256;
      const status = conflict ? 'conflict' : 'duplicate';
      if (conflict) {
        this.logger.warn(
          { source, deliveryId, firstBodySha256: handled.bodySha256, bodySha256 },
          `${source} delivery id ${deliveryId} reused for a different body (first sha256 ${handled.bodySha256}, this one ${bodySha256 ?? 'none'}): answered as the first delivery, not applied`,
        );
      }
      webhook.outcome = status;
      webhook.handled = { outcome: 'duplicate', workspaceId: handled.workspaceId };
      const event = eventFromRequest(
        request,
        source,
        { httpStatus: handled.httpStatus, durationMs: reply.elapsedTime, status, response: handled.response },
        this.secretHeaders,
      );
      if (conflict && bodySha256) event.payloadSha256 = bodySha256;
      await this.stored(event);
      void reply.status(handled.httpStatus);
      return handled.response;
    }
    let body: unknown;
    try {
      body = await lastValueFrom(next.handle(), { defaultValue: undefined });
    } catch (error) {
      const { httpStatus, message } = errorFacts(error);
      const outcome = { httpStatus, durationMs: reply.elapsedTime, error: message, response: errorAnswer(error) };
      this.recorder.record(eventFromRequest(request, source, outcome, this.secretHeaders));
      throw error;
    }
    if (isWebhookHandled(body)) {
      // The handler's result: its answer goes to the sender, the rest to the event and metrics.
      const { outcome, videoId, recordId, workspaceId, deliveryId: bodyDeliveryId } = body;
      webhook.handled = { outcome, videoId, recordId, workspaceId, deliveryId: bodyDeliveryId };
      webhook.outcome = outcome;
      void reply.status(body.httpStatus);
      body = body.response;
    }
    const event = eventFromRequest(request, source, { httpStatus: reply.statusCode, durationMs: reply.elapsedTime, response: body }, this.secretHeaders);
    if (reply.statusCode >= 300) {
      this.recorder.record(event);
      return body;
    }
    if (deliveryId) {
      // Remembered before its event is stored and before answering: a retry that follows the
      // answer finds it, and an event is never stored for an answer that was not sent (if the
      // memory is refused, the answer is a 503 and so is the event). As JSON, so the repeat's
      // answer is byte for byte the first one's (no undefined turned null).
      const bodySha256 = rawBodySha256(request);
      const remembered = {
        httpStatus: reply.statusCode,
        response: asJson(body),
        eventId: event.id,
        ...(event.workspaceId && { workspaceId: event.workspaceId }),
        ...(bodySha256 && { bodySha256 }),
        ...(webhook.outcome === 'held' && { held: true as const }),
      };
      await this.deliveries.remember(source, deliveryId, remembered).catch((error: unknown) => this.unavailable(event, `remembering delivery ${deliveryId}`, error));
      if (remembered.held) {
        // A held delivery whose event could not be stored must not stay remembered as held: no
        // release would run it and its retries would be answered as held. Forgotten (as far as the
        // database lets us), the sender's retry after the 503 is held anew.
        await this.stored(event).catch(async (error: unknown) => {
          await this.deliveries.settleHeld(source, deliveryId, event.id, null).catch(() => undefined);
          throw error;
        });
        return body;
      }
    }
    await this.stored(event);
    return body;
  }

  /** A 2xx is sent only once its event is stored; otherwise the answer is a 503 (the sender retries). */
  private async stored(event: WebhookEventRecord): Promise<void> {
    await this.recorder.store(event).catch((error: unknown) => this.unavailable(event, 'storing its event', error));
  }

  private unavailable(event: WebhookEventRecord, step: string, error: unknown): never {
    this.logger.error(`Delivery ${event.deliveryId ?? event.id} answered 503: ${step} failed (${String(error)})`);
    // What was answered, for the log: buffered, since the store refused (written once it
    // recovers), under the same id, which a remembered delivery may already point to.
    const { responseBody: _notSent, responseBodyTruncated: _neither, ...described } = event;
    this.recorder.record({ ...described, status: 'failed', httpStatus: 503, error: STORE_UNAVAILABLE, ...answerFacts({ success: false, message: STORE_UNAVAILABLE }) });
    throw new ServiceUnavailableException(STORE_UNAVAILABLE);
  }
}

/** The answer when a delivery could not be stored: the sender should retry it. */
export const STORE_UNAVAILABLE = 'The delivery could not be stored; retry later';

function header(request: WebhookRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function asJson(body: unknown): unknown {
  return body === undefined ? undefined : JSON.parse(JSON.stringify(body));
}
