import { Module } from '@nestjs/common';
import { ReelsModule } from '../reels/reels.module.js';
import { VideosModule } from '../videos/videos.module.js';
import { HeygenWebhooksController } from './heygen-webhooks.controller.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { RckWebhooksController } from './rck-webhooks.controller.js';
import { WebhookSignatureGuard } from '../inbound-webhook-contract/webhook-signature.guard.js';
import { WebhookSourcesModule } from '../inbound-webhook-sources/webhook-sources.module.js';

/** The generators' callbacks, each controller behind the signature guard of its source. */
@Module({
  // WebhookSourcesModule provides WebhookHolds: whether a source's deliveries are held (paused).
  imports: [VideosModule, ReelsModule, WebhookEventsModule, WebhookSourcesModule],
  controllers: [RckWebhooksController, HeygenWebhooksController],
  providers: [WebhookSignatureGuard],
})
export class WebhooksModule {}
