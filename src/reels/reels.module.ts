import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from '../common/clock.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { UsersModule } from '../users/users.module.js';
import { WebhookEndpointsModule } from '../outbound-webhooks/webhook-endpoints.module.js';
import { HeygenClient } from './heygen.provider.js';
import { ReelEventsService } from './reel-events.service.js';
import { ReelGenerationService } from './reel-generation.service.js';
import { Reel, ReelSchema } from './reel.schema.js';
import { ReelRepository } from './reel.repository.js';
import { ReelsController } from './reels.controller.js';
import { ReelsService } from './reels.service.js';

/** HeyGen reels: request, approval, generation, HeyGen's verdicts (exported for the webhook), download. */
@Module({
  imports: [MongooseModule.forFeature([{ name: Reel.name, schema: ReelSchema }]), UsersModule, NotificationsModule, WebhookEndpointsModule],
  controllers: [ReelsController],
  providers: [Clock, HeygenClient, ReelRepository, ReelEventsService, ReelGenerationService, ReelsService],
  exports: [ReelEventsService, ReelRepository],
})
export class ReelsModule {}
