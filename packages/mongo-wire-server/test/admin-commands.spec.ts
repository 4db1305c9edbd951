/**
 * Collection / database administration commands, sessions and transactions.
 */
import { after as afterAll, before as beforeAll, describe, it, describeWireOnly, freshName, openSuite, rejectionOf, uniqueDbName, type Suite } from './harness.js';
import { expect } from 'expect';
import { MongoServerError, type Db } from 'mongodb';

let s: Suite;
let db: Db;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
});
afterAll(async () => {
  await s?.teardown();
});

describe('collections', () => {
  // manual: reference/command/listCollections — entries have name and type "collection"; filter by name; nameOnly
  it('listCollections lists names and filters by name', async () => {
    const a = freshName('lc');
    const b = freshName('lc');
    await db.createCollection(a);
    await db.collection(b).insertOne({ x: 1 }); // implicit creation on first insert (manual: core/databases-and-collections)
    const all = await db.listCollections().toArray();
    const names = all.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining([a, b]));
    const entry = all.find((c) => c.name === a)!;
    expect(entry.type).toBe('collection');
    const filtered = await db.listCollections({ name: a }).toArray();
    expect(filtered.map((c) => c.name)).toEqual([a]);
    const only = await db.listCollections({ name: b }, { nameOnly: true }).toArray();
    expect(only).toEqual([expect.objectContaining({ name: b, type: 'collection' })]);
    expect(await db.listCollections({ name: 'does_not_exist' }).toArray()).toEqual([]);
  });

  // manual: reference/command/listCollections — filter accepts query operators such as $in / $regex on name
  it('listCollections accepts query operators in the filter', async () => {
    const p = freshName('lcq');
    await db.createCollection(`${p}_one`);
    await db.createCollection(`${p}_two`);
    const names = (await db.listCollections({ name: { $regex: `^${p}_` } }).toArray()).map((c) => c.name).sort();
    expect(names).toEqual([`${p}_one`, `${p}_two`]);
  });

  // manual: reference/command/create + reference/error-codes — 48 NamespaceExists.
  // Version note: since MongoDB 7.0 (SERVER-64416) a second `create` with *identical* options succeeds, older
  // servers answer 48; with *different* options every version answers 48. The second create therefore adds a
  // validator, so the expectation holds for this server and for any real mongod.
  it('creating an existing collection again (with other options) fails with code 48 NamespaceExists', async () => {
    const name = freshName('cc');
    const coll = await db.createCollection(name);
    expect(coll.collectionName).toBe(name);
    const err = await rejectionOf(db.command({ create: name, validator: { email: { $exists: true } } }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(48);
    expect(err.codeName).toBe('NamespaceExists');
  });

  // manual: reference/method/db.collection.drop — returns true and removes the collection and its indexes
  it('drop removes the collection and its indexes', async () => {
    const name = freshName('dr');
    const coll = db.collection(name);
    await coll.insertMany([{ a: 1 }, { a: 2 }]);
    await coll.createIndex({ a: 1 }, { unique: true });
    expect(await coll.drop()).toBe(true);
    expect(await db.listCollections({ name }).toArray()).toEqual([]);
    expect(await coll.countDocuments()).toBe(0);
    // the unique index went with it
    await coll.insertMany([{ a: 1 }, { a: 1 }]);
  });

  // manual: reference/command/listIndexes — "if the collection does not exist" -> error 26 NamespaceNotFound
  it('listIndexes on a missing collection fails with code 26 NamespaceNotFound', async () => {
    const err = await rejectionOf(db.collection(freshName('missing')).listIndexes().toArray());
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(26);
    expect(err.codeName).toBe('NamespaceNotFound');
  });

  // manual: reference/method/db.collection.find — reading a missing collection returns no documents, not an error
  it('find on a missing collection returns nothing', async () => {
    expect(await db.collection(freshName('missing')).find().toArray()).toEqual([]);
  });

  // manual: reference/command/dropDatabase — removes every collection of the database
  it('dropDatabase removes all collections of that database only', async () => {
    const other = s.client.db(uniqueDbName('admin_extra'));
    try {
      await other.collection('one').insertOne({ a: 1 });
      await other.collection('two').createIndex({ b: 1 });
      await db.collection(freshName('keep')).insertOne({ keep: true });
      expect((await other.listCollections().toArray()).length).toBe(2);
      expect(await other.dropDatabase()).toBe(true);
      expect(await other.listCollections().toArray()).toEqual([]);
      expect(await other.collection('one').find().toArray()).toEqual([]);
      expect(await db.collection('nothing').countDocuments()).toBe(0);
      expect(await db.listCollections().toArray()).not.toEqual([]);
    } finally {
      await other.dropDatabase().catch(() => undefined);
    }
  });
});

// manual: reference/command/dbStats — `dataSize`: "Total size of the uncompressed data held in the database. The
// dataSize decreases when you remove documents"; `avgObjSize`: "the dataSize divided by the number of documents.
// The scale argument does not affect the avgObjSize value"; `scale`: "To display kilobytes rather than bytes,
// specify a scale value of 1024 … MongoDB uses the integer part of the specified factor", reported as
// `scaleFactor`. Uncompressed, a document is as large as its BSON (bsonspec.org): { _id: 1, s: <100 x "x"> }
// is 4 (length) + 1 + 4 ("_id\0") + 4 (int32) + 1 + 2 ("s\0") + 4 + 101 (string) + 1 (terminator) = 122 bytes.
describe('dbStats', () => {
  it('dataSize is the BSON size of the documents, avgObjSize their mean; both fall when documents are removed', async () => {
    const stats = s.client.db(uniqueDbName('dbstats'));
    try {
      const coll = stats.collection<{ _id: number; s: string }>('sized');
      await coll.insertMany([{ _id: 1, s: 'x'.repeat(100) }, { _id: 2, s: 'x'.repeat(100) }, { _id: 3, s: 'x'.repeat(200) }]);
      let reply = await stats.command({ dbStats: 1 });
      expect({ objects: reply.objects, dataSize: reply.dataSize, avgObjSize: reply.avgObjSize }).toEqual({ objects: 3, dataSize: 122 * 2 + 222, avgObjSize: (122 * 2 + 222) / 3 });
      expect(reply.scaleFactor).toBe(1);

      reply = await stats.command({ dbStats: 1, scale: 1024.9 });
      expect(reply.scaleFactor).toBe(1024);
      expect(reply.dataSize).toBeCloseTo((122 * 2 + 222) / 1024, 5);
      expect(reply.avgObjSize).toBeCloseTo((122 * 2 + 222) / 3, 5);

      await coll.deleteOne({ _id: 3 });
      reply = await stats.command({ dbStats: 1 });
      expect({ objects: reply.objects, dataSize: reply.dataSize }).toEqual({ objects: 2, dataSize: 244 });
    } finally {
      await stats.dropDatabase();
    }
  });
});

describe('sessions', () => {
  // manual: reference/method/Session — operations can run with an explicit session; endSession ends it
  it('explicit sessions work for reads and writes and endSession resolves', async () => {
    const session = s.client.startSession();
    const coll = db.collection(freshName('sess'));
    await coll.insertOne({ a: 1 }, { session });
    await coll.updateOne({ a: 1 }, { $set: { b: 2 } }, { session });
    expect(await coll.findOne({ a: 1 }, { session, projection: { _id: 0 } })).toEqual({ a: 1, b: 2 });
    expect(await coll.countDocuments({}, { session })).toBe(1);
    await session.endSession();
    expect(session.hasEnded).toBe(true);
  });
});

// manual: core/transactions — "multi-document transactions are available for replica sets and sharded clusters";
// a standalone mongod refuses them, a replica set runs them. The wire server refuses them with code 115
// (OperationNotSupported) and a message naming transactions; that exact behaviour is only asserted here.
describeWireOnly('transactions (wire server only)', () => {
  it('withTransaction rejects promptly with code 115 and writes nothing', async () => {
    const coll = db.collection(freshName('txn'));
    await coll.insertOne({ seed: true });
    const session = s.client.startSession();
    const started = Date.now();
    try {
      const err = await rejectionOf(
        session.withTransaction(async () => {
          await coll.insertOne({ inTxn: true }, { session });
        }),
      );
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(MongoServerError);
      expect(err.code).toBe(115);
      expect(err.message).toMatch(/transaction/i);
      expect(err.hasErrorLabel?.('TransientTransactionError')).toBe(false);
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments({ inTxn: true })).toBe(0);
  });
});
