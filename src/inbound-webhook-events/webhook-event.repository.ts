import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { insertEach } from '../database/insert-each.js';
import { REFUSED_RETENTION_FILTER, REFUSED_RETENTION_INDEX_NAME, RETENTION_INDEX_NAME, WebhookEvent, WebhookEventStatus } from './webhook-event.schema.js';

/**
 * Statuses a bulk replay leaves alone: deliveries whose id was handled before (a replay would
 * answer them as that first one and apply nothing), those held while their source is paused (their
 * source's resume runs them) and those released (their release is the replay).
 */
const NOT_REPLAYED: WebhookEventStatus[] = ['duplicate', 'conflict', 'held', 'released'];

/** A webhook event as plain data (`id` is the API's `_id`). */
export interface WebhookEventRecord {
  id: string;
  endpoint: string;
  method: string;
  payload: unknown;
  payloadTruncated?: boolean;
  /** A refused delivery's whole body: its size and SHA-256 (hex); `payload` keeps only its start. */
  payloadBytes?: number;
  payloadSha256?: string;
  source: string;
  eventType?: string;
  deliveryId?: string;
  videoId?: string;
  callbackId?: string;
  recordId?: string;
  /** The workspace of the video or reel (stored as an ObjectId). */
  workspaceId?: string;
  headers?: Record<string, string>;
  status: WebhookEventStatus;
  httpStatus: number;
  /** Our answer's body (bounded: see delivery-facts answerFacts). */
  responseBody?: unknown;
  responseBodyTruncated?: boolean;
  signatureValid?: boolean;
  durationMs: number;
  error?: string;
  requestId?: string;
  replayOf?: string;
  releasedAt?: Date;
  createdAt: Date;
}

export interface WebhookEventFilter {
  /** Any of these endpoints (the full path and what the short form may stand for). */
  endpoints?: string[];
  videoId?: string;
  /**
   * A HeyGen reel (our id): its deliveries carry it as `callback_id` or as the record their
   * handler found, so it is looked up among the same ids as `videoId` (ours are ObjectIds: a
   * video's and a reel's never coincide).
   */
  reelId?: string;
  workspaceId?: string;
  source?: string;
  status?: WebhookEventStatus;
  httpStatus?: number;
  eventType?: string;
  from?: Date;
  to?: Date;
}

/** The list's order: newest first, `_id` breaking ties so pages never overlap. */
export const WEBHOOK_EVENT_LIST_SORT = { createdAt: -1, _id: -1 } as const;

type LeanEvent = Omit<WebhookEventRecord, 'id' | 'replayOf' | 'workspaceId'> & {
  _id: Types.ObjectId;
  replayOf?: Types.ObjectId;
  workspaceId?: Types.ObjectId;
  videoIds?: string[];
};

@Injectable()
export class WebhookEventRepository {
  private readonly logger = new Logger(WebhookEventRepository.name);

  constructor(@InjectModel(WebhookEvent.name) private readonly model: Model<WebhookEvent>) {}

  /**
   * One unordered insertMany for the batch, each event standing or falling alone. Events carry
   * their own ids, so a batch retried after a write that did land (a lost reply) stores each event
   * once: the duplicate-key errors of the events already written are the success of that earlier
   * attempt. Throws when the whole command failed.
   */
  insertEach(events: WebhookEventRecord[]): Promise<Array<void | Error>> {
    return insertEach(this.model.collection, events.map(toDocument));
  }

  /** The same, failing the whole batch if any event could not be stored (the recorder retries it). */
  async insertBatch(events: WebhookEventRecord[]): Promise<void> {
    const failed = (await this.insertEach(events)).find((outcome) => outcome instanceof Error);
    if (failed) throw failed;
  }

  async findById(id: string): Promise<WebhookEventRecord | null> {
    const event = await this.model.findById(new Types.ObjectId(id)).lean<LeanEvent>().exec();
    return event ? toRecord(event) : null;
  }

  async list(filter: WebhookEventFilter, skip: number, limit: number): Promise<{ events: WebhookEventRecord[]; total: number }> {
    const query = listQuery(filter);
    const [events, total] = await Promise.all([
      this.model.find(query).sort(WEBHOOK_EVENT_LIST_SORT).skip(skip).limit(limit).lean<LeanEvent[]>().exec(),
      // Unfiltered, the collection's own count answers without reading any document or index.
      Object.keys(query).length === 0 ? this.model.estimatedDocumentCount().exec() : this.model.countDocuments(query).exec(),
    ]);
    return { events: events.map(toRecord), total };
  }

  /**
   * Ids of the events a bulk replay may run, oldest first, at most `limit + 1` (so the caller can
   * tell there were more).
   */
  async replayableIds(filter: WebhookEventFilter, limit: number): Promise<string[]> {
    const query = replayableQuery(filter);
    if (!query) return [];
    const events = await this.model.find(query, { _id: 1 }).sort({ createdAt: 1, _id: 1 }).limit(limit + 1).lean<Array<{ _id: Types.ObjectId }>>().exec();
    return events.map((event) => event._id.toHexString());
  }

  /**
   * The deliveries about these records (a video, a reel and HeyGen's id for it), the latest
   * `limit`, oldest first, without their payload and headers: those its handler found in this
   * workspace, and those refused before any handler (no workspace) that name them. Through the
   * byVideo index.
   */
  async findAbout(workspaceId: string, ids: string[], limit: number): Promise<Array<Omit<WebhookEventRecord, 'payload' | 'headers' | 'responseBody'>>> {
    if (ids.length === 0) return [];
    const events = await this.model
      .find(aboutQuery(workspaceId, ids), { payload: 0, headers: 0, responseBody: 0 })
      .sort(WEBHOOK_EVENT_LIST_SORT)
      .limit(limit)
      .lean<LeanEvent[]>()
      .exec();
    return events.reverse().map(toRecord);
  }

  /** Which of these events have a replay that was applied (`accepted`): through the replayOf index. */
  async withAppliedReplay(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const replays = await this.model
      .find({ replayOf: { $in: ids.map((id) => new Types.ObjectId(id)) }, status: 'accepted' }, { _id: 0, replayOf: 1 })
      .lean<Array<{ replayOf: Types.ObjectId }>>()
      .exec();
    return new Set(replays.map((replay) => replay.replayOf.toHexString()));
  }

  /**
   * The ids of a source's held deliveries, oldest first (arrival order; the id breaks a tie), at
   * most `limit`: through the status index.
   */
  async heldIds(source: string, limit: number): Promise<string[]> {
    const events = await this.model
      .find({ status: 'held', source }, { _id: 1 })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .lean<Array<{ _id: Types.ObjectId }>>()
      .exec();
    return events.map((event) => event._id.toHexString());
  }

  /** How many deliveries are held, per source (through the status index). */
  async countHeld(): Promise<Map<string, number>> {
    const groups = await this.model.aggregate<{ _id: string; count: number }>([{ $match: { status: 'held' } }, { $group: { _id: '$source', count: { $sum: 1 } } }]).exec();
    return new Map(groups.map((group) => [group._id, group.count]));
  }

  /** The latest replay recorded of this event, if any (through the replayOf index). */
  async findLatestReplay(id: string): Promise<WebhookEventRecord | null> {
    const event = await this.model.findOne({ replayOf: new Types.ObjectId(id) }).sort({ createdAt: -1, _id: -1 }).lean<LeanEvent>().exec();
    return event ? toRecord(event) : null;
  }

  /** A held event becomes `released` once its release is recorded; false when it was not held (any more). */
  async markReleased(id: string, at = new Date()): Promise<boolean> {
    const result = await this.model.updateOne({ _id: new Types.ObjectId(id), status: 'held' }, { $set: { status: 'released', releasedAt: at } }).exec();
    return result.modifiedCount === 1;
  }

  /** How many events a bulk replay of `filter` would run (what replayableIds would answer, counted). */
  async countReplayable(filter: WebhookEventFilter): Promise<number> {
    const query = replayableQuery(filter);
    return query ? this.model.countDocuments(query).exec() : 0;
  }

  /**
   * Events received at or after `since` other than `exceptIds`, oldest first (then by id), without
   * their payload, headers and answer: what the monitoring stream reads again every poll (the byTime index).
   */
  async findReceivedSince(since: Date, exceptIds: string[], limit: number, before?: Date): Promise<Array<Omit<WebhookEventRecord, 'payload' | 'headers' | 'responseBody'>>> {
    const query: Record<string, unknown> = { createdAt: { $gte: since, ...(before && { $lt: before }) } };
    if (exceptIds.length > 0) query._id = { $nin: exceptIds.map((id) => new Types.ObjectId(id)) };
    const events = await this.model
      .find(query, { payload: 0, headers: 0, responseBody: 0 })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .lean<LeanEvent[]>()
      .exec();
    return events.map(toRecord);
  }

  /**
   * The retention TTL indexes on `createdAt`: one for every event (WEBHOOK_EVENT_RETENTION_DAYS)
   * and a partial one for `rejected` events alone, when they are kept for less
   * (WEBHOOK_EVENT_REFUSED_RETENTION_DAYS); a rejected event goes at whichever ends first. Each
   * is created when its setting is given, changed in place (collMod) when the setting changed,
   * dropped when it was unset. Two indexes on one key pattern differ by their
   * partialFilterExpression, which MongoDB allows since 5.0. Several instances starting at once
   * converge: each step is idempotent.
   */
  async applyRetention(retention: { days?: number; refusedDays?: number }): Promise<void> {
    await this.model.init();
    const indexes = (await this.model.collection.listIndexes().toArray().catch(() => [])) as RetentionIndex[];
    await this.applyTtl(indexes, RETENTION_INDEX_NAME, retention.days, 'webhook events');
    await this.applyTtl(indexes, REFUSED_RETENTION_INDEX_NAME, retention.refusedDays, 'rejected webhook events', REFUSED_RETENTION_FILTER);
  }

  private async applyTtl(indexes: RetentionIndex[], name: string, days: number | undefined, what: string, partialFilterExpression?: object): Promise<void> {
    const collection = this.model.collection;
    const current = indexes.find((index) => index.name === name);
    if (days === undefined) {
      if (current) {
        await collection.dropIndex(name);
        this.logger.log(`Retention unset: ${what} are now kept ${partialFilterExpression ? 'as long as the others' : 'forever'}`);
      }
      return;
    }
    const seconds = days * 24 * 3600;
    if (!current) {
      await collection.createIndex({ createdAt: 1 }, { name, expireAfterSeconds: seconds, ...(partialFilterExpression && { partialFilterExpression }) });
      return;
    }
    if (current.expireAfterSeconds !== seconds) {
      await this.model.db.db!.command({ collMod: collection.collectionName, index: { name, expireAfterSeconds: seconds } });
      this.logger.log(`Retention of ${what} changed from ${current.expireAfterSeconds} s to ${seconds} s`);
    }
  }
}

type RetentionIndex = { name: string; expireAfterSeconds?: number };

/** The find filter of the list (and of bulk replay); exported for the index-use test. */
export function listQuery(filter: WebhookEventFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.endpoints) query.endpoint = filter.endpoints.length === 1 ? filter.endpoints[0] : { $in: filter.endpoints };
  if (filter.videoId && filter.reelId && filter.videoId !== filter.reelId) query.videoIds = { $all: [filter.videoId, filter.reelId] };
  else if (filter.videoId || filter.reelId) query.videoIds = filter.videoId ?? filter.reelId;
  if (filter.workspaceId) query.workspaceId = new Types.ObjectId(filter.workspaceId);
  if (filter.source) query.source = filter.source;
  if (filter.status) query.status = filter.status;
  if (filter.httpStatus !== undefined) {
    query.httpStatus = filter.httpStatus;
    // The status follows from the code (statusFor), so the status index serves this filter too
    // and no index of its own is written with every delivery.
    if (!filter.status) {
      const statuses = statusesAnswered(filter.httpStatus);
      query.status = statuses.length === 1 ? statuses[0] : { $in: statuses };
    }
  }
  if (filter.eventType) query.eventType = filter.eventType;
  if (filter.from || filter.to) {
    query.createdAt = { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) };
  }
  return query;
}

/** The deliveries about these ids in the workspace or refused before any handler (findAbout); exported for the index-use test. */
export function aboutQuery(workspaceId: string, ids: string[]): Record<string, unknown> {
  return { videoIds: { $in: ids }, $or: [{ workspaceId: new Types.ObjectId(workspaceId) }, { workspaceId: { $exists: false } }] };
}

/**
 * The events of `filter` a bulk replay may run; null when none can be. A delivery whose signature
 * failed is never replayed: its payload was never proven to come from the sender; nor one whose
 * body was not a JSON object (no handler takes it), nor a duplicate or a conflict (an id handled
 * before), which a replay would not apply.
 */
function replayableQuery(filter: WebhookEventFilter): Record<string, unknown> | null {
  const query = listQuery(filter);
  // A status, several (those an HTTP code allows), or any.
  const status = query.status as WebhookEventStatus | { $in: WebhookEventStatus[] } | undefined;
  const statuses = status === undefined ? undefined : typeof status === 'string' ? [status] : status.$in;
  const replayed = statuses?.filter((candidate) => !NOT_REPLAYED.includes(candidate));
  if (replayed && replayed.length === 0) return null;
  return {
    ...query,
    signatureValid: { $ne: false },
    payload: { $type: 'object' },
    status: replayed === undefined ? { $nin: NOT_REPLAYED } : replayed.length === 1 ? replayed[0] : { $in: replayed },
  };
}

/** The statuses an event answered with this HTTP status can have (see statusFor). */
export function statusesAnswered(httpStatus: number): WebhookEventStatus[] {
  if (httpStatus >= 500) return ['failed'];
  if (httpStatus >= 400) return ['rejected'];
  return ['accepted', 'duplicate', 'conflict', 'ignored', 'held', 'released'];
}

/** Ids stored as ObjectIds, set apart from the fields copied as they are. */
const CONVERTED = new Set(['id', 'replayOf', 'workspaceId']);

/**
 * The stored document of an event: every defined field, ids as ObjectIds, and `videoIds` (the
 * record ids it names, for the timeline). One pass without copies: this runs for every delivery
 * (the ingest benchmark counted its rest-spread and Object.entries version at 2 % of the
 * service's CPU).
 */
function toDocument(event: WebhookEventRecord): Record<string, unknown> {
  const doc: Record<string, unknown> = { _id: new Types.ObjectId(event.id) };
  const fields = event as unknown as Record<string, unknown>;
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined && !CONVERTED.has(key)) doc[key] = value;
  }
  if (event.replayOf) doc.replayOf = new Types.ObjectId(event.replayOf);
  if (event.workspaceId) doc.workspaceId = new Types.ObjectId(event.workspaceId);
  const { videoId, callbackId, recordId } = event;
  const videoIds: string[] = [];
  for (const named of [videoId, callbackId, recordId]) if (named && !videoIds.includes(named)) videoIds.push(named);
  if (videoIds.length > 0) doc.videoIds = videoIds;
  return doc;
}

function toRecord(event: LeanEvent): WebhookEventRecord {
  const { _id, replayOf, workspaceId, videoIds, ...rest } = event;
  return {
    id: _id.toHexString(),
    ...rest,
    ...(workspaceId && { workspaceId: workspaceId.toHexString() }),
    ...(replayOf && { replayOf: replayOf.toHexString() }),
  };
}
