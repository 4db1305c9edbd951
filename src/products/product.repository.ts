import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Product, VideoStatus } from './product.schema.js';

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

export interface ProductRecord {
  id: string;
  workspaceId: string;
  title: string;
  sku: string;
  imageUrls: string[];
  videos: ProductVideoRecord[];
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
  constructor(@InjectModel(Product.name) private readonly model: Model<Product>) {}

  async create(workspaceId: string, product: NewProduct): Promise<ProductRecord> {
    const created = await this.model.create({ ...product, workspaceId: new Types.ObjectId(workspaceId) });
    return toRecord(created.toObject() as LeanProduct);
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
}

function toRecord(product: LeanProduct): ProductRecord {
  return {
    id: product._id.toHexString(),
    workspaceId: product.workspaceId.toHexString(),
    title: product.title,
    sku: product.sku,
    imageUrls: product.imageUrls ?? [],
    videos: (product.videos ?? []).map((video) => ({ ...video, videoId: video.videoId?.toHexString() })),
    createdAt: product.createdAt,
    updatedAt: product.updatedAt,
  };
}
