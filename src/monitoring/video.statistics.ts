import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { VIDEO_STATUSES, VideoStatus } from '../common/video-status.js';
import { AIVideoRecord, toRecord } from '../videos/ai-video.repository.js';
import { AIVideo } from '../videos/ai-video.schema.js';
import { failureReasonsPipeline, scopedRange } from './created-window.js';

/**
 * What the dashboard and the monitoring stream count and rank among the videos (a read-side: it
 * never writes). It reads the videos feature's collection through its exported schema, so the
 * feature's repository keeps only what the feature itself does; the indexes stay on the schema.
 */
@Injectable()
export class VideoStatistics {
  constructor(@InjectModel(AIVideo.name) private readonly model: Model<AIVideo>) {}

  /**
   * Videos by status, created in [from, to) when given, in one workspace or all: one count per
   * status, each read from an index ({status, createdAt} or {workspaceId, status, createdAt}).
   */
  async countByStatus(filter: { workspaceId?: string; from?: Date; to?: Date } = {}): Promise<Record<VideoStatus, number>> {
    const base = scopedRange(filter);
    const counts = await Promise.all(VIDEO_STATUSES.map((status) => this.model.countDocuments({ ...base, status }).exec()));
    return Object.fromEntries(VIDEO_STATUSES.map((status, i) => [status, counts[i]])) as Record<VideoStatus, number>;
  }

  /** The videos `generating` longest since RCK took them (oldest send first). */
  async findLongestGenerating(limit: number, workspaceId?: string): Promise<AIVideoRecord[]> {
    const videos = await this.model
      .find({ status: 'generating', 'metadata.dispatchedAt': { $ne: null }, ...(workspaceId && { workspaceId: new Types.ObjectId(workspaceId) }) })
      .sort({ 'metadata.dispatchedAt': 1, _id: 1 })
      .limit(limit)
      .lean<Array<AIVideo & { _id: Types.ObjectId }>>()
      .exec();
    return videos.map(toRecord);
  }

  /** The most frequent `error` of the videos created in [from, to) that failed, most frequent first. */
  async failureReasons(filter: { workspaceId?: string; from: Date; to: Date }, limit: number): Promise<Array<{ reason: string; count: number }>> {
    return this.model.aggregate<{ reason: string; count: number }>(failureReasonsPipeline(filter, limit)).exec();
  }
}
