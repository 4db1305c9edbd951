import { Injectable, Logger } from '@nestjs/common';
import { ProductRepository, VideoEntrySync } from '../products/product.repository.js';
import { AIVideoRecord, AIVideoRepository } from './ai-video.repository.js';

/**
 * Keeps the product-side copy of each video ("almacenamiento dual") in step with the AIVideo,
 * which is the source of truth: the video changes first, then its product entry is written at the
 * video's version, then the video is marked in step. A crash in between leaves
 * `metadata.productSynced: false`, which the next delivery or the maintenance job repairs.
 */
@Injectable()
export class VideoSyncService {
  private readonly logger = new Logger(VideoSyncService.name);

  constructor(
    private readonly videos: AIVideoRepository,
    private readonly products: ProductRepository,
  ) {}

  /** Writes the product entries of these videos (one bulkWrite) and marks them in step. */
  async syncProductCopies(videos: AIVideoRecord[]): Promise<void> {
    const unsynced = videos.filter((video) => !video.metadata.productSynced);
    if (unsynced.length === 0) return;
    await this.products.syncVideoEntries(unsynced.map(toEntrySync));
    await this.videos.markProductsSynced(unsynced.map((video) => ({ id: video.id, version: video.metadata.version })));
  }

  /** Same, reading the videos' current state first (after a conditional update changed some). */
  async syncByIds(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.syncProductCopies(await this.videos.findManyByIds(ids));
  }

  /** The repair: product copies left behind by a crash between the two writes. */
  async repairUnsynced(now = new Date(), limit = 500): Promise<number> {
    // Only videos quiet for a few seconds, so a request still between its two writes finishes first.
    const lagging = await this.videos.findUnsynced(new Date(now.getTime() - 5000), limit);
    if (lagging.length > 0) {
      await this.syncProductCopies(lagging);
      this.logger.warn(`Repaired the product copy of ${lagging.length} video(s)`);
    }
    return lagging.length;
  }
}

export function toEntrySync(video: AIVideoRecord): VideoEntrySync {
  const { metadata } = video;
  return {
    productId: video.productId,
    videoId: video.id,
    version: metadata.version,
    entry: {
      templateId: metadata.templateId,
      templateName: metadata.templateName ?? video.template,
      status: video.status,
      ...(metadata.videoUrl && { videoUrl: metadata.videoUrl }),
      ...(metadata.youtubeVideoId && { youtubeUrl: `https://www.youtube.com/watch?v=${metadata.youtubeVideoId}` }),
      ...(metadata.imgS3Url && { imgS3Url: metadata.imgS3Url }),
      ...(video.status === 'failed' && video.error && { error: video.error }),
      createdAt: video.createdAt,
      ...(video.status === 'completed' && metadata.completedAt && { completedAt: metadata.completedAt }),
      ...(video.status === 'failed' && metadata.failedAt && { failedAt: metadata.failedAt }),
    },
  };
}
