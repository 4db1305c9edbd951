import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { LoginAttempt } from './login-attempt.schema.js';

@Injectable()
export class LoginAttemptRepository {
  constructor(@InjectModel(LoginAttempt.name) private readonly model: Model<LoginAttempt>) {}

  /** When the email has used up its failures in the current window: when that window ends. */
  async lockedUntil(email: string, maxFailures: number, now: Date): Promise<Date | undefined> {
    const attempt = await this.model
      .findOne({ _id: email, failures: { $gte: maxFailures }, windowEndsAt: { $gt: now } })
      .lean()
      .exec();
    return attempt?.windowEndsAt;
  }

  /**
   * Counts one failure in one atomic pipeline update: inside a running window it adds one,
   * otherwise (no document, or an expired window the TTL monitor has not removed yet) it opens a
   * new window with a count of one. Concurrent failures are all counted.
   */
  async recordFailure(email: string, windowMs: number, now: Date): Promise<void> {
    const running = { $gt: ['$windowEndsAt', now] };
    await this.model
      .updateOne(
        { _id: email },
        [
          {
            $set: {
              failures: { $cond: [running, { $add: ['$failures', 1] }, 1] },
              windowEndsAt: { $cond: [running, '$windowEndsAt', new Date(now.getTime() + windowMs)] },
            },
          },
        ],
        { upsert: true, updatePipeline: true },
      )
      .exec();
  }

  async clear(email: string): Promise<void> {
    await this.model.deleteOne({ _id: email }).exec();
  }
}
