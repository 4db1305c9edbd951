import { Module } from '@nestjs/common';
import { Mailer } from './mailer.js';
import { NotificationsService } from './notifications.service.js';

/** E-mail (and later Slack/Discord and outbound webhooks) for both generation flows. */
@Module({
  providers: [Mailer, NotificationsService],
  exports: [NotificationsService],
})
export class NotificationsModule {}
