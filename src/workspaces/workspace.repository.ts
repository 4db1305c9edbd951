import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { usagePeriodOf } from './usage-period.js';
import { Workspace } from './workspace.schema.js';

/** How many released-unit keys a workspace keeps (see releaseVideoQuotaOnce). */
const RELEASE_KEYS_KEPT = 1000;

export interface WorkspaceRecord {
  id: string;
  name: string;
  plan: { name: string; monthlyVideoLimit: number };
  usage: { period: string; videosGenerated: number };
  createdAt: Date;
  updatedAt: Date;
}

export type QuotaReservation =
  | { reserved: true; period: string; videosGenerated: number; monthlyVideoLimit: number }
  | { reserved: false; reason: 'workspace_not_found' }
  | { reserved: false; reason: 'limit_exceeded'; period: string; videosGenerated: number; monthlyVideoLimit: number };

type LeanWorkspace = Workspace & { _id: Types.ObjectId };

@Injectable()
export class WorkspaceRepository {
  constructor(@InjectModel(Workspace.name) private readonly model: Model<Workspace>) {}

  async create(name: string, plan: { name: string; monthlyVideoLimit: number }, now = new Date()) {
    const created = await this.model.create({ name, plan, usage: { period: usagePeriodOf(now), videosGenerated: 0 } });
    return toRecord(created.toObject() as LeanWorkspace);
  }

  async findById(id: string): Promise<WorkspaceRecord | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const workspace = await this.model.findById(id).lean<LeanWorkspace>().exec();
    return workspace ? toRecord(workspace) : null;
  }

  async exists(id: string): Promise<boolean> {
    return Types.ObjectId.isValid(id) && (await this.model.exists({ _id: id }).exec()) !== null;
  }

  async list(skip: number, limit: number): Promise<{ workspaces: WorkspaceRecord[]; total: number }> {
    const [workspaces, total] = await Promise.all([
      this.model.find().sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanWorkspace[]>().exec(),
      this.model.countDocuments().exec(),
    ]);
    return { workspaces: workspaces.map(toRecord), total };
  }

  /**
   * Takes `count` videos from this month's allowance, or nothing. Each attempt is one atomic
   * conditional update on the workspace document, so concurrent requests can never push usage
   * past the plan's limit; a request in a new month resets the counter in that same update.
   */
  async reserveVideoQuota(workspaceId: string, count: number, now = new Date()): Promise<QuotaReservation> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    if (!Types.ObjectId.isValid(workspaceId)) return { reserved: false, reason: 'workspace_not_found' };
    const _id = new Types.ObjectId(workspaceId);
    let period = usagePeriodOf(now);
    // A rollover racing with another one can make both conditional updates miss once; retrying
    // settles it because the second pass sees the new period.
    for (let attempt = 0; attempt < 3; attempt++) {
      const sameMonth = await this.model
        .findOneAndUpdate(
          {
            _id,
            'usage.period': period,
            $expr: { $lte: [{ $add: ['$usage.videosGenerated', count] }, '$plan.monthlyVideoLimit'] },
          },
          { $inc: { 'usage.videosGenerated': count } },
          { returnDocument: 'after' },
        )
        .lean<LeanWorkspace>()
        .exec();
      if (sameMonth) return reserved(sameMonth);

      const newMonth = await this.model
        .findOneAndUpdate(
          { _id, 'usage.period': { $lt: period }, 'plan.monthlyVideoLimit': { $gte: count } },
          { $set: { 'usage.period': period, 'usage.videosGenerated': count } },
          { returnDocument: 'after' },
        )
        .lean<LeanWorkspace>()
        .exec();
      if (newMonth) return reserved(newMonth);

      const current = await this.model.findById(_id).lean<LeanWorkspace>().exec();
      if (!current) return { reserved: false, reason: 'workspace_not_found' };
      // Another instance with a clock already in the next month rolled the counter over: count
      // against that month rather than ever rolling it back.
      if (current.usage.period > period) {
        period = current.usage.period;
        continue;
      }
      const used = current.usage.period === period ? current.usage.videosGenerated : 0;
      if (used + count > current.plan.monthlyVideoLimit) {
        return {
          reserved: false,
          reason: 'limit_exceeded',
          period,
          videosGenerated: used,
          monthlyVideoLimit: current.plan.monthlyVideoLimit,
        };
      }
    }
    throw new Error(`Could not reserve video quota for workspace ${workspaceId} after 3 attempts`);
  }

  /** Gives back a reservation that was not used (e.g. the generator refused the job). */
  /**
   * Gives one unit of `period` back, once for `key` (a state change of one video): the key is
   * recorded in the same update as the decrement, so a repeated payment finds it and changes
   * nothing. The workspace keeps the latest RELEASE_KEYS_KEPT keys; a repeat comes within
   * minutes (the effects sweep), long before its key could be pushed out.
   */
  async releaseVideoQuotaOnce(workspaceId: string, period: string, key: string): Promise<void> {
    if (!Types.ObjectId.isValid(workspaceId)) return;
    await this.model
      .updateOne(
        { _id: new Types.ObjectId(workspaceId), 'usage.period': period, 'usage.videosGenerated': { $gte: 1 }, 'usage.released': { $ne: key } },
        { $inc: { 'usage.videosGenerated': -1 }, $push: { 'usage.released': { $each: [key], $slice: -RELEASE_KEYS_KEPT } } },
      )
      .exec();
  }

  async releaseVideoQuota(workspaceId: string, period: string, count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    if (!Types.ObjectId.isValid(workspaceId)) return;
    await this.model
      .updateOne(
        { _id: new Types.ObjectId(workspaceId), 'usage.period': period, 'usage.videosGenerated': { $gte: count } },
        { $inc: { 'usage.videosGenerated': -count } },
      )
      .exec();
  }
}

function reserved(workspace: LeanWorkspace): QuotaReservation {
  return {
    reserved: true,
    period: workspace.usage.period,
    videosGenerated: workspace.usage.videosGenerated,
    monthlyVideoLimit: workspace.plan.monthlyVideoLimit,
  };
}

function toRecord(workspace: LeanWorkspace): WorkspaceRecord {
  return {
    id: workspace._id.toHexString(),
    name: workspace.name,
    plan: { name: workspace.plan.name, monthlyVideoLimit: workspace.plan.monthlyVideoLimit },
    usage: { period: workspace.usage.period, videosGenerated: workspace.usage.videosGenerated },
    createdAt: workspace.createdAt,
    updatedAt: workspace.updatedAt,
  };
}
