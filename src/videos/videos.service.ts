import { ConflictException, HttpException, HttpStatus, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuthenticatedUser } from '../common/authenticated-user.js';
import { ProductRepository } from '../products/product.repository.js';
import { videosConfig, type VideosConfig } from './videos.config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { WorkspaceRepository } from '../workspaces/workspace.repository.js';
import { AIVideoRecord, AIVideoRepository, VideoListFilter } from './ai-video.repository.js';
import { BatchDigestService } from './batch-digest.service.js';
import { VideoDispatchService } from './video-dispatch.service.js';
import { VideoEffectsService } from './video-effects.service.js';
import { VideoSyncService } from './video-sync.service.js';

export interface BulkGenerateRequest {
  productIds: string[];
  templateId: string;
  templateName: string;
  aspectRatio: string;
}

export interface BulkGenerateResult {
  videoIds: string[];
  videos: Array<{ videoId: string; productId: string; status: string }>;
}

/** 402: the plan's monthly allowance does not cover the request. */
export class PaymentRequiredException extends HttpException {
  constructor(message: string) {
    super(message, HttpStatus.PAYMENT_REQUIRED);
  }
}

@Injectable()
export class VideosService {
  private readonly logger = new Logger(VideosService.name);

  constructor(
    @Inject(videosConfig.KEY) private readonly config: VideosConfig,
    private readonly videos: AIVideoRepository,
    private readonly products: ProductRepository,
    private readonly workspaces: WorkspaceRepository,
    private readonly dispatcher: VideoDispatchService,
    private readonly sync: VideoSyncService,
    private readonly metrics: MetricsService,
    private readonly digests: BatchDigestService,
    private readonly effects: VideoEffectsService,
  ) {}

  /**
   * Bulk generation (docs/contracts/rck.md#our-call-create-images-batch), made safe: every product
   * checked first (nothing is created, charged or sent otherwise), the whole batch charged in one
   * atomic step, the AIVideos and their product entries written before RCK is called, then the
   * first send.
   */
  async bulkGenerate(user: AuthenticatedUser, workspaceId: string, request: BulkGenerateRequest): Promise<BulkGenerateResult> {
    const { productIds } = request;
    const found = await this.products.findManyInWorkspace(workspaceId, productIds);
    const byId = new Map(found.map((product) => [product.id, product]));
    const missing = productIds.filter((id) => !byId.has(id));
    if (missing.length > 0) throw new NotFoundException(`Products not found: ${missing.join(', ')}`);

    const reservation = await this.workspaces.reserveVideoQuota(workspaceId, productIds.length);
    if (!reservation.reserved) {
      if (reservation.reason === 'workspace_not_found') throw new NotFoundException('Workspace not found');
      const remaining = Math.max(0, reservation.monthlyVideoLimit - reservation.videosGenerated);
      throw new PaymentRequiredException(
        `Monthly video limit reached: ${remaining} of ${reservation.monthlyVideoLimit} videos remain this month, ` +
          `${productIds.length} requested`,
      );
    }

    const batchId = randomUUID();
    let created: AIVideoRecord[];
    try {
      // The batch first: a video never exists without the record its requester's digest needs.
      await this.digests.opened({ batchId, workspaceId, userId: user.userId, total: productIds.length });
      created = await this.videos.insertBatch(
        productIds.map((productId) => ({
          userId: user.userId,
          workspaceId,
          productId,
          templateId: request.templateId,
          templateName: request.templateName,
          aspectRatio: request.aspectRatio,
          batchId,
          quotaPeriod: reservation.period,
          queuedAt: new Date(),
        })),
      );
    } catch (error) {
      await this.digests.abandoned(batchId).catch(() => undefined);
      await this.workspaces.releaseVideoQuota(workspaceId, reservation.period, productIds.length);
      throw error;
    }
    this.logger.log(`Batch ${batchId}: ${created.length} video(s) created for workspace ${workspaceId}`);
    this.metrics.videoEntered('generating', created.length);

    try {
      await this.sync.syncProductCopies(created);
    } catch (error) {
      // The videos exist and are charged: send them anyway; the maintenance job adds the entries.
      this.logger.error({ err: error }, `Batch ${batchId}: product entries not written yet`);
    }

    const statuses = await this.dispatcher.dispatchNow(created, byId);
    return {
      videoIds: created.map((video) => video.id),
      videos: created.map((video) => ({
        videoId: video.id,
        productId: video.productId,
        status: statuses.get(video.id) ?? video.status,
      })),
    };
  }

  async get(workspaceId: string | undefined, id: string): Promise<AIVideoRecord> {
    const video = workspaceId ? await this.videos.findInWorkspace(workspaceId, id) : await this.videos.findById(id);
    if (!video) throw new NotFoundException('Video not found');
    return video;
  }

  list(workspaceId: string, filter: VideoListFilter, skip: number, limit: number) {
    return this.videos.listInWorkspace(workspaceId, filter, skip, limit);
  }

  /** A superadmin's "marcar como failed desde el admin". */
  async failByHand(id: string, reason: string, superadminId: string): Promise<AIVideoRecord> {
    const current = await this.get(undefined, id);
    const failed = await this.videos.fail(current, reason, { failedBy: superadminId, chat: true });
    if (!failed) throw new ConflictException(`Video is already ${(await this.get(undefined, id)).status}`);
    this.metrics.videoEntered('failed');
    this.logger.warn(`Video ${id} (was ${current.status}) marked failed by ${superadminId}: ${reason}`);
    await this.effects.pay([failed]);
    return failed;
  }

  /**
   * A new attempt of a failed video. It takes a quota unit only when a terminal dispatch failure
   * gave its unit back; the first send happens now, like a bulk request's.
   */
  async retry(workspaceId: string, id: string): Promise<AIVideoRecord> {
    const video = await this.get(workspaceId, id);
    if (video.status !== 'failed') throw new ConflictException(`Only a failed video can be retried; this one is ${video.status}`);
    const max = this.config.maxRetries;
    if (video.metadata.retryCount >= max) throw new ConflictException(`Video has reached the retry limit (${max})`);
    const product = await this.products.findInWorkspace(workspaceId, video.productId);
    if (!product) throw new NotFoundException('Product not found');

    // What the failure still owes (its quota unit among it) is paid before a unit is taken again.
    if (video.metadata.owed?.length) await this.effects.pay([video]);
    let quota: { period: string } | undefined;
    if (!video.metadata.quotaHeld) {
      const reservation = await this.workspaces.reserveVideoQuota(workspaceId, 1);
      if (!reservation.reserved) {
        throw new PaymentRequiredException('Monthly video limit reached: 0 videos remain this month');
      }
      quota = { period: reservation.period };
    }
    const retried = await this.videos.startRetry(video, max, quota);
    if (!retried) {
      if (quota) await this.workspaces.releaseVideoQuota(workspaceId, quota.period, 1);
      throw new ConflictException('Video changed meanwhile; read it again before retrying');
    }
    this.metrics.videoEntered('pending');
    await this.effects.pay([retried]);
    this.logger.log(`Video ${id}: retry ${retried.metadata.retryCount} of ${max}`);
    await this.dispatcher.dispatchNow([retried], new Map([[product.id, product]]));
    return this.get(workspaceId, id);
  }
}
