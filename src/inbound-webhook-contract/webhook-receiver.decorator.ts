import { applyDecorators, HttpStatus, SetMetadata, UseGuards } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { ApiErrorResponsesDescribed } from '../common/api-envelope.decorator.js';
import { WebhookSource } from './signature-verifiers.js';
import { WEBHOOK_SOURCE_METADATA, WebhookSignatureGuard } from './webhook-signature.guard.js';


/** The Fastify route config key that names a webhook route's source (see markWebhookRoutes). */
export const WEBHOOK_ROUTE_CONFIG_KEY = 'webhookSource';

/**
 * Marks a controller as a webhook endpoint of `source`: no bearer token (the sender signs each
 * delivery instead), the signature guard for that source's scheme, and the metadata by which
 * such routes are recognised, by Nest (the class metadata) and by Fastify (each route's config),
 * so that the webhook event log records every delivery, even those Fastify refuses before Nest.
 */
export function WebhookReceiver(source: WebhookSource): ClassDecorator {
  return applyDecorators(
    SetMetadata(WEBHOOK_SOURCE_METADATA, source),
    markWebhookRoutes(source),
    Public(),
    UseGuards(WebhookSignatureGuard),
    ApiTags('webhooks'),
    ...(source === 'rck'
      ? [
          ApiHeader({ name: 'webhook-id', description: 'Standard Webhooks delivery id', required: false }),
          ApiHeader({ name: 'webhook-timestamp', description: 'Unix seconds', required: false }),
          ApiHeader({ name: 'webhook-signature', description: 'v1,<base64 HMAC-SHA256 of "id.timestamp.body">', required: false }),
        ]
      : [
          ApiHeader({
            name: 'X-HeyGen-Signature',
            description: 'hex HMAC-SHA256 of the raw body (also accepted as Signature or Heygen-Signature; see HEYGEN_SIGNATURE_HEADERS)',
            required: false,
          }),
        ]),
    // 429: the client address is over its limit of refused deliveries (src/inbound-webhook-events/refused-delivery.limiter.ts).
    ApiErrorResponsesDescribed(
      {
        [HttpStatus.UNAUTHORIZED]:
          source === 'rck'
            ? 'Missing, malformed, stale or wrong signature (webhook-id, webhook-timestamp, webhook-signature); no bearer token is involved'
            : 'Missing or wrong signature of the raw body; no bearer token is involved',
      },
      HttpStatus.UNAUTHORIZED,
      HttpStatus.TOO_MANY_REQUESTS,
    ),
  );
}

/**
 * Puts `{ webhookSource: source }` into the Fastify route config of every route method of the
 * class (Nest copies a method's metadata onto the route it registers), so hooks that run before
 * Nest sees a request (a refused body, a wrong content type) still know it is a webhook delivery.
 */
function markWebhookRoutes(source: WebhookSource): ClassDecorator {
  return (target) => {
    const prototype = (target as unknown as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[name];
      if (typeof method !== 'function' || Reflect.getMetadata(METHOD_METADATA, method) === undefined) continue;
      const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, method) as object | undefined) ?? {};
      Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, [WEBHOOK_ROUTE_CONFIG_KEY]: source }, method);
    }
  };
}
