import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { Counter } from './counter.schema.js';

@Injectable()
export class CounterRepository {
  constructor(@InjectModel(Counter.name) private readonly model: Model<Counter>) {}

  /** The sequence's next number (1 first): one atomic `$inc`, so no two callers get the same one. */
  async next(name: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const counter = await this.model
          .findOneAndUpdate({ _id: name }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', projection: { seq: 1 } })
          .lean<{ seq: number }>()
          .exec();
        return counter!.seq;
      } catch (error) {
        // Two first calls may both try to insert the counter's document; the one that loses finds
        // it on its next try (MongoDB retries most such upserts itself, not every version does).
        if (!isDuplicateKeyError(error) || attempt >= 3) throw error;
      }
    }
  }
}
