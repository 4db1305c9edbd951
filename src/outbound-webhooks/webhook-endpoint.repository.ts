import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Coalescer } from '../database/coalescer.js';
import { EndpointSecret, OutboundEventType, WebhookEndpoint } from './webhook-endpoint.schema.js';

/** An endpoint as every answer may show it: never its secrets. */
export interface WebhookEndpointRecord {
  id: string;
  workspaceId: string;
  url: string;
  eventTypes: OutboundEventType[];
  description?: string;
  enabled: boolean;
  disabledReason?: string;
  disabledAt?: Date;
  failingSince?: Date;
  /** While a rotation's old secret still signs: when it stops. */
  previousSecretExpiresAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointChanges {
  url?: string;
  eventTypes?: OutboundEventType[];
  description?: string;
  enabled?: boolean;
}

type LeanEndpoint = WebhookEndpoint & { _id: Types.ObjectId };

/**
 * Every read a person makes takes the workspace. Secrets are stored with `select: false` and
 * leave this class only through `signingSecrets` (delivery) and the create/rotate answers.
 */
@Injectable()
export class WebhookEndpointRepository {
  constructor(@InjectModel(WebhookEndpoint.name) private readonly model: Model<WebhookEndpoint>) {}

  async create(
    workspaceId: string,
    endpoint: { url: string; eventTypes: OutboundEventType[]; description?: string; secret: string },
    now = new Date(),
  ): Promise<WebhookEndpointRecord> {
    const created = await this.model.create({
      workspaceId: new Types.ObjectId(workspaceId),
      url: endpoint.url,
      eventTypes: endpoint.eventTypes,
      description: endpoint.description,
      enabled: true,
      secrets: [{ secret: endpoint.secret, createdAt: now }],
    });
    return toRecord(created.toObject() as LeanEndpoint, now);
  }

  async listInWorkspace(workspaceId: string, skip: number, limit: number): Promise<{ endpoints: WebhookEndpointRecord[]; total: number }> {
    const filter = { workspaceId: new Types.ObjectId(workspaceId) };
    const [endpoints, total] = await Promise.all([
      this.model.find(filter).select('+secrets').sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanEndpoint[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { endpoints: endpoints.map((endpoint) => toRecord(endpoint)), total };
  }

  /**
   * Every workspace's endpoints (superadmins' overview only: no person of a workspace reaches
   * this), failing ones first (failing longest first), then the others newest first. Secrets are
   * projected out: an aggregation ignores `select: false`.
   */
  async listAllFailingFirst(skip: number, limit: number): Promise<{ endpoints: WebhookEndpointRecord[]; total: number }> {
    const [endpoints, total] = await Promise.all([
      this.model
        .aggregate<LeanEndpoint>([
          { $project: { secrets: 0 } },
          { $addFields: { notFailing: { $cond: [{ $eq: [{ $ifNull: ['$failingSince', null] }, null] }, 1, 0] } } },
          { $sort: { notFailing: 1, failingSince: 1, createdAt: -1, _id: -1 } },
          { $skip: skip },
          { $limit: limit },
          { $project: { notFailing: 0 } },
        ])
        .exec(),
      this.model.countDocuments({}).exec(),
    ]);
    return { endpoints: endpoints.map((endpoint) => toRecord(endpoint)), total };
  }

  async findInWorkspace(workspaceId: string, id: string): Promise<WebhookEndpointRecord | null> {
    const endpoint = await this.model.findOne(scope(workspaceId, id)).select('+secrets').lean<LeanEndpoint>().exec();
    return endpoint ? toRecord(endpoint) : null;
  }

  /** The URLs of these endpoints of the workspace (a deleted one is absent). */
  async urlsInWorkspace(workspaceId: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const endpoints = await this.model
      .find({ workspaceId: new Types.ObjectId(workspaceId), _id: { $in: ids.map((id) => new Types.ObjectId(id)) } }, { url: 1 })
      .lean<Array<{ _id: Types.ObjectId; url: string }>>()
      .exec();
    return new Map(endpoints.map((endpoint) => [endpoint._id.toHexString(), endpoint.url]));
  }

  /**
   * Enabling clears what disabled it (and the failure clock); disabling by hand records why, but
   * only on an endpoint that is enabled: one disabled already (by a 410, say) keeps its reason and
   * time, which key the e-mail its producers are owed.
   */
  async update(workspaceId: string, id: string, changes: EndpointChanges, now = new Date()): Promise<WebhookEndpointRecord | null> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, 1> = {};
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.eventTypes !== undefined) set.eventTypes = changes.eventTypes;
    if (changes.description !== undefined) set.description = changes.description;
    if (changes.enabled === true) {
      set.enabled = true;
      Object.assign(unset, { disabledReason: 1, disabledAt: 1, failingSince: 1, disabledNoticeOwed: 1 });
    }
    const filter = scope(workspaceId, id);
    if (changes.enabled === false) {
      await this.model.updateOne({ ...filter, enabled: true }, { $set: { enabled: false, disabledReason: 'Disabled by a user', disabledAt: now } }).exec();
    }
    const update = { ...(Object.keys(set).length > 0 && { $set: set }), ...(Object.keys(unset).length > 0 && { $unset: unset }) };
    const endpoint =
      Object.keys(update).length === 0
        ? await this.model.findOne(filter).select('+secrets').lean<LeanEndpoint>().exec()
        : await this.model.findOneAndUpdate(filter, update, { returnDocument: 'after' }).select('+secrets').lean<LeanEndpoint>().exec();
    return endpoint ? toRecord(endpoint, now) : null;
  }

  async delete(workspaceId: string, id: string): Promise<boolean> {
    return (await this.model.deleteOne(scope(workspaceId, id)).exec()).deletedCount === 1;
  }

  /**
   * Adds `secret` and lets the secrets that sign now go on signing until `overlapUntil` (or
   * their own earlier end); secrets already expired are dropped.
   */
  async rotateSecret(workspaceId: string, id: string, secret: string, overlapUntil: Date, now = new Date()): Promise<WebhookEndpointRecord | null> {
    const current = await this.model.findOne(scope(workspaceId, id)).select('+secrets').lean<LeanEndpoint>().exec();
    if (!current) return null;
    const secrets: EndpointSecret[] = [
      ...liveSecrets(current.secrets, now).map((old) => ({
        ...old,
        expiresAt: old.expiresAt && old.expiresAt < overlapUntil ? old.expiresAt : overlapUntil,
      })),
      { secret, createdAt: now },
    ];
    const endpoint = await this.model
      .findOneAndUpdate(scope(workspaceId, id), { $set: { secrets } }, { returnDocument: 'after' })
      .select('+secrets')
      .lean<LeanEndpoint>()
      .exec();
    return endpoint ? toRecord(endpoint, now) : null;
  }

  /** Enabled endpoints of the workspace that take this event type. */
  async findSubscribed(workspaceId: string, eventType: OutboundEventType): Promise<WebhookEndpointRecord[]> {
    return this.subscribed.load({ workspaceId, eventType });
  }

  /** The lookups of the events published together share one query (a fresh read, never a cache). */
  private readonly subscribed = new Coalescer<{ workspaceId: string; eventType: OutboundEventType }, WebhookEndpointRecord[]>(async (keys) => {
    const workspaceIds = [...new Set(keys.map((key) => key.workspaceId))].map((id) => new Types.ObjectId(id));
    const eventTypes = [...new Set(keys.map((key) => key.eventType))];
    const endpoints = await this.model
      .find({ workspaceId: { $in: workspaceIds }, enabled: true, eventTypes: { $in: eventTypes } })
      .lean<LeanEndpoint[]>()
      .exec();
    return keys.map(({ workspaceId, eventType }) =>
      endpoints
        .filter((endpoint) => endpoint.workspaceId.toHexString() === workspaceId && endpoint.eventTypes.includes(eventType))
        .map((endpoint) => toRecord(endpoint)),
    );
  });

  /** The endpoint and the secrets that sign at `now` (for delivery only). */
  async findForDelivery(workspaceId: string, id: string, now: Date): Promise<{ endpoint: WebhookEndpointRecord; secrets: string[] } | null> {
    const endpoint = await this.model.findOne(scope(workspaceId, id)).select('+secrets').lean<LeanEndpoint>().exec();
    if (!endpoint) return null;
    return { endpoint: toRecord(endpoint, now), secrets: liveSecrets(endpoint.secrets, now).map((entry) => entry.secret) };
  }

  async markHealthy(id: string): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id), failingSince: { $exists: true } }, { $unset: { failingSince: 1 } }).exec();
  }

  /** Starts the failure clock unless it runs already; answers when it started. */
  async markFailing(id: string, now: Date): Promise<Date | undefined> {
    const _id = new Types.ObjectId(id);
    await this.model.updateOne({ _id, failingSince: { $exists: false } }, { $set: { failingSince: now } }).exec();
    const endpoint = await this.model.findById(_id).lean<LeanEndpoint>().exec();
    return endpoint?.failingSince;
  }

  /**
   * Disables an enabled endpoint, owing its producers the e-mail in the same update; true only for
   * the call that disabled it.
   */
  async disable(id: string, reason: string, now: Date): Promise<boolean> {
    const result = await this.model
      .updateOne({ _id: new Types.ObjectId(id), enabled: true }, { $set: { enabled: false, disabledReason: reason, disabledAt: now, disabledNoticeOwed: true } })
      .exec();
    return result.modifiedCount === 1;
  }

  /** The disable's e-mail is queued: owed no more (unless the endpoint was enabled and disabled again meanwhile). */
  async noticePaid(id: string, disabledAt: Date): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id), disabledNoticeOwed: true, disabledAt }, { $unset: { disabledNoticeOwed: 1 } }).exec();
  }

  /** Endpoints disabled before `before` whose e-mail is still owed (a crash came between), the earliest first. */
  async findOwedNotices(before: Date, limit: number): Promise<WebhookEndpointRecord[]> {
    const endpoints = await this.model
      .find({ disabledNoticeOwed: true, disabledAt: { $lt: before } })
      .sort({ disabledAt: 1 })
      .limit(limit)
      .lean<LeanEndpoint[]>()
      .exec();
    return endpoints.map((endpoint) => toRecord(endpoint));
  }
}

function scope(workspaceId: string, id: string) {
  return { _id: new Types.ObjectId(id), workspaceId: new Types.ObjectId(workspaceId) };
}

function liveSecrets(secrets: EndpointSecret[] | undefined, now: Date): EndpointSecret[] {
  return (secrets ?? []).filter((entry) => !entry.expiresAt || entry.expiresAt > now);
}

function toRecord(endpoint: LeanEndpoint, now = new Date()): WebhookEndpointRecord {
  const expiring = liveSecrets(endpoint.secrets, now)
    .map((entry) => entry.expiresAt)
    .filter((date): date is Date => date !== undefined);
  return {
    id: endpoint._id.toHexString(),
    workspaceId: endpoint.workspaceId.toHexString(),
    url: endpoint.url,
    eventTypes: endpoint.eventTypes,
    description: endpoint.description,
    enabled: endpoint.enabled,
    disabledReason: endpoint.disabledReason,
    disabledAt: endpoint.disabledAt,
    failingSince: endpoint.failingSince,
    previousSecretExpiresAt: expiring.length > 0 ? new Date(Math.max(...expiring.map((date) => date.getTime()))) : undefined,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}
