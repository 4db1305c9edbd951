import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Coalescer } from '../database/coalescer.js';
import { VideoBatch } from './video-batch.schema.js';

export interface VideoBatchRecord {
  batchId: string;
  workspaceId: string;
  userId: string;
  total: number;
  digestDueAt: Date;
  digestClaimedAt?: Date;
  digestSentAt?: Date;
  digestCounts?: { completed: number; failed: number; inFlight: number };
  createdAt: Date;
}

type LeanBatch = VideoBatch & { _id: Types.ObjectId };

/** Bulk requests and the once-only claim on their digest. */
@Injectable()
export class VideoBatchRepository {
  constructor(@InjectModel(VideoBatch.name) private readonly model: Model<VideoBatch>) {}

  async create(batch: { batchId: string; workspaceId: string; userId: string; total: number; digestDueAt: Date }, now: Date): Promise<void> {
    await this.model.create({
      ...batch,
      inFlight: batch.total,
      workspaceId: new Types.ObjectId(batch.workspaceId),
      userId: new Types.ObjectId(batch.userId),
      createdAt: now,
    });
  }

  /** Adds `delta` to the batch's in-flight count and answers it (null for an unknown batch). */
  async addInFlight(batchId: string, delta: number): Promise<number | null> {
    return this.inFlightMoves.load({ batchId, delta });
  }

  /**
   * The moves of one batch made together are summed into one update, and each caller gets the
   * count after all of them (the callers act only on a count at 0, which they check exactly).
   */
  private readonly inFlightMoves = new Coalescer<{ batchId: string; delta: number }, number | null>(async (moves) => {
    const sums = new Map<string, number>();
    for (const { batchId, delta } of moves) sums.set(batchId, (sums.get(batchId) ?? 0) + delta);
    const after = new Map<string, number | null | Error>();
    await Promise.all(
      [...sums].map(async ([batchId, delta]) => {
        try {
          const batch = await this.model
            .findOneAndUpdate({ batchId }, { $inc: { inFlight: delta } }, { returnDocument: 'after', projection: { inFlight: 1 } })
            .lean<{ inFlight?: number }>()
            .exec();
          after.set(batchId, batch ? (batch.inFlight ?? 0) : null);
        } catch (error) {
          after.set(batchId, error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    return moves.map(({ batchId }) => after.get(batchId)!);
  });

  /** Sets the in-flight count to an exact count (a drifted hint corrected). */
  async setInFlight(batchId: string, inFlight: number): Promise<void> {
    await this.model.updateOne({ batchId }, { $set: { inFlight } }).exec();
  }

  /** A batch whose videos were never written (the insert failed) needs no digest. */
  async delete(batchId: string): Promise<void> {
    await this.model.deleteOne({ batchId }).exec();
  }

  async findByBatchId(batchId: string): Promise<VideoBatchRecord | null> {
    const batch = await this.model.findOne({ batchId }).lean<LeanBatch>().exec();
    return batch ? toRecord(batch) : null;
  }

  /** Batches whose digest is due by `now` and has not gone out, the earliest first. */
  async findDue(now: Date, limit: number): Promise<VideoBatchRecord[]> {
    const batches = await this.model
      .find({ digestSentAt: null, digestDueAt: { $lte: now } })
      .sort({ digestDueAt: 1 })
      .limit(limit)
      .lean<LeanBatch[]>()
      .exec();
    return batches.map(toRecord);
  }

  /**
   * Takes the right to send the batch's digest: one caller wins, whichever instance it runs on.
   * A claim older than `staleBefore` (its sender crashed) can be taken again.
   */
  async claimDigest(batchId: string, now: Date, staleBefore: Date): Promise<boolean> {
    const result = await this.model
      .updateOne(
        { batchId, digestSentAt: null, $or: [{ digestClaimedAt: null }, { digestClaimedAt: { $lt: staleBefore } }] },
        { $set: { digestClaimedAt: now } },
      )
      .exec();
    return result.modifiedCount === 1;
  }

  /** The claim is given up (sending failed before anything was queued): the next try may take it. */
  async releaseDigest(batchId: string, claimedAt: Date): Promise<void> {
    await this.model.updateOne({ batchId, digestSentAt: null, digestClaimedAt: claimedAt }, { $unset: { digestClaimedAt: 1 } }).exec();
  }

  async markDigestSent(batchId: string, now: Date, counts: { completed: number; failed: number; inFlight: number }): Promise<void> {
    await this.model.updateOne({ batchId }, { $set: { digestSentAt: now, digestCounts: counts } }).exec();
  }
}

function toRecord(batch: LeanBatch): VideoBatchRecord {
  return {
    batchId: batch.batchId,
    workspaceId: batch.workspaceId.toHexString(),
    userId: batch.userId.toHexString(),
    total: batch.total,
    digestDueAt: batch.digestDueAt,
    digestClaimedAt: batch.digestClaimedAt ?? undefined,
    digestSentAt: batch.digestSentAt ?? undefined,
    digestCounts: batch.digestCounts,
    createdAt: batch.createdAt,
  };
}
