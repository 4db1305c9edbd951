import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookDeliveryInfo } from '../inbound-webhook-contract/webhook-signature.guard.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** Where deliveries refused before the signature guard (bad JSON, too large) still come from. */
const WEBHOOK_PATHS: Array<[prefix: string, source: string]> = [
  ['/internal/videos/', 'rck'],
  ['/api/webhook/heygen', 'heygen'],
];

/**
 * A Fastify hook, so it sees every response, including those refused before Nest (malformed
 * JSON, oversized bodies): request duration by route template, and webhook deliveries by source,
 * event type and outcome.
 */
export function registerRequestMetrics(instance: FastifyInstance, metrics: MetricsService): void {
  instance.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') {
      metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    }
    const delivery = webhookDelivery(request, reply.statusCode);
    if (delivery) metrics.webhookDeliveries.inc(delivery);
    done();
  });
}

function webhookDelivery(request: FastifyRequest, status: number) {
  if (request.method !== 'POST') return undefined;
  const info = (request as FastifyRequest & { webhook?: WebhookDeliveryInfo & { eventType?: string } }).webhook;
  const path = request.url.split('?')[0];
  const source = info?.source ?? WEBHOOK_PATHS.find(([prefix]) => path.startsWith(prefix))?.[1];
  if (!source) return undefined;
  const outcome = info?.outcome ?? (status < 400 ? 'accepted' : status >= 500 ? 'failed' : 'rejected');
  return { source, event_type: info?.eventType ?? path.slice(path.lastIndexOf('/') + 1), outcome };
}
