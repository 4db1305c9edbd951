import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import { VIDEO_STATUSES, VideoStatus } from '../common/video-status.js';

/**
 * The product-side copy of a video ("almacenamiento dual"): just what a product page renders,
 * kept in step with the AIVideo record on every webhook.
 */
@Schema({ _id: false })
export class ProductVideo {
  /** The AIVideo record this entry mirrors. */
  @Prop({ type: Types.ObjectId })
  videoId?: Types.ObjectId;

  @Prop()
  templateId?: string;

  @Prop()
  templateName?: string;

  @Prop({ required: true, enum: VIDEO_STATUSES, type: String })
  status: VideoStatus;

  @Prop()
  videoUrl?: string;

  @Prop()
  youtubeUrl?: string;

  @Prop()
  imgS3Url?: string;

  @Prop()
  error?: string;

  @Prop({ required: true, default: () => new Date() })
  createdAt: Date;

  @Prop()
  completedAt?: Date;

  @Prop()
  failedAt?: Date;

  /** The AIVideo `metadata.version` this entry shows: an older state never overwrites a newer one. */
  @Prop()
  version?: number;
}

@Schema({ collection: 'products', timestamps: true })
export class Product {
  @Prop({ type: Types.ObjectId, ref: 'Workspace', required: true })
  workspaceId: Types.ObjectId;

  @Prop({ required: true, trim: true })
  title: string;

  @Prop({ required: true, trim: true })
  sku: string;

  @Prop({ type: [String], default: [] })
  imageUrls: string[];

  @Prop({ type: [SchemaFactory.createForClass(ProductVideo)], default: [] })
  videos: ProductVideo[];

  /**
   * The product's `id_product` at RCK: a positive 32-bit integer from the `products.rckId`
   * counter, taken when the product is created. Products created before it existed get theirs on
   * their first dispatch.
   */
  @Prop()
  rckId?: number;

  createdAt: Date;
  updatedAt: Date;
}

export type ProductDocument = HydratedDocument<Product>;
export const ProductSchema = SchemaFactory.createForClass(Product);
// A SKU identifies a product within its workspace; listing pages sort newest first.
ProductSchema.index({ workspaceId: 1, sku: 1 }, { unique: true });
ProductSchema.index({ workspaceId: 1, createdAt: -1 });
// One product per RCK id; older products have none until their first dispatch.
ProductSchema.index({ rckId: 1 }, { unique: true, partialFilterExpression: { rckId: { $exists: true } } });
