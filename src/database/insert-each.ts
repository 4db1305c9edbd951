import { BSON, Collection, Document, OptionalUnlessRequiredId } from 'mongodb';
import { isDuplicateKeyError } from '../common/mongo-errors.js';

/**
 * One unordered insertMany in which each record stands or falls alone: a record stored already
 * (a duplicate key: a retry of a write that did land) is no error, and a record the server refused
 * fails only itself. A batch the driver could not even send (a record it cannot encode) is written
 * one record at a time, so that record fails alone too. An error about the whole command (the
 * database unreachable, a write concern not met) is thrown: then every record failed.
 */
export async function insertEach<T extends Document>(
  collection: Collection<T>,
  docs: Array<OptionalUnlessRequiredId<T>>,
  options: InsertEachOptions = {},
): Promise<Array<void | Error>> {
  if (docs.length === 0) return [];
  try {
    await collection.insertMany(docs, { ordered: false });
    return docs.map(() => undefined);
  } catch (error) {
    const outcomes = insertOutcomes(docs.length, error, options);
    if (outcomes) return outcomes;
    if (docs.length === 1 || !isClientSideError(error)) throw error;
    return Promise.all(docs.map((doc) => insertOne(collection, doc, options)));
  }
}

export interface InsertEachOptions {
  /** A record stored already is answered as its duplicate-key Error (to tell new from existing). */
  reportDuplicates?: boolean;
}

async function insertOne<T extends Document>(collection: Collection<T>, doc: OptionalUnlessRequiredId<T>, options: InsertEachOptions): Promise<void | Error> {
  try {
    await collection.insertOne(doc);
  } catch (error) {
    if (options.reportDuplicates || !isDuplicateKeyError(error)) return toError(error);
  }
}

/**
 * What an unordered insert's error means for each record: undefined (stored, or stored already)
 * or its own Error, when the server reported write errors per record and nothing else. Undefined
 * when the error is about the whole command (the database unreachable, a write concern not met):
 * then every record failed.
 */
export function insertOutcomes(count: number, error: unknown, options: InsertEachOptions = {}): Array<void | Error> | undefined {
  const { writeErrors, result } = error as {
    writeErrors?: Array<{ index: number; code?: unknown; errmsg?: string }>;
    result?: { getWriteConcernError?: () => unknown };
  };
  if (!Array.isArray(writeErrors) || writeErrors.length === 0 || result?.getWriteConcernError?.()) return undefined;
  const outcomes: Array<void | Error> = Array.from({ length: count }, () => undefined);
  for (const writeError of writeErrors) {
    if (options.reportDuplicates || !isDuplicateKeyError(writeError)) outcomes[writeError.index] = Object.assign(new Error(writeError.errmsg ?? 'Could not store the record'), { code: writeError.code });
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

export function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
