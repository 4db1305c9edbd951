import { BadGatewayException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { workspaceScope } from '../common/workspace-scope.js';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { Role } from '../common/role.enum.js';
import { Clock } from '../common/clock.js';
import { httpUrlProblem, isHttpUrl, usableHttpUrl } from '../common/http-url.js';
import { HeygenApiError } from './heygen.client.js';
import { HeygenClient } from './heygen.provider.js';
import { ReelGenerationService } from './reel-generation.service.js';
import { NewReel, ReelRecord, ReelRepository } from './reel.repository.js';
import { ReelStatus } from './reel.schema.js';

/**
 * HeyGen's video and thumbnail URLs expire 7 days after they are issued; one older than this is
 * refreshed before it is handed out, so a link given out stays good for at least an hour.
 */
export const HEYGEN_URL_REFRESH_AFTER_MS = 7 * 24 * 3600_000 - 3600_000;

/** States in which a second approval is the same click again, not a conflict. */
const APPROVED_ALREADY: ReelStatus[] = ['approved', 'processing', 'completed', 'failed'];

/**
 * The reel flow (docs/contracts/heygen.md#the-flow) from the app's side: a user requests a reel, a
 * producer of its workspace (or a superadmin) approves or rejects it, the approval queues the
 * HeyGen call, and the owner, the workspace's producers and superadmins can download the result.
 */
@Injectable()
export class ReelsService {
  private readonly logger = new Logger(ReelsService.name);

  constructor(
    private readonly reels: ReelRepository,
    private readonly generation: ReelGenerationService,
    private readonly heygen: HeygenClient,
    private readonly clock: Clock,
  ) {}

  request(reel: NewReel): Promise<ReelRecord> {
    return this.reels.create(reel);
  }

  /** A user sees their own reels; a producer the workspace's; a superadmin any workspace's. */
  list(user: AuthenticatedUser, workspaceId: string, status: ReelStatus | undefined, skip: number, limit: number) {
    const userId = user.role === Role.User ? user.userId : undefined;
    return this.reels.listInWorkspace(workspaceId, { status, userId }, skip, limit);
  }

  /** The reel if the caller may see it: its owner, a producer of its workspace, a superadmin; else 404. */
  async get(user: AuthenticatedUser, id: string): Promise<ReelRecord> {
    const reel = user.role === Role.SuperAdmin ? await this.reels.findById(id) : user.workspaceId ? await this.reels.findInWorkspace(user.workspaceId, id) : null;
    if (!reel || (user.role === Role.User && reel.userId !== user.userId)) throw new NotFoundException('Reel not found');
    return reel;
  }

  /**
   * requested → approved, and the HeyGen call is queued. Approving again (a double click) answers
   * the reel as it is and queues nothing: only the approval that changed the state queues the call.
   */
  async approve(user: AuthenticatedUser, id: string): Promise<{ reel: ReelRecord; changed: boolean }> {
    const reel = await this.get(user, id);
    const approved = await this.reels.approve(reel.id, user.userId, this.clock.now());
    if (approved) {
      await this.generation.enqueue(approved.id);
      this.logger.log(`Reel ${approved.id} approved by ${user.userId}; queued for HeyGen`);
      return { reel: approved, changed: true };
    }
    const current = (await this.reels.findById(reel.id))!;
    if (APPROVED_ALREADY.includes(current.status)) return { reel: current, changed: false };
    throw new ConflictException(`Reel is ${current.status}; only a requested reel can be approved`);
  }

  async reject(user: AuthenticatedUser, id: string, reason: string): Promise<ReelRecord> {
    const reel = await this.get(user, id);
    const rejected = await this.reels.reject(reel.id, user.userId, reason, this.clock.now());
    if (rejected) return rejected;
    const current = (await this.reels.findById(reel.id))!;
    if (current.status === 'rejected') return current;
    throw new ConflictException(`Reel is ${current.status}; only a requested reel can be rejected`);
  }

  /**
   * The video's URL, refreshed from HeyGen's status API when the one we have is about to expire,
   * or is not a usable http(s) URL (stored before HeyGen's URLs were checked): only such a URL is
   * ever handed out or redirected to; without one the answer is a 502 saying so.
   */
  async downloadUrl(user: AuthenticatedUser, id: string): Promise<ReelRecord & { videoUrl: string; urlsFetchedAt: Date }> {
    const reel = await this.get(user, id);
    if (reel.status !== 'completed') throw new ConflictException(`Reel is ${reel.status}; only a completed reel can be downloaded`);
    const now = this.clock.now();
    const usable = isHttpUrl(reel.videoUrl);
    const fresh = usable && reel.urlsFetchedAt && now.getTime() - reel.urlsFetchedAt.getTime() < HEYGEN_URL_REFRESH_AFTER_MS;
    if (fresh) return withUsableUrls(reel as ReelRecord & { videoUrl: string; urlsFetchedAt: Date });
    if (reel.videoUrl !== undefined && !usable) this.logger.warn(`Reel ${reel.id}: its stored video URL is not a usable http(s) URL; asking HeyGen for a fresh one`);
    if (!reel.heygenVideoId) throw new ConflictException('Reel has no HeyGen video to download');
    let status;
    try {
      status = await this.heygen.videoStatus(reel.heygenVideoId);
    } catch (error) {
      const reason = error instanceof HeygenApiError ? error.message : String(error);
      this.logger.warn(`Reel ${reel.id}: refreshing its video URL failed: ${reason}`);
      throw new BadGatewayException(
        usable ? 'Could not get a fresh video link from HeyGen; try again later' : 'The stored video link is not an http(s) URL, and HeyGen could not give a fresh one; try again later',
      );
    }
    if (status.status !== 'completed' || !status.videoUrl) throw new BadGatewayException('HeyGen has no video for this reel any more');
    const problem = httpUrlProblem(status.videoUrl);
    if (problem) {
      this.logger.warn(`Reel ${reel.id}: HeyGen's fresh video URL ${problem}`);
      throw new BadGatewayException('HeyGen gave no usable video link for this reel (not an http(s) URL); try again later');
    }
    const thumbnailUrl = isHttpUrl(status.thumbnailUrl) ? status.thumbnailUrl : undefined;
    const refreshed = await this.reels.refreshUrls(reel.id, { videoUrl: status.videoUrl, thumbnailUrl }, now);
    this.logger.log(`Reel ${reel.id}: video URL refreshed from HeyGen`);
    return withUsableUrls((refreshed ?? { ...reel, videoUrl: status.videoUrl, thumbnailUrl, urlsFetchedAt: now }) as ReelRecord & { videoUrl: string; urlsFetchedAt: Date });
  }

  /** The workspace a list reads: the caller's own, or any one a superadmin names. */
  scopeOf(user: AuthenticatedUser, requested?: string): string {
    return workspaceScope(user, requested);
  }
}

/** A thumbnail stored before HeyGen's URLs were checked is left out unless it is usable. */
function withUsableUrls<T extends ReelRecord>(reel: T): T {
  return { ...reel, thumbnailUrl: usableHttpUrl(reel.thumbnailUrl) };
}
