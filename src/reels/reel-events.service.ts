import { Inject, Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { errorMessage } from '../common/error-message.js';
import { httpUrlProblem } from '../common/http-url.js';
import { linksConfig, type LinksConfig } from '../config/links.config.js';
import { ChatEvent } from '../notifications/chat-messages.js';
import { NotificationsService } from '../notifications/notifications.service.js';
import { UserRepository } from '../users/user.repository.js';
import { messageIdFor, OutboundEvents } from '../outbound-webhooks/outbound-events.js';
import { ReelRecord, ReelRepository, ReelResult } from './reel.repository.js';

/**
 * What a HeyGen event did: applied it, saw it before, ignored it (unknown video, a failure after a
 * success), or refused it (a success whose URLs are unusable: `reason` says which and why).
 */
export type ReelEventOutcome = 'accepted' | 'duplicate' | 'ignored' | 'refused';

export interface ReelEventResult {
  outcome: ReelEventOutcome;
  reel?: ReelRecord;
  reason?: string;
}

/**
 * Why HeyGen's video or thumbnail URL may not be stored (httpUrlProblem, the rule users' URLs
 * follow), the field named as the caller calls it; undefined when both are usable or absent.
 */
export function reelResultProblem(
  result: { [field in keyof ReelResult]?: unknown },
  names: Record<keyof ReelResult, string> = { videoUrl: 'the video URL', thumbnailUrl: 'the thumbnail URL' },
): string | undefined {
  for (const field of ['videoUrl', 'thumbnailUrl'] as const) {
    const value = result[field];
    const problem = value === undefined ? undefined : httpUrlProblem(value);
    if (problem) return `${names[field]} ${problem}`;
  }
  return undefined;
}

export const DEFAULT_REEL_FAILURE = 'HeyGen could not generate the video';

/**
 * HeyGen's verdicts on a reel, from its webhook or from the reconciliation: idempotent and
 * order-tolerant. A repeat changes nothing; a failure after a success is ignored; a success after
 * a failure is applied. The state change comes first, then the owner's e-mail is queued.
 */
@Injectable()
export class ReelEventsService {
  private readonly logger = new Logger(ReelEventsService.name);

  constructor(
    private readonly reels: ReelRepository,
    private readonly users: UserRepository,
    private readonly notifications: NotificationsService,
    private readonly clock: Clock,
    @Inject(linksConfig.KEY) private readonly linksConfig: LinksConfig,
    private readonly outbound: OutboundEvents,
  ) {}

  /** The reel by HeyGen's video id, else by callback_id (our reel id: the webhook can beat generate's answer). */
  async find(videoId: string | undefined, callbackId: string | undefined): Promise<ReelRecord | null> {
    const byVideo = videoId ? await this.reels.findByHeygenVideoId(videoId) : null;
    if (byVideo) return byVideo;
    const byCallback = callbackId ? await this.reels.findById(callbackId) : null;
    // A callback_id naming a reel that has another video is not this video's reel.
    if (byCallback && videoId && byCallback.heygenVideoId && byCallback.heygenVideoId !== videoId) return null;
    return byCallback;
  }

  /**
   * → completed, with HeyGen's URLs. Never with a URL that is not a usable http(s) URL (it would
   * be redirected to, e-mailed and sent to customers' endpoints): such a success is `refused`,
   * its reason noted on the reel, which stays as it was.
   */
  async completed(reel: ReelRecord, result: ReelResult, videoId?: string): Promise<ReelEventResult> {
    const problem = reelResultProblem(result);
    if (problem) return this.refused(reel, problem);
    const completed = await this.reels.complete(reel.id, result, this.clock.now(), videoId);
    if (!completed) {
      const current = (await this.reels.findById(reel.id)) ?? reel;
      return { outcome: current.status === 'completed' ? 'duplicate' : 'ignored', reel: current };
    }
    this.logger.log(`✅ Reel ${completed.id} completado exitosamente. URL: ${completed.videoUrl ?? '(sin URL)'}`);
    await this.notify(completed);
    return { outcome: 'accepted', reel: completed };
  }

  async failed(reel: ReelRecord, reason: string | undefined, videoId?: string): Promise<ReelEventResult> {
    const failed = await this.reels.fail(reel.id, reason || DEFAULT_REEL_FAILURE, this.clock.now(), videoId);
    if (!failed) {
      const current = (await this.reels.findById(reel.id)) ?? reel;
      return { outcome: current.status === 'failed' ? 'duplicate' : 'ignored', reel: current };
    }
    this.logger.error(`❌ Reel ${failed.id} falló: ${failed.error}`);
    await this.notify(failed);
    return { outcome: 'accepted', reel: failed };
  }

  /**
   * A success that cannot be applied: the reason is noted on the reel (`lastEventError`) unless it
   * is completed already, and the reel stays as it was; the reconciliation asks HeyGen's status
   * API about it as about any reel still processing.
   */
  async refused(reel: ReelRecord, reason: string): Promise<ReelEventResult> {
    await this.reels.noteRefusedEvent(reel.id, `HeyGen's success was not applied: ${reason}`);
    this.logger.warn(`Reel ${reel.id}: HeyGen's success was not applied: ${reason}`);
    return { outcome: 'refused', reel: (await this.reels.findById(reel.id)) ?? reel, reason };
  }

  notFound(videoId: string | undefined, callbackId: string | undefined): void {
    this.logger.warn(`⚠️ No se encontró reel con video_id: ${videoId ?? '(none)'}${callbackId ? ` (callback_id: ${callbackId})` : ''}`);
  }

  /**
   * Pays what the reel's change to its final state owes (recorded as `notifyPending` in the same
   * update): the owner's e-mail, the chat notice and reel.completed / reel.failed to the
   * workspace's endpoints, then clears `notifyPending`. Each is paid once however often this
   * runs: the e-mail and the notice are queued once for good per (reel, status), and the message
   * id comes from (reel, status), so a second payment finds it stored. A reel reaches each final
   * state at most once. Never throws: the state change is what matters to HeyGen, and what fails
   * stays pending for the reconciliation.
   */
  async notify(reel: ReelRecord): Promise<void> {
    const key = { reelId: reel.id, status: reel.status };
    try {
      const owner = await this.users.findActiveById(reel.userId);
      if (owner) {
        await this.notifications.emailForWorkspace(reel.workspaceId, this.messageFor(reel, owner.email, owner.name), key, { once: true });
      } else {
        this.logger.warn(`Reel ${reel.id}: its owner ${reel.userId} no longer exists; no e-mail`);
      }
      await this.notifications.chatOnce(reel.workspaceId, this.chatEventFor(reel), key);
      await this.publish(reel);
      await this.reels.markNotified(reel.id, reel.status);
    } catch (error) {
      this.logger.error(`Reel ${reel.id}: its notices are not all queued (${errorMessage(error)}); the reconciliation will`);
    }
  }

  /** reel.completed / reel.failed to the workspace's endpoints, under the id of (reel, status). */
  private async publish(reel: ReelRecord): Promise<void> {
    if (reel.status === 'completed') {
      await this.outbound.publish(reel.workspaceId, 'reel.completed', {
        reelId: reel.id,
        title: reel.title,
        videoUrl: reel.videoUrl,
        thumbnailUrl: reel.thumbnailUrl,
        completedAt: reel.completedAt,
      }, { messageId: messageIdFor(reel.id, 0, 'reel.completed') });
    } else if (reel.status === 'failed') {
      await this.outbound.publish(reel.workspaceId, 'reel.failed', { reelId: reel.id, title: reel.title, error: reel.error, failedAt: reel.failedAt }, {
        messageId: messageIdFor(reel.id, 0, 'reel.failed'),
      });
    }
  }

  private chatEventFor(reel: ReelRecord): ChatEvent {
    const link = { label: 'Open the reel', url: `${this.linksConfig.appUrl}/reels/${reel.id}` };
    if (reel.status === 'completed') {
      return { title: `Reel ready: ${reel.title}`, text: `The reel "${reel.title}" is ready.`, level: 'success', fields: [{ name: 'Reel', value: reel.title }], link };
    }
    const reason = reel.error ?? DEFAULT_REEL_FAILURE;
    return {
      title: `Reel failed: ${reel.title}`,
      text: `The reel "${reel.title}" could not be generated: ${reason}`,
      level: 'error',
      fields: [{ name: 'Reel', value: reel.title }, { name: 'Reason', value: reason }],
      link,
    };
  }

  private messageFor(reel: ReelRecord, to: string, name: string): { to: string; subject: string; text: string } {
    if (reel.status === 'completed') {
      // The React app's page of the reel (APP_URL), where a signed-in owner downloads it.
      const link = `${this.linksConfig.appUrl}/reels/${reel.id}`;
      return {
        to,
        subject: `Your reel "${reel.title}" is ready`,
        text:
          `Hello ${name},\n\nYour reel "${reel.title}" is ready.\n\nSee and download it: ${link}\n` +
          (reel.videoUrl ? `Direct link (valid for 7 days): ${reel.videoUrl}\n` : ''),
      };
    }
    return {
      to,
      subject: `Your reel "${reel.title}" could not be generated`,
      text: `Hello ${name},\n\nYour reel "${reel.title}" could not be generated.\n\nReason: ${reel.error ?? DEFAULT_REEL_FAILURE}\n`,
    };
  }
}
