import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Role } from '../common/role.enum.js';
import { User } from './user.schema.js';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: Role;
  workspaceId?: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  workspaceId?: string;
}

type LeanUser = User & { _id: Types.ObjectId };

@Injectable()
export class UserRepository {
  constructor(@InjectModel(User.name) private readonly model: Model<User>) {}

  async create(user: NewUser): Promise<UserRecord> {
    const created = await this.model.create({
      ...user,
      workspaceId: user.workspaceId ? new Types.ObjectId(user.workspaceId) : undefined,
    });
    return toRecord(created.toObject() as LeanUser);
  }

  async findActiveById(id: string): Promise<UserRecord | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    const user = await this.model.findOne({ _id: id, active: true }).lean<LeanUser>().exec();
    return user ? toRecord(user) : null;
  }

  /** The only read that returns the password hash: login needs it, nothing else does. */
  async findForLogin(email: string): Promise<(UserRecord & { passwordHash: string }) | null> {
    const user = await this.model
      .findOne({ email: email.trim().toLowerCase(), active: true })
      .select('+passwordHash')
      .lean<LeanUser>()
      .exec();
    return user ? { ...toRecord(user), passwordHash: user.passwordHash } : null;
  }

  /** Replaces the password hash if it is still `oldHash` (a rehash never overwrites a change). */
  async replacePasswordHash(id: string, oldHash: string, newHash: string): Promise<boolean> {
    const result = await this.model.updateOne({ _id: new Types.ObjectId(id), passwordHash: oldHash }, { $set: { passwordHash: newHash } }).exec();
    return result.modifiedCount === 1;
  }

  /** The workspace's active users with one of these roles (e.g. its producers, to tell them something). */
  async findActiveInWorkspace(workspaceId: string, roles: Role[]): Promise<UserRecord[]> {
    const users = await this.model
      .find({ workspaceId: new Types.ObjectId(workspaceId), role: { $in: roles }, active: true })
      .sort({ _id: 1 })
      .lean<LeanUser[]>()
      .exec();
    return users.map(toRecord);
  }

  async existsWithRole(role: Role): Promise<boolean> {
    return (await this.model.exists({ role }).exec()) !== null;
  }

  async list(skip: number, limit: number): Promise<{ users: UserRecord[]; total: number }> {
    const [users, total] = await Promise.all([
      this.model.find().sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<LeanUser[]>().exec(),
      this.model.countDocuments().exec(),
    ]);
    return { users: users.map(toRecord), total };
  }
}

function toRecord(user: LeanUser): UserRecord {
  return {
    id: user._id.toHexString(),
    email: user.email,
    name: user.name,
    role: user.role,
    workspaceId: user.workspaceId?.toHexString(),
    active: user.active,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
