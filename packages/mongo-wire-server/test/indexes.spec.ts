/**
 * createIndex / listIndexes / dropIndex(es), unique enforcement on every write path, TTL expiry.
 */
import { after as afterAll, before as beforeAll, describe, it, describeWireOnly, freshName, openSuite, rejectionOf, type Suite } from './harness.js';
import { expect } from 'expect';
import { Double, MongoServerError, type Db, type Document } from 'mongodb';

let s: Suite;
let db: Db;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
});
afterAll(async () => {
  await s?.teardown();
});

const byName = (list: Document[]) => Object.fromEntries(list.map((i) => [i.name, i]));

describe('createIndex / listIndexes', () => {
  // manual: reference/method/db.collection.createIndex — default names are <field>_<direction> joined by "_";
  // manual: reference/command/listIndexes — each entry has v, key, name (+ options such as unique, sparse, ...);
  // manual: reference/method/db.collection.getIndexes — the _id_ index always exists; index version v: 2 is the default
  it('default names and listIndexes shapes for unique, compound, sparse, partial and TTL indexes', async () => {
    const coll = db.collection(freshName('ix'));
    await coll.insertOne({ x: 1 });
    expect(await coll.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    expect(await coll.createIndex({ a: 1, b: -1 })).toBe('a_1_b_-1');
    expect(await coll.createIndex({ nick: 1 }, { sparse: true, unique: true })).toBe('nick_1');
    expect(await coll.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } })).toBe('code_1');
    expect(await coll.createIndex({ createdAt: 1 }, { expireAfterSeconds: 3600 })).toBe('createdAt_1');
    expect(await coll.createIndex({ 'meta.k': 1 }, { name: 'custom_name' })).toBe('custom_name');

    const list = await coll.listIndexes().toArray();
    const ix = byName(list);
    expect(Object.keys(ix).sort()).toEqual(['_id_', 'a_1_b_-1', 'code_1', 'createdAt_1', 'custom_name', 'email_1', 'nick_1']);
    expect(ix._id_).toMatchObject({ v: 2, key: { _id: 1 }, name: '_id_' });
    expect(ix._id_.unique).toBeUndefined(); // the _id index is unique but listIndexes does not report "unique" for it
    expect(ix.email_1).toMatchObject({ v: 2, key: { email: 1 }, name: 'email_1', unique: true });
    expect(ix['a_1_b_-1']).toMatchObject({ v: 2, key: { a: 1, b: -1 }, name: 'a_1_b_-1' });
    expect(Object.keys(ix['a_1_b_-1'].key)).toEqual(['a', 'b']); // key order is significant
    expect(ix['a_1_b_-1'].unique).toBeUndefined();
    expect(ix.nick_1).toMatchObject({ key: { nick: 1 }, sparse: true, unique: true });
    expect(ix.code_1).toMatchObject({ key: { code: 1 }, unique: true, partialFilterExpression: { active: true } });
    expect(ix.createdAt_1).toMatchObject({ key: { createdAt: 1 }, expireAfterSeconds: 3600 });
    expect(ix.custom_name).toMatchObject({ key: { 'meta.k': 1 } });

    // manual: reference/method/db.collection.indexExists / indexInformation (driver helpers over listIndexes)
    expect(await coll.indexExists('email_1')).toBe(true);
  });

  // manual: reference/method/db.collection.createIndex#recreating-an-existing-index — "If you call
  // db.collection.createIndex() for an index that already exists, MongoDB does not recreate the index"
  it('creating an identical index again is a no-op that succeeds', async () => {
    const coll = db.collection(freshName('ix'));
    await coll.createIndex({ email: 1 }, { unique: true });
    expect(await coll.createIndex({ email: 1 }, { unique: true })).toBe('email_1');
    expect((await coll.listIndexes().toArray()).length).toBe(2);
  });

  // manual: reference/method/db.collection.createIndex — createIndex on a missing collection creates it
  it('createIndex creates the collection', async () => {
    const name = freshName('ix');
    await db.collection(name).createIndex({ k: 1 });
    const names = (await db.listCollections({ name }).toArray()).map((c) => c.name);
    expect(names).toEqual([name]);
  });

  // manual: reference/method/db.collection.createIndexes — several indexes in one command
  it('createIndexes builds several indexes at once', async () => {
    const coll = db.collection(freshName('ix'));
    const names = await coll.createIndexes([{ key: { p: 1 } }, { key: { q: -1 }, name: 'q_desc', unique: true }]);
    expect(names).toEqual(['p_1', 'q_desc']);
    expect(Object.keys(byName(await coll.listIndexes().toArray())).sort()).toEqual(['_id_', 'p_1', 'q_desc']);
  });
});

describe('dropIndex / dropIndexes', () => {
  // manual: reference/method/db.collection.dropIndex — by name; reference/method/db.collection.dropIndexes — all but _id_
  it('dropIndex by name, then dropIndexes removes all but _id_', async () => {
    const coll = db.collection(freshName('ix'));
    await coll.createIndex({ a: 1 });
    await coll.createIndex({ b: 1 }, { unique: true });
    await coll.createIndex({ c: 1 });
    await coll.dropIndex('a_1');
    expect(Object.keys(byName(await coll.listIndexes().toArray())).sort()).toEqual(['_id_', 'b_1', 'c_1']);
    await coll.dropIndexes();
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    // the dropped unique index no longer applies
    await coll.insertMany([{ b: 1 }, { b: 1 }]);
  });

  // manual: reference/error-codes — 27 IndexNotFound
  it('dropping a missing index fails with code 27 IndexNotFound', async () => {
    const coll = db.collection(freshName('ix'));
    await coll.insertOne({ a: 1 });
    const err = await rejectionOf(coll.dropIndex('nope_1'));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(27);
  });

  // manual: reference/command/dropIndexes — the _id index cannot be dropped (error 72 InvalidOptions)
  it('the _id_ index cannot be dropped', async () => {
    const coll = db.collection(freshName('ix'));
    await coll.insertOne({ a: 1 });
    const err = await rejectionOf(coll.dropIndex('_id_'));
    expect(err).toBeInstanceOf(MongoServerError);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });
});

describe('unique indexes', () => {
  // manual: core/index-unique#restrictions — "MongoDB cannot create a unique index on the specified index field(s)
  // if the collection already contains data that would violate the unique constraint"
  it('building a unique index over existing duplicates fails with 11000', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.insertMany([{ e: 'a' }, { e: 'a' }]);
    const err = await rejectionOf(coll.createIndex({ e: 1 }, { unique: true }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(11000);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });

  // manual: core/index-unique — enforced on insert, update, upsert and findAndModify
  it('is enforced on insert, updateOne, upsert and findOneAndUpdate', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'b' }] as any[]);
    const e1 = await rejectionOf(coll.insertOne({ email: 'a' }));
    expect(e1.code).toBe(11000);
    const e2 = await rejectionOf(coll.updateOne({ _id: 2 as any }, { $set: { email: 'a' } }));
    expect(e2.code).toBe(11000);
    expect(e2.keyValue).toEqual({ email: 'a' });
    const e3 = await rejectionOf(coll.updateOne({ _id: 3 as any }, { $set: { email: 'b' } }, { upsert: true }));
    expect(e3.code).toBe(11000);
    const e4 = await rejectionOf(coll.findOneAndUpdate({ _id: 1 as any }, { $set: { email: 'b' } }));
    expect(e4.code).toBe(11000);
    const e5 = await rejectionOf(coll.replaceOne({ _id: 1 as any }, { email: 'b' }));
    expect(e5.code).toBe(11000);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'b' },
    ]);
    // after a value is freed it can be reused (the index follows updates and deletes)
    await coll.updateOne({ _id: 1 as any }, { $set: { email: 'c' } });
    await coll.insertOne({ _id: 4, email: 'a' } as any);
    await coll.deleteOne({ _id: 2 as any });
    await coll.insertOne({ _id: 5, email: 'b' } as any);
    expect(await coll.countDocuments()).toBe(3);
    // manual: reference/method/db.collection.updateMany#behavior — updateMany is not atomic as a whole: the first
    // document takes the value, the next one collides, and the first change stays
    const e6 = await rejectionOf(coll.updateMany({}, { $set: { email: 'z' } }));
    expect(e6.code).toBe(11000);
    expect(await coll.countDocuments({ email: 'z' })).toBe(1);
  });

  // manual: core/index-unique#unique-index-and-missing-field — "If a document does not have a value for the indexed
  // field in a unique index, the index will store a null value for this document ... MongoDB will only permit one
  // document that lacks the indexed field"
  it('a non-sparse unique index allows only one document missing the field', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ sku: 1 }, { unique: true });
    await coll.insertOne({ x: 1 });
    const err = await rejectionOf(coll.insertOne({ x: 2 }));
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ sku: null });
  });

  // manual: core/index-sparse#sparse-and-unique-properties — "sparse and unique ... prevents duplicate values but
  // allows multiple documents that omit the key"
  it('a sparse unique index allows many documents missing the field but not duplicates', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ nick: 1 }, { unique: true, sparse: true });
    await coll.insertMany([{ x: 1 }, { x: 2 }, { x: 3 }, { nick: 'n' }]);
    const err = await rejectionOf(coll.insertOne({ nick: 'n' }));
    expect(err.code).toBe(11000);
    expect(await coll.countDocuments()).toBe(4);
  });

  // manual: core/index-unique#unique-compound-index — the combination must be unique
  it('a compound unique index allows the same first field with a different second', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ a: 1, b: 1 }, { unique: true });
    await coll.insertMany([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
    ]);
    const err = await rejectionOf(coll.insertOne({ a: 1, b: 2 }));
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ a: 1, b: 1 });
    expect(err.keyValue).toEqual({ a: 1, b: 2 });
    expect(err.message).toContain('index: a_1_b_1 dup key:');
  });

  // manual: core/index-partial#partial-index-with-unique-constraint — uniqueness only among documents matching the filter
  it('a partial unique index only constrains documents matching partialFilterExpression', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await coll.insertMany([
      { code: 'x', active: false },
      { code: 'x', active: false },
      { code: 'x', active: true },
      { code: 'y' },
    ]);
    const err = await rejectionOf(coll.insertOne({ code: 'x', active: true }));
    expect(err.code).toBe(11000);
    // updating a document into the filter is also checked
    const err2 = await rejectionOf(coll.updateOne({ code: 'x', active: false }, { $set: { active: true } }));
    expect(err2.code).toBe(11000);
  });

  // manual: core/index-unique#unique-constraint-across-separate-documents — a unique multikey index compares each
  // array element across documents
  it('a unique index on an array field compares elements across documents', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ tags: 1 }, { unique: true });
    await coll.insertOne({ tags: [1, 2] });
    const err = await rejectionOf(coll.insertOne({ tags: [2, 3] }));
    expect(err.code).toBe(11000);
    await coll.insertOne({ tags: [3, 4] });
  });

  // manual: core/index-unique — unique on a dotted path inside an embedded document
  it('a unique index on a dotted path', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ 'profile.handle': 1 }, { unique: true });
    await coll.insertOne({ profile: { handle: 'h' } });
    const err = await rejectionOf(coll.insertOne({ profile: { handle: 'h', other: 1 } }));
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ 'profile.handle': 'h' });
  });

  // manual: core/index-unique — values compare as BSON values: Int32 1 and Double 1.0 are the same key
  it('numerically equal values of different types collide', async () => {
    const coll = db.collection(freshName('ux'));
    await coll.createIndex({ n: 1 }, { unique: true });
    await coll.insertOne({ n: 1 });
    const err = await rejectionOf(coll.insertOne({ n: new Double(1) }));
    expect(err.code).toBe(11000);
  });
});

// TTL: manual core/index-ttl — "The background task that removes expired documents runs every 60 seconds."
// Against a real mongod that makes an expiry check take over a minute, so only the wire server (with its sweep
// shortened to 200 ms by the harness) checks actual expiry. The rules checked are the manual's:
// - a document expires when indexed date + expireAfterSeconds is in the past;
// - "If the indexed field in a document is not a date or an array that holds one or more date values, the
//   document will not expire";
// - "If a document does not contain the indexed field, the document will not expire";
// - with an array of dates, the earliest date is used.
describeWireOnly('TTL expiry (wire server only: real mongod sweeps every 60 s)', () => {
  it('documents with a past date in the TTL field disappear within a few sweeps; others stay', async () => {
    const coll = db.collection(freshName('ttl'));
    await coll.createIndex({ createdAt: 1 }, { expireAfterSeconds: 1 });
    const hourAgo = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    await coll.insertMany([
      { _id: 'old', createdAt: hourAgo },
      { _id: 'oldArray', createdAt: [future, hourAgo] },
      { _id: 'fresh', createdAt: future },
      { _id: 'string', createdAt: hourAgo.toISOString() },
      { _id: 'missing' },
    ] as any[]);
    const deadline = Date.now() + 5000;
    let left: unknown[] = [];
    while (Date.now() < deadline) {
      left = (await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
      if (!left.includes('old') && !left.includes('oldArray')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toEqual(['fresh', 'missing', 'string']);
  });
});

// manual: tutorial/expire-data, "Expire Documents with Filter Conditions": an index that is both partial
// and TTL, `db.foo.createIndex({ F: 1 }, { name: "Partial-TTL-Index", partialFilterExpression: { D: 1 },
// expireAfterSeconds: 10 })`, over `{ F: ISODate("2019-03-07T20:59:18.428Z"), D: 3 }` and the same with
// `D: 1`: "The document that matches the partialFilterExpression of { D : 1 } is deleted (expired). As a
// result, only one document remains", the one with D: 3. And core/index-partial, "Partial TTL Indexes":
// "Partial TTL indexes match the specified filter expression and expire only those documents."
describeWireOnly('partial TTL expiry (wire server only: real mongod sweeps every 60 s)', () => {
  it('expires only the documents matching partialFilterExpression (the manual\'s example)', async () => {
    const coll = db.collection(freshName('pttl'));
    await coll.createIndex({ F: 1 }, { name: 'Partial-TTL-Index', partialFilterExpression: { D: 1 }, expireAfterSeconds: 10 });
    await coll.insertMany([
      { F: new Date('2019-03-07T20:59:18.428Z'), D: 3 },
      { F: new Date('2019-03-07T20:59:18.428Z'), D: 1 },
    ]);
    const deadline = Date.now() + 5000;
    let left: unknown[] = [];
    while (Date.now() < deadline) {
      left = await coll.find({}, { projection: { _id: 0, F: 1, D: 1 } }).toArray();
      if (left.length < 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toEqual([{ F: new Date('2019-03-07T20:59:18.428Z'), D: 3 }]);
  });

  it('a partial TTL index and a full one on the same key each expire their own documents', async () => {
    const coll = db.collection(freshName('pttl'));
    // Two indexes on { at: 1 }: allowed because partialFilterExpression is part of an index's
    // identity (the next describe block); the shorter expiry applies to the documents both hold.
    await coll.createIndex({ at: 1 }, { name: 'all', expireAfterSeconds: 7200 });
    await coll.createIndex({ at: 1 }, { name: 'rejected', partialFilterExpression: { status: 'rejected' }, expireAfterSeconds: 60 });
    const hourAgo = new Date(Date.now() - 3600_000);
    await coll.insertMany([
      { _id: 'accepted', at: hourAgo, status: 'accepted' },
      { _id: 'rejected', at: hourAgo, status: 'rejected' },
      { _id: 'ancient', at: new Date(Date.now() - 3 * 3600_000), status: 'accepted' },
    ] as any[]);
    const deadline = Date.now() + 5000;
    let left: unknown[] = [];
    while (Date.now() < deadline) {
      left = (await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
      if (left.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toEqual(['accepted']);
  });
});

// manual: core/index-partial, "Equivalent Indexes" and reference/method/db.collection.createIndex: since
// MongoDB 5.0 an index's identity is its key pattern, collation and partialFilterExpression (SERVER-25023),
// so indexes on one key pattern may coexist when their partialFilterExpression differs (or one has none);
// the same key pattern with the same filter under another name is still 85 IndexOptionsConflict.
describe('indexes on one key pattern with different partial filters', () => {
  it('a full and a partial index on the same key coexist; a second identical partial one does not', async () => {
    const coll = db.collection(freshName('samekey'));
    await coll.createIndex({ at: 1 }, { name: 'at_all', expireAfterSeconds: 3600 });
    await coll.createIndex({ at: 1 }, { name: 'at_rejected', partialFilterExpression: { status: 'rejected' }, expireAfterSeconds: 60 });
    const names = (await coll.listIndexes().toArray()).map((ix) => ix.name).sort();
    expect(names).toEqual(['_id_', 'at_all', 'at_rejected']);
    const err = await rejectionOf(coll.createIndex({ at: 1 }, { name: 'at_rejected_again', partialFilterExpression: { status: 'rejected' }, expireAfterSeconds: 60 }));
    expect(err.code).toBe(85);
  });
});

// manual: reference/command/collMod — "Change Expiration Value for Indexes": collMod with
// `index: { keyPattern, expireAfterSeconds }` answers `{ "expireAfterSeconds_old" : 3600,
// "expireAfterSeconds_new" : 7200, "ok" : 1 }`; the index may also be named (`index: { name }`);
// since 5.1 a single-field non-TTL index can be made a TTL index the same way. An unknown index is
// 27 IndexNotFound, an unknown collection 26 NamespaceNotFound (manual: reference/error-codes).
describe('collMod index options', () => {
  it('changes a TTL index\'s expireAfterSeconds in place, by key pattern or by name, with the manual\'s answer', async () => {
    const coll = db.collection(freshName('collmod'));
    await coll.createIndex({ lastModifiedDate: 1 }, { expireAfterSeconds: 3600 });
    const reply = await db.command({ collMod: coll.collectionName, index: { keyPattern: { lastModifiedDate: 1 }, expireAfterSeconds: 7200 } });
    expect({ old: reply.expireAfterSeconds_old, new: reply.expireAfterSeconds_new, ok: reply.ok }).toEqual({ old: 3600, new: 7200, ok: 1 });
    expect(byName(await coll.listIndexes().toArray()).lastModifiedDate_1.expireAfterSeconds).toBe(7200);

    await db.command({ collMod: coll.collectionName, index: { name: 'lastModifiedDate_1', expireAfterSeconds: 60 } });
    expect(byName(await coll.listIndexes().toArray()).lastModifiedDate_1.expireAfterSeconds).toBe(60);
  });

  it('makes a single-field index a TTL index', async () => {
    const coll = db.collection(freshName('collmod'));
    await coll.createIndex({ at: 1 });
    const reply = await db.command({ collMod: coll.collectionName, index: { keyPattern: { at: 1 }, expireAfterSeconds: 10 } });
    expect(reply.expireAfterSeconds_new).toBe(10);
    expect(byName(await coll.listIndexes().toArray()).at_1.expireAfterSeconds).toBe(10);
  });

  it('refuses an unknown index (27) and an unknown collection (26)', async () => {
    const coll = db.collection(freshName('collmod'));
    await coll.createIndex({ at: 1 }, { expireAfterSeconds: 5 });
    expect((await rejectionOf(db.command({ collMod: coll.collectionName, index: { name: 'nope_1', expireAfterSeconds: 5 } }))).code).toBe(27);
    expect((await rejectionOf(db.command({ collMod: freshName('missing'), index: { name: 'at_1', expireAfterSeconds: 5 } }))).code).toBe(26);
  });
});
