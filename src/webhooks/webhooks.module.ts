import { Module } from '@nestjs/common';
import { VideosModule } from '../videos/videos.module.js';
import { WebhookEventsModule } from '../webhook-events/webhook-events.module.js';
import { RckWebhooksController } from './rck-webhooks.controller.js';
import { WebhookSignatureGuard } from './webhook-signature.guard.js';

/** The generators' callbacks, each controller behind the signature guard of its source. */
@Module({
  imports: [VideosModule, WebhookEventsModule],
  controllers: [RckWebhooksController],
  providers: [WebhookSignatureGuard],
})
export class WebhooksModule {}
