/**
 * findOneAndUpdate / findOneAndDelete / findOneAndReplace (findAndModify command), native driver 7.
 * Driver 7 returns the document (or null) by default; includeResultMetadata gives the raw command shape.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, rejectionOf, type Suite } from './harness.js';
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

describe('findOneAndUpdate', () => {
  // manual: reference/method/db.collection.findOneAndUpdate — returns the original document by default
  it('returns the document before the update by default, after with returnDocument: "after"', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertOne({ _id: 1, n: 1 } as any);
    const before = await coll.findOneAndUpdate({ _id: 1 as any }, { $inc: { n: 1 } });
    expect(before).toEqual({ _id: 1, n: 1 });
    const after = await coll.findOneAndUpdate({ _id: 1 as any }, { $inc: { n: 1 } }, { returnDocument: 'after' });
    expect(after).toEqual({ _id: 1, n: 3 });
  });

  // manual: reference/method/db.collection.findOneAndUpdate — no match, no upsert: null
  it('returns null when nothing matches', async () => {
    const coll = db.collection(freshName('fam'));
    expect(await coll.findOneAndUpdate({ _id: 'none' as any }, { $set: { a: 1 } })).toBeNull();
    expect(await coll.countDocuments()).toBe(0);
  });

  // manual: reference/command/findAndModify#output — { lastErrorObject: { n, updatedExisting, upserted }, value, ok }
  it('includeResultMetadata exposes lastErrorObject and value', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertOne({ _id: 1, n: 1 } as any);
    const upd = await coll.findOneAndUpdate({ _id: 1 as any }, { $set: { n: 5 } }, { includeResultMetadata: true, returnDocument: 'after' });
    expect(upd.ok).toBe(1);
    expect(upd.value).toEqual({ _id: 1, n: 5 });
    expect(upd.lastErrorObject).toMatchObject({ n: 1, updatedExisting: true });
    const ups = await coll.findOneAndUpdate({ _id: 2 as any }, { $set: { n: 7 } }, { includeResultMetadata: true, upsert: true });
    expect(ups.value).toBeNull(); // returnDocument "before" of an upsert is null
    expect(ups.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 2 });
    const miss = await coll.findOneAndUpdate({ _id: 3 as any }, { $set: { n: 1 } }, { includeResultMetadata: true });
    expect(miss.value).toBeNull();
    expect(miss.lastErrorObject).toMatchObject({ n: 0, updatedExisting: false });
  });

  // manual: reference/method/db.collection.findOneAndUpdate — upsert + returnDocument after returns the new document,
  // seeded from the filter's equality fields; $setOnInsert applies
  it('upsert with returnDocument after returns the inserted document', async () => {
    const coll = db.collection(freshName('fam'));
    const doc = await coll.findOneAndUpdate(
      { email: 'a@x', plan: 'free' },
      { $set: { seen: true }, $setOnInsert: { credits: 10 } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(doc).toMatchObject({ email: 'a@x', plan: 'free', seen: true, credits: 10 });
    expect(doc!._id).toBeDefined();
    const again = await coll.findOneAndUpdate(
      { email: 'a@x', plan: 'free' },
      { $set: { seen: false }, $setOnInsert: { credits: 99 } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(again).toMatchObject({ _id: doc!._id, seen: false, credits: 10 });
    expect(await coll.countDocuments()).toBe(1);
  });

  // manual: reference/method/db.collection.findOneAndUpdate — "sort: determines which document the operation modifies"
  it('sort picks which matching document is modified', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertMany([
      { _id: 1, q: 'x', score: 5 },
      { _id: 2, q: 'x', score: 9 },
      { _id: 3, q: 'x', score: 7 },
      { _id: 4, q: 'y', score: 100 },
    ] as any[]);
    const hi = await coll.findOneAndUpdate({ q: 'x' }, { $set: { picked: 'hi' } }, { sort: { score: -1 }, returnDocument: 'after' });
    expect(hi).toEqual({ _id: 2, q: 'x', score: 9, picked: 'hi' });
    const lo = await coll.findOneAndUpdate({ q: 'x' }, { $set: { picked: 'lo' } }, { sort: { score: 1 } });
    expect(lo).toEqual({ _id: 1, q: 'x', score: 5 });
    expect(await coll.countDocuments({ picked: { $exists: true } })).toBe(2);
  });

  // manual: reference/method/db.collection.findOneAndUpdate — "projection: a subset of fields to return"
  it('projection limits the returned fields', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertOne({ _id: 1, a: 1, b: 2, c: 3 } as any);
    const doc = await coll.findOneAndUpdate({ _id: 1 as any }, { $set: { b: 20 } }, { projection: { b: 1, _id: 0 }, returnDocument: 'after' });
    expect(doc).toEqual({ b: 20 });
    expect(await coll.findOne({ _id: 1 as any })).toEqual({ _id: 1, a: 1, b: 20, c: 3 });
  });

  // manual: reference/command/findAndModify — unique index violation surfaces as E11000 (code 11000)
  it('duplicate key from the update or from an upsert is code 11000', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertMany([{ _id: 1, email: 'a' }, { _id: 2, email: 'b' }] as any[]);
    const err = await rejectionOf(coll.findOneAndUpdate({ _id: 2 as any }, { $set: { email: 'a' } }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(11000);
    expect(err.message).toContain('index: email_1 dup key:');
    const err2 = await rejectionOf(coll.findOneAndUpdate({ _id: 3 as any }, { $set: { email: 'b' } }, { upsert: true }));
    expect(err2.code).toBe(11000);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, email: 'a' },
      { _id: 2, email: 'b' },
    ]);
  });

  // manual: reference/method/db.collection.findOneAndUpdate — "performs an atomic update on a single document";
  // a conditional $inc therefore lets exactly `limit` of many concurrent callers through
  it('conditional atomic counter: 20 concurrent callers, limit 5, exactly 5 succeed', async () => {
    const coll = db.collection(freshName('fam'));
    const limit = 5;
    await coll.insertOne({ _id: 'quota', used: 0 } as any);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        coll.findOneAndUpdate({ _id: 'quota' as any, used: { $lt: limit } }, { $inc: { used: 1 } }, { returnDocument: 'after' }),
      ),
    );
    const won = results.filter((r) => r !== null);
    expect(won).toHaveLength(limit);
    expect(won.map((r) => r!.used).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await coll.findOne({ _id: 'quota' as any }))!.used).toBe(limit);
  });

  // manual: reference/method/db.collection.findOneAndUpdate — arrayFilters and pipeline updates are accepted
  it('supports arrayFilters and pipeline updates', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertOne({ _id: 1, items: [{ k: 'a', n: 1 }, { k: 'b', n: 2 }], a: 2, b: 3 } as any);
    const doc = await coll.findOneAndUpdate(
      { _id: 1 as any },
      { $set: { 'items.$[it].n': 20 } },
      { arrayFilters: [{ 'it.k': 'b' }], returnDocument: 'after' },
    );
    expect(doc!.items).toEqual([{ k: 'a', n: 1 }, { k: 'b', n: 20 }]);
    const doc2 = await coll.findOneAndUpdate({ _id: 1 as any }, [{ $set: { total: { $add: ['$a', '$b'] } } }], { returnDocument: 'after' });
    expect(doc2!.total).toBe(5);
  });

  // manual: reference/operator/update/positional — "$" in findAndModify updates the matched element
  it('positional $ with two paths into the same array', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertOne({ _id: 1, videos: [{ videoId: 'v1' }, { videoId: 'v2' }] } as any);
    const doc = await coll.findOneAndUpdate(
      { _id: 1 as any, 'videos.videoId': 'v2' },
      { $set: { 'videos.$.status': 'completed', 'videos.$.videoUrl': 'u' } },
      { returnDocument: 'after' },
    );
    expect(doc!.videos).toEqual([{ videoId: 'v1' }, { videoId: 'v2', status: 'completed', videoUrl: 'u' }]);
  });
});

describe('findOneAndDelete', () => {
  // manual: reference/method/db.collection.findOneAndDelete — deletes the first match by sort, returns it
  it('deletes and returns the document chosen by sort', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertMany([
      { _id: 1, job: 'x', pri: 2 },
      { _id: 2, job: 'x', pri: 1 },
      { _id: 3, job: 'x', pri: 3 },
    ] as any[]);
    const doc = await coll.findOneAndDelete({ job: 'x' }, { sort: { pri: 1 } });
    expect(doc).toEqual({ _id: 2, job: 'x', pri: 1 });
    expect(await coll.countDocuments()).toBe(2);
    const meta = await coll.findOneAndDelete({ _id: 1 as any }, { includeResultMetadata: true, projection: { pri: 1 } });
    expect(meta.value).toEqual({ _id: 1, pri: 2 });
    expect(meta.lastErrorObject).toMatchObject({ n: 1 });
    expect(await coll.findOneAndDelete({ _id: 99 as any })).toBeNull();
  });
});

describe('findOneAndReplace', () => {
  // manual: reference/method/db.collection.findOneAndReplace — replaces all fields but _id; before/after
  it('replaces the document, keeping _id; returnDocument before/after', async () => {
    const coll = db.collection(freshName('fam'));
    await coll.insertMany([
      { _id: 1, team: 'a', score: 10 },
      { _id: 2, team: 'b', score: 30 },
    ] as any[]);
    const before = await coll.findOneAndReplace({ score: { $lt: 20 } }, { team: 'a2', score: 11 });
    expect(before).toEqual({ _id: 1, team: 'a', score: 10 });
    expect(await coll.findOne({ _id: 1 as any })).toEqual({ _id: 1, team: 'a2', score: 11 });
    const after = await coll.findOneAndReplace({ team: 'b' }, { team: 'b2' }, { returnDocument: 'after', sort: { score: -1 } });
    expect(after).toEqual({ _id: 2, team: 'b2' });
  });

  // manual: reference/method/db.collection.findOneAndReplace — upsert inserts the replacement
  it('upsert inserts the replacement document, taking _id from the filter', async () => {
    const coll = db.collection(freshName('fam'));
    const doc = await coll.findOneAndReplace({ _id: 'r' as any }, { v: 1 }, { upsert: true, returnDocument: 'after' });
    expect(doc).toEqual({ _id: 'r', v: 1 });
  });
});
