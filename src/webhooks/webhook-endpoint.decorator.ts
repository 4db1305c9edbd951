import { applyDecorators, HttpStatus, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators.js';
import { ApiErrorResponses } from '../common/api-envelope.decorator.js';
import { WebhookSource } from './signature-verifiers.js';
import { WEBHOOK_SOURCE_METADATA, WebhookSignatureGuard } from './webhook-signature.guard.js';


/**
 * Marks a controller as a webhook endpoint of `source`: no bearer token (the sender signs each
 * delivery instead), the signature guard for that source's scheme, and the metadata by which
 * such routes are recognised.
 */
export function WebhookEndpoint(source: WebhookSource): ClassDecorator {
  return applyDecorators(
    SetMetadata(WEBHOOK_SOURCE_METADATA, source),
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
    ApiErrorResponses(HttpStatus.UNAUTHORIZED),
  );
}
