import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { UsersModule } from '../users/users.module.js';
import { OutboundUrlModule } from '../outbound-url/outbound-url.module.js';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { ChatSender } from './chat.sender.js';
import { Mailer } from './mailer.js';
import { NotificationSettingsController } from './notification-settings.controller.js';
import { NotificationSettingsRepository } from './notification-settings.repository.js';
import { NotificationSettings, NotificationSettingsSchema } from './notification-settings.schema.js';
import { NotificationSettingsService } from './notification-settings.service.js';
import { NotificationsService } from './notifications.service.js';

/**
 * E-mail, Slack and Discord for both generation flows, and each workspace's settings for them.
 * Chat URLs follow the address rule of customers' endpoints (OutboundUrlModule).
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: NotificationSettings.name, schema: NotificationSettingsSchema }]),
    HttpModule,
    UsersModule,
    WorkspacesModule,
    OutboundUrlModule,
  ],
  controllers: [NotificationSettingsController],
  providers: [Mailer, ChatSender, NotificationSettingsRepository, NotificationSettingsService, NotificationsService],
  exports: [NotificationsService, ChatSender],
})
export class NotificationsModule {}
