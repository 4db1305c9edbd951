import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model, mongo, PipelineStage, QueryFilter, Types, UpdateQuery } from 'mongoose';
import { VideoStatus } from '../common/video-status.js';
import { Coalescer } from '../database/coalescer.js';
import { insertOutcomes } from '../database/insert-each.js';
import { AIVideo, AIVideoMetadata, DISPATCH_HISTORY_LIMIT, OwedEffects, OwedEvent, STATE_HISTORY_LIMIT, StateChange } from './ai-video.schema.js';

export type AIVideoMetadataRecord = AIVideoMetadata;

/** An AIVideo as plain data (docs/contracts/rck.md#video-states). */
export interface AIVideoRecord {
  id: string;
  userId: string;
  workspaceId: string;
  productId: string;
  template: string;
  status: VideoStatus;
  error?: string;
  metadata: AIVideoMetadataRecord;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewAIVideo {
  userId: string;
  workspaceId: string;
  productId: string;
  templateId: string;
  templateName: string;
  aspectRatio: string;
  batchId: string;
  quotaPeriod: string;
  queuedAt: Date;
}

export interface CompletionResult {
  youtubeVideoId?: string;
  localFilename?: string;
  videoUrl?: string;
  imgS3Url?: string;
}

export interface VideoListFilter {
  status?: VideoStatus;
  productId?: string;
}

type LeanVideo = AIVideo & { _id: Types.ObjectId };

/** What settleOwed writes, as stored. */
interface StoredOwing {
  _id: Types.ObjectId;
  updatedAt: Date;
  metadata: { owed?: OwedEffects[] };
}

const IN_FLIGHT: VideoStatus[] = ['pending', 'generating'];

/**
 * Every state change of a video is one conditional update on its document (so concurrent
 * callbacks, sweeps and retries cannot both win), bumps `metadata.version` and clears
 * `metadata.productSynced`: the product-side copy is then brought in step, guarded by that
 * version, and a crash in between is repaired from `findUnsynced`.
 */
@Injectable()
export class AIVideoRepository {
  constructor(@InjectModel(AIVideo.name) private readonly model: Model<AIVideo>) {}

  /** One `insertMany` for the whole batch; status `generating`: they are being sent to RCK. */
  async insertBatch(videos: NewAIVideo[], now = new Date()): Promise<AIVideoRecord[]> {
    const docs = videos.map((video) => ({
      _id: new Types.ObjectId(),
      userId: new Types.ObjectId(video.userId),
      workspaceId: new Types.ObjectId(video.workspaceId),
      productId: new Types.ObjectId(video.productId),
      template: video.templateName,
      status: 'generating' as const,
      metadata: {
        templateId: video.templateId,
        templateName: video.templateName,
        queuedAt: video.queuedAt,
        aspect_ratio: video.aspectRatio,
        batchId: video.batchId,
        dispatchAttempts: 0,
        retryCount: 0,
        quotaPeriod: video.quotaPeriod,
        quotaHeld: true,
        // Not yet mirrored on the products: the batch's product write sets this.
        productSynced: false,
        version: 0,
        history: [{ version: 0, status: 'generating' as const, at: now }],
      },
      // A lean insertMany skips Mongoose's hydration, validation and timestamps; the documents
      // are complete here, so it only saves time.
      createdAt: now,
      updatedAt: now,
    }));
    const inserted = await this.model.insertMany(docs, { lean: true });
    return (inserted as unknown as LeanVideo[]).map(toRecord);
  }

  async findById(id: string): Promise<AIVideoRecord | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const video = await this.byId.load(new Types.ObjectId(id).toHexString());
    return video ? toRecord(video) : null;
  }

  /**
   * Every RCK callback starts with findById, so the collection is asked directly (an _id needs no
   * casting, and a lean read is the stored document as it is), once for the callbacks that
   * arrive together.
   */
  private readonly byId = new Coalescer<string, LeanVideo | null>(async (ids) => {
    const unique = [...new Set(ids)];
    const filter = unique.length === 1 ? { _id: new Types.ObjectId(unique[0]) } : { _id: { $in: unique.map((id) => new Types.ObjectId(id)) } };
    const videos = await this.model.collection.find<LeanVideo>(filter).toArray();
    const byId = new Map(videos.map((video) => [video._id.toHexString(), video]));
    return ids.map((id) => byId.get(id) ?? null);
  });

  async findInWorkspace(workspaceId: string, id: string): Promise<AIVideoRecord | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const video = await this.model
      .findOne({ _id: new Types.ObjectId(id), workspaceId: new Types.ObjectId(workspaceId) })
      .lean<LeanVideo>()
      .exec();
    return video ? toRecord(video) : null;
  }

  async findManyByIds(ids: string[]): Promise<AIVideoRecord[]> {
    const videos = await this.model
      .find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) } })
      .lean<LeanVideo[]>()
      .exec();
    return videos.map(toRecord);
  }

  /** Every video of one bulk request (the digest), oldest first. */
  async findByBatch(batchId: string): Promise<AIVideoRecord[]> {
    const videos = await this.model.find({ 'metadata.batchId': batchId }).sort({ _id: 1 }).lean<LeanVideo[]>().exec();
    return videos.map(toRecord);
  }

  /** How many videos of the batch are still in flight (pending or generating). */
  async countInFlight(batchId: string): Promise<number> {
    return this.model.countDocuments({ 'metadata.batchId': batchId, status: { $in: IN_FLIGHT } }).exec();
  }

  async listInWorkspace(
    workspaceId: string,
    filter: VideoListFilter,
    skip: number,
    limit: number,
  ): Promise<{ videos: AIVideoRecord[]; total: number }> {
    const query: Record<string, unknown> = { workspaceId: new Types.ObjectId(workspaceId) };
    if (filter.status) query.status = filter.status;
    if (filter.productId) query.productId = new Types.ObjectId(filter.productId);
    const [videos, total] = await Promise.all([
      this.model.find(query).sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanVideo[]>().exec(),
      this.model.countDocuments(query).exec(),
    ]);
    return { videos: videos.map(toRecord), total };
  }

  /**
   * RCK took these videos: record each job id and move the ones still in flight to `generating`.
   * A callback may already have arrived (a fast generator); its state is never overwritten.
   */
  async markDispatched(assignments: Array<{ id: string; externalJobId?: string }>, now = new Date()): Promise<void> {
    if (assignments.length === 0) return;
    const operations: AnyBulkWriteOperation<AIVideo>[] = assignments.flatMap(({ id, externalJobId }) => {
      const _id = new Types.ObjectId(id);
      return [
        {
          updateOne: {
            filter: { _id },
            update: {
              $set: { 'metadata.dispatchedAt': now, ...(externalJobId !== undefined && { 'metadata.externalJobId': externalJobId }) },
              $inc: { 'metadata.dispatchAttempts': 1 },
              $push: { 'metadata.dispatches': dispatchAttempt({ at: now, ok: true, ...(externalJobId !== undefined && { externalJobId }) }) },
            },
          },
        },
        {
          updateOne: {
            filter: { _id, status: 'pending' },
            update: enterStatus('generating', now, { unset: ['metadata.lastDispatchError'] }),
          },
        },
      ];
    });
    await this.model.bulkWrite(operations, { ordered: true });
  }

  /**
   * Sends to RCK failed: the videos wait as `pending` (not yet sent) with the reason. One
   * bulkWrite for every refused chunk, each with its own reason.
   */
  async markDispatchFailed(refusals: Array<{ ids: string[]; reason: string }>, now = new Date()): Promise<void> {
    if (refusals.length === 0) return;
    const operations: AnyBulkWriteOperation<AIVideo>[] = refusals.flatMap(({ ids, reason }) => {
      const _ids = ids.map((id) => new Types.ObjectId(id));
      return [
        {
          updateMany: {
            filter: { _id: { $in: _ids }, status: { $in: IN_FLIGHT } },
            update: {
              $set: { 'metadata.lastDispatchError': reason },
              $inc: { 'metadata.dispatchAttempts': 1 },
              $push: { 'metadata.dispatches': dispatchAttempt({ at: now, ok: false, error: reason }) },
            },
          },
        },
        {
          updateMany: {
            filter: { _id: { $in: _ids }, status: 'generating' },
            update: enterStatus('pending', now, { reason }),
          },
        },
      ];
    });
    await this.model.bulkWrite(operations, { ordered: true });
  }

  /** Pending videos among `ids` (those a dispatch attempt should still send). */
  async findPending(ids: string[]): Promise<AIVideoRecord[]> {
    const videos = await this.model
      .find({ _id: { $in: ids.map((id) => new Types.ObjectId(id)) }, status: 'pending' })
      .lean<LeanVideo[]>()
      .exec();
    return videos.map(toRecord);
  }

  /**
   * RCK never took these videos: they fail and owe `video.failed` and, when they held one, their
   * quota unit back to the workspace. Answers the videos this call changed, as they were before.
   */
  async abandonPending(ids: string[], reason: string, options: { now?: Date; idleSince?: Date } = {}): Promise<AIVideoRecord[]> {
    const now = options.now ?? new Date();
    const pending = { status: 'pending' as const, ...(options.idleSince && { updatedAt: { $lt: options.idleSince } }) };
    const _ids = ids.map((id) => new Types.ObjectId(id));
    const candidates = await this.model.find({ _id: { $in: _ids }, ...pending }).lean<LeanVideo[]>().exec();
    const changed: AIVideoRecord[] = [];
    for (const candidate of candidates.map(toRecord)) {
      // One conditional update each, at the version read: a callback or a manual fail racing this one wins cleanly.
      const updated = await this.model
        .findOneAndUpdate(
          { _id: new Types.ObjectId(candidate.id), ...pending, 'metadata.version': candidate.metadata.version },
          {
            $set: {
              status: 'failed',
              error: reason,
              'metadata.failedAt': now,
              'metadata.quotaHeld': false,
              'metadata.productSynced': false,
            },
            $inc: { 'metadata.version': 1 },
            $push: {
              'metadata.owed': {
                ...owedFailure(candidate, reason, now, false),
                ...(candidate.metadata.quotaHeld && { quotaPeriod: candidate.metadata.quotaPeriod }),
              },
              'metadata.history': stateChange(candidate, 'failed', now, { reason }),
            },
          },
          { returnDocument: 'before' },
        )
        .lean<LeanVideo>()
        .exec();
      if (updated) changed.push(toRecord(updated));
    }
    return changed;
  }

  /**
   * RCK's success callback on `video` as it was read: completes it and records `video.completed`
   * as owed, in one update conditional on the version read (a change in between is read again
   * and decided afresh). Null when the video is, or meanwhile became, completed.
   */
  async complete(video: AIVideoRecord, result: CompletionResult, now = new Date()): Promise<AIVideoRecord | null> {
    return this.changeAtVersion(video, (current) => {
      if (current.status === 'completed') return null;
      const set: Record<string, unknown> = { status: 'completed', 'metadata.completedAt': now, 'metadata.productSynced': false };
      const metadata = { ...current.metadata };
      for (const [key, value] of Object.entries(result)) {
        if (value === undefined) continue;
        set[`metadata.${key}`] = value;
        (metadata as unknown as Record<string, unknown>)[key] = value;
      }
      const { videoUrl, youtubeVideoId, imgS3Url } = metadata;
      const data = { videoId: current.id, productId: current.productId, videoUrl, youtubeVideoId, imgS3Url, completedAt: now };
      return {
        filter: { status: { $ne: 'completed' } },
        update: {
          $set: set,
          $unset: { error: 1 },
          $push: {
            'metadata.owed': owed(current, now, { event: 'video.completed', data, inFlight: inFlightDelta(current, 'completed') }),
            'metadata.history': stateChange(current, 'completed', now),
          },
        },
      };
    });
  }

  /**
   * A failure of `video` as it was read (RCK's callback, a superadmin, the orphan sweep) while it
   * is in flight, recording `video.failed` (and a chat notice when `chat`) as owed; null when it
   * is, or meanwhile reached, a final state. With `orphanedBefore`, only if it is still orphaned
   * at the version read (a change in between means it is not).
   */
  async fail(
    video: AIVideoRecord,
    error: string,
    options: { now?: Date; failedBy?: string; orphanedBefore?: Date; chat?: boolean } = {},
  ): Promise<AIVideoRecord | null> {
    const now = options.now ?? new Date();
    return this.changeAtVersion(video, (current) => {
      if (current.status !== 'pending' && current.status !== 'generating') return null;
      if (options.orphanedBefore && current.metadata.version !== video.metadata.version) return null;
      return {
        filter: options.orphanedBefore ? orphanFilter(options.orphanedBefore) : { status: { $in: IN_FLIGHT } },
        update: {
          $set: {
            status: 'failed',
            error,
            'metadata.failedAt': now,
            'metadata.productSynced': false,
            ...(options.failedBy && { 'metadata.failedBy': options.failedBy }),
          },
          $push: {
            'metadata.owed': owedFailure(current, error, now, options.chat ?? false),
            'metadata.history': stateChange(current, 'failed', now, { reason: error, ...(options.failedBy && { by: options.failedBy }) }),
          },
        },
      };
    });
  }

  /**
   * One state change decided on the video as read and applied only at that version (bumping it),
   * so what it records as owed is exactly what that version owes. A change that lost the race is
   * decided again on the video as it now is; `decide` answering null means no change is due.
   */
  private async changeAtVersion(
    video: AIVideoRecord,
    decide: (current: AIVideoRecord) => { filter: QueryFilter<AIVideo>; update: UpdateQuery<AIVideo> } | null,
  ): Promise<AIVideoRecord | null> {
    let current: AIVideoRecord | null = video;
    for (let round = 0; current && round < 20; round++) {
      const change = decide(current);
      if (!change) return null;
      const updated = await this.model
        .findOneAndUpdate(
          { ...change.filter, _id: new Types.ObjectId(current.id), 'metadata.version': current.metadata.version },
          { ...change.update, $inc: { ...(change.update.$inc as object), 'metadata.version': 1 } },
          { returnDocument: 'after' },
        )
        .lean<LeanVideo>()
        .exec();
      if (updated) return toRecord(updated);
      current = await this.findById(current.id);
    }
    if (current) throw new Error(`Video ${video.id} kept changing; its change was not applied`);
    return null;
  }

  /** The effects of `version` are paid: no longer owed. */
  async settleOwed(id: string, version: number): Promise<void> {
    // Cast here, so that an id that is no ObjectId fails its own call only.
    await this.settlements.load({ _id: new Types.ObjectId(id), version });
  }

  /**
   * Every state change's request settles what it paid, so the settlements made together share
   * one unordered bulk write on the collection (as Mongoose would, it sets `updatedAt`), each
   * statement standing or failing alone as an update of its own would.
   */
  private readonly settlements = new Coalescer<{ _id: Types.ObjectId; version: number }, void>(async (settled) => {
    const now = new Date();
    const statements = settled.map(({ _id, version }) => ({
      updateOne: { filter: { _id }, update: { $set: { updatedAt: now }, $pull: { 'metadata.owed': { version } } } },
    }));
    try {
      // Typed with the stored shape: the driver's types refuse $pull on a nested path of an untyped document.
      await (this.model.collection as unknown as mongo.Collection<StoredOwing>).bulkWrite(statements, { ordered: false });
      return settled.map(() => undefined);
    } catch (error) {
      // Errors of single statements (reported like an unordered insert's) fail only their
      // callers; anything else (the database unreachable, a write concern missed), all of them.
      const outcomes = insertOutcomes(settled.length, error, { reportDuplicates: true });
      if (!outcomes) throw error;
      return outcomes;
    }
  });

  /** Videos owing effects recorded before `before` (what a crash left unpaid), the oldest first. */
  async findOwed(before: Date, limit: number): Promise<AIVideoRecord[]> {
    const videos = await this.model.find({ 'metadata.owed.at': { $lt: before } }).sort({ 'metadata.owed.at': 1 }).limit(limit).lean<LeanVideo[]>().exec();
    return videos.map(toRecord);
  }

  /**
   * Videos stuck since before `cutoff`: `generating` with no callback since RCK took them (or
   * since they were created, when a crash kept us from recording the send), and `pending` ones
   * nothing has tried to send since (a crash between a refused send and its retry job).
   */
  async findOrphans(cutoff: Date, limit: number): Promise<AIVideoRecord[]> {
    const videos = await this.model
      .find({ $or: [orphanFilter(cutoff), { status: 'pending' as const, updatedAt: { $lt: cutoff } }] })
      .limit(limit)
      .lean<LeanVideo[]>()
      .exec();
    return videos.map(toRecord);
  }

  /**
   * A user's retry of a failed video: back to `pending` as a new attempt, unless it is past the
   * retry limit or something else changed it first. `takesQuota` says a unit was reserved for it.
   */
  async startRetry(video: AIVideoRecord, maxRetries: number, quota: { period: string } | undefined, now = new Date()): Promise<AIVideoRecord | null> {
    const retried = await this.model
      .findOneAndUpdate(
        {
          _id: new Types.ObjectId(video.id),
          'metadata.version': video.metadata.version,
          status: 'failed',
          'metadata.retryCount': { $lt: maxRetries },
          'metadata.quotaHeld': quota ? false : true,
        },
        {
          $set: {
            status: 'pending',
            'metadata.dispatchAttempts': 0,
            'metadata.productSynced': false,
            'metadata.attemptStartedAt': now,
            ...(quota && { 'metadata.quotaHeld': true, 'metadata.quotaPeriod': quota.period }),
          },
          $unset: {
            error: 1,
            'metadata.failedAt': 1,
            'metadata.failedBy': 1,
            'metadata.lastDispatchError': 1,
            'metadata.externalJobId': 1,
            'metadata.dispatchedAt': 1,
          },
          $inc: { 'metadata.retryCount': 1, 'metadata.version': 1 },
          // Back in flight: the batch counts it again.
          $push: {
            'metadata.owed': owed(video, now, { inFlight: inFlightDelta(video, 'pending') }),
            'metadata.history': stateChange(video, 'pending', now, { reason: 'Retried' }),
          },
        },
        { returnDocument: 'after' },
      )
      .lean<LeanVideo>()
      .exec();
    return retried ? toRecord(retried) : null;
  }

  /** The product copies now show these versions (a video changed since stays unsynced). */
  async markProductsSynced(synced: Array<{ id: string; version: number }>): Promise<void> {
    if (synced.length === 0) return;
    // Cast here, so that an id that is no ObjectId fails its own call only.
    const marks = synced.map(({ id, version }) => ({ _id: new Types.ObjectId(id), version }));
    await Promise.all(marks.map((mark) => this.syncMarks.load(mark)));
  }

  /** The marks made together (one per paying request under load) share one unordered bulk write. */
  private readonly syncMarks = new Coalescer<{ _id: Types.ObjectId; version: number }, void>(async (marks) => {
    try {
      await this.model.bulkWrite(
        marks.map(({ _id, version }) => ({
          updateOne: { filter: { _id, 'metadata.version': version }, update: { $set: { 'metadata.productSynced': true } } },
        })),
        { ordered: false },
      );
      return marks.map(() => undefined);
    } catch (error) {
      const outcomes = insertOutcomes(marks.length, error, { reportDuplicates: true });
      if (!outcomes) throw error;
      return outcomes;
    }
  });

  /** Videos whose product copy may lag behind (a crash between the two writes). */
  async findUnsynced(updatedBefore: Date, limit: number): Promise<AIVideoRecord[]> {
    const videos = await this.model
      .find({ 'metadata.productSynced': false, updatedAt: { $lt: updatedBefore } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<LeanVideo[]>()
      .exec();
    return videos.map(toRecord);
  }
}

/** What the change of `video` (as read) to its next version owes. */
function owed(video: AIVideoRecord, at: Date, effects: Omit<OwedEffects, 'version' | 'at'>): OwedEffects {
  return { version: video.metadata.version + 1, at, ...effects };
}

/**
 * The history entry of the change of `video` (as read) to its next version, for a `$push` in the
 * update that makes it; the oldest entries beyond STATE_HISTORY_LIMIT go.
 */
function stateChange(video: AIVideoRecord, status: VideoStatus, at: Date, details: Pick<StateChange, 'reason' | 'by'> = {}) {
  return { $each: [{ version: video.metadata.version + 1, status, at, ...details }], $slice: -STATE_HISTORY_LIMIT };
}

function dispatchAttempt(attempt: { at: Date; ok: boolean; externalJobId?: string; error?: string }) {
  return { $each: [attempt], $slice: -DISPATCH_HISTORY_LIMIT };
}

/**
 * A state change applied by a filter that does not pin the version (dispatch's bulk updates of
 * many videos): an update pipeline, so the history entry records the version the same update
 * makes, read from the document itself. Mongoose sets `updatedAt` in a stage of its own.
 */
function enterStatus(status: VideoStatus, at: Date, options: { unset?: string[]; reason?: string } = {}): PipelineStage[] {
  const version = { $add: [{ $ifNull: ['$metadata.version', 0] }, 1] };
  const change = { version, status: { $literal: status }, at: { $literal: at }, ...(options.reason !== undefined && { reason: { $literal: options.reason } }) };
  return [
    // The entry first, then the bump: each stage reads the document as the one before left it.
    { $set: { 'metadata.history': { $slice: [{ $concatArrays: [{ $ifNull: ['$metadata.history', []] }, [change]] }, -STATE_HISTORY_LIMIT] } } },
    { $set: { status: { $literal: status }, 'metadata.productSynced': false, 'metadata.version': version } },
    ...(options.unset && options.unset.length > 0 ? [{ $unset: options.unset }] : []),
  ] as PipelineStage[];
}

/** How the batch's in-flight count moves when `video` (as read) enters `status`. */
function inFlightDelta(video: AIVideoRecord, status: VideoStatus): number {
  return Number(IN_FLIGHT.includes(status)) - Number(IN_FLIGHT.includes(video.status));
}

function owedFailure(video: AIVideoRecord, error: string, at: Date, chat: boolean): OwedEffects {
  return owed(video, at, {
    event: 'video.failed',
    data: { videoId: video.id, productId: video.productId, error },
    inFlight: inFlightDelta(video, 'failed'),
    ...(chat && { chat }),
  });
}

/** `generating` with no news since `cutoff`: measured from the send, or from creation without one. */
function orphanFilter(cutoff: Date): QueryFilter<AIVideo> {
  return {
    status: 'generating',
    $or: [
      { 'metadata.dispatchedAt': { $lt: cutoff } },
      { 'metadata.dispatchedAt': { $exists: false }, createdAt: { $lt: cutoff } },
    ],
  };
}

export function toRecord(video: LeanVideo): AIVideoRecord {
  return {
    id: video._id.toHexString(),
    userId: video.userId.toHexString(),
    workspaceId: video.workspaceId.toHexString(),
    productId: video.productId.toHexString(),
    template: video.template,
    status: video.status,
    ...(video.error !== undefined && { error: video.error }),
    metadata: { ...video.metadata, version: video.metadata.version ?? 0 },
    createdAt: video.createdAt,
    updatedAt: video.updatedAt,
  };
}
