import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Login attempts for one email in the current window; a successful login deletes the document,
 * so what remains counts failures. Kept in MongoDB rather than in memory so every instance of the
 * service sees the same count; the TTL index removes a window once it ends.
 */
@Schema({ collection: 'login_attempts', versionKey: false })
export class LoginAttempt {
  /** The normalised email. */
  @Prop({ type: String })
  _id: string;

  @Prop({ required: true })
  attempts: number;

  @Prop({ required: true, expires: 0 })
  windowEndsAt: Date;
}

export const LoginAttemptSchema = SchemaFactory.createForClass(LoginAttempt);
