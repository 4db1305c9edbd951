import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * Login attempts for one email from one client address in the current window; a successful login
 * deletes the document, so what remains counts failures. Counted per address too, so a stranger
 * who knows an email can lock it out only for themselves, not for its owner signing in from
 * elsewhere. Kept in MongoDB rather than in memory so every instance of the service sees the same
 * count; the TTL index removes a window once it ends.
 */
@Schema({ collection: 'login_attempts', versionKey: false })
export class LoginAttempt {
  /** `<email> <client address>`. */
  @Prop({ type: String })
  _id: string;

  /** The normalised email, so a superadmin can lift every lock on it at once. */
  @Prop({ required: true, index: true })
  email: string;

  @Prop({ required: true })
  clientAddress: string;

  @Prop({ required: true })
  attempts: number;

  @Prop({ required: true, expires: 0 })
  windowEndsAt: Date;
}

export const LoginAttemptSchema = SchemaFactory.createForClass(LoginAttempt);
