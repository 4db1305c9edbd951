import { BadRequestException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { outboundConfig, type OutboundConfig } from '../outbound-url/outbound.config.js';
import { pointsAtInternalAddress } from '../common/net.js';
import { OutboundUrlGuard, OutboundUrlRefused } from '../outbound-url/outbound-url.js';
import { WorkspaceRepository } from '../workspaces/workspace.repository.js';
import { NotificationSettingsChanges, NotificationSettingsRecord, NotificationSettingsRepository } from './notification-settings.repository.js';

/**
 * A workspace's notification settings. Slack and Discord URLs must be https and, unless
 * OUTBOUND_ALLOW_PRIVATE_URLS, may neither name nor resolve to a loopback, private or link-local
 * address (the same rule as customers' webhook endpoints, checked again at every send). Plain
 * http is accepted only for a local address where those are allowed (development, tests).
 */
@Injectable()
export class NotificationSettingsService {
  private readonly logger = new Logger(NotificationSettingsService.name);

  constructor(
    private readonly settings: NotificationSettingsRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly urls: OutboundUrlGuard,
    @Inject(outboundConfig.KEY) private readonly outboundConfig: OutboundConfig,
  ) {}

  async get(workspaceId: string): Promise<NotificationSettingsRecord> {
    await this.existing(workspaceId);
    return this.settings.find(workspaceId);
  }

  async update(workspaceId: string, changes: NotificationSettingsChanges): Promise<NotificationSettingsRecord> {
    await this.existing(workspaceId);
    for (const field of ['slackWebhookUrl', 'discordWebhookUrl'] as const) {
      const url = changes[field];
      if (typeof url === 'string') await this.checkUrl(field, url);
    }
    if (Object.values(changes).every((value) => value === undefined)) return this.settings.find(workspaceId);
    const updated = await this.settings.update(workspaceId, changes);
    // Which settings changed, never their values (the URLs are secrets).
    this.logger.log(`Notification settings of workspace ${workspaceId} changed: ${Object.keys(changes).filter((key) => changes[key as keyof NotificationSettingsChanges] !== undefined).join(', ')}`);
    return updated;
  }

  private async existing(workspaceId: string): Promise<void> {
    if (!(await this.workspaces.findById(workspaceId))) throw new NotFoundException('Workspace not found');
  }

  private async checkUrl(field: string, url: string): Promise<void> {
    const { protocol } = new URL(url);
    const localHttp = protocol === 'http:' && this.outboundConfig.allowPrivateUrls && pointsAtInternalAddress(url);
    if (protocol !== 'https:' && !localHttp) throw new BadRequestException(`${field} must be an https URL`);
    try {
      await this.urls.check(url);
    } catch (error) {
      if (error instanceof OutboundUrlRefused) throw new BadRequestException(`${field}: ${error.message.replace(/^url /, '')}`);
      throw error;
    }
  }
}
