import { BadRequestException, Injectable } from '@nestjs/common';
import { JobRunner } from '../jobs/job-runner.js';
import { WEBHOOK_EVENT_STATUSES } from '../inbound-webhook-events/webhook-event.schema.js';
import { DeliveryBucketDto, DeliveryVolumeDto, MonitoringSummaryDto } from './monitoring.dto.js';
import { ReelStatistics } from './reel.statistics.js';
import { VideoStatistics } from './video.statistics.js';
import { bucketMinutesFor, WebhookEventStatistics } from './webhook-event.statistics.js';

const DEFAULT_WINDOW_MS = 24 * 3600_000;
const TOP = 10;
/** A video generating longer than this since RCK took it is stuck, unless the query says otherwise. */
export const DEFAULT_STUCK_AFTER_MINUTES = 30;

/** The dashboard's numbers for a window: counts read from indexes, the rest aggregated in the database. */
@Injectable()
export class MonitoringSummaryService {
  constructor(
    private readonly videos: VideoStatistics,
    private readonly reels: ReelStatistics,
    private readonly jobs: JobRunner,
    private readonly events: WebhookEventStatistics,
  ) {}

  async summary(query: { from?: Date; to?: Date; workspaceId?: string; stuckAfterMinutes?: number }, now = new Date()): Promise<MonitoringSummaryDto> {
    const to = query.to ?? now;
    const from = query.from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS);
    if (from >= to) throw new BadRequestException('from must be before to');
    const filter = { from, to, workspaceId: query.workspaceId };
    const stuckAfterMs = (query.stuckAfterMinutes ?? DEFAULT_STUCK_AFTER_MINUTES) * 60_000;
    const [videos, reels, jobs, longest, videoReasons, reelReasons, deliveries] = await Promise.all([
      this.videos.countByStatus(filter),
      this.reels.countByStatus(filter),
      this.jobs.counts(),
      this.videos.findLongestGenerating(TOP, query.workspaceId),
      this.videos.failureReasons(filter, TOP),
      this.reels.failureReasons(filter, TOP),
      this.deliveryVolume(from, to, query.workspaceId),
    ]);
    // Longest first: once one is under the threshold, every later one is too.
    const stuck = longest.filter((video) => now.getTime() - video.metadata.dispatchedAt!.getTime() >= stuckAfterMs);
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
      stuckAfterMs,
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
      deliveries,
    };
  }

  /** Every bucket of the window (the first one holding `from`), with the deliveries counted in each. */
  private async deliveryVolume(from: Date, to: Date, workspaceId?: string): Promise<DeliveryVolumeDto> {
    const bucketMinutes = bucketMinutesFor(to.getTime() - from.getTime());
    const bucketMs = bucketMinutes * 60_000;
    const counted = await this.events.countByBucket(from, to, bucketMinutes, workspaceId);
    const buckets = new Map<number, DeliveryBucketDto>();
    // Aligned as $dateTrunc aligns them: multiples of the bucket since 2000-01-01 UTC.
    const origin = Date.UTC(2000, 0, 1);
    const first = origin + Math.floor((from.getTime() - origin) / bucketMs) * bucketMs;
    for (let start = first; start < to.getTime(); start += bucketMs) buckets.set(start, emptyBucket(new Date(start)));
    for (const { start, status, count } of counted) {
      const bucket = buckets.get(start.getTime()) ?? emptyBucket(start);
      bucket[status] += count;
      bucket.total += count;
      buckets.set(start.getTime(), bucket);
    }
    return { bucketMinutes, buckets: [...buckets.values()].sort((a, b) => a.start.getTime() - b.start.getTime()) };
  }
}

function emptyBucket(start: Date): DeliveryBucketDto {
  return { start, total: 0, ...(Object.fromEntries(WEBHOOK_EVENT_STATUSES.map((status) => [status, 0])) as Record<(typeof WEBHOOK_EVENT_STATUSES)[number], number>) };
}
