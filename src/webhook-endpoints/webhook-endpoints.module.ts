import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from './clock.js';
import { HostResolver, OutboundUrlGuard } from './outbound-url.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEndpoint, WebhookEndpointSchema } from './webhook-endpoint.schema.js';
import { WebhookEndpointsController } from './webhook-endpoints.controller.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

/** Webhooks to customers' own endpoints: registration, signed delivery with retries, the delivery log. */
@Module({
  imports: [MongooseModule.forFeature([{ name: WebhookEndpoint.name, schema: WebhookEndpointSchema }])],
  controllers: [WebhookEndpointsController],
  providers: [Clock, HostResolver, OutboundUrlGuard, WebhookEndpointRepository, WebhookEndpointsService],
})
export class WebhookEndpointsModule {}
