import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from '../common/clock.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { ProductsModule } from '../products/products.module.js';
import { UsersModule } from '../users/users.module.js';
import { WebhookEndpointsModule } from '../outbound-webhooks/webhook-endpoints.module.js';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { AIVideoRepository } from './ai-video.repository.js';
import { AIVideo, AIVideoSchema } from './ai-video.schema.js';
import { BatchDigestService } from './batch-digest.service.js';
import { RckClient } from './rck.client.js';
import { VideoCallbacksService } from './video-callbacks.service.js';
import { VideoDispatchService } from './video-dispatch.service.js';
import { VideoBatchRepository } from './video-batch.repository.js';
import { VideoBatch, VideoBatchSchema } from './video-batch.schema.js';
import { VideoEffectsService } from './video-effects.service.js';
import { VideoSyncService } from './video-sync.service.js';
import { VideosController } from './videos.controller.js';
import { VideosService } from './videos.service.js';

/** Asking for videos, sending them to RCK, and every state change of an AIVideo. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: AIVideo.name, schema: AIVideoSchema },
      { name: VideoBatch.name, schema: VideoBatchSchema },
    ]),
    HttpModule,
    ProductsModule,
    WorkspacesModule,
    WebhookEndpointsModule,
    UsersModule,
    NotificationsModule,
  ],
  controllers: [VideosController],
  providers: [
    Clock,
    AIVideoRepository,
    VideoBatchRepository,
    BatchDigestService,
    RckClient, VideoSyncService, VideoEffectsService, VideoDispatchService, VideosService, VideoCallbacksService],
  exports: [AIVideoRepository, VideoCallbacksService],
})
export class VideosModule {}
