import { Injectable } from '@nestjs/common';
import { InjectConnection, InjectModel } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { AIVideoSchema } from '../videos/ai-video.schema.js';
import { ReelSchema } from '../reels/reel.schema.js';
import { WebhookEndpointSchema } from '../outbound-webhooks/webhook-endpoint.schema.js';
import { WebhookEventSchema } from '../inbound-webhook-events/webhook-event.schema.js';
import { AlertChannels, AlertIncident, AlertKind, AlertRule, IncidentStatus, IncidentTransition } from './alert.schema.js';
import type { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';

export interface AlertRuleRecord {
  id: string;
  name: string;
  kind: AlertKind;
  source?: WebhookSource;
  threshold: number;
  windowMinutes: number;
  minDeliveries?: number;
  enabled: boolean;
  channels: AlertChannels;
  createdAt: Date;
  updatedAt: Date;
}

export type NewAlertRule = Omit<AlertRuleRecord, 'id' | 'createdAt' | 'updatedAt'>;

export interface AlertIncidentRecord {
  id: string;
  ruleId: string;
  ruleName: string;
  kind: AlertKind;
  status: IncidentStatus;
  threshold: number;
  openedValue: number;
  lastValue: number;
  openedAt: Date;
  resolvedAt?: Date;
  resolvedValue?: number;
  /** Announcements not queued yet (see AlertIncident.owedAnnouncements). */
  owedAnnouncements?: IncidentTransition[];
}

type LeanRule = AlertRule & { _id: Types.ObjectId };
type LeanIncident = AlertIncident & { _id: Types.ObjectId };

/** Rules, their incidents, and the counts the rules measure (read from the features' collections). */
@Injectable()
export class AlertRepository {
  constructor(
    @InjectModel(AlertRule.name) private readonly rules: Model<AlertRule>,
    @InjectModel(AlertIncident.name) private readonly incidents: Model<AlertIncident>,
    @InjectConnection() private readonly connection: Connection,
  ) {}

  async createRule(rule: NewAlertRule): Promise<AlertRuleRecord> {
    return toRule((await this.rules.create(rule)).toObject() as LeanRule);
  }

  async findRule(id: string): Promise<AlertRuleRecord | null> {
    const rule = await this.rules.findById(new Types.ObjectId(id)).lean<LeanRule>().exec();
    return rule ? toRule(rule) : null;
  }

  async listRules(): Promise<AlertRuleRecord[]> {
    return (await this.rules.find().sort({ createdAt: 1, _id: 1 }).lean<LeanRule[]>().exec()).map(toRule);
  }

  async findEnabledRules(): Promise<AlertRuleRecord[]> {
    return (await this.rules.find({ enabled: true }).sort({ _id: 1 }).lean<LeanRule[]>().exec()).map(toRule);
  }

  async updateRule(id: string, changes: Partial<NewAlertRule>): Promise<AlertRuleRecord | null> {
    const rule = await this.rules
      .findByIdAndUpdate(new Types.ObjectId(id), { $set: changes }, { returnDocument: 'after', runValidators: true })
      .lean<LeanRule>()
      .exec();
    return rule ? toRule(rule) : null;
  }

  async deleteRule(id: string): Promise<AlertRuleRecord | null> {
    const rule = await this.rules.findOneAndDelete({ _id: new Types.ObjectId(id) }).lean<LeanRule>().exec();
    return rule ? toRule(rule) : null;
  }

  /**
   * Opens the rule's incident unless one is open already: the unique partial index lets exactly
   * one of several instances evaluating at once insert it. Null when one was open (its latest
   * value is updated instead).
   */
  async openIncident(rule: AlertRuleRecord, value: number, now: Date): Promise<AlertIncidentRecord | null> {
    try {
      const created = await this.incidents.create({
        ruleId: new Types.ObjectId(rule.id),
        ruleName: rule.name,
        kind: rule.kind,
        status: 'open',
        threshold: rule.threshold,
        openedValue: value,
        lastValue: value,
        openedAt: now,
        owedAnnouncements: ['opened'],
      });
      return toIncident(created.toObject() as LeanIncident);
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await this.incidents.updateOne({ ruleId: new Types.ObjectId(rule.id), status: 'open' }, { $set: { lastValue: value } }).exec();
      return null;
    }
  }

  /** Resolves the rule's open incident, if any: the one conditional update that answers it is the one that sends word. */
  async resolveIncident(ruleId: string, value: number, now: Date): Promise<AlertIncidentRecord | null> {
    const incident = await this.incidents
      .findOneAndUpdate(
        { ruleId: new Types.ObjectId(ruleId), status: 'open' },
        { $set: { status: 'resolved', resolvedAt: now, resolvedValue: value, lastValue: value }, $addToSet: { owedAnnouncements: 'resolved' } },
        { returnDocument: 'after' },
      )
      .lean<LeanIncident>()
      .exec();
    return incident ? toIncident(incident) : null;
  }

  /**
   * The incident's `transition` is announced (its messages queued): owed no more. The field goes
   * once it is empty, to leave the partial index; an empty one a crash left behind is owed nothing
   * (findOwedAnnouncements passes it over) and goes at the next payment.
   */
  async announcementPaid(id: string, transition: IncidentTransition): Promise<void> {
    const _id = new Types.ObjectId(id);
    await this.incidents.updateOne({ _id, owedAnnouncements: transition }, { $pull: { owedAnnouncements: transition } }).exec();
    await this.incidents.updateOne({ _id, owedAnnouncements: { $size: 0 } }, { $unset: { owedAnnouncements: 1 } }).exec();
  }

  /** Incidents with an announcement still owed (a crash came between their write and it), the earliest first. */
  async findOwedAnnouncements(limit: number): Promise<AlertIncidentRecord[]> {
    const incidents = await this.incidents
      .find({ owedAnnouncements: { $exists: true, $ne: [] } })
      .sort({ openedAt: 1 })
      .limit(limit)
      .lean<LeanIncident[]>()
      .exec();
    return incidents.map(toIncident);
  }

  async findIncident(id: string): Promise<AlertIncidentRecord | null> {
    const incident = await this.incidents.findById(new Types.ObjectId(id)).lean<LeanIncident>().exec();
    return incident ? toIncident(incident) : null;
  }

  /** Open incidents first, then the latest resolved ones. */
  async listIncidents(status: IncidentStatus | undefined, skip: number, limit: number): Promise<{ incidents: AlertIncidentRecord[]; total: number }> {
    const filter = status ? { status } : {};
    const [incidents, total] = await Promise.all([
      this.incidents.find(filter).sort({ status: -1, openedAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanIncident[]>().exec(),
      this.incidents.countDocuments(filter).exec(),
    ]);
    return { incidents: incidents.map(toIncident), total };
  }

  // ---------------------------------------------------------------------------------------------
  // What the rules measure

  /** Deliveries since `since` (of `source`, or all), and how many of them were answered with an error. */
  async deliveryOutcomes(since: Date, source?: WebhookSource): Promise<{ total: number; errors: number; refused: number }> {
    const events = this.collectionOf(WebhookEventSchema);
    const window = { createdAt: { $gte: since }, ...(source && { source }) };
    const [total, errors, refused] = await Promise.all([
      events.countDocuments(window),
      events.countDocuments({ ...window, status: { $in: ['rejected', 'failed'] } }),
      events.countDocuments({ ...window, status: 'rejected' }),
    ]);
    return { total, errors, refused };
  }

  /** Videos still pending or generating with no change since `before`. */
  stuckVideos(before: Date): Promise<number> {
    return this.collectionOf(AIVideoSchema).countDocuments({ status: { $in: ['pending', 'generating'] }, updatedAt: { $lt: before } });
  }

  /** Reels approved or processing with no change since `before`. */
  stuckReels(before: Date): Promise<number> {
    return this.collectionOf(ReelSchema).countDocuments({ status: { $in: ['approved', 'processing'] }, updatedAt: { $lt: before } });
  }

  /** Enabled customer endpoints failing since before `before`. */
  failingEndpoints(before: Date): Promise<number> {
    return this.collectionOf(WebhookEndpointSchema).countDocuments({ enabled: true, failingSince: { $lt: before } });
  }

  private collectionOf(schema: { get(key: 'collection'): unknown }) {
    return this.connection.db!.collection(String(schema.get('collection')));
  }
}

function toRule(rule: LeanRule): AlertRuleRecord {
  return {
    id: rule._id.toHexString(),
    name: rule.name,
    kind: rule.kind,
    ...(rule.source && { source: rule.source }),
    threshold: rule.threshold,
    windowMinutes: rule.windowMinutes,
    ...(rule.minDeliveries !== undefined && { minDeliveries: rule.minDeliveries }),
    enabled: rule.enabled,
    channels: {
      emails: rule.channels?.emails ?? [],
      ...(rule.channels?.slackWebhookUrl && { slackWebhookUrl: rule.channels.slackWebhookUrl }),
      ...(rule.channels?.discordWebhookUrl && { discordWebhookUrl: rule.channels.discordWebhookUrl }),
    },
    createdAt: rule.createdAt,
    updatedAt: rule.updatedAt,
  };
}

function toIncident(incident: LeanIncident): AlertIncidentRecord {
  return {
    id: incident._id.toHexString(),
    ruleId: incident.ruleId.toHexString(),
    ruleName: incident.ruleName,
    kind: incident.kind,
    status: incident.status,
    threshold: incident.threshold,
    openedValue: incident.openedValue,
    lastValue: incident.lastValue,
    openedAt: incident.openedAt,
    ...(incident.resolvedAt && { resolvedAt: incident.resolvedAt }),
    ...(incident.resolvedValue !== undefined && { resolvedValue: incident.resolvedValue }),
    ...(incident.owedAnnouncements?.length && { owedAnnouncements: incident.owedAnnouncements }),
  };
}
