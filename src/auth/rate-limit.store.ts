import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Model } from 'mongoose';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One fixed window of requests for one key (a route and a client address). Kept in MongoDB so
 * every instance of the service counts together; the TTL index removes a window once it ends.
 */
@Schema({ collection: 'rate_limits', versionKey: false })
export class RateLimitWindow {
  @Prop({ type: String })
  _id: string;

  @Prop({ required: true })
  hits: number;

  @Prop({ required: true, expires: 0 })
  windowEndsAt: Date;
}

export const RateLimitWindowSchema = SchemaFactory.createForClass(RateLimitWindow);

/**
 * @nestjs/throttler's storage on MongoDB: each hit is one atomic pipeline upsert (a running window
 * adds one; an ended or missing one starts again at one), so parallel requests on several
 * instances never undercount. A key over its limit stays blocked until its window ends (the
 * throttler's separate `blockDuration` is not used).
 */
export class MongoThrottlerStorage implements ThrottlerStorage {
  constructor(private readonly model: Model<RateLimitWindow>) {}

  async increment(key: string, ttl: number, limit: number, _blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = new Date();
    const running = { $gt: ['$windowEndsAt', now] };
    const window = await this.model
      .findOneAndUpdate(
        { _id: `${throttlerName}:${key}` },
        [
          {
            $set: {
              hits: { $cond: [running, { $add: ['$hits', 1] }, 1] },
              windowEndsAt: { $cond: [running, '$windowEndsAt', new Date(now.getTime() + ttl)] },
            },
          },
        ],
        { upsert: true, returnDocument: 'after', updatePipeline: true },
      )
      .lean()
      .exec();
    const secondsLeft = Math.max(1, Math.ceil((window!.windowEndsAt.getTime() - now.getTime()) / 1000));
    const isBlocked = window!.hits > limit;
    return { totalHits: window!.hits, timeToExpire: secondsLeft, isBlocked, timeToBlockExpire: isBlocked ? secondsLeft : 0 };
  }
}
