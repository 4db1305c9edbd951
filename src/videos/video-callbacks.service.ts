import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { isObjectIdString } from '../common/object-id.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AIVideoRecord, AIVideoRepository, CompletionResult } from './ai-video.repository.js';
import { VideoEffectsService } from './video-effects.service.js';

/** What a callback did: applied it, saw it before, or ignored it (a failure after a success, or one older than the video's attempt). */
export type CallbackOutcome = 'accepted' | 'duplicate' | 'ignored';

/** A callback older than the video's current attempt (a replay of one received before a retry). */
export const STALE_CALLBACK_MESSAGE = "Callback received before the video's current attempt began; ignored";

/**
 * A callback's result: `data` is our answer to RCK (docs/contracts/rck.md#answers); `workspaceId`
 * (the video's) is for the webhook event log and stays out of the answer.
 */
export interface CallbackResult<T> {
  outcome: CallbackOutcome;
  data: T;
  workspaceId: string;
  /** Set when the callback was older than the video's current attempt and left it alone. */
  stale?: boolean;
}

export interface SuccessCallbackData {
  videoId: string;
  youtubeVideoId?: string;
  localFilename?: string;
  videoUrl?: string;
  imgS3Url?: string;
  productId: string;
}

export interface FailureCallbackData {
  videoId: string;
  productId: string;
  error?: string;
  status?: string;
}

export const DEFAULT_FAILURE_MESSAGE = 'Video generation failed';

/**
 * RCK's callbacks, idempotent and order-tolerant: a repeated success or failure changes nothing
 * and answers as the first did; a failure after a success is ignored; a success after a failure
 * is applied (RCK tried again and succeeded). Each state change is one conditional update, so of
 * fifty concurrent identical callbacks exactly one changes the video.
 */
@Injectable()
export class VideoCallbacksService {
  private readonly logger = new Logger(VideoCallbacksService.name);

  constructor(
    private readonly videos: AIVideoRepository,
    private readonly effects: VideoEffectsService,
    private readonly metrics: MetricsService,
  ) {}

  /** `receivedAt`: when the callback arrived, for a replay (live callbacks arrive now). */
  async succeeded(videoId: string, result: CompletionResult, receivedAt?: Date): Promise<CallbackResult<SuccessCallbackData>> {
    const video = await this.find(videoId);
    if (predatesAttempt(video, receivedAt)) return { outcome: 'ignored', data: successData(video), workspaceId: video.workspaceId, stale: true };
    // Completed already (the usual repeat): no change is due, so none is tried.
    const completed = video.status === 'completed' ? null : await this.videos.complete(video, result);
    if (completed) {
      this.metrics.videoCompleted(completed.metadata.queuedAt, completed.metadata.completedAt ?? new Date());
      this.logger.log(`Video ${video.id} completed (was ${video.status})`);
      await this.effects.pay([completed]);
      return { outcome: 'accepted', data: successData(completed), workspaceId: completed.workspaceId };
    }
    // Already completed: answer as the first delivery did, and pay what a crash left owed.
    // Nothing moves a video out of `completed`, so what was read stands.
    const current = video.status === 'completed' ? video : await this.find(videoId);
    await this.effects.pay([current]);
    return { outcome: 'duplicate', data: successData(current), workspaceId: current.workspaceId };
  }

  async failed(videoId: string, error: string | undefined, receivedAt?: Date): Promise<CallbackResult<FailureCallbackData>> {
    const video = await this.find(videoId);
    if (predatesAttempt(video, receivedAt)) return { outcome: 'ignored', data: failureData(video), workspaceId: video.workspaceId, stale: true };
    // In a final state already: no change is due, so none is tried.
    const final = video.status === 'completed' || video.status === 'failed';
    const failed = final ? null : await this.videos.fail(video, error ?? DEFAULT_FAILURE_MESSAGE, { chat: true });
    if (failed) {
      this.metrics.videoEntered('failed');
      this.logger.warn(`Video ${video.id} failed: ${failed.error}`);
      await this.effects.pay([failed]);
      return { outcome: 'accepted', data: failureData(failed), workspaceId: failed.workspaceId };
    }
    const current = final ? video : await this.find(videoId);
    await this.effects.pay([current]);
    if (current.status === 'completed') {
      return { outcome: 'ignored', data: { videoId: current.id, productId: current.productId, status: current.status }, workspaceId: current.workspaceId };
    }
    return { outcome: 'duplicate', data: failureData(current), workspaceId: current.workspaceId };
  }

  /**
   * The contract's checks in its order (docs/contracts/rck.md#errors; the DTO already said "videoId
   * is required").
   */
  private async find(videoId: string): Promise<AIVideoRecord> {
    if (!isObjectIdString(videoId)) throw new BadRequestException('Invalid videoId format');
    const video = await this.videos.findById(videoId);
    if (!video) throw new NotFoundException('Video not found');
    return video;
  }
}

/** A callback received before a retry began concerns an earlier attempt: it must not touch this one. */
function predatesAttempt(video: AIVideoRecord, receivedAt: Date | undefined): boolean {
  return receivedAt !== undefined && video.metadata.attemptStartedAt !== undefined && receivedAt.getTime() < new Date(video.metadata.attemptStartedAt).getTime();
}

function successData(video: AIVideoRecord): SuccessCallbackData {
  const { youtubeVideoId, localFilename, videoUrl, imgS3Url } = video.metadata;
  return { videoId: video.id, youtubeVideoId, localFilename, videoUrl, imgS3Url, productId: video.productId };
}

function failureData(video: AIVideoRecord): FailureCallbackData {
  return { videoId: video.id, productId: video.productId, error: video.error };
}
