import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WebhookEventsModule } from '../webhook-events/webhook-events.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), WebhookEventsModule],
  controllers: [HealthController],
})
export class HealthModule {}
