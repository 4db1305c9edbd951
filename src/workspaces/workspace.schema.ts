import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument } from 'mongoose';

@Schema({ _id: false })
export class SubscriptionPlan {
  @Prop({ required: true, trim: true })
  name: string;

  @Prop({ required: true, min: 0 })
  monthlyVideoLimit: number;
}

/**
 * Usage is kept per calendar month (UTC) as `period: 'YYYY-MM'`. The first reservation in a new
 * month resets the counter in the same atomic update, so the month rolls over without a job.
 */
@Schema({ _id: false })
export class WorkspaceUsage {
  @Prop({ required: true })
  period: string;

  @Prop({ required: true, default: 0, min: 0 })
  videosGenerated: number;

  /** Keys of the latest units given back (releaseVideoQuotaOnce), so a repeated release gives nothing. */
  @Prop({ type: [String], default: undefined })
  released?: string[];
}

@Schema({ collection: 'workspaces', timestamps: true })
export class Workspace {
  @Prop({ required: true, trim: true })
  name: string;

  @Prop({ type: SchemaFactory.createForClass(SubscriptionPlan), required: true })
  plan: SubscriptionPlan;

  @Prop({ type: SchemaFactory.createForClass(WorkspaceUsage), required: true })
  usage: WorkspaceUsage;

  createdAt: Date;
  updatedAt: Date;
}

export type WorkspaceDocument = HydratedDocument<Workspace>;
export const WorkspaceSchema = SchemaFactory.createForClass(Workspace);
