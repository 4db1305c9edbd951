import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { webhookEventsConfig, type WebhookEventsConfig } from './webhook-events.config.js';
import { RefusedDeliveryWindowRepository } from './refused-delivery-window.repository.js';
import { RefusedDeliveryWindow, RefusedDeliveryWindowSchema } from './refused-delivery-window.schema.js';
import { RefusedDeliveryLimiter } from './refused-delivery.limiter.js';
import { InboundDeliveryRepository } from './inbound-delivery.repository.js';
import { WebhookDelivery, WebhookDeliverySchema } from './webhook-delivery.schema.js';
import { WebhookEventStatsRegistry } from './webhook-event-stats.registry.js';
import { WebhookEventRecorder } from './webhook-event.recorder.js';
import { WebhookEventRepository } from './webhook-event.repository.js';
import { WebhookEvent, WebhookEventSchema } from './webhook-event.schema.js';
import { WebhookEventsController } from './webhook-events.controller.js';
import { WebhookEventsService } from './webhook-events.service.js';
import { WebhookRefusalHooks } from './webhook-refusal.hooks.js';
import { WebhookReplayRegistry } from './webhook-replay.registry.js';
import { WebhookReplayService } from './webhook-replay.service.js';

/**
 * The webhook event log: every delivery to a `@WebhookReceiver` route recorded (the recording
 * interceptor, registered as APP_INTERCEPTOR in AppModule, and WebhookRefusalHooks for what is
 * refused before it, within RefusedDeliveryLimiter's limit per address), searched, measured and
 * replayed by superadmins. Webhook controllers
 * register their replay handlers in the exported WebhookReplayRegistry, and the dashboard's
 * read-side its statistics in WebhookEventStatsRegistry.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: WebhookEvent.name, schema: WebhookEventSchema },
      { name: WebhookDelivery.name, schema: WebhookDeliverySchema },
      { name: RefusedDeliveryWindow.name, schema: RefusedDeliveryWindowSchema },
    ]),
  ],
  controllers: [WebhookEventsController],
  providers: [
    WebhookEventRepository,
    InboundDeliveryRepository,
    WebhookEventRecorder,
    WebhookRefusalHooks,
    RefusedDeliveryWindowRepository,
    RefusedDeliveryLimiter,
    WebhookReplayRegistry,
    WebhookReplayService,
    WebhookEventsService,
    WebhookEventStatsRegistry,
  ],
  exports: [WebhookEventRecorder, InboundDeliveryRepository, WebhookReplayRegistry, WebhookEventRepository, WebhookReplayService, WebhookEventStatsRegistry],
})
export class WebhookEventsModule implements OnModuleInit {
  constructor(
    private readonly events: WebhookEventRepository,
    @Inject(webhookEventsConfig.KEY) private readonly config: WebhookEventsConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const { retentionDays, refusedRetentionDays } = this.config;
    await this.events.applyRetention({ days: retentionDays, refusedDays: refusedRetentionDays });
  }
}
