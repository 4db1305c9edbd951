import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { RefusedDeliveryWindow } from './refused-delivery-window.schema.js';

/** One address's fixed window: when it starts and ends, and until when its counts are kept. */
export interface RefusalWindow {
  address: string;
  start: Date;
  endsAt: Date;
  /** Undefined: kept forever (refused events are). */
  expiresAt?: Date;
}

@Injectable()
export class RefusedDeliveryWindowRepository {
  constructor(@InjectModel(RefusedDeliveryWindow.name) private readonly model: Model<RefusedDeliveryWindow>) {}

  /**
   * Counts one refusal and returns the window's count, in one atomic upsert, so parallel
   * refusals on several instances each get their own number and never undercount.
   */
  async countRefusal(window: RefusalWindow): Promise<number> {
    const update = () =>
      this.model
        .findOneAndUpdate(
          { _id: keyOf(window) },
          { $inc: { refused: 1 }, $setOnInsert: insertedFields(window, 'limited') },
          { upsert: true, returnDocument: 'after', projection: { refused: 1 } },
        )
        .lean<{ refused: number }>()
        .exec();
    // Two first refusals racing to insert the window: the loser's retry finds it (MongoDB retries
    // such upserts itself since 4.2; a driver or server that does not is covered here).
    const counted = await update().catch((error: unknown) => (isDuplicateKeyError(error) ? update() : Promise.reject(error)));
    return counted!.refused;
  }

  /**
   * Adds the 429s answered in each window since the last call: one unordered bulk write. An
   * upsert that lost a race to insert its window is sent again once (it then finds the window).
   */
  async addLimited(counts: Array<{ window: RefusalWindow; limited: number }>): Promise<void> {
    const ops = counts.map(({ window, limited }) => ({
      updateOne: {
        filter: { _id: keyOf(window) },
        update: { $inc: { limited }, $setOnInsert: insertedFields(window, 'refused') },
        upsert: true,
      },
    }));
    if (ops.length === 0) return;
    try {
      await this.model.bulkWrite(ops, { ordered: false });
    } catch (error) {
      const writeErrors = (error as { writeErrors?: Array<{ index: number; code?: number }> }).writeErrors;
      if (!Array.isArray(writeErrors) || !writeErrors.every((e) => e.code === 11000)) throw error;
      await this.model.bulkWrite(writeErrors.map((e) => ops[e.index]), { ordered: false });
    }
  }
}

function keyOf(window: Pick<RefusalWindow, 'address' | 'start'>): string {
  return `${window.address} ${window.start.getTime()}`;
}

/** The fields of a new window document; the other count starts at 0 (the one being added comes from $inc). */
function insertedFields(window: RefusalWindow, otherCount: 'refused' | 'limited'): Record<string, unknown> {
  return {
    address: window.address,
    windowStart: window.start,
    windowEndsAt: window.endsAt,
    [otherCount]: 0,
    ...(window.expiresAt && { expiresAt: window.expiresAt }),
  };
}
