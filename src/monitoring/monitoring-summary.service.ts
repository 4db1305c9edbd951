import { BadRequestException, Injectable } from '@nestjs/common';
import { JobRunner } from '../jobs/job-runner.js';
import { ReelRepository } from '../reels/reel.repository.js';
import { AIVideoRepository } from '../videos/ai-video.repository.js';
import { MonitoringSummaryDto } from './monitoring.dto.js';

const DEFAULT_WINDOW_MS = 24 * 3600_000;
const TOP = 10;

/** The dashboard's numbers for a window: counts read from indexes, the rest aggregated in the database. */
@Injectable()
export class MonitoringSummaryService {
  constructor(
    private readonly videos: AIVideoRepository,
    private readonly reels: ReelRepository,
    private readonly jobs: JobRunner,
  ) {}

  async summary(query: { from?: Date; to?: Date; workspaceId?: string }, now = new Date()): Promise<MonitoringSummaryDto> {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
    if (from >= to) throw new BadRequestException('from must be before to');
    const filter = { from, to, workspaceId: query.workspaceId };
    const [videos, reels, jobs, stuck, videoReasons, reelReasons] = await Promise.all([
      this.videos.countByStatus(filter),
      this.reels.countByStatus(filter),
      this.jobs.counts(),
      this.videos.findLongestGenerating(TOP, query.workspaceId),
      this.videos.failureReasons(filter, TOP),
      this.reels.failureReasons(filter, TOP),
    ]);
    const failureReasons = [
      ...videoReasons.map((r) => ({ kind: 'video' as const, ...r })),
      ...reelReasons.map((r) => ({ kind: 'reel' as const, ...r })),
    ]
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
      .slice(0, TOP);
    return {
      from,
      to,
      ...(query.workspaceId && { workspaceId: query.workspaceId }),
      videos,
      reels,
      jobs,
      stuckGenerating: stuck.map((video) => ({
        videoId: video.id,
        workspaceId: video.workspaceId,
        productId: video.productId,
        template: video.template,
        dispatchedAt: video.metadata.dispatchedAt!,
        generatingForMs: Math.max(0, now.getTime() - video.metadata.dispatchedAt!.getTime()),
        ...(video.metadata.externalJobId && { externalJobId: video.metadata.externalJobId }),
      })),
      failureReasons,
    };
  }
}
