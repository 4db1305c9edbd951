import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * One bulk-generate request, kept so that its requester gets one digest when it is over. The
 * digest is claimed with a conditional update (`digestClaimedAt`, a lease a crashed sender loses
 * after a while) and marked sent (`digestSentAt`), so several instances send it once.
 */
@Schema({ collection: 'videobatches', timestamps: true })
export class VideoBatch {
  /** The id the batch's AIVideos carry in `metadata.batchId`. */
  @Prop({ required: true })
  batchId: string;

  @Prop({ type: Types.ObjectId, required: true })
  workspaceId: Types.ObjectId;

  /** Who asked: the digest goes to them. */
  @Prop({ type: Types.ObjectId, required: true })
  userId: Types.ObjectId;

  @Prop({ required: true })
  total: number;

  /**
   * Videos of the batch still in flight, as counted by the effects of their state changes: a hint
   * that makes the digest check O(1) per change. It may drift after a crash (an effect paid
   * twice), so reaching 0 is confirmed by an exact count, which also corrects it.
   */
  @Prop()
  inFlight?: number;

  /** The digest goes out by then even if some videos are still generating. */
  @Prop({ required: true })
  digestDueAt: Date;

  @Prop()
  digestClaimedAt?: Date;

  @Prop()
  digestSentAt?: Date;

  /** What the digest said. */
  @Prop({ type: Object })
  digestCounts?: { completed: number; failed: number; inFlight: number };

  createdAt: Date;
  updatedAt: Date;
}

export const VideoBatchSchema = SchemaFactory.createForClass(VideoBatch);
VideoBatchSchema.index({ batchId: 1 }, { unique: true });
// The sweep: digests due and not sent.
VideoBatchSchema.index({ digestSentAt: 1, digestDueAt: 1 });
