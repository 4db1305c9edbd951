import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { errorMessage } from '../common/error-message.js';
import { videosConfig, type VideosConfig } from './videos.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ProductRecord, ProductRepository } from '../products/product.repository.js';
import { AIVideoRecord, AIVideoRepository } from './ai-video.repository.js';
import { RckBatchItem, RckClient, RckDispatchError } from './rck.client.js';
import { BatchDigestService } from './batch-digest.service.js';
import { VideoEffectsService } from './video-effects.service.js';
import { VideoSyncService } from './video-sync.service.js';

export const DISPATCH_JOB = 'videos.dispatch';
export const MAINTENANCE_JOB = 'videos.maintenance';

interface DispatchJobData {
  videoIds: string[];
}

/**
 * Sends videos to RCK in batches of RCK_BATCH_SIZE. The first send happens inside the request
 * that asked for the videos; a batch RCK refuses (down, slow, an error) waits as `pending` and
 * is sent again by the job runner with exponential backoff and jitter, until
 * RCK_DISPATCH_MAX_ATTEMPTS sends have failed: then its videos fail and give their quota back.
 * Also owns the periodic maintenance: the orphan sweep and the product-copy repair.
 */
@Injectable()
export class VideoDispatchService implements OnModuleInit {
  private readonly logger = new Logger(VideoDispatchService.name);

  constructor(
    @Inject(videosConfig.KEY) private readonly config: VideosConfig,
    private readonly jobs: JobRunner,
    private readonly rck: RckClient,
    private readonly videos: AIVideoRepository,
    private readonly products: ProductRepository,
    private readonly sync: VideoSyncService,
    private readonly metrics: MetricsService,
    private readonly digests: BatchDigestService,
    private readonly effects: VideoEffectsService,
  ) {}

  onModuleInit(): void {
    const { dispatchBackoffMs, dispatchMaxAttempts } = this.config;
    this.jobs.define<DispatchJobData>(DISPATCH_JOB, (data) => this.redispatch(data.videoIds), {
      // The request made the first send and the job's first run is the second; each run after
      // waits twice as long as the one before.
      backoff: { delayMs: dispatchBackoffMs * 2, factor: 2, maxRetries: Math.max(0, dispatchMaxAttempts - 2), jitter: 0.2 },
      onFinalFailure: (data, error) => this.abandon(data.videoIds, error.message),
    });
    this.jobs.define(MAINTENANCE_JOB, () => this.maintain().then(() => undefined), { concurrency: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(MAINTENANCE_JOB, this.config.maintenanceIntervalMs);
  }

  /**
   * First send of freshly created (or retried) videos, in chunks, a few at a time. Database work
   * does not grow with the number of chunks: one bulkWrite records every accepted chunk and one
   * every refused chunk. Answers each video's status afterwards.
   */
  async dispatchNow(videos: AIVideoRecord[], products: Map<string, ProductRecord>): Promise<Map<string, 'generating' | 'pending' | 'failed'>> {
    const numbered = new Map((await this.products.withRckIds([...products.values()])).map((product) => [product.id, product]));
    const chunks = chunk(videos, this.config.rckBatchSize);
    const results = await mapLimited(chunks, 4, async (videosOfChunk) => {
      try {
        const jobIds = await this.rck.createImagesBatch(videosOfChunk.map((video) => toItem(video, numbered.get(video.productId)!)));
        return { videos: videosOfChunk, jobIds };
      } catch (error) {
        return { videos: videosOfChunk, error: error instanceof RckDispatchError ? error.message : 'RCK request failed' };
      }
    });

    const accepted = results.flatMap((result) =>
      result.jobIds ? result.videos.map((video, index) => ({ id: video.id, externalJobId: result.jobIds[index] })) : [],
    );
    const refused = results.filter((result): result is { videos: AIVideoRecord[]; error: string } => 'error' in result);
    await this.videos.markDispatched(accepted);
    const wasPending = new Set(videos.filter((video) => video.status === 'pending').map((video) => video.id));
    this.metrics.videoEntered('generating', accepted.filter(({ id }) => wasPending.has(id)).length);
    const statuses = new Map<string, 'generating' | 'pending' | 'failed'>(accepted.map(({ id }) => [id, 'generating']));
    if (refused.length === 0) {
      await this.sync.syncByIds(videos.filter((video) => video.status === 'pending').map((video) => video.id));
      return statuses;
    }

    const { dispatchBackoffMs, dispatchMaxAttempts } = this.config;
    // The retry job is written before the videos are marked pending: a crash in between leaves
    // them `generating` (the orphan sweep's to judge), never `pending` with nothing to send them.
    for (const result of refused) {
      const ids = result.videos.map((video) => video.id);
      this.logger.warn(`RCK refused ${ids.length} video(s): ${result.error}`);
      if (dispatchMaxAttempts > 1) {
        await this.jobs.enqueue<DispatchJobData>(DISPATCH_JOB, { videoIds: ids }, { runAt: new Date(Date.now() + jittered(dispatchBackoffMs)) });
      }
      for (const id of ids) statuses.set(id, dispatchMaxAttempts > 1 ? 'pending' : 'failed');
    }
    await this.videos.markDispatchFailed(refused.map((result) => ({ ids: result.videos.map((video) => video.id), reason: result.error })));
    this.metrics.videoEntered('pending', refused.flatMap((result) => result.videos).filter((video) => !wasPending.has(video.id)).length);
    if (dispatchMaxAttempts <= 1) {
      for (const result of refused) await this.abandon(result.videos.map((video) => video.id), result.error);
    }
    await this.sync.syncByIds(videos.map((video) => video.id));
    return statuses;
  }

  /** A job run: sends the batch's videos that still wait; throws so the runner retries. */
  private async redispatch(videoIds: string[]): Promise<void> {
    const pending = await this.videos.findPending(videoIds);
    if (pending.length === 0) return;
    const productIds = [...new Set(pending.map((video) => video.productId))];
    const products = await this.products.withRckIds(await this.products.findManyInWorkspace(pending[0].workspaceId, productIds));
    const byId = new Map(products.map((product) => [product.id, product]));
    const sendable = pending.filter((video) => byId.has(video.productId));
    const gone = pending.filter((video) => !byId.has(video.productId)).map((video) => video.id);
    if (gone.length > 0) await this.abandon(gone, 'The product no longer exists');
    if (sendable.length === 0) return;
    try {
      const jobIds = await this.rck.createImagesBatch(sendable.map((video) => toItem(video, byId.get(video.productId)!)));
      await this.videos.markDispatched(sendable.map((video, index) => ({ id: video.id, externalJobId: jobIds[index] })));
      this.metrics.videoEntered('generating', sendable.length);
      this.logger.log(`RCK took ${sendable.length} pending video(s) on a later attempt`);
    } catch (error) {
      const reason = error instanceof RckDispatchError ? error.message : 'RCK request failed';
      await this.videos.markDispatchFailed([{ ids: sendable.map((video) => video.id), reason }]);
      throw new RckDispatchError(reason);
    } finally {
      await this.sync.syncByIds(sendable.map((video) => video.id));
    }
  }

  /** RCK never took these videos: they fail with the reason and give their quota unit back. */
  private async abandon(videoIds: string[], lastError: string): Promise<void> {
    await this.failUnsent(videoIds, `RCK did not accept the video after ${this.config.dispatchMaxAttempts} attempt(s): ${lastError}`);
  }

  private async failUnsent(videoIds: string[], reason: string, idleSince?: Date): Promise<void> {
    const abandoned = await this.videos.abandonPending(videoIds, reason, { idleSince });
    this.metrics.videoEntered('failed', abandoned.length);
    if (abandoned.length > 0) this.logger.error(`${abandoned.length} video(s) failed: ${reason}`);
    await this.effects.pay(await this.videos.findManyByIds(abandoned.map((video) => video.id)));
  }

  /**
   * The orphan sweep (docs/contracts/rck.md#when-rck-refuses-or-does-not-answer), the product-copy
   * repair, and the batch digests that are due.
   */
  async maintain(now = new Date()): Promise<{ orphaned: number; repaired: number }> {
    const cutoff = new Date(now.getTime() - this.config.orphanTimeoutMs);
    const minutes = Math.round(this.config.orphanTimeoutMs / 60_000);
    const orphaned: string[] = [];
    const stuck = await this.videos.findOrphans(cutoff, 500);
    const failed: AIVideoRecord[] = [];
    for (const video of stuck.filter((candidate) => candidate.status === 'generating')) {
      const changed = await this.videos.fail(video, `Orphaned: no callback from RCK within ${minutes} minutes of dispatch`, {
        now,
        orphanedBefore: cutoff,
      });
      if (changed) failed.push(changed);
    }
    orphaned.push(...failed.map((video) => video.id));
    this.metrics.videoEntered('failed', orphaned.length);
    await this.effects.pay(failed);
    const unsent = stuck.filter((candidate) => candidate.status === 'pending').map((video) => video.id);
    if (unsent.length > 0) {
      await this.failUnsent(unsent, `Orphaned: waiting to be sent to RCK for ${minutes} minutes`, cutoff);
      orphaned.push(...unsent);
    }
    if (orphaned.length > 0) this.logger.warn(`Marked ${orphaned.length} orphaned video(s) as failed`);
    const repaired = await this.sync.repairUnsynced(now);
    try {
      await this.effects.sweep(now);
    } catch (error) {
      this.logger.error(`Sweep of owed effects failed: ${errorMessage(error)}`);
    }
    try {
      // Part of this job rather than a recurring job of its own: one more query, not another job.
      await this.digests.sweep();
    } catch (error) {
      this.logger.error(`Batch digest sweep failed: ${errorMessage(error)}`);
    }
    return { orphaned: orphaned.length, repaired };
  }
}

function toItem(video: AIVideoRecord, product: ProductRecord & { rckId: number }): RckBatchItem {
  return {
    id_product: product.rckId,
    title: product.title,
    img_urls: product.imageUrls,
    user_id: video.userId,
    sku: product.sku,
    template_name: video.metadata.templateName ?? video.template,
    videoId: video.id,
    aspect_ratio: video.metadata.aspect_ratio,
  };
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** ±20% so that batches refused together do not all come back at the same moment. */
function jittered(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  });
  await Promise.all(workers);
  return results;
}
