import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, PipelineStage, Types } from 'mongoose';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  Reel,
  REEL_DIMENSIONS,
  REEL_GENERATE_HISTORY_LIMIT,
  REEL_HISTORY_LIMIT,
  ReelAspectRatio,
  ReelGenerateAttempt,
  ReelStateChange,
  ReelStatus,
} from './reel.schema.js';

/** A reel as plain data (ids as hex strings). */
export interface ReelRecord {
  id: string;
  userId: string;
  workspaceId: string;
  title: string;
  script: string;
  avatarId: string;
  voiceId: string;
  aspectRatio: ReelAspectRatio;
  dimension: { width: number; height: number };
  status: ReelStatus;
  heygenVideoId?: string;
  videoUrl?: string;
  thumbnailUrl?: string;
  urlsFetchedAt?: Date;
  error?: string;
  approvedBy?: string;
  approvedAt?: Date;
  rejectedBy?: string;
  rejectedAt?: Date;
  rejectionReason?: string;
  generateAttempts: number;
  lastGenerateError?: string;
  lastEventError?: string;
  generateStartedAt?: Date;
  processingAt?: Date;
  lastCheckedAt?: Date;
  completedAt?: Date;
  failedAt?: Date;
  notifyPending: boolean;
  version: number;
  /** State changes, oldest first; empty for a reel requested before they were kept. */
  history: ReelStateChange[];
  /** Calls to HeyGen, oldest first. */
  generateCalls: ReelGenerateAttempt[];
  createdAt: Date;
  updatedAt: Date;
}

export interface NewReel {
  userId: string;
  workspaceId: string;
  title: string;
  script: string;
  avatarId: string;
  voiceId: string;
  aspectRatio: ReelAspectRatio;
}

export interface ReelListFilter {
  status?: ReelStatus;
  /** Only this user's reels. */
  userId?: string;
}

export interface ReelResult {
  videoUrl?: string;
  thumbnailUrl?: string;
}

type LeanReel = Reel & { _id: Types.ObjectId };

/** States a HeyGen answer may still change: success after a failure is applied, failure after success never. */
const COMPLETABLE: ReelStatus[] = ['approved', 'processing', 'failed'];
const FAILABLE: ReelStatus[] = ['approved', 'processing'];

/**
 * Every state change is one conditional update (the filter names the states it may leave), so a
 * double click, two instances or a repeated webhook cannot both win: the loser gets null. The
 * transitions are counted here (videogen_reel_status_transitions_total), the one place every
 * path through which a reel changes (API, generation, webhook, reconciliation) passes, and only
 * when the update won.
 */
@Injectable()
export class ReelRepository {
  constructor(
    @InjectModel(Reel.name) private readonly model: Model<Reel>,
    private readonly metrics: MetricsService,
  ) {}

  async create(reel: NewReel): Promise<ReelRecord> {
    const created = await this.model.create({
      ...reel,
      userId: new Types.ObjectId(reel.userId),
      workspaceId: new Types.ObjectId(reel.workspaceId),
      dimension: REEL_DIMENSIONS[reel.aspectRatio],
      status: 'requested',
      version: 0,
      history: [{ version: 0, status: 'requested', at: new Date(), by: reel.userId }],
    });
    this.metrics.reelEntered('requested');
    return toRecord(created.toObject() as LeanReel);
  }

  async findById(id: string): Promise<ReelRecord | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const reel = await this.model.findById(id).lean<LeanReel>().exec();
    return reel ? toRecord(reel) : null;
  }

  async findInWorkspace(workspaceId: string, id: string): Promise<ReelRecord | null> {
    const reel = await this.model
      .findOne({ _id: new Types.ObjectId(id), workspaceId: new Types.ObjectId(workspaceId) })
      .lean<LeanReel>()
      .exec();
    return reel ? toRecord(reel) : null;
  }

  async findByHeygenVideoId(videoId: string): Promise<ReelRecord | null> {
    const reel = await this.model.findOne({ heygenVideoId: videoId }).lean<LeanReel>().exec();
    return reel ? toRecord(reel) : null;
  }

  async listInWorkspace(workspaceId: string, filter: ReelListFilter, skip: number, limit: number): Promise<{ reels: ReelRecord[]; total: number }> {
    const query: Record<string, unknown> = { workspaceId: new Types.ObjectId(workspaceId) };
    if (filter.userId) query.userId = new Types.ObjectId(filter.userId);
    if (filter.status) query.status = filter.status;
    const [reels, total] = await Promise.all([
      this.model.find(query).sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanReel[]>().exec(),
      this.model.countDocuments(query).exec(),
    ]);
    return { reels: reels.map(toRecord), total };
  }

  /** requested → approved; null when the reel was not `requested` (already decided). */
  approve(id: string, by: string, now: Date): Promise<ReelRecord | null> {
    return this.transition(id, ['requested'], now, { set: { status: 'approved', approvedBy: new Types.ObjectId(by), approvedAt: now }, by });
  }

  /** requested → rejected with the reason; null when the reel was not `requested`. */
  reject(id: string, by: string, reason: string, now: Date): Promise<ReelRecord | null> {
    return this.transition(id, ['requested'], now, {
      set: { status: 'rejected', rejectedBy: new Types.ObjectId(by), rejectedAt: now, rejectionReason: reason },
      reason,
      by,
    });
  }

  /** A generate call is about to start: the first one's time is kept (see `generateStartedAt`). */
  async markGenerateStarted(id: string, now: Date): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id), generateStartedAt: { $exists: false } }, { $set: { generateStartedAt: now } }).exec();
  }

  /**
   * A generate call failed (or, with `countAttempt` false, the look-up before one): the reel stays
   * `approved`, with the error visible.
   */
  async markGenerateFailed(id: string, reason: string, countAttempt = true, now = new Date()): Promise<void> {
    const call = { at: now, kind: countAttempt ? 'generate' : 'lookup', ok: false, error: reason };
    await this.model
      .updateOne(
        { _id: new Types.ObjectId(id), status: 'approved' },
        {
          $set: { lastGenerateError: reason },
          ...(countAttempt && { $inc: { generateAttempts: 1 } }),
          $push: { generateCalls: { $each: [call], $slice: -REEL_GENERATE_HISTORY_LIMIT } },
        },
      )
      .exec();
  }

  /**
   * HeyGen took the reel: record its video id; approved → processing. A webhook may have come
   * first (a fast HeyGen, found by callback_id): its state is never overwritten.
   */
  async markProcessing(id: string, heygenVideoId: string, now: Date, countAttempt = true): Promise<ReelRecord | null> {
    const _id = new Types.ObjectId(id);
    // The call is recorded with the video id it gave (not when a webhook recorded another first).
    const call = { at: now, kind: countAttempt ? 'generate' : 'lookup', ok: true, heygenVideoId };
    await this.model
      .updateOne(
        { _id, heygenVideoId: { $exists: false } },
        {
          $set: { heygenVideoId },
          ...(countAttempt && { $inc: { generateAttempts: 1 } }),
          $push: { generateCalls: { $each: [call], $slice: -REEL_GENERATE_HISTORY_LIMIT } },
        },
      )
      .exec();
    return this.transition(id, ['approved'], now, { set: { status: 'processing', processingAt: now }, unset: ['lastGenerateError'] });
  }

  /**
   * → completed with HeyGen's URLs; null when the reel was already completed (or never approved).
   * The video id is recorded when the webhook came before generate's answer.
   */
  complete(id: string, result: ReelResult, now: Date, heygenVideoId?: string): Promise<ReelRecord | null> {
    return this.transition(
      id,
      COMPLETABLE,
      now,
      {
        set: {
          status: 'completed',
          completedAt: now,
          notifyPending: true,
          ...(result.videoUrl !== undefined && { videoUrl: result.videoUrl, urlsFetchedAt: now }),
          ...(result.thumbnailUrl !== undefined && { thumbnailUrl: result.thumbnailUrl }),
          ...(heygenVideoId !== undefined && { heygenVideoId }),
        },
        unset: ['error', 'failedAt', 'lastGenerateError', 'lastEventError'],
      },
      heygenVideoId,
    );
  }

  /**
   * HeyGen's success could not be applied (its URLs unusable): say why on a reel it could still
   * complete. Its state does not change, so nothing is counted or owed.
   */
  async noteRefusedEvent(id: string, reason: string): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id), status: { $in: COMPLETABLE } }, { $set: { lastEventError: reason } }).exec();
  }

  /** → failed with the reason; null when already failed, or completed (a late failure never wins). */
  fail(id: string, reason: string, now: Date, heygenVideoId?: string): Promise<ReelRecord | null> {
    return this.transition(
      id,
      FAILABLE,
      now,
      {
        set: { status: 'failed', error: reason, failedAt: now, notifyPending: true, ...(heygenVideoId !== undefined && { heygenVideoId }) },
        unset: ['lastEventError'],
        reason,
      },
      heygenVideoId,
    );
  }

  /** Fresh URLs from HeyGen's status API (the old ones expire after 7 days). */
  async refreshUrls(id: string, result: ReelResult, now: Date): Promise<ReelRecord | null> {
    const reel = await this.model
      .findOneAndUpdate(
        { _id: new Types.ObjectId(id), status: 'completed' },
        { $set: { videoUrl: result.videoUrl, urlsFetchedAt: now, ...(result.thumbnailUrl !== undefined && { thumbnailUrl: result.thumbnailUrl }) } },
        { returnDocument: 'after' },
      )
      .lean<LeanReel>()
      .exec();
    return reel ? toRecord(reel) : null;
  }

  /** Reels `processing` since before `cutoff` and not asked about since, oldest first. */
  async findStaleProcessing(cutoff: Date, limit: number): Promise<ReelRecord[]> {
    const reels = await this.model
      .find({
        status: 'processing',
        processingAt: { $lt: cutoff },
        $or: [{ lastCheckedAt: { $exists: false } }, { lastCheckedAt: { $lt: cutoff } }],
      })
      .sort({ processingAt: 1 })
      .limit(limit)
      .lean<LeanReel[]>()
      .exec();
    return reels.map(toRecord);
  }

  async markChecked(id: string, now: Date): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id) }, { $set: { lastCheckedAt: now } }).exec();
  }

  /** Reels whose e-mail was not queued (a crash right after the state change). */
  async findNotifyPending(updatedBefore: Date, limit: number): Promise<ReelRecord[]> {
    const reels = await this.model
      .find({ notifyPending: true, updatedAt: { $lt: updatedBefore } })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<LeanReel[]>()
      .exec();
    return reels.map(toRecord);
  }

  /** The e-mail for this state is queued (a later state change sets the flag again). */
  async markNotified(id: string, status: ReelStatus): Promise<void> {
    await this.model.updateOne({ _id: new Types.ObjectId(id), status }, { $set: { notifyPending: false } }, { timestamps: false }).exec();
  }

  /**
   * One state change, applied only from the states in `from`: an update pipeline that also bumps
   * `version` and pushes the history entry of the version it makes, read from the document itself
   * (the filter names states, not a version). Mongoose sets `updatedAt` in a stage of its own.
   */
  private async transition(
    id: string,
    from: ReelStatus[],
    at: Date,
    change: { set: Record<string, unknown> & { status: ReelStatus }; unset?: string[]; reason?: string; by?: string },
    heygenVideoId?: string,
  ): Promise<ReelRecord | null> {
    const filter: Record<string, unknown> = { _id: new Types.ObjectId(id), status: { $in: from } };
    // Never attach a webhook's video id to a reel that already has another one.
    if (heygenVideoId !== undefined) filter.$or = [{ heygenVideoId: { $exists: false } }, { heygenVideoId }];
    const version = { $add: [{ $ifNull: ['$version', 0] }, 1] };
    const entry = {
      version,
      status: { $literal: change.set.status },
      at: { $literal: at },
      ...(change.reason !== undefined && { reason: { $literal: change.reason } }),
      ...(change.by !== undefined && { by: { $literal: change.by } }),
    };
    const pipeline = [
      // The entry first, then the bump: each stage reads the document as the one before left it.
      { $set: { history: { $slice: [{ $concatArrays: [{ $ifNull: ['$history', []] }, [entry]] }, -REEL_HISTORY_LIMIT] } } },
      {
        $set: {
          // Values as given, never read as expressions (a URL or reason may start with `$`).
          ...Object.fromEntries(Object.entries(change.set).map(([field, value]) => [field, { $literal: value }])),
          version,
        },
      },
      ...(change.unset && change.unset.length > 0 ? [{ $unset: change.unset }] : []),
    ] as PipelineStage[];
    const reel = await this.model.findOneAndUpdate(filter, pipeline, { returnDocument: 'after', updatePipeline: true }).lean<LeanReel>().exec();
    if (!reel) return null;
    this.metrics.reelEntered(reel.status);
    return toRecord(reel);
  }
}

function toRecord(reel: LeanReel): ReelRecord {
  return {
    id: reel._id.toHexString(),
    userId: reel.userId.toHexString(),
    workspaceId: reel.workspaceId.toHexString(),
    title: reel.title,
    script: reel.script,
    avatarId: reel.avatarId,
    voiceId: reel.voiceId,
    aspectRatio: reel.aspectRatio,
    dimension: { width: reel.dimension.width, height: reel.dimension.height },
    status: reel.status,
    heygenVideoId: reel.heygenVideoId,
    videoUrl: reel.videoUrl,
    thumbnailUrl: reel.thumbnailUrl,
    urlsFetchedAt: reel.urlsFetchedAt,
    error: reel.error,
    approvedBy: reel.approvedBy?.toHexString(),
    approvedAt: reel.approvedAt,
    rejectedBy: reel.rejectedBy?.toHexString(),
    rejectedAt: reel.rejectedAt,
    rejectionReason: reel.rejectionReason,
    generateAttempts: reel.generateAttempts ?? 0,
    lastGenerateError: reel.lastGenerateError,
    lastEventError: reel.lastEventError,
    generateStartedAt: reel.generateStartedAt,
    processingAt: reel.processingAt,
    lastCheckedAt: reel.lastCheckedAt,
    completedAt: reel.completedAt,
    failedAt: reel.failedAt,
    notifyPending: reel.notifyPending ?? false,
    version: reel.version ?? 0,
    history: reel.history ?? [],
    generateCalls: reel.generateCalls ?? [],
    createdAt: reel.createdAt,
    updatedAt: reel.updatedAt,
  };
}
