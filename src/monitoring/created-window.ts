import { PipelineStage, Types } from 'mongoose';

/**
 * Statistics the dashboard reads from videos and reels alike (both have `workspaceId`, `status`,
 * `error` and `createdAt`, indexed as {status, createdAt} and {workspaceId, status, createdAt}).
 */

/** A workspace (when given) and a creation window (when given), as a find filter. */
export function scopedRange(filter: { workspaceId?: string; from?: Date; to?: Date }): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.workspaceId) query.workspaceId = new Types.ObjectId(filter.workspaceId);
  if (filter.from || filter.to) query.createdAt = { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) };
  return query;
}

/** Failed records (videos or reels) created in the window, grouped by their error text; a video's and a reel's alike. */
export function failureReasonsPipeline(filter: { workspaceId?: string; from: Date; to: Date }, limit: number): PipelineStage[] {
  return [
    { $match: { ...scopedRange(filter), status: 'failed' } },
    { $group: { _id: { $substrCP: [{ $ifNull: ['$error', '(no reason recorded)'] }, 0, 300] }, count: { $sum: 1 } } },
    { $sort: { count: -1, _id: 1 } },
    { $limit: limit },
    { $project: { _id: 0, reason: '$_id', count: 1 } },
  ];
}
