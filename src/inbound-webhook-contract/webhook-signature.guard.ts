import { CanActivate, ExecutionContext, Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { webhookSecretsConfig, type WebhookSecretsConfig } from './webhook-secrets.config.js';
import type { WebhookHandled } from './webhook-handled.js';
import { HeygenSignatureVerifier, SignatureVerifier, StandardWebhooksVerifier, WebhookSource } from './signature-verifiers.js';

export const WEBHOOK_SOURCE_METADATA = 'webhook:source';

/** What the guard learnt about a delivery, kept on the request for whoever records it. */
export interface WebhookDeliveryInfo {
  source: WebhookSource;
  /** True when verified, false when refused, undefined when accepted unverified (development). */
  signatureValid?: boolean;
  deliveryId?: string;
  /** What the handler returned about the delivery (set by the event log's adapter). */
  handled?: Pick<WebhookHandled, 'outcome' | 'videoId' | 'recordId' | 'workspaceId' | 'deliveryId'>;
  /** Not handled, as the refused-delivery limit or the event log decided (`limited`, `duplicate`), for metrics. */
  outcome?: string;
  /** Set when the payload does not say it (`event_type`) and the path is not enough. */
  eventType?: string;
  /** Set by the webhook event log once it has recorded this delivery. */
  recorded?: boolean;
}

export type WebhookRequest = FastifyRequest & { rawBody?: Buffer; webhook?: WebhookDeliveryInfo };

/** Each source's signature scheme with its configured secrets (the guard's, and the refused-delivery limit's). */
export function webhookVerifiers(webhooks: WebhookSecretsConfig): Record<WebhookSource, SignatureVerifier> {
  return {
    rck: new StandardWebhooksVerifier(webhooks.rckKeys),
    heygen: new HeygenSignatureVerifier(webhooks.heygenSecrets, webhooks.heygenSignatureHeaders),
  };
}

/**
 * One guard for every webhook source, each with its own scheme, verifying the raw request body
 * (the bytes that were signed, not a re-serialisation) in constant time. A bad signature is a 401
 * `Invalid signature` and changes nothing. Development without a secret accepts unsigned calls,
 * with a warning, so hand-made curl calls work (docs/contracts/rck.md#signatures,
 * docs/contracts/heygen.md#signature); production refuses to start without one.
 */
@Injectable()
export class WebhookSignatureGuard implements CanActivate {
  private readonly logger = new Logger(WebhookSignatureGuard.name);
  private readonly verifiers: Record<WebhookSource, SignatureVerifier | undefined>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(webhookSecretsConfig.KEY) webhooks: WebhookSecretsConfig,
  ) {
    this.verifiers = webhookVerifiers(webhooks);
  }

  canActivate(context: ExecutionContext): boolean {
    const source = this.reflector.getAllAndOverride<WebhookSource | undefined>(WEBHOOK_SOURCE_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<WebhookRequest>();
    if (!source) throw new Error(`${request.url} uses the signature guard without @WebhookReceiver(source)`);
    // A reachability check (HeyGen's OPTIONS on registration, within 1 s) has no body to sign
    // and changes nothing; it reaches its handler unverified.
    if (request.method === 'OPTIONS') return true;
    const verifier = this.verifiers[source];
    request.webhook = { source };
    if (!verifier?.configured) {
      this.logger.warn(`${source} signature NOT verified: no secret configured (development only)`);
      return true;
    }
    const result = verifier.verify(request.headers, request.rawBody ?? Buffer.alloc(0), Date.now());
    request.webhook = { source, signatureValid: result.valid, deliveryId: result.deliveryId };
    if (!result.valid) {
      this.logger.warn(`Refused a ${source} delivery to ${request.url}: ${result.reason}`);
      throw new UnauthorizedException('Invalid signature');
    }
    return true;
  }
}
