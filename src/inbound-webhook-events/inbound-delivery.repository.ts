import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Coalescer } from '../database/coalescer.js';
import { insertEach, toError } from '../database/insert-each.js';
import { WebhookDelivery } from './webhook-delivery.schema.js';

export interface HandledDelivery {
  httpStatus: number;
  response: unknown;
  eventId?: string;
  /** The workspace the first delivery concerned, for the event of a repeat. */
  workspaceId?: string;
  /** The SHA-256 (hex) of the first delivery's raw body, to tell a repeat from a reuse of its id. */
  bodySha256?: string;
  /**
   * Held while its source was paused (`eventId` is the held event): a retry is answered as held
   * and not held again, and the release (WebhookReplayService.release) runs it, then replaces
   * this memory with the answer it got.
   */
  held?: true;
}

interface DeliveryKey {
  source: string;
  deliveryId: string;
}

type StoredDelivery = DeliveryKey & HandledDelivery & { createdAt: Date };

/**
 * Delivery ids already handled, per source (see WebhookDelivery). Every webhook delivery asks
 * once and, when handled, is remembered once, so both go to the collection directly (strings need
 * no casting, the answer no hydration) and concurrent deliveries share one command each way.
 */
@Injectable()
export class InboundDeliveryRepository {
  private readonly lookups = new Coalescer<DeliveryKey, HandledDelivery | null>((keys) => this.findMany(keys));
  private readonly inserts = new Coalescer<StoredDelivery, void>((deliveries) => this.insertMany(deliveries));

  constructor(@InjectModel(WebhookDelivery.name) private readonly model: Model<WebhookDelivery>) {}

  findHandled(source: string, deliveryId: string): Promise<HandledDelivery | null> {
    return this.lookups.load({ source, deliveryId });
  }

  /**
   * The first answer stands: a concurrent delivery of the same id that also ran keeps the first
   * one's record. Resolves once the record is stored.
   */
  remember(source: string, deliveryId: string, handled: HandledDelivery, now = new Date()): Promise<void> {
    return this.inserts.load({ source, deliveryId, ...handled, createdAt: now });
  }

  /**
   * The release of a held delivery settles its memory: a 2xx answer replaces the held one (a later
   * retry gets what the release answered); any other answer forgets the id, as a live delivery
   * answered so is not remembered (a retry runs). Only the memory of that held event is touched.
   */
  async settleHeld(source: string, deliveryId: string, heldEventId: string, answer: Omit<HandledDelivery, 'held' | 'bodySha256'> | null): Promise<void> {
    const filter = { source, deliveryId, held: true, eventId: heldEventId };
    if (!answer) {
      await this.model.collection.deleteOne(filter);
      return;
    }
    const { workspaceId, ...rest } = answer;
    await this.model.collection.updateOne(filter, { $set: { ...rest, ...(workspaceId && { workspaceId }) }, $unset: { held: '' } });
  }

  /** One query per source, side by side: a failure for one source fails only its calls. */
  private async findMany(keys: DeliveryKey[]): Promise<Array<HandledDelivery | null | Error>> {
    const sources = [...new Set(keys.map((key) => key.source))];
    const answers = await Promise.allSettled(sources.map(async (source) => {
      const ids = [...new Set(keys.filter((key) => key.source === source).map((key) => key.deliveryId))];
      const stored = await this.model.collection
        .find<HandledDelivery & { deliveryId: string }>(deliveryLookup(source, ids), { projection: { _id: 0, deliveryId: 1, httpStatus: 1, response: 1, eventId: 1, workspaceId: 1, bodySha256: 1, held: 1 } })
        .toArray();
      return new Map(stored.map(({ deliveryId, ...handled }) => [deliveryId, handled]));
    }));
    const bySource = new Map(sources.map((source, i) => [source, answers[i]]));
    return keys.map(({ source, deliveryId }) => {
      const answer = bySource.get(source)!;
      return answer.status === 'rejected' ? toError(answer.reason) : (answer.value.get(deliveryId) ?? null);
    });
  }

  /** Unordered, so each record stands or falls alone; an id stored already is no error (the first answer stands). */
  private insertMany(deliveries: StoredDelivery[]): Promise<Array<void | Error>> {
    return insertEach(this.model.collection, deliveries);
  }
}

/** The filter of one lookup batch: read through the unique (source, deliveryId) index. */
export function deliveryLookup(source: string, deliveryIds: string[]) {
  return deliveryIds.length === 1 ? { source, deliveryId: deliveryIds[0] } : { source, deliveryId: { $in: deliveryIds } };
}

