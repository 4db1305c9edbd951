import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { errorMessage } from '../common/error-message.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { videosConfig, type VideosConfig } from './videos.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { ChatEvent } from '../notifications/chat-messages.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { UserRepository } from '../users/user.repository.js';
import { messageIdFor, OutboundEvents } from '../outbound-webhooks/outbound-events.js';
import { AIVideoRecord, AIVideoRepository } from './ai-video.repository.js';
import { VideoBatchRecord, VideoBatchRepository } from './video-batch.repository.js';

export const BATCH_DIGEST_JOB = 'videos.batch-digest';
/** A claim on a digest older than this is presumed lost with its instance and may be taken again. */
export const DIGEST_CLAIM_LEASE_MS = 5 * 60_000;
/** Due batches the sweep sends per run, the earliest first. */
const SWEEP_LIMIT = 200;

interface DigestJobData {
  batchId: string;
}

/** The digest of one bulk request, as the e-mail (and the chat message and batch.completed) tell it. */
export interface BatchDigest {
  batch: VideoBatchRecord;
  completed: AIVideoRecord[];
  failed: AIVideoRecord[];
  inFlight: AIVideoRecord[];
}

/**
 * One e-mail per bulk request to its requester, when every video has reached a final state or
 * BATCH_DIGEST_AFTER_MINUTES after the request, whichever comes first. A state change that may
 * have finished a batch queues its digest job (one per batch while it waits: a unique key); the
 * videos' maintenance job sends the digests that are due, with one indexed query (so a trigger lost to a
 * crash delays a digest to its due time, never loses it). Whoever sends claims the batch first
 * with a conditional update, so the digest goes out once across instances.
 */
@Injectable()
export class BatchDigestService implements OnModuleInit {
  private readonly logger = new Logger(BatchDigestService.name);

  constructor(
    @Inject(videosConfig.KEY) private readonly config: VideosConfig,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
    private readonly jobs: JobRunner,
    private readonly batches: VideoBatchRepository,
    private readonly videos: AIVideoRepository,
    private readonly users: UserRepository,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    private readonly outbound: OutboundEvents,
  ) {}

  onModuleInit(): void {
    this.jobs.define<DigestJobData>(BATCH_DIGEST_JOB, (data) => this.digest(data.batchId).then(() => undefined), {
      backoff: { delayMs: 5000, factor: 2, maxRetries: 5, jitter: 0.2 },
    });
  }

  /** Records a new bulk request (before its videos, so that none is ever without its batch). */
  async opened(batch: { batchId: string; workspaceId: string; userId: string; total: number }): Promise<void> {
    const now = this.clock.now();
    await this.batches.create({ ...batch, digestDueAt: new Date(now.getTime() + this.config.batchDigest.afterMs) }, now);
  }

  /** The request's videos could not be written: it has nothing to report. */
  async abandoned(batchId: string): Promise<void> {
    await this.batches.delete(batchId);
  }

  /**
   * A video of the batch left flight (`delta` -1: it reached a final state) or re-entered it (+1:
   * a retry). Costs one update whatever the batch's size; when the count reaches 0, an exact
   * count confirms (and corrects a count a crash made drift) before the digest is queued (one
   * job per batch while it waits: a unique key). Throws when the count could not be updated, so
   * the effect stays owed and is paid again.
   */
  async inFlightChanged(batchId: string, delta: number): Promise<void> {
    const inFlight = await this.batches.addInFlight(batchId, delta);
    if (inFlight === null || inFlight > 0) return;
    const exact = await this.videos.countInFlight(batchId);
    if (exact > 0) {
      await this.batches.setInFlight(batchId, exact);
      return;
    }
    if (inFlight < 0) await this.batches.setInFlight(batchId, 0);
    try {
      await this.jobs.enqueue<DigestJobData>(BATCH_DIGEST_JOB, { batchId }, { uniqueKey: { batchId } });
    } catch (error) {
      this.logger.error(`Batch ${batchId}: the digest could not be queued (${describe(error)}); the sweep will`);
    }
  }

  /** Sends the digests that are due and were not sent (a step of the videos' maintenance job). */
  async sweep(): Promise<number> {
    let sent = 0;
    for (const batch of await this.batches.findDue(this.clock.now(), SWEEP_LIMIT)) {
      try {
        if (await this.digest(batch.batchId)) sent++;
      } catch (error) {
        this.logger.error(`Batch ${batch.batchId}: digest failed (${describe(error)}); tried again on the next sweep`);
      }
    }
    return sent;
  }

  /** Sends the batch's digest if it is due and nobody has; true when this call sent it. */
  async digest(batchId: string): Promise<boolean> {
    const batch = await this.batches.findByBatchId(batchId);
    if (!batch || batch.digestSentAt) return false;
    const now = this.clock.now();
    const videos = await this.videos.findByBatch(batchId);
    const inFlight = videos.filter((video) => video.status === 'pending' || video.status === 'generating');
    if (inFlight.length > 0 && now.getTime() < batch.digestDueAt.getTime()) return false;
    if (!(await this.batches.claimDigest(batchId, now, new Date(now.getTime() - DIGEST_CLAIM_LEASE_MS)))) return false;
    const digest: BatchDigest = {
      batch,
      completed: videos.filter((video) => video.status === 'completed'),
      failed: videos.filter((video) => video.status === 'failed'),
      inFlight,
    };
    try {
      await this.send(digest);
    } catch (error) {
      await this.batches.releaseDigest(batchId, now);
      throw error;
    }
    await this.batches.markDigestSent(batchId, now, { completed: digest.completed.length, failed: digest.failed.length, inFlight: inFlight.length });
    this.logger.log(`Batch ${batchId}: digest sent (${digest.completed.length} completed, ${digest.failed.length} failed, ${inFlight.length} still generating)`);
    return true;
  }

  private async send(digest: BatchDigest): Promise<void> {
    const { batch } = digest;
    if (digest.completed.length + digest.failed.length + digest.inFlight.length === 0) return;
    const requester = await this.users.findActiveById(batch.userId);
    if (requester) {
      await this.notifications.emailForWorkspace(batch.workspaceId, digestEmail(digest, requester.email, requester.name, this.linksConfig.appUrl), { batchDigest: batch.batchId }, { once: true });
    } else {
      this.logger.warn(`Batch ${batch.batchId}: its requester ${batch.userId} no longer exists; no e-mail`);
    }
    await this.notifications.chatOnce(batch.workspaceId, batchChatEvent(digest, this.linksConfig.appUrl), { batchId: batch.batchId });
    try {
      await this.outbound.publish(batch.workspaceId, 'batch.completed', batchCompletedData(digest), { messageId: messageIdFor(batch.batchId, 0, 'batch.completed') });
    } catch (error) {
      // The e-mail is queued: the digest counts as sent; the customer's endpoints miss this one.
      this.logger.error(`Batch ${batch.batchId}: could not publish batch.completed (${describe(error)})`);
    }
  }
}

/**
 * batch.completed's data: the counts and every video (ids as in video.completed). Sent when the
 * batch is over or its digest was due; `stillGenerating` counts the videos not over by then.
 */
export function batchCompletedData(digest: BatchDigest): Record<string, unknown> {
  const { batch, completed, failed, inFlight } = digest;
  return {
    batchId: batch.batchId,
    total: completed.length + failed.length + inFlight.length,
    completed: completed.length,
    failed: failed.length,
    stillGenerating: inFlight.length,
    videos: [...completed, ...failed, ...inFlight].map((video) => ({
      videoId: video.id,
      productId: video.productId,
      status: video.status,
      ...(video.status === 'completed' && { videoUrl: video.metadata.videoUrl, youtubeVideoId: video.metadata.youtubeVideoId }),
      ...(video.status === 'failed' && { error: video.error }),
    })),
  };
}

/** The Slack / Discord message when a batch is over (or its digest was due). */
export function batchChatEvent(digest: BatchDigest, appUrl: string): ChatEvent {
  const { completed, failed, inFlight, batch } = digest;
  const total = completed.length + failed.length + inFlight.length;
  const failures = failed.slice(0, 5).map((video) => `• ${video.id}: ${video.error ?? 'Video generation failed'}`);
  if (failed.length > failures.length) failures.push(`• … and ${failed.length - failures.length} more`);
  return {
    title: `Batch finished: ${completed.length} of ${total} video(s) ready`,
    text: [`${completed.length} completed, ${failed.length} failed` + (inFlight.length > 0 ? `, ${inFlight.length} still generating` : '') + '.', ...failures].join('\n'),
    level: failed.length === 0 && inFlight.length === 0 ? 'success' : completed.length === 0 ? 'error' : 'warning',
    fields: [
      { name: 'Completed', value: String(completed.length) },
      { name: 'Failed', value: String(failed.length) },
      ...(inFlight.length > 0 ? [{ name: 'Still generating', value: String(inFlight.length) }] : []),
      { name: 'Batch', value: batch.batchId },
    ],
    link: { label: 'Open the videos', url: `${appUrl}/videos` },
  };
}

/** The digest e-mail: counts first, then every completed video with its link, then every failure with its reason. */
export function digestEmail(digest: BatchDigest, to: string, name: string, appUrl: string): { to: string; subject: string; text: string } {
  const { completed, failed, inFlight, batch } = digest;
  const total = completed.length + failed.length + inFlight.length;
  const subject =
    failed.length === 0 && inFlight.length === 0
      ? `Your ${total} video(s) are ready`
      : `Your videos: ${completed.length} of ${total} ready, ${failed.length} failed` + (inFlight.length > 0 ? `, ${inFlight.length} still generating` : '');
  const lines = [`Hello ${name},`, '', `Your request of ${total} video(s) (batch ${batch.batchId}):`, ''];
  lines.push(`Completed: ${completed.length}`, `Failed: ${failed.length}`);
  if (inFlight.length > 0) lines.push(`Still generating: ${inFlight.length} (not reported again)`);
  if (completed.length > 0) {
    lines.push('', 'Ready:');
    for (const video of completed) {
      const direct = video.metadata.videoUrl ?? (video.metadata.youtubeVideoId && `https://www.youtube.com/watch?v=${video.metadata.youtubeVideoId}`);
      lines.push(`- ${appUrl}/videos/${video.id}` + (direct ? ` (video: ${direct})` : ''));
    }
  }
  if (failed.length > 0) {
    lines.push('', 'Failed:');
    for (const video of failed) lines.push(`- ${appUrl}/videos/${video.id}: ${video.error ?? 'Video generation failed'}`);
  }
  lines.push('', `All your videos: ${appUrl}/videos`, '');
  return { to, subject, text: lines.join('\n') };
}

function describe(error: unknown): string {
  return errorMessage(error);
}
