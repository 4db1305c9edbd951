import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { isObjectIdString } from '../common/object-id.js';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../monitoring/metrics.service.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { OutboundEvents } from '../webhook-endpoints/outbound-events.js';
import { OutboundEventType } from '../webhook-endpoints/webhook-endpoint.schema.js';
import { AIVideoRecord, AIVideoRepository, CompletionResult } from './ai-video.repository.js';
import { BatchDigestService } from './batch-digest.service.js';
import { VideoSyncService } from './video-sync.service.js';

/** What a callback did: applied it, saw it before, or ignored it (a failure after a success). */
export type CallbackOutcome = 'accepted' | 'duplicate' | 'ignored';

/**
 * A callback's result: `data` is the seed's answer to RCK; `workspaceId` (the video's) is for the
 * webhook event log and stays out of the answer.
 */
export interface CallbackResult<T> {
  outcome: CallbackOutcome;
  data: T;
  workspaceId: string;
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
  private readonly logger = new Logger('VideoService');

  constructor(
    private readonly videos: AIVideoRepository,
    private readonly sync: VideoSyncService,
    private readonly metrics: MetricsService,
    private readonly outbound: OutboundEvents,
    private readonly digests: BatchDigestService,
    private readonly notifications: NotificationsService,
    private readonly config: AppConfig,
  ) {}

  async succeeded(videoId: string, result: CompletionResult): Promise<CallbackResult<SuccessCallbackData>> {
    const video = await this.find(videoId);
    // Completed already (the usual repeat): the conditional update could not apply, so skip it.
    const completed = video.status === 'completed' ? null : await this.videos.complete(video.id, result);
    if (completed) {
      this.metrics.videoCompleted(completed.metadata.queuedAt, completed.metadata.completedAt ?? new Date());
      await this.sync.syncProductCopies([completed]);
      this.logger.log(`[VideoService] Video ${video.id} completed (was ${video.status})`);
      const { videoUrl, youtubeVideoId, imgS3Url, completedAt } = completed.metadata;
      await this.publish(completed, 'video.completed', { videoId: completed.id, productId: completed.productId, videoUrl, youtubeVideoId, imgS3Url, completedAt });
      await this.digests.settled([completed]);
      return { outcome: 'accepted', data: successData(completed), workspaceId: completed.workspaceId };
    }
    // Already completed: answer as the first delivery did, and finish its product write if a
    // crash interrupted it. Nothing moves a video out of `completed`, so what was read stands.
    const current = video.status === 'completed' ? video : await this.find(videoId);
    await this.sync.syncProductCopies([current]);
    return { outcome: 'duplicate', data: successData(current), workspaceId: current.workspaceId };
  }

  async failed(videoId: string, error: string | undefined): Promise<CallbackResult<FailureCallbackData>> {
    const video = await this.find(videoId);
    // In a final state already: the conditional update could not apply, so skip it.
    const final = video.status === 'completed' || video.status === 'failed';
    const failed = final ? null : await this.videos.fail(video.id, error ?? DEFAULT_FAILURE_MESSAGE);
    if (failed) {
      this.metrics.videoEntered('failed');
      await this.sync.syncProductCopies([failed]);
      this.logger.warn(`[VideoService] Video ${video.id} failed: ${failed.error}`);
      await this.publish(failed, 'video.failed', { videoId: failed.id, productId: failed.productId, error: failed.error });
      await this.notifications.chat(failed.workspaceId, {
        title: 'Video failed',
        text: `Video ${failed.id} (product ${failed.productId}) failed: ${failed.error}`,
        level: 'error',
        fields: [
          { name: 'Video', value: failed.id },
          { name: 'Product', value: failed.productId },
          { name: 'Reason', value: failed.error ?? DEFAULT_FAILURE_MESSAGE },
        ],
        link: { label: 'Open the video', url: `${this.config.appUrl}/videos/${failed.id}` },
      }, { videoId: failed.id, status: 'failed', version: failed.metadata.version });
      await this.digests.settled([failed]);
      return { outcome: 'accepted', data: failureData(failed), workspaceId: failed.workspaceId };
    }
    const current = final ? video : await this.find(videoId);
    await this.sync.syncProductCopies([current]);
    if (current.status === 'completed') {
      return { outcome: 'ignored', data: { videoId: current.id, productId: current.productId, status: current.status }, workspaceId: current.workspaceId };
    }
    return { outcome: 'duplicate', data: failureData(current), workspaceId: current.workspaceId };
  }

  /** Tells the workspace's webhook endpoints; a failure here is logged and never fails the callback. */
  private async publish(video: AIVideoRecord, type: OutboundEventType, data: Record<string, unknown>): Promise<void> {
    try {
      await this.outbound.publish(video.workspaceId, type, data);
    } catch (error) {
      this.logger.error(`[VideoService] Could not publish ${type} for video ${video.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The seed's checks, in the seed's order (the DTO already said "videoId is required"). */
  private async find(videoId: string): Promise<AIVideoRecord> {
    if (!isObjectIdString(videoId)) throw new BadRequestException('Invalid videoId format');
    const video = await this.videos.findById(videoId);
    if (!video) throw new NotFoundException('Video not found');
    return video;
  }
}

function successData(video: AIVideoRecord): SuccessCallbackData {
  const { youtubeVideoId, localFilename, videoUrl, imgS3Url } = video.metadata;
  return { videoId: video.id, youtubeVideoId, localFilename, videoUrl, imgS3Url, productId: video.productId };
}

function failureData(video: AIVideoRecord): FailureCallbackData {
  return { videoId: video.id, productId: video.productId, error: video.error };
}
