import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ReelsModule } from '../reels/reels.module.js';
import { VideosModule } from '../videos/videos.module.js';
import { WebhookEvent, WebhookEventSchema } from '../inbound-webhook-events/webhook-event.schema.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { DeliveryVolumeRepository } from './delivery-volume.repository.js';
import { MonitoringStreamService } from './monitoring-stream.service.js';
import { MonitoringSummaryService } from './monitoring-summary.service.js';
import { MonitoringController } from './monitoring.controller.js';

/**
 * What the dashboard (/dashboard, served by registerDashboard) reads: the summary and the live
 * stream, from the videos', reels' and webhook event log's repositories and the job runner.
 */
@Module({
  // The event log's model again (the same schema: one model), for the delivery chart's read.
  imports: [VideosModule, ReelsModule, WebhookEventsModule, MongooseModule.forFeature([{ name: WebhookEvent.name, schema: WebhookEventSchema }])],
  controllers: [MonitoringController],
  providers: [MonitoringSummaryService, MonitoringStreamService, DeliveryVolumeRepository],
})
export class DashboardModule {}
