import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../common/mongo-errors.js';
import { WebhookSource } from '../inbound-webhook-contract/signature-verifiers.js';
import { WebhookSourceDoc, WebhookSourceState } from './webhook-source.schema.js';

export interface WebhookSourceRecord {
  source: WebhookSource;
  state: WebhookSourceState;
  pausedAt?: Date;
  pausedBy?: string;
  resumedAt?: Date;
  generation: number;
}

const ACTIVE = (source: WebhookSource): WebhookSourceRecord => ({ source, state: 'active', generation: 0 });

/** The pause state of each source (see WebhookSourceDoc); every change is one conditional update. */
@Injectable()
export class WebhookSourceRepository {
  constructor(@InjectModel(WebhookSourceDoc.name) private readonly model: Model<WebhookSourceDoc>) {}

  async findAll(): Promise<WebhookSourceRecord[]> {
    const docs = await this.model.find({}, { _id: 0, source: 1, state: 1, pausedAt: 1, pausedBy: 1, resumedAt: 1, generation: 1 }).lean<WebhookSourceRecord[]>().exec();
    return docs;
  }

  async find(source: WebhookSource): Promise<WebhookSourceRecord> {
    const doc = await this.model.findOne({ source }, { _id: 0, source: 1, state: 1, pausedAt: 1, pausedBy: 1, resumedAt: 1, generation: 1 }).lean<WebhookSourceRecord>().exec();
    return doc ?? ACTIVE(source);
  }

  /** Paused (from active or resuming); null when it was paused already (the first pause stands). */
  async pause(source: WebhookSource, by: string, now = new Date()): Promise<WebhookSourceRecord | null> {
    try {
      return await this.model
        .findOneAndUpdate(
          { source, state: { $ne: 'paused' } },
          { $set: { state: 'paused', pausedAt: now, pausedBy: by, updatedAt: now }, $unset: { resumedAt: '' }, $setOnInsert: { generation: 0 } },
          { upsert: true, returnDocument: 'after', projection: { _id: 0, source: 1, state: 1, pausedAt: 1, pausedBy: 1, generation: 1 } },
        )
        .lean<WebhookSourceRecord>()
        .exec();
    } catch (error) {
      // The upsert lost to a concurrent one, or found the source paused already.
      if (isDuplicateKeyError(error)) return null;
      throw error;
    }
  }

  /** Paused → resuming, as a new generation; null when it was not paused. */
  async resume(source: WebhookSource, now = new Date()): Promise<WebhookSourceRecord | null> {
    return this.model
      .findOneAndUpdate(
        { source, state: 'paused' },
        { $set: { state: 'resuming', resumedAt: now, updatedAt: now }, $inc: { generation: 1 } },
        { returnDocument: 'after', projection: { _id: 0, source: 1, state: 1, pausedAt: 1, pausedBy: 1, resumedAt: 1, generation: 1 } },
      )
      .lean<WebhookSourceRecord>()
      .exec();
  }

  /** Resuming → active, only for the resume of this generation; false otherwise. */
  async activate(source: WebhookSource, generation: number, now = new Date()): Promise<boolean> {
    const result = await this.model
      .updateOne({ source, state: 'resuming', generation }, { $set: { state: 'active', updatedAt: now }, $unset: { pausedAt: '', pausedBy: '', resumedAt: '' } })
      .exec();
    return result.modifiedCount === 1;
  }
}
