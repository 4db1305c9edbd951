import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { Clock } from '../common/clock.js';
import { NotificationsModule } from '../notifications/notifications.module.js';
import { WebhookEventsModule } from '../inbound-webhook-events/webhook-events.module.js';
import { AlertRepository } from './alert.repository.js';
import { AlertIncident, AlertIncidentSchema, AlertRule, AlertRuleSchema } from './alert.schema.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsService } from './alerts.service.js';

/**
 * Alerts for superadmins: rules kept in MongoDB, evaluated by the job runner, incidents opened
 * and resolved once across instances, told by e-mail, Slack or Discord. A read side at the top:
 * it reads the features' collections and nothing depends on it.
 */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: AlertRule.name, schema: AlertRuleSchema },
      { name: AlertIncident.name, schema: AlertIncidentSchema },
    ]),
    NotificationsModule,
    WebhookEventsModule,
  ],
  controllers: [AlertsController],
  providers: [Clock, AlertRepository, AlertsService],
})
export class AlertsModule {}
