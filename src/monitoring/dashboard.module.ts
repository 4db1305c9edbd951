import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Reel, ReelSchema } from '../reels/reel.schema.js';
import { AIVideo, AIVideoSchema } from '../videos/ai-video.schema.js';
import { WebhookEvent, WebhookEventSchema } from '../inbound-webhook-events/webhook-event.schema.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { MonitoringStreamService } from './monitoring-stream.service.js';
import { MonitoringSummaryService } from './monitoring-summary.service.js';
import { MonitoringController } from './monitoring.controller.js';
import { ReelStatistics } from './reel.statistics.js';
import { VideoStatistics } from './video.statistics.js';
import { WebhookEventStatistics } from './webhook-event.statistics.js';

/**
 * What the dashboard (/dashboard, served by registerDashboard) reads: the summary, the live
 * stream and the webhook statistics (the answer of the event log's `GET /api/webhook-events/stats`,
 * given through its WebhookEventStatsRegistry). The read-side at the top: its statistics read
 * the features' collections through their exported schemas (the same schema is the same model;
 * its indexes are declared there), the live feed reads the event log's repository, and no
 * feature imports anything from here.
 */
@Module({
  imports: [
    WebhookEventsModule,
    MongooseModule.forFeature([
      { name: AIVideo.name, schema: AIVideoSchema },
      { name: Reel.name, schema: ReelSchema },
      { name: WebhookEvent.name, schema: WebhookEventSchema },
    ]),
  ],
  controllers: [MonitoringController],
  providers: [MonitoringSummaryService, MonitoringStreamService, VideoStatistics, ReelStatistics, WebhookEventStatistics],
})
export class DashboardModule {}
