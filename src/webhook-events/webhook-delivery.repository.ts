import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { BSON } from 'mongodb';
import { Model } from 'mongoose';
import { Coalescer } from '../database/coalescer.js';
import { isDuplicateKeyError } from '../database/mongo-errors.js';
import { WebhookDelivery } from './webhook-delivery.schema.js';

export interface HandledDelivery {
  httpStatus: number;
  response: unknown;
  eventId?: string;
  /** The workspace the first delivery concerned, for the event of a repeat. */
  workspaceId?: string;
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
export class WebhookDeliveryRepository {
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

  /** One query per source, side by side: a failure for one source fails only its calls. */
  private async findMany(keys: DeliveryKey[]): Promise<Array<HandledDelivery | null | Error>> {
    const sources = [...new Set(keys.map((key) => key.source))];
    const answers = await Promise.allSettled(sources.map(async (source) => {
      const ids = [...new Set(keys.filter((key) => key.source === source).map((key) => key.deliveryId))];
      const stored = await this.model.collection
        .find<HandledDelivery & { deliveryId: string }>(deliveryLookup(source, ids), { projection: { _id: 0, deliveryId: 1, httpStatus: 1, response: 1, eventId: 1, workspaceId: 1 } })
        .toArray();
      return new Map(stored.map(({ deliveryId, ...handled }) => [deliveryId, handled]));
    }));
    const bySource = new Map(sources.map((source, i) => [source, answers[i]]));
    return keys.map(({ source, deliveryId }) => {
      const answer = bySource.get(source)!;
      return answer.status === 'rejected' ? toError(answer.reason) : (answer.value.get(deliveryId) ?? null);
    });
  }

  /**
   * Unordered, so each record stands or falls alone; an id stored already is no error (the first
   * answer stands). A batch the driver could not even send (a record it cannot encode) is written
   * one record at a time, so that record fails alone too.
   */
  private async insertMany(deliveries: StoredDelivery[]): Promise<Array<void | Error>> {
    try {
      await this.model.collection.insertMany(deliveries, { ordered: false });
      return deliveries.map(() => undefined);
    } catch (error) {
      const outcomes = insertOutcomes(deliveries.length, error);
      if (outcomes) return outcomes;
      if (deliveries.length === 1 || !isClientSideError(error)) throw error;
      return Promise.all(deliveries.map((delivery) => this.insertOne(delivery)));
    }
  }

  private async insertOne(delivery: StoredDelivery): Promise<void | Error> {
    try {
      await this.model.collection.insertOne(delivery);
    } catch (error) {
      if (!isDuplicateKeyError(error)) return toError(error);
    }
  }
}

/**
 * What an unordered insert's error means for each record: undefined (stored, or stored already)
 * or its own Error, when the server reported write errors per record and nothing else. Undefined
 * when the error is about the whole command (the database unreachable, a write concern not met):
 * then every record failed.
 */
export function insertOutcomes(count: number, error: unknown): Array<void | Error> | undefined {
  const { writeErrors, result } = error as {
    writeErrors?: Array<{ index: number; code?: unknown; errmsg?: string }>;
    result?: { getWriteConcernError?: () => unknown };
  };
  if (!Array.isArray(writeErrors) || writeErrors.length === 0 || result?.getWriteConcernError?.()) return undefined;
  const outcomes: Array<void | Error> = Array.from({ length: count }, () => undefined);
  for (const writeError of writeErrors) {
    if (!isDuplicateKeyError(writeError)) outcomes[writeError.index] = Object.assign(new Error(writeError.errmsg ?? 'Could not store the delivery'), { code: writeError.code });
  }
  return outcomes;
}

/**
 * An error the driver raises before anything is sent: a document it cannot encode (a key with a
 * NUL byte) or one over the size limit.
 */
function isClientSideError(error: unknown): boolean {
  // By name, like BSONError's own check: it holds whichever copy of the driver threw it.
  return BSON.BSONError.isBSONError(error) || (error as Error | undefined)?.name === 'MongoInvalidArgumentError';
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** The filter of one lookup batch: read through the unique (source, deliveryId) index. */
export function deliveryLookup(source: string, deliveryIds: string[]) {
  return deliveryIds.length === 1 ? { source, deliveryId: deliveryIds[0] } : { source, deliveryId: { $in: deliveryIds } };
}

