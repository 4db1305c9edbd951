import { Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage } from '../common/error-message.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { messageIdFor, OutboundEvents } from '../outbound-webhooks/outbound-events.js';
import { WorkspaceRepository } from '../workspaces/workspace.repository.js';
import { AIVideoRecord, AIVideoRepository } from './ai-video.repository.js';
import { OwedEffects } from './ai-video.schema.js';
import { BatchDigestService } from './batch-digest.service.js';
import { VideoSyncService } from './video-sync.service.js';

/** Owed effects younger than this are left to the request that recorded them. */
const SWEEP_QUIET_MS = 5000;
const SWEEP_LIMIT = 500;

/**
 * The one step that pays what a video's state changes owe. Every change records its effects in
 * the same conditional update as the change (AIVideoRepository: `metadata.owed`, one entry per
 * version, and `metadata.productSynced: false`); this step pays them, in version order, and
 * removes each entry once paid:
 *
 * - the product's copy of the video, brought to the video's version;
 * - the outbound `video.completed` / `video.failed` message, under an id derived from (video,
 *   version, event), so a second payment finds the message already there and sends nothing;
 * - the chat notice, when owed, queued once for good under (video, version);
 * - the batch's in-flight count, and its digest when that reaches 0;
 * - the workspace's quota unit, given back once under (video, version).
 *
 * Whoever changed the video pays at once; the videos' maintenance job pays what a crash left
 * owed (`sweep`). Every part is idempotent, so a payment repeated after a crash, or two payers
 * at once, still pay each effect once.
 */
@Injectable()
export class VideoEffectsService {
  private readonly logger = new Logger(VideoEffectsService.name);

  constructor(
    private readonly videos: AIVideoRepository,
    private readonly sync: VideoSyncService,
    private readonly outbound: OutboundEvents,
    private readonly notifications: NotificationsService,
    private readonly digests: BatchDigestService,
    private readonly workspaces: WorkspaceRepository,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
  ) {}

  /** Pays what these videos (as just read or changed) owe. Never throws: what fails stays owed for the sweep. */
  async pay(videos: AIVideoRecord[]): Promise<void> {
    try {
      await this.sync.syncProductCopies(videos);
    } catch (error) {
      this.logger.error(`Product copies of ${videos.length} video(s) not written yet (${describe(error)}); the maintenance job will`);
    }
    for (const video of videos) {
      const owed = [...(video.metadata.owed ?? [])].sort((a, b) => a.version - b.version);
      for (const effects of owed) {
        try {
          await this.payOne(video, effects);
        } catch (error) {
          this.logger.error(`Video ${video.id}: effects of version ${effects.version} not paid yet (${describe(error)}); the maintenance job will`);
          break;
        }
      }
    }
  }

  /** Pays what crashes left owed (a step of the videos' maintenance job); answers how many videos. */
  async sweep(now = new Date()): Promise<number> {
    const owing = await this.videos.findOwed(new Date(now.getTime() - SWEEP_QUIET_MS), SWEEP_LIMIT);
    if (owing.length === 0) return 0;
    await this.pay(owing);
    this.logger.warn(`Paid the effects a crash left owed by ${owing.length} video(s)`);
    return owing.length;
  }

  private async payOne(video: AIVideoRecord, effects: OwedEffects): Promise<void> {
    const { version, event, data = {} } = effects;
    if (event) await this.outbound.publish(video.workspaceId, event, data, { messageId: messageIdFor(video.id, version, event) });
    if (effects.chat) {
      const error = String(data.error ?? 'Video generation failed');
      await this.notifications.chatOnce(video.workspaceId, {
        title: 'Video failed',
        text: `Video ${video.id} (product ${video.productId}) failed: ${error}`,
        level: 'error',
        fields: [
          { name: 'Video', value: video.id },
          { name: 'Product', value: video.productId },
          { name: 'Reason', value: error },
        ],
        link: { label: 'Open the video', url: `${this.linksConfig.appUrl}/videos/${video.id}` },
      }, { videoId: video.id, status: 'failed', version });
    }
    // Paid twice (a crash between this and settling) it drifts; the count at 0 is checked exactly.
    if (effects.inFlight) await this.digests.inFlightChanged(video.metadata.batchId, effects.inFlight);
    // Keyed by (video, version) on the workspace: a second payment gives nothing back.
    if (effects.quotaPeriod) await this.workspaces.releaseVideoQuotaOnce(video.workspaceId, effects.quotaPeriod, `${video.id}:${version}`);
    await this.videos.settleOwed(video.id, version);
  }
}

function describe(error: unknown): string {
  return errorMessage(error);
}
