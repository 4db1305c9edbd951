import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { Clock } from '../common/clock.js';
import { OutboundEvents } from './outbound-events.js';
import { OutboundHistory } from './outbound-history.js';
import { OutboundUrlModule } from '../outbound-url/outbound-url.module.js';
import { OutboundMessageRepository } from './outbound-message.repository.js';
import { OutboundDeliveryService } from './outbound-delivery.service.js';
import { WebhookEndpointRepository } from './webhook-endpoint.repository.js';
import { WebhookEndpoint, WebhookEndpointSchema } from './webhook-endpoint.schema.js';
import { WebhookEndpointsController } from './webhook-endpoints.controller.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';
import { WebhookAttempt, WebhookAttemptSchema, WebhookMessage, WebhookMessageSchema } from './webhook-message.schema.js';

/** Webhooks to customers' own endpoints: registration, signed delivery with retries, the delivery log. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: WebhookEndpoint.name, schema: WebhookEndpointSchema },
      { name: WebhookMessage.name, schema: WebhookMessageSchema },
      { name: WebhookAttempt.name, schema: WebhookAttemptSchema },
    ]),
    HttpModule,
    OutboundUrlModule,
    NotificationsModule,
  ],
  controllers: [WebhookEndpointsController],
  providers: [
    Clock,
    WebhookEndpointRepository,
    OutboundMessageRepository,
    WebhookEndpointsService,
    OutboundDeliveryService,
    OutboundEvents,
    OutboundHistory,
  ],
  exports: [OutboundEvents, OutboundHistory],
})
export class WebhookEndpointsModule {}
