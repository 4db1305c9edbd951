import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { NotificationSettings } from './notification-settings.schema.js';
import { maskUrl } from '../common/mask-url.js';

export type ChatChannel = 'slack' | 'discord';
export const CHAT_CHANNELS: readonly ChatChannel[] = ['slack', 'discord'];

/** The settings as answers may show them: URLs only masked. */
export interface NotificationSettingsRecord {
  workspaceId: string;
  slackWebhookUrl: string | null;
  discordWebhookUrl: string | null;
  emailEnabled: boolean;
  updatedAt?: Date;
}

/** `null` removes a URL; absent leaves it. */
export interface NotificationSettingsChanges {
  slackWebhookUrl?: string | null;
  discordWebhookUrl?: string | null;
  emailEnabled?: boolean;
}

type LeanSettings = NotificationSettings & { _id: Types.ObjectId };

const URL_FIELD: Record<ChatChannel, 'slackWebhookUrl' | 'discordWebhookUrl'> = { slack: 'slackWebhookUrl', discord: 'discordWebhookUrl' };
const HINT_FIELD: Record<ChatChannel, 'slackWebhookHint' | 'discordWebhookHint'> = { slack: 'slackWebhookHint', discord: 'discordWebhookHint' };

/** One document per workspace (created on the first change); a workspace without one has the defaults. */
@Injectable()
export class NotificationSettingsRepository {
  constructor(@InjectModel(NotificationSettings.name) private readonly model: Model<NotificationSettings>) {}

  async find(workspaceId: string): Promise<NotificationSettingsRecord> {
    const settings = await this.model.findOne({ workspaceId: new Types.ObjectId(workspaceId) }).lean<LeanSettings>().exec();
    return toRecord(workspaceId, settings);
  }

  async update(workspaceId: string, changes: NotificationSettingsChanges): Promise<NotificationSettingsRecord> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, 1> = {};
    for (const channel of CHAT_CHANNELS) {
      const url = changes[URL_FIELD[channel]];
      if (url === undefined) continue;
      if (url === null) {
        unset[URL_FIELD[channel]] = 1;
        unset[HINT_FIELD[channel]] = 1;
      } else {
        set[URL_FIELD[channel]] = url;
        set[HINT_FIELD[channel]] = maskUrl(url);
      }
    }
    if (changes.emailEnabled !== undefined) set.emailEnabled = changes.emailEnabled;
    const settings = await this.model
      .findOneAndUpdate(
        { workspaceId: new Types.ObjectId(workspaceId) },
        { ...(Object.keys(set).length > 0 && { $set: set }), ...(Object.keys(unset).length > 0 && { $unset: unset }) },
        { upsert: true, returnDocument: 'after', setDefaultsOnInsert: true },
      )
      .lean<LeanSettings>()
      .exec();
    return toRecord(workspaceId, settings);
  }

  /** The channel's URL, to send to it (the only read of the secret). */
  async webhookUrl(workspaceId: string, channel: ChatChannel): Promise<string | undefined> {
    const settings = await this.model
      .findOne({ workspaceId: new Types.ObjectId(workspaceId) })
      .select(`+${URL_FIELD[channel]}`)
      .lean<LeanSettings>()
      .exec();
    return settings?.[URL_FIELD[channel]] ?? undefined;
  }
}

function toRecord(workspaceId: string, settings: LeanSettings | null): NotificationSettingsRecord {
  return {
    workspaceId,
    slackWebhookUrl: settings?.slackWebhookHint ?? null,
    discordWebhookUrl: settings?.discordWebhookHint ?? null,
    emailEnabled: settings?.emailEnabled ?? true,
    updatedAt: settings?.updatedAt,
  };
}
