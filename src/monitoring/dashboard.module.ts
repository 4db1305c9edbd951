import { Module } from '@nestjs/common';
import { ReelsModule } from '../reels/reels.module.js';
import { VideosModule } from '../videos/videos.module.js';
import { WebhookEventsModule } from '../webhook-events/webhook-events.module.js';
import { MonitoringStreamService } from './monitoring-stream.service.js';
import { MonitoringSummaryService } from './monitoring-summary.service.js';
import { MonitoringController } from './monitoring.controller.js';

/**
 * What the dashboard (/dashboard, served by registerDashboard) reads: the summary and the live
 * stream, from the videos', reels' and webhook event log's repositories and the job runner.
 */
@Module({
  imports: [VideosModule, ReelsModule, WebhookEventsModule],
  controllers: [MonitoringController],
  providers: [MonitoringSummaryService, MonitoringStreamService],
})
export class DashboardModule {}
