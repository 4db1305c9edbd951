import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { WebhookHolds } from '../inbound-webhook-contract/webhook-holds.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { DEFAULT_WEBHOOK_SOURCE_TIMING, WEBHOOK_SOURCE_TIMING, WebhookSourceStates } from './webhook-source-states.js';
import { WebhookSourceRepository } from './webhook-source.repository.js';
import { WebhookSourceDoc, WebhookSourceSchema } from './webhook-source.schema.js';
import { WebhookSourcesController } from './webhook-sources.controller.js';
import { WebhookSourcesService } from './webhook-sources.service.js';

/**
 * Pause and resume of the generators' deliveries (superadmins). Provides WebhookHolds, which the
 * webhook controllers ask on every delivery (answered from memory); releases held deliveries
 * through the event log's replay path, so it depends on webhook-events, never the reverse.
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: WebhookSourceDoc.name, schema: WebhookSourceSchema }]), WebhookEventsModule],
  controllers: [WebhookSourcesController],
  providers: [
    { provide: WEBHOOK_SOURCE_TIMING, useValue: DEFAULT_WEBHOOK_SOURCE_TIMING },
    WebhookSourceRepository,
    WebhookSourceStates,
    { provide: WebhookHolds, useExisting: WebhookSourceStates },
    WebhookSourcesService,
  ],
  exports: [WebhookHolds],
})
export class WebhookSourcesModule {}
