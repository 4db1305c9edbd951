import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { errorMessage } from '../common/error-message.js';
import { isHttpUrl } from '../common/http-url.js';
import { heygenConfig, type HeygenConfig } from './heygen.config.js';
import { jobsConfig, type JobsConfig } from '../jobs/jobs.config.js';
import { JobRunner } from '../jobs/job-runner.js';
import { HeygenApiError } from './heygen.client.js';
import { HeygenClient } from './heygen.provider.js';
import { ReelEventsService } from './reel-events.service.js';
import { ReelRecord, ReelRepository } from './reel.repository.js';

export const GENERATE_JOB = 'reels.generate';
export const RECONCILE_JOB = 'reels.reconcile';

/** How far HeyGen's clock may be behind ours when its list is searched for an earlier attempt's video. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Reels checked per reconciliation run (the next run takes the rest). */
const RECONCILE_BATCH = 100;
/** A state change older than this whose e-mail was never queued is repaired. */
const NOTIFY_REPAIR_AFTER_MS = 60_000;

interface GenerateJobData {
  reelId: string;
}

/**
 * Sends approved reels to HeyGen through the job runner (retried with backoff; after
 * HEYGEN_GENERATE_MAX_ATTEMPTS calls the reel fails), and reconciles reels whose webhook never
 * came by asking HeyGen's status API.
 */
@Injectable()
export class ReelGenerationService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(ReelGenerationService.name);

  constructor(
    @Inject(heygenConfig.KEY) private readonly config: HeygenConfig,
    @Inject(jobsConfig.KEY) private readonly jobsConfig: JobsConfig,
    private readonly jobs: JobRunner,
    private readonly heygen: HeygenClient,
    private readonly reels: ReelRepository,
    private readonly events: ReelEventsService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const { generateBackoffMs, generateMaxAttempts, timeoutMs } = this.config;
    this.jobs.define<GenerateJobData>(GENERATE_JOB, (data) => this.generate(data.reelId), {
      backoff: { delayMs: generateBackoffMs, factor: 2, maxRetries: generateMaxAttempts - 1, jitter: 0.2 },
      // A run must end before its lock does, or another instance could call HeyGen a second time.
      lockLifetimeMs: Math.max(this.jobsConfig.lockLifetimeMs, timeoutMs * 2 + 1000),
      onFinalFailure: (data, error) => this.giveUp(data.reelId, error.message),
    });
    this.jobs.define(RECONCILE_JOB, () => this.reconcile().then(() => undefined), { concurrency: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(RECONCILE_JOB, this.config.reconcileIntervalMs);
  }

  /** Queues the generate call of a reel that was just approved (once: the approval is a conditional update). */
  async enqueue(reelId: string): Promise<void> {
    await this.jobs.enqueue<GenerateJobData>(GENERATE_JOB, { reelId }, { uniqueKey: { reelId } });
  }

  /**
   * One generate call. Only a reel still `approved` without a HeyGen video is sent, so a job run
   * twice (a worker that died after recording) or a webhook that came first sends nothing.
   */
  async generate(reelId: string): Promise<void> {
    const reel = await this.reels.findById(reelId);
    if (!reel || reel.status !== 'approved' || reel.heygenVideoId) return;
    if (reel.generateStartedAt && (await this.adoptEarlierVideo(reel))) return;
    // Real time, not the injectable clock: it is compared with the created_at of HeyGen's list.
    await this.reels.markGenerateStarted(reel.id, new Date());
    let videoId: string;
    try {
      videoId = await this.heygen.generateVideo({
        title: reel.title,
        script: reel.script,
        avatarId: reel.avatarId,
        voiceId: reel.voiceId,
        dimension: reel.dimension,
        callbackId: reel.id,
      });
    } catch (error) {
      const reason = error instanceof HeygenApiError ? error.message : `HeyGen request failed: ${String(error)}`;
      await this.reels.markGenerateFailed(reel.id, reason);
      this.logger.warn(`Reel ${reel.id}: HeyGen generate failed (${reason}); it stays approved and is retried`);
      throw new HeygenApiError(reason);
    }
    const processing = await this.reels.markProcessing(reel.id, videoId, this.clock.now());
    this.logger.log(`Reel ${reel.id} sent to HeyGen: video_id ${videoId}${processing ? '' : ' (a webhook already decided it)'}`);
  }

  /**
   * An earlier call may have reached HeyGen without its answer reaching us (a timeout, a dropped
   * connection, a crash): HeyGen's generate takes no idempotency key, so look for that video
   * before making another. Found: the reel takes it. HeyGen cannot be asked: nothing is sent and
   * the job tries again later, since a blind send could create a second video.
   */
  private async adoptEarlierVideo(reel: ReelRecord): Promise<boolean> {
    const since = new Date(reel.generateStartedAt!.getTime() - CLOCK_SKEW_MS);
    let earlier: string | undefined;
    try {
      earlier = await this.heygen.findVideoByCallbackId(reel.id, reel.title, since);
    } catch (error) {
      const reason = `Could not ask HeyGen whether an earlier attempt created the video: ${errorMessage(error)}`;
      await this.reels.markGenerateFailed(reel.id, reason, false);
      this.logger.warn(`Reel ${reel.id}: ${reason}; nothing sent, tried again later`);
      throw new HeygenApiError(reason);
    }
    if (!earlier) return false;
    const processing = await this.reels.markProcessing(reel.id, earlier, this.clock.now(), false);
    this.logger.warn(`Reel ${reel.id}: an earlier generate call did create HeyGen video ${earlier}; using it instead of sending again${processing ? '' : ' (a webhook already decided it)'}`);
    return true;
  }

  private async giveUp(reelId: string, lastError: string): Promise<void> {
    const reel = await this.reels.findById(reelId);
    if (!reel || reel.status !== 'approved') return;
    await this.events.failed(reel, `HeyGen did not accept the video after ${this.config.generateMaxAttempts} attempt(s): ${lastError}`);
  }

  /**
   * Asks HeyGen about every reel `processing` longer than HEYGEN_RECONCILE_AFTER_MINUTES and
   * applies the answer exactly as a webhook would; also queues e-mails a crash left unqueued.
   */
  async reconcile(): Promise<{ checked: number; completed: number; failed: number }> {
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.reconcileAfterMs);
    let completed = 0;
    let failed = 0;
    const stale = await this.reels.findStaleProcessing(cutoff, RECONCILE_BATCH);
    for (const reel of stale) {
      try {
        const status = await this.heygen.videoStatus(reel.heygenVideoId!);
        if (status.status === 'completed') {
          // HeyGen's own answer, asked by us: an unusable thumbnail is left out rather than
          // failing a video that can be watched; an unusable video URL is refused below.
          const thumbnailUrl = status.thumbnailUrl === undefined || isHttpUrl(status.thumbnailUrl) ? status.thumbnailUrl : undefined;
          if (thumbnailUrl !== status.thumbnailUrl) this.logger.warn(`Reel ${reel.id}: HeyGen's thumbnail URL is not a usable http(s) URL; left out`);
          const result = await this.events.completed(reel, { videoUrl: status.videoUrl, thumbnailUrl });
          if (result.outcome === 'accepted') completed++;
          if (result.outcome === 'refused') {
            // HeyGen's own answer has no URL we may serve: asking again would give the same.
            const failure = await this.events.failed(reel, `HeyGen reported the video completed, but ${result.reason}`);
            if (failure.outcome === 'accepted') failed++;
          }
        } else if (status.status === 'failed') {
          const result = await this.events.failed(reel, status.error);
          if (result.outcome === 'accepted') failed++;
        } else if (reel.processingAt && now.getTime() - reel.processingAt.getTime() > this.config.maxProcessingMs) {
          const hours = Math.round(this.config.maxProcessingMs / 3600_000);
          const result = await this.events.failed(reel, `HeyGen still reported the video as ${status.status} after ${hours} hour(s)`);
          if (result.outcome === 'accepted') failed++;
        } else {
          await this.reels.markChecked(reel.id, now);
        }
      } catch (error) {
        // Asked again on the next run.
        this.logger.warn(`Reconciliation of reel ${reel.id} failed: ${errorMessage(error)}`);
      }
    }
    if (completed + failed > 0) {
      this.logger.warn(`Reconciliation: ${completed} reel(s) completed and ${failed} failed whose webhook never came`);
    }
    // updatedAt is written by Mongoose with the real time, so this compares with the real time.
    for (const reel of await this.reels.findNotifyPending(new Date(Date.now() - NOTIFY_REPAIR_AFTER_MS), RECONCILE_BATCH)) {
      await this.events.notify(reel);
    }
    return { checked: stale.length, completed, failed };
  }
}
