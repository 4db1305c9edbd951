import { Module } from '@nestjs/common';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { ReelsModule } from '../reels/reels.module.js';
import { VideosModule } from '../videos/videos.module.js';
import { WebhookEndpointsModule } from '../outbound-webhooks/webhook-endpoints.module.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { TimelineController } from './timeline.controller.js';
import { TimelineService } from './timeline.service.js';

/**
 * A video's or a reel's timeline across both directions: a read-side that depends on the
 * features it reads (videos, reels, the event log, customers' endpoints, notifications), never
 * the reverse.
 */
@Module({
  imports: [VideosModule, ReelsModule, WebhookEventsModule, WebhookEndpointsModule, NotificationsModule],
  controllers: [TimelineController],
  providers: [TimelineService],
})
export class TimelineModule {}
