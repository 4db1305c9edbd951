import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, PipelineStage, Types } from 'mongoose';
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
   * Time from `metadata.queuedAt` to `metadata.completedAt` of the videos completed in
   * [from, to): how many, the average and the nearest-rank 95th percentile, computed in the
   * database (sorted durations, then the element at rank ⌈0.95·n⌉), which mongod and the wire
   * server both do exactly, unlike `$percentile`'s approximation.
   */
  async generationTimes(from: Date, to: Date, workspaceId?: string): Promise<{ videos: number; averageMs: number | null; p95Ms: number | null }> {
    const [result] = await this.model.aggregate<{ videos: number; averageMs: number; p95Ms: number }>(generationTimesPipeline(from, to, workspaceId)).exec();
    return result ? { videos: result.videos, averageMs: Number(result.averageMs), p95Ms: Number(result.p95Ms) } : { videos: 0, averageMs: null, p95Ms: null };
  }

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

/** The aggregation behind generationTimes (exported for the index-use test). */
export function generationTimesPipeline(from: Date, to: Date, workspaceId?: string): PipelineStage[] {
  return [
    {
      $match: {
        ...(workspaceId && { workspaceId: new Types.ObjectId(workspaceId) }),
        status: 'completed',
        'metadata.completedAt': { $gte: from, $lt: to },
      },
    },
    { $project: { _id: 0, ms: { $subtract: ['$metadata.completedAt', '$metadata.queuedAt'] } } },
    { $sort: { ms: 1 } },
    { $group: { _id: null, videos: { $sum: 1 }, averageMs: { $avg: '$ms' }, durations: { $push: '$ms' } } },
    {
      $project: {
        _id: 0,
        videos: 1,
        averageMs: 1,
        p95Ms: { $arrayElemAt: ['$durations', { $subtract: [{ $ceil: { $divide: [{ $multiply: ['$videos', 95] }, 100] } }, 1] }] },
      },
    },
  ];
}
