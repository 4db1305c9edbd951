import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { LoginAttempt } from './login-attempt.schema.js';

@Injectable()
export class LoginAttemptRepository {
  constructor(@InjectModel(LoginAttempt.name) private readonly model: Model<LoginAttempt>) {}

  /**
   * Counts one attempt and returns the count in the current window, in one atomic pipeline
   * upsert: inside a running window it adds one, otherwise (no document, or an ended window the
   * TTL monitor has not removed yet) it opens a new window with a count of one. The attempt is
   * counted before the password is checked, so a burst of parallel guesses cannot all slip in
   * before the first failure is recorded.
   */
  async countAttempt(
    email: string,
    clientAddress: string,
    windowMs: number,
    now: Date,
  ): Promise<{ attempts: number; windowEndsAt: Date }> {
    const running = { $gt: ['$windowEndsAt', now] };
    const attempt = await this.model
      .findOneAndUpdate(
        { _id: keyOf(email, clientAddress) },
        [
          {
            $set: {
              email,
              clientAddress,
              attempts: { $cond: [running, { $add: ['$attempts', 1] }, 1] },
              windowEndsAt: { $cond: [running, '$windowEndsAt', new Date(now.getTime() + windowMs)] },
            },
          },
        ],
        { upsert: true, returnDocument: 'after', updatePipeline: true },
      )
      .lean()
      .exec();
    return { attempts: attempt!.attempts, windowEndsAt: attempt!.windowEndsAt };
  }

  async clear(email: string, clientAddress: string): Promise<void> {
    await this.model.deleteOne({ _id: keyOf(email, clientAddress) }).exec();
  }

  /** Lifts the lock on an email from every address; returns how many addresses had one. */
  async clearAllFor(email: string): Promise<number> {
    return (await this.model.deleteMany({ email }).exec()).deletedCount;
  }
}

function keyOf(email: string, clientAddress: string): string {
  return `${email} ${clientAddress}`;
}
