/**
 * insert / find / update / delete basics and duplicate-key errors, through the native driver.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, rejectionOf, type Suite } from './harness.js';
import { expect } from 'expect';
import { MongoBulkWriteError, MongoServerError, ObjectId, type Db } from 'mongodb';

let s: Suite;
let db: Db;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
});
afterAll(async () => {
  await s?.teardown();
});

describe('insert', () => {
  // manual: reference/method/db.collection.insertOne — returns acknowledged + insertedId; _id generated as ObjectId
  it('insertOne generates an ObjectId _id when none is given', async () => {
    const coll = db.collection(freshName());
    const res = await coll.insertOne({ name: 'a' });
    expect(res.acknowledged).toBe(true);
    expect(res.insertedId).toBeInstanceOf(ObjectId);
    const doc = await coll.findOne({ _id: res.insertedId });
    expect(doc).toEqual({ _id: res.insertedId, name: 'a' });
  });

  // manual: reference/method/db.collection.insertMany — insertedCount / insertedIds keyed by position
  it('insertMany reports insertedCount and insertedIds', async () => {
    const coll = db.collection(freshName());
    const res = await coll.insertMany([{ _id: 'x', n: 1 }, { n: 2 }, { n: 3 }] as any[]);
    expect(res.insertedCount).toBe(3);
    expect(res.insertedIds[0]).toBe('x');
    expect(res.insertedIds[1]).toBeInstanceOf(ObjectId);
    expect(await coll.countDocuments()).toBe(3);
  });

  // manual: reference/method/db.collection.insertMany#error-handling — ordered inserts stop at the first error
  it('ordered insertMany stops at the duplicate (BulkWriteError 11000, insertedCount before it)', async () => {
    const coll = db.collection(freshName());
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 4 }];
    const err = await rejectionOf(coll.insertMany(docs as any[]));
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(err.insertedCount).toBe(2);
    expect(err.writeErrors).toHaveLength(1);
    expect(err.writeErrors[0].index).toBe(2);
    expect(err.writeErrors[0].code).toBe(11000);
    const ids = (await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(ids).toEqual([1, 2]);
  });

  // manual: reference/method/db.collection.insertMany#unordered-inserts — continue past errors
  it('unordered insertMany inserts everything except the duplicate', async () => {
    const coll = db.collection(freshName());
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 4 }];
    const err = await rejectionOf(coll.insertMany(docs as any[], { ordered: false }));
    expect(err).toBeInstanceOf(MongoBulkWriteError);
    expect(err.code).toBe(11000);
    expect(err.insertedCount).toBe(4);
    expect(err.writeErrors.map((w: any) => w.index)).toEqual([2]);
    const ids = (await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(ids).toEqual([1, 2, 3, 4]);
  });

  // manual: core/index-unique + reference/error-codes (11000 DuplicateKey):
  // "E11000 duplicate key error collection: <db>.<coll> index: <name> dup key: { ... }"
  it('duplicate key error message names the index, with keyPattern and keyValue', async () => {
    const name = freshName();
    const coll = db.collection(name);
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertOne({ email: 'a@example.com' });
    const err = await rejectionOf(coll.insertOne({ email: 'a@example.com' }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(11000);
    expect(err.message).toContain('E11000 duplicate key error');
    expect(err.message).toContain(`collection: ${s.dbName}.${name}`);
    expect(err.message).toContain('index: email_1 dup key:');
    expect(err.message).toMatch(/dup key: \{ email: "a@example\.com" \}/);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@example.com' });
  });

  // manual: reference/command/insert#output — writeErrors entries carry index, code and errmsg; n counts the inserted
  // documents. (The driver's MongoBulkWriteError keeps only index/code/errmsg/errInfo, so the raw command is used.)
  it('duplicate _id: raw insert command reports n and writeErrors with index _id_', async () => {
    const name = freshName();
    await db.collection(name).insertOne({ _id: 7 } as any);
    const res = await db.command({ insert: name, documents: [{ _id: 8 }, { _id: 7 }, { _id: 9 }], ordered: true });
    expect(res.ok).toBe(1);
    expect(res.n).toBe(1);
    expect(res.writeErrors).toHaveLength(1);
    expect(res.writeErrors[0]).toMatchObject({ index: 1, code: 11000 });
    expect(res.writeErrors[0].errmsg).toContain(`E11000 duplicate key error collection: ${s.dbName}.${name} index: _id_ dup key: { _id: 7 }`);
    const unordered = await db.command({ insert: name, documents: [{ _id: 7 }, { _id: 10 }, { _id: 8 }, { _id: 11 }], ordered: false });
    expect(unordered.n).toBe(2);
    expect(unordered.writeErrors.map((w: any) => w.index)).toEqual([0, 2]);
    // 7 (pre-existing), 8 (ordered batch stopped at index 1), 10 and 11 (unordered batch went on)
    expect((await db.collection(name).find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([7, 8, 10, 11]);
  });
});

describe('find', () => {
  // manual: reference/method/db.collection.find — empty filter returns all; findOne returns null if none
  it('find returns matches, findOne returns null when nothing matches', async () => {
    const coll = db.collection(freshName());
    await coll.insertMany([{ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'a', n: 3 }]);
    expect(await coll.countDocuments({})).toBe(3);
    const as = await coll.find({ k: 'a' }, { projection: { _id: 0 } }).sort({ n: 1 }).toArray();
    expect(as).toEqual([{ k: 'a', n: 1 }, { k: 'a', n: 3 }]);
    expect(await coll.findOne({ k: 'zzz' })).toBeNull();
  });

  // manual: tutorial/query-embedded-documents — equality on a whole embedded document is exact (field order matters)
  it('equality on an embedded document requires an exact match, field order included', async () => {
    const coll = db.collection(freshName());
    await coll.insertOne({ _id: 1, size: { h: 14, w: 21, uom: 'cm' } } as any);
    expect(await coll.countDocuments({ size: { h: 14, w: 21, uom: 'cm' } })).toBe(1);
    expect(await coll.countDocuments({ size: { w: 21, h: 14, uom: 'cm' } })).toBe(0);
    expect(await coll.countDocuments({ 'size.uom': 'cm' })).toBe(1);
  });
});

describe('update', () => {
  // manual: reference/method/db.collection.updateOne — returns matchedCount, modifiedCount, upsertedId, upsertedCount
  it('updateOne result shape', async () => {
    const coll = db.collection(freshName());
    await coll.insertMany([{ k: 1 }, { k: 1 }]);
    const res = await coll.updateOne({ k: 1 }, { $set: { v: 'x' } });
    expect(res.acknowledged).toBe(true);
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    expect(res.upsertedCount).toBe(0);
    expect(res.upsertedId).toBeNull();
    expect(await coll.countDocuments({ v: 'x' })).toBe(1);
  });

  // manual: reference/method/db.collection.updateMany
  it('updateMany updates every match', async () => {
    const coll = db.collection(freshName());
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]);
    const res = await coll.updateMany({ k: 1 }, { $set: { v: true } });
    expect(res.matchedCount).toBe(2);
    expect(res.modifiedCount).toBe(2);
    expect(await coll.countDocuments({ v: true })).toBe(2);
  });

  // manual: reference/method/db.collection.updateOne — no match and no upsert: matchedCount 0
  it('updateOne with no match changes nothing', async () => {
    const coll = db.collection(freshName());
    const res = await coll.updateOne({ k: 'none' }, { $set: { v: 1 } });
    expect(res.matchedCount).toBe(0);
    expect(res.modifiedCount).toBe(0);
    expect(await coll.countDocuments()).toBe(0);
  });

  // manual: reference/method/db.collection.replaceOne — replaces everything but _id
  it('replaceOne replaces the document and keeps _id', async () => {
    const coll = db.collection(freshName());
    await coll.insertOne({ _id: 1, a: 1, b: 2 } as any);
    const res = await coll.replaceOne({ _id: 1 as any }, { c: 3 });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    expect(await coll.findOne({ _id: 1 as any })).toEqual({ _id: 1, c: 3 });
  });

  // manual: reference/method/db.collection.replaceOne — upsert: true inserts the replacement
  it('replaceOne with upsert inserts when nothing matches and reports upsertedId', async () => {
    const coll = db.collection(freshName());
    const res = await coll.replaceOne({ _id: 'r1' as any }, { c: 3 }, { upsert: true });
    expect(res.matchedCount).toBe(0);
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedId).toBe('r1');
    expect(await coll.findOne({ _id: 'r1' as any })).toEqual({ _id: 'r1', c: 3 });
  });

  // manual: core/document#the-_id-field + reference/error-codes 66 ImmutableField
  it('changing _id with $set fails with code 66 ImmutableField', async () => {
    const coll = db.collection(freshName());
    await coll.insertOne({ _id: 1, a: 1 } as any);
    const err = await rejectionOf(coll.updateOne({ _id: 1 as any }, { $set: { _id: 2 } as any }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(66); // ImmutableField (a write error: only index / code / errmsg are documented)
    expect(await coll.findOne({ _id: 1 as any })).toEqual({ _id: 1, a: 1 });
  });

  // manual: reference/method/db.collection.replaceOne — a replacement with a different _id is refused (66)
  it('replaceOne with a different _id fails with code 66', async () => {
    const coll = db.collection(freshName());
    await coll.insertOne({ _id: 1, a: 1 } as any);
    const err = await rejectionOf(coll.replaceOne({ _id: 1 as any }, { _id: 2, a: 2 } as any));
    expect(err.code).toBe(66);
  });
});

describe('delete', () => {
  // manual: reference/method/db.collection.deleteOne / deleteMany — deletedCount
  it('deleteOne deletes one, deleteMany deletes all matches', async () => {
    const coll = db.collection(freshName());
    await coll.insertMany([{ k: 1 }, { k: 1 }, { k: 1 }, { k: 2 }]);
    expect((await coll.deleteOne({ k: 1 })).deletedCount).toBe(1);
    expect((await coll.deleteMany({ k: 1 })).deletedCount).toBe(2);
    expect((await coll.deleteMany({ k: 1 })).deletedCount).toBe(0);
    expect(await coll.countDocuments()).toBe(1);
    expect((await coll.deleteMany({})).deletedCount).toBe(1);
    expect(await coll.countDocuments()).toBe(0);
  });
});

describe('bulkWrite', () => {
  // manual: reference/method/db.collection.bulkWrite — mixed operations, counts per kind
  it('bulkWrite mixes insert, update, upsert and delete', async () => {
    const coll = db.collection<any>(freshName());
    const res = await coll.bulkWrite([
      { insertOne: { document: { _id: 1, v: 1 } as any } },
      { insertOne: { document: { _id: 2, v: 2 } as any } },
      { updateOne: { filter: { _id: 1 }, update: { $set: { v: 10 } } } },
      { updateOne: { filter: { _id: 3 }, update: { $set: { v: 3 } }, upsert: true } },
      { deleteOne: { filter: { _id: 2 } } },
    ]);
    expect(res.insertedCount).toBe(2);
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedIds[3]).toBe(3);
    expect(res.deletedCount).toBe(1);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, v: 10 },
      { _id: 3, v: 3 },
    ]);
  });
});
