import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import { Role } from '../common/role.enum.js';

@Schema({ collection: 'users', timestamps: true })
export class User {
  @Prop({ required: true, lowercase: true, trim: true, unique: true })
  email: string;

  @Prop({ required: true, trim: true })
  name: string;

  /** argon2id hash; never selected unless a login asks for it. */
  @Prop({ required: true, select: false })
  passwordHash: string;

  @Prop({ required: true, enum: Object.values(Role), type: String })
  role: Role;

  /** Every user but a superadmin belongs to a workspace. */
  @Prop({ type: Types.ObjectId, ref: 'Workspace', index: true })
  workspaceId?: Types.ObjectId;

  @Prop({ required: true, default: true })
  active: boolean;

  createdAt: Date;
  updatedAt: Date;
}

export type UserDocument = HydratedDocument<User>;
export const UserSchema = SchemaFactory.createForClass(User);
