import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../database/mongo-errors.js';
import { WebhookDelivery } from './webhook-delivery.schema.js';

export interface HandledDelivery {
  httpStatus: number;
  response: unknown;
  eventId?: string;
  /** The workspace the first delivery concerned, for the event of a repeat. */
  workspaceId?: string;
}

/** Delivery ids already handled, per source (see WebhookDelivery). */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectModel(WebhookDelivery.name) private readonly model: Model<WebhookDelivery>) {}

  async findHandled(source: string, deliveryId: string): Promise<HandledDelivery | null> {
    // Every webhook delivery asks this, so it goes to the collection directly: two strings need
    // no casting and the answer no hydration.
    return this.model.collection.findOne<HandledDelivery>({ source, deliveryId }, { projection: { _id: 0, httpStatus: 1, response: 1, eventId: 1, workspaceId: 1 } });
  }

  /** The first answer stands: a concurrent delivery of the same id that also ran keeps the first one's record. */
  async remember(source: string, deliveryId: string, handled: HandledDelivery, now = new Date()): Promise<void> {
    try {
      await this.model.collection.insertOne({ source, deliveryId, ...handled, createdAt: now });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }
}
