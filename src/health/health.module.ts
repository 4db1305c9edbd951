import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { HealthController } from './health.controller.js';
import { ShutdownState } from './shutdown-state.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), WebhookEventsModule],
  controllers: [HealthController],
  providers: [ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
