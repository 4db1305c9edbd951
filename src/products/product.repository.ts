import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { AnyBulkWriteOperation, Model, Types } from 'mongoose';
import { VideoStatus } from '../common/video-status.js';
import { Coalescer } from '../database/coalescer.js';
import { insertOutcomes } from '../database/insert-each.js';
import { CounterRepository } from './counter.repository.js';
import { Product } from './product.schema.js';

/** The counter that numbers products for RCK. */
const RCK_ID_COUNTER = 'products.rckId';
/** RCK's `id_product` is a 32-bit integer column: the counter must never pass it. */
const MAX_RCK_ID = 2 ** 31 - 1;

export interface ProductVideoRecord {
  videoId?: string;
  templateId?: string;
  templateName?: string;
  status: VideoStatus;
  videoUrl?: string;
  youtubeUrl?: string;
  imgS3Url?: string;
  error?: string;
  createdAt: Date;
  completedAt?: Date;
  failedAt?: Date;
}

/** A product's copy of one video, as a whole, at the video's `version`. */
export interface VideoEntrySync {
  productId: string;
  videoId: string;
  version: number;
  entry: Omit<ProductVideoRecord, 'videoId'>;
}

export interface ProductRecord {
  id: string;
  workspaceId: string;
  title: string;
  sku: string;
  imageUrls: string[];
  videos: ProductVideoRecord[];
  /** The product's `id_product` at RCK; missing only on a product created before it existed and never sent. */
  rckId?: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewProduct {
  title: string;
  sku: string;
  imageUrls: string[];
}

type LeanProduct = Product & { _id: Types.ObjectId };

/** Every read takes the workspace: an unscoped product query cannot be written by accident. */
@Injectable()
export class ProductRepository {
  constructor(
    @InjectModel(Product.name) private readonly model: Model<Product>,
    private readonly counters: CounterRepository,
  ) {}

  async create(workspaceId: string, product: NewProduct): Promise<ProductRecord> {
    const rckId = await this.nextRckId();
    const created = await this.model.create({ ...product, workspaceId: new Types.ObjectId(workspaceId), rckId });
    return toRecord(created.toObject() as LeanProduct);
  }

  /**
   * The products with their RCK ids, in the order given, giving one to each product that has none
   * yet (created before products were numbered). A product takes a number only while it has none,
   * so two dispatches of the same product at once agree on the number stored first; the other
   * number is never used.
   */
  async withRckIds(products: ProductRecord[]): Promise<Array<ProductRecord & { rckId: number }>> {
    const missing = products.filter((product) => product.rckId === undefined);
    if (missing.length === 0) return products as Array<ProductRecord & { rckId: number }>;
    await Promise.all(
      missing.map(async (product) => {
        const rckId = await this.nextRckId();
        await this.model
          .updateOne(
            { _id: new Types.ObjectId(product.id), workspaceId: new Types.ObjectId(product.workspaceId), rckId: { $exists: false } },
            { $set: { rckId } },
            // The product itself has not changed.
            { timestamps: false },
          )
          .exec();
      }),
    );
    const workspaceIds = [...new Set(missing.map((product) => product.workspaceId))].map((id) => new Types.ObjectId(id));
    const stored = await this.model
      .find({ _id: { $in: missing.map((product) => new Types.ObjectId(product.id)) }, workspaceId: { $in: workspaceIds } }, { rckId: 1 })
      .lean<Array<{ _id: Types.ObjectId; rckId?: number }>>()
      .exec();
    const rckIds = new Map(stored.map((product) => [product._id.toHexString(), product.rckId]));
    // A product deleted since the caller read it is left out, as a read now would leave it.
    return products.flatMap((product) => {
      const rckId = product.rckId ?? rckIds.get(product.id);
      return rckId === undefined ? [] : [{ ...product, rckId }];
    });
  }

  private async nextRckId(): Promise<number> {
    const rckId = await this.counters.next(RCK_ID_COUNTER);
    if (rckId > MAX_RCK_ID) throw new Error(`The products.rckId counter passed ${MAX_RCK_ID}, RCK's largest id_product`);
    return rckId;
  }

  async findInWorkspace(workspaceId: string, productId: string): Promise<ProductRecord | null> {
    if (!Types.ObjectId.isValid(productId)) return null;
    const product = await this.model
      .findOne({ _id: productId, workspaceId: new Types.ObjectId(workspaceId) })
      .lean<LeanProduct>()
      .exec();
    return product ? toRecord(product) : null;
  }

  /** The subset of `productIds` that exist in the workspace (ids of other workspaces drop out). */
  async findManyInWorkspace(workspaceId: string, productIds: string[]): Promise<ProductRecord[]> {
    const ids = productIds.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    const products = await this.model
      .find({ _id: { $in: ids }, workspaceId: new Types.ObjectId(workspaceId) })
      // All of them in the first batch: one round trip however many ids (the default is 101).
      .batchSize(Math.max(ids.length, 1))
      .lean<LeanProduct[]>()
      .exec();
    return products.map(toRecord);
  }

  async listInWorkspace(
    workspaceId: string,
    skip: number,
    limit: number,
  ): Promise<{ products: ProductRecord[]; total: number }> {
    const filter = { workspaceId: new Types.ObjectId(workspaceId) };
    const [products, total] = await Promise.all([
      this.model.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanProduct[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { products: products.map(toRecord), total };
  }

  /**
   * Brings each product's entry for each video to the given state, in one `bulkWrite`: the entry
   * is added when missing (a crash after the videos were created) and replaced only by a newer
   * version, so writes that arrive out of order (a callback racing the repair) never go back.
   */
  async syncVideoEntries(syncs: VideoEntrySync[]): Promise<void> {
    if (syncs.length === 0) return;
    await Promise.all(syncs.map((sync) => this.entrySyncs.load(sync)));
  }

  /**
   * The copies written together (one per paying request under load) share one unordered bulk
   * write. Each copy is two statements, push-if-absent and replace-if-older, which leave the same
   * result in either order; a statement's own error fails only its copy's caller.
   */
  private readonly entrySyncs = new Coalescer<VideoEntrySync, void>(async (syncs) => {
    const operations: AnyBulkWriteOperation<Product>[] = syncs.flatMap(({ productId, videoId, version, entry }) => {
      const _id = new Types.ObjectId(productId);
      const oid = new Types.ObjectId(videoId);
      const full = { ...entry, videoId: oid, version };
      return [
        { updateOne: { filter: { _id, 'videos.videoId': { $ne: oid } }, update: { $push: { videos: full } } } },
        {
          updateOne: {
            filter: { _id, videos: { $elemMatch: { videoId: oid, version: { $lt: version } } } },
            update: { $set: { 'videos.$': full } },
          },
        },
      ];
    });
    try {
      await this.model.bulkWrite(operations, { ordered: false });
      return syncs.map(() => undefined);
    } catch (error) {
      const outcomes = insertOutcomes(operations.length, error, { reportDuplicates: true });
      if (!outcomes) throw error;
      return syncs.map((_, i) => outcomes[2 * i] ?? outcomes[2 * i + 1]);
    }
  });
}

function toRecord(product: LeanProduct): ProductRecord {
  return {
    id: product._id.toHexString(),
    workspaceId: product.workspaceId.toHexString(),
    title: product.title,
    sku: product.sku,
    imageUrls: product.imageUrls ?? [],
    videos: (product.videos ?? []).map(({ version: _version, ...video }) => ({ ...video, videoId: video.videoId?.toHexString() })),
    ...(product.rckId !== undefined && { rckId: product.rckId }),
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
  };
}
