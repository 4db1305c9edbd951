import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Failed logins for one email in the current window. Kept in MongoDB rather than in memory so
 * every instance of the service sees the same count; the TTL index removes a window once it ends.
 */
@Schema({ collection: 'login_attempts', versionKey: false })
export class LoginAttempt {
  /** The normalised email. */
  @Prop({ type: String })
  _id: string;

  @Prop({ required: true })
  failures: number;

  @Prop({ required: true, expires: 0 })
  windowEndsAt: Date;
}

export const LoginAttemptSchema = SchemaFactory.createForClass(LoginAttempt);
