import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Reel, REEL_STATUSES, ReelStatus } from '../reels/reel.schema.js';
import { failureReasonsPipeline, scopedRange } from './created-window.js';

/**
 * What the dashboard and the monitoring stream count among the reels (a read-side: it never
 * writes), read through the reels feature's exported schema and its indexes.
 */
@Injectable()
export class ReelStatistics {
  constructor(@InjectModel(Reel.name) private readonly model: Model<Reel>) {}

  /** Reels by status, created in [from, to) when given, in one workspace or all (one index count per status). */
  async countByStatus(filter: { workspaceId?: string; from?: Date; to?: Date } = {}): Promise<Record<ReelStatus, number>> {
    const base = scopedRange(filter);
    const counts = await Promise.all(REEL_STATUSES.map((status) => this.model.countDocuments({ ...base, status }).exec()));
    return Object.fromEntries(REEL_STATUSES.map((status, i) => [status, counts[i]])) as Record<ReelStatus, number>;
  }

  /** The most frequent `error` of the reels created in [from, to) that failed. */
  async failureReasons(filter: { workspaceId?: string; from: Date; to: Date }, limit: number): Promise<Array<{ reason: string; count: number }>> {
    return this.model.aggregate<{ reason: string; count: number }>(failureReasonsPipeline(filter, limit)).exec();
  }
}
