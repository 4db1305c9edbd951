/**
 * Update operators, upserts and positional updates, through the native driver.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import { Timestamp, type Collection, type Db, type Document } from 'mongodb';

let s: Suite;
let db: Db;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
});
afterAll(async () => {
  await s?.teardown();
});

/** A new collection holding one document { _id: 1, ...doc }. */
async function withDoc(doc: Document): Promise<Collection<any>> {
  const coll = db.collection<any>(freshName('upd'));
  await coll.insertOne({ _id: 1 as any, ...doc });
  return coll;
}
const one = (coll: Collection<any>) => coll.findOne({ _id: 1 as any });

describe('field operators', () => {
  // manual: reference/operator/update/set — dotted paths create missing embedded documents
  it('$set sets top-level and dotted fields, creating embedded documents', async () => {
    const coll = await withDoc({ a: 1 });
    const res = await coll.updateOne({ _id: 1 as any }, { $set: { a: 2, 'b.c.d': 'x', 'e.f': [1] } });
    expect(res.modifiedCount).toBe(1);
    expect(await one(coll)).toEqual({ _id: 1, a: 2, b: { c: { d: 'x' } }, e: { f: [1] } });
  });

  // manual: reference/operator/update/unset — missing fields are ignored
  it('$unset removes fields (missing ones are a no-op)', async () => {
    const coll = await withDoc({ a: 1, b: { c: 2, d: 3 } });
    await coll.updateOne({ _id: 1 as any }, { $unset: { a: '', 'b.c': '', zz: '' } });
    expect(await one(coll)).toEqual({ _id: 1, b: { d: 3 } });
  });

  // manual: reference/operator/update/inc — "If the field does not exist, $inc creates the field and sets it to the specified value"
  it('$inc increments, decrements and creates missing fields', async () => {
    const coll = await withDoc({ qty: 10, m: { n: 1 } });
    await coll.updateOne({ _id: 1 as any }, { $inc: { qty: -2, 'm.n': 5, fresh: 3 } });
    expect(await one(coll)).toEqual({ _id: 1, qty: 8, m: { n: 6 }, fresh: 3 });
  });

  // manual: reference/operator/update/mul — "If the field does not exist ... sets the field to zero"
  it('$mul multiplies and sets missing fields to 0', async () => {
    const coll = await withDoc({ price: 10.5, qty: 2 });
    await coll.updateOne({ _id: 1 as any }, { $mul: { price: 2, qty: 3, missing: 7 } });
    expect(await one(coll)).toEqual({ _id: 1, price: 21, qty: 6, missing: 0 });
  });

  // manual: reference/operator/update/min, max — only changes when the new value is lower / higher; works on Dates
  it('$min / $max on numbers and Dates', async () => {
    const coll = await withDoc({ lo: 5, hi: 5, d: new Date('2024-06-01T00:00:00Z') });
    await coll.updateOne({ _id: 1 as any }, { $min: { lo: 3, d: new Date('2024-01-01T00:00:00Z') }, $max: { hi: 4 } });
    expect(await one(coll)).toEqual({ _id: 1, lo: 3, hi: 5, d: new Date('2024-01-01T00:00:00Z') });
    await coll.updateOne({ _id: 1 as any }, { $max: { hi: 9, newMax: 1 } });
    expect(await one(coll)).toMatchObject({ hi: 9, newMax: 1 });
  });

  // manual: reference/operator/update/rename
  it('$rename moves fields, including into embedded documents', async () => {
    const coll = await withDoc({ nmae: 'x', a: { b: 1 } });
    await coll.updateOne({ _id: 1 as any }, { $rename: { nmae: 'name', 'a.b': 'c.d' } });
    expect(await one(coll)).toEqual({ _id: 1, name: 'x', a: {}, c: { d: 1 } });
  });

  // manual: reference/operator/update/currentDate — true => Date; { $type: 'timestamp' } => Timestamp
  it('$currentDate sets a Date or a Timestamp', async () => {
    const coll = await withDoc({});
    const before = Date.now();
    await coll.updateOne({ _id: 1 as any }, { $currentDate: { lastModified: true, 'c.ts': { $type: 'timestamp' }, 'c.dt': { $type: 'date' } } } as Document);
    const doc = (await one(coll))!;
    expect(doc.lastModified).toBeInstanceOf(Date);
    expect(doc.lastModified.getTime()).toBeGreaterThanOrEqual(before - 5000);
    expect(doc.lastModified.getTime()).toBeLessThanOrEqual(Date.now() + 5000);
    expect(doc.c.dt).toBeInstanceOf(Date);
    expect(doc.c.ts).toBeInstanceOf(Timestamp);
  });

  // manual: reference/method/db.collection.updateOne — "modifiedCount ... may be less than matchedCount"
  // when the update leaves the document unchanged (setting a field to its current value)
  it('setting the same value matches but modifies nothing', async () => {
    const coll = await withDoc({ a: 1, b: 'x' });
    const res = await coll.updateOne({ _id: 1 as any }, { $set: { a: 1, b: 'x' } });
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(0);
    const many = await coll.updateMany({}, { $set: { a: 1 } });
    expect(many.matchedCount).toBe(1);
    expect(many.modifiedCount).toBe(0);
  });
});

describe('array operators', () => {
  // manual: reference/operator/update/push — appends; an array value is pushed as one element without $each
  it('$push appends (arrays as single elements), creating the array if missing', async () => {
    const coll = await withDoc({ a: [1] });
    await coll.updateOne({ _id: 1 as any }, { $push: { a: [2, 3], b: 'x' } } as Document);
    expect(await one(coll)).toEqual({ _id: 1, a: [1, [2, 3]], b: ['x'] });
  });

  // manual: reference/operator/update/push — "Use $push Operator with Multiple Modifiers" ($each, $sort, $slice)
  it('$push with $each, $sort and $slice', async () => {
    const coll = await withDoc({
      quizzes: [
        { wk: 1, score: 10 },
        { wk: 2, score: 8 },
        { wk: 3, score: 5 },
        { wk: 4, score: 6 },
      ],
    });
    await coll.updateOne(
      { _id: 1 as any },
      { $push: { quizzes: { $each: [{ wk: 5, score: 8 }, { wk: 6, score: 7 }, { wk: 7, score: 6 }], $sort: { score: -1 }, $slice: 3 } } } as Document,
    );
    expect((await one(coll))!.quizzes).toEqual([
      { wk: 1, score: 10 },
      { wk: 2, score: 8 },
      { wk: 5, score: 8 },
    ]);
  });

  // manual: reference/operator/update/position — insert at a position; negative counts from the end
  it('$push with $position', async () => {
    const coll = await withDoc({ scores: [100] });
    await coll.updateOne({ _id: 1 as any }, { $push: { scores: { $each: [50, 60, 70], $position: 0 } } } as Document);
    expect((await one(coll))!.scores).toEqual([50, 60, 70, 100]);
    await coll.updateOne({ _id: 1 as any }, { $push: { scores: { $each: [90], $position: -1 } } } as Document);
    expect((await one(coll))!.scores).toEqual([50, 60, 70, 90, 100]);
  });

  // manual: reference/operator/update/slice — negative $slice keeps the last elements; $sort on scalars
  it('$push with $sort on scalars and a negative $slice', async () => {
    const coll = await withDoc({ s: [40, 10] });
    await coll.updateOne({ _id: 1 as any }, { $push: { s: { $each: [30, 20], $sort: 1, $slice: -3 } } } as Document);
    expect((await one(coll))!.s).toEqual([20, 30, 40]);
  });

  // manual: reference/operator/update/addToSet — adds only absent values; $each
  it('$addToSet and $addToSet with $each', async () => {
    const coll = await withDoc({ tags: ['a', 'b'] });
    const res = await coll.updateOne({ _id: 1 as any }, { $addToSet: { tags: 'a' } });
    expect(res.modifiedCount).toBe(0);
    await coll.updateOne({ _id: 1 as any }, { $addToSet: { tags: { $each: ['b', 'c', 'd', 'c'] } } });
    expect((await one(coll))!.tags).toEqual(['a', 'b', 'c', 'd']);
  });

  // manual: reference/operator/update/pull — "Remove All Items That Match a Specified $pull Condition"
  it('$pull by value, by condition and from an array of documents', async () => {
    const coll = await withDoc({
      fruits: ['apples', 'pears', 'oranges', 'grapes', 'apples'],
      votes: [3, 5, 6, 7, 7, 8],
      results: [
        { item: 'A', score: 5 },
        { item: 'B', score: 8 },
        { item: 'B', score: 4 },
      ],
    });
    await coll.updateOne(
      { _id: 1 as any },
      { $pull: { fruits: { $in: ['apples', 'oranges'] }, votes: { $gte: 6 }, results: { item: 'B', score: { $gt: 5 } } } as any },
    );
    const doc = (await one(coll))!;
    expect(doc.fruits).toEqual(['pears', 'grapes']);
    expect(doc.votes).toEqual([3, 5]);
    expect(doc.results).toEqual([
      { item: 'A', score: 5 },
      { item: 'B', score: 4 },
    ]);
  });

  // manual: reference/operator/update/pullAll
  it('$pullAll removes every instance of the listed values', async () => {
    const coll = await withDoc({ scores: [0, 2, 5, 5, 1, 0] });
    await coll.updateOne({ _id: 1 as any }, { $pullAll: { scores: [0, 5] } as any });
    expect((await one(coll))!.scores).toEqual([2, 1]);
  });

  // manual: reference/operator/update/pop — 1 removes last, -1 removes first
  it('$pop removes the last (1) or first (-1) element', async () => {
    const coll = await withDoc({ a: [1, 2, 3], b: [1, 2, 3] });
    await coll.updateOne({ _id: 1 as any }, { $pop: { a: 1, b: -1 } as any });
    expect(await one(coll)).toEqual({ _id: 1, a: [1, 2], b: [2, 3] });
  });
});

describe('positional updates', () => {
  // manual: reference/operator/update/positional — "$" identifies the first element matched by the query;
  // several fields of that same element may be updated in one update
  it('positional $ with two paths into the same array element', async () => {
    const coll = await withDoc({
      videos: [
        { videoId: 'v1', status: 'pending' },
        { videoId: 'v2', status: 'pending' },
        { videoId: 'v3', status: 'pending' },
      ],
    });
    const res = await coll.updateOne(
      { _id: 1 as any, 'videos.videoId': 'v2' },
      { $set: { 'videos.$.status': 'completed', 'videos.$.videoUrl': 'u' } },
    );
    expect(res.matchedCount).toBe(1);
    expect(res.modifiedCount).toBe(1);
    expect((await one(coll))!.videos).toEqual([
      { videoId: 'v1', status: 'pending' },
      { videoId: 'v2', status: 'completed', videoUrl: 'u' },
      { videoId: 'v3', status: 'pending' },
    ]);
  });

  // manual: reference/operator/update/positional — with $elemMatch, $ is the element matching all criteria; also $inc
  it('positional $ after $elemMatch, with $inc', async () => {
    const coll = await withDoc({
      grades: [
        { grade: 80, mean: 75, std: 8 },
        { grade: 85, mean: 90, std: 5 },
        { grade: 85, mean: 85, std: 8 },
      ],
    });
    await coll.updateOne({ _id: 1 as any, grades: { $elemMatch: { grade: { $lte: 90 }, mean: { $gt: 80 } } } }, { $set: { 'grades.$.std': 6 }, $inc: { 'grades.$.grade': 1 } });
    expect((await one(coll))!.grades).toEqual([
      { grade: 80, mean: 75, std: 8 },
      { grade: 86, mean: 90, std: 6 },
      { grade: 85, mean: 85, std: 8 },
    ]);
  });

  // manual: reference/operator/update/positional — on a scalar array
  it('positional $ on a scalar array', async () => {
    const coll = await withDoc({ grades: [85, 80, 80] });
    await coll.updateOne({ _id: 1 as any, grades: 80 }, { $set: { 'grades.$': 82 } });
    expect((await one(coll))!.grades).toEqual([85, 82, 80]);
  });

  // manual: reference/operator/update/positional-all — $[] updates every element
  it('$[] updates all elements', async () => {
    const coll = await withDoc({ grades: [85, 82, 80], items: [{ q: 1 }, { q: 2 }] });
    await coll.updateOne({ _id: 1 as any }, { $inc: { 'grades.$[]': 10 }, $set: { 'items.$[].done': true } });
    expect(await one(coll)).toEqual({ _id: 1, grades: [95, 92, 90], items: [{ q: 1, done: true }, { q: 2, done: true }] });
  });

  // manual: reference/operator/update/positional-filtered — $[<identifier>] with arrayFilters
  it('$[elem] with arrayFilters', async () => {
    const coll = await withDoc({
      grades: [
        { grade: 80, mean: 75 },
        { grade: 85, mean: 90 },
        { grade: 90, mean: 85 },
      ],
    });
    await coll.updateOne({ _id: 1 as any }, { $set: { 'grades.$[elem].mean': 100 } }, { arrayFilters: [{ 'elem.grade': { $gte: 85 } }] });
    expect((await one(coll))!.grades).toEqual([
      { grade: 80, mean: 75 },
      { grade: 85, mean: 100 },
      { grade: 90, mean: 100 },
    ]);
  });

  // manual: reference/operator/update/positional-filtered — several identifiers, one arrayFilters entry each
  it('several $[identifier]s with several arrayFilters in one update', async () => {
    const coll = await withDoc({
      videos: [
        { videoId: 'a', status: 'queued', tries: 0 },
        { videoId: 'b', status: 'queued', tries: 0 },
        { videoId: 'c', status: 'failed', tries: 2 },
      ],
    });
    const res = await coll.updateOne(
      { _id: 1 as any },
      { $set: { 'videos.$[done].status': 'completed', 'videos.$[bad].status': 'dead' }, $inc: { 'videos.$[bad].tries': 1 } },
      { arrayFilters: [{ 'done.videoId': { $in: ['a', 'b'] } }, { 'bad.status': 'failed' }] },
    );
    expect(res.modifiedCount).toBe(1);
    expect((await one(coll))!.videos).toEqual([
      { videoId: 'a', status: 'completed', tries: 0 },
      { videoId: 'b', status: 'completed', tries: 0 },
      { videoId: 'c', status: 'dead', tries: 3 },
    ]);
  });

  // manual: reference/operator/update/positional-filtered — nested arrays, "$[]" combined with "$[<identifier>]"
  it('$[] combined with $[identifier] across nested arrays', async () => {
    const coll = await withDoc({ rows: [{ cells: [1, 5, 9] }, { cells: [7, 2] }] });
    await coll.updateOne({ _id: 1 as any }, { $inc: { 'rows.$[].cells.$[big]': 100 } }, { arrayFilters: [{ big: { $gte: 5 } }] });
    expect((await one(coll))!.rows).toEqual([{ cells: [1, 105, 109] }, { cells: [107, 2] }]);
  });

  // manual: reference/operator/update/positional-filtered — updateMany with arrayFilters
  it('updateMany with arrayFilters touches every matching document', async () => {
    const coll = db.collection(freshName('upd'));
    await coll.insertMany([
      { _id: 1, g: [95, 92, 90] },
      { _id: 2, g: [98, 100, 102] },
      { _id: 3, g: [95, 110, 100] },
    ] as any[]);
    const res = await coll.updateMany({ g: { $gte: 100 } }, { $set: { 'g.$[el]': 100 } }, { arrayFilters: [{ el: { $gte: 100 } }] });
    expect(res.matchedCount).toBe(2);
    // doc 2: [98, 100, 102] -> [98, 100, 100] (changed); doc 3: [95, 110, 100] -> [95, 100, 100] (changed)
    expect(res.modifiedCount).toBe(2);
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((x) => x.g)).toEqual([
      [95, 92, 90],
      [98, 100, 100],
      [95, 100, 100],
    ]);
  });
});

describe('pipeline updates', () => {
  // manual: tutorial/update-documents-with-aggregation-pipeline — $set / $unset stages, field references
  it('[{ $set: { total: { $add: [...] } } }] computes from the document', async () => {
    const coll = await withDoc({ a: 2, b: 3, tmp: 'x' });
    const res = await coll.updateOne({ _id: 1 as any }, [{ $set: { total: { $add: ['$a', '$b'] } } }, { $unset: 'tmp' }]);
    expect(res.modifiedCount).toBe(1);
    expect(await one(coll)).toEqual({ _id: 1, a: 2, b: 3, total: 5 });
  });

  // manual: tutorial/update-documents-with-aggregation-pipeline — updateMany with $$NOW / $cond
  it('pipeline updateMany with $cond', async () => {
    const coll = db.collection(freshName('upd'));
    await coll.insertMany([{ _id: 1, score: 90 }, { _id: 2, score: 40 }] as any[]);
    await coll.updateMany({}, [{ $set: { pass: { $cond: [{ $gte: ['$score', 50] }, true, false] }, at: '$$NOW' } }]);
    const docs = await coll.find().sort({ _id: 1 }).toArray();
    expect(docs.map((x) => x.pass)).toEqual([true, false]);
    expect(docs[0].at).toBeInstanceOf(Date);
  });
});

describe('upsert', () => {
  // manual: reference/operator/update/setOnInsert — applied only when the update inserts
  it('$setOnInsert applies on insert only', async () => {
    const coll = db.collection(freshName('upd'));
    const ins = await coll.updateOne({ _id: 'k' as any }, { $set: { n: 1 }, $setOnInsert: { created: 'first' } }, { upsert: true });
    expect(ins.upsertedCount).toBe(1);
    expect(ins.upsertedId).toBe('k');
    expect(ins.matchedCount).toBe(0);
    expect(await coll.findOne({ _id: 'k' as any })).toEqual({ _id: 'k', n: 1, created: 'first' });
    const upd = await coll.updateOne({ _id: 'k' as any }, { $set: { n: 2 }, $setOnInsert: { created: 'second' } }, { upsert: true });
    expect(upd.upsertedCount).toBe(0);
    expect(upd.upsertedId).toBeNull();
    expect(upd.matchedCount).toBe(1);
    expect(await coll.findOne({ _id: 'k' as any })).toEqual({ _id: 'k', n: 2, created: 'first' });
  });

  // manual: reference/method/db.collection.update#upsert-behavior — the new document is seeded from the
  // query's equality clauses (dotted fields become embedded documents), then the update is applied;
  // non-equality conditions are not copied; an ObjectId _id is generated and reported as upsertedId
  it('upsert seeds the new document from equality fields and reports the generated _id', async () => {
    const coll = db.collection(freshName('upd'));
    const res = await coll.updateOne({ name: 'x', 'meta.k': 2, n: { $gt: 5 }, tag: { $eq: 't' } }, { $set: { y: 1 } }, { upsert: true });
    expect(res.upsertedCount).toBe(1);
    expect(res.upsertedId).toBeTruthy();
    const doc = await coll.findOne({ _id: res.upsertedId! });
    expect(doc).toEqual({ _id: res.upsertedId, name: 'x', meta: { k: 2 }, tag: 't', y: 1 });
  });

  // manual: reference/method/db.collection.update#upsert-behavior — equality clauses inside $and are used too
  it('upsert seeds from an $and of equalities', async () => {
    const coll = db.collection(freshName('upd'));
    const res = await coll.updateOne({ $and: [{ userId: 'u1' }, { day: '2024-01-01' }] }, { $inc: { hits: 1 } }, { upsert: true });
    expect(res.upsertedCount).toBe(1);
    const doc = await coll.findOne({ _id: res.upsertedId! }, { projection: { _id: 0 } });
    expect(doc).toEqual({ userId: 'u1', day: '2024-01-01', hits: 1 });
    // the same upsert again now matches instead of inserting
    const again = await coll.updateOne({ $and: [{ userId: 'u1' }, { day: '2024-01-01' }] }, { $inc: { hits: 1 } }, { upsert: true });
    expect(again.upsertedCount).toBe(0);
    expect(again.modifiedCount).toBe(1);
    expect(await coll.countDocuments()).toBe(1);
    expect((await coll.findOne({ userId: 'u1' }))!.hits).toBe(2);
  });

  // manual: reference/method/db.collection.updateMany — upsert inserts a single document when nothing matches
  it('updateMany with upsert inserts exactly one document', async () => {
    const coll = db.collection(freshName('upd'));
    const res = await coll.updateMany({ kind: 'none' }, { $set: { v: 1 } }, { upsert: true });
    expect(res.upsertedCount).toBe(1);
    expect(await coll.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ kind: 'none', v: 1 }]);
  });

  // manual: reference/method/db.collection.updateOne#update-with-aggregation-pipeline + #upsert — the pipeline runs on the
  // document seeded from the query's equality fields
  it('upsert with a pipeline update seeds from the query too', async () => {
    const coll = db.collection(freshName('upd'));
    const res = await coll.updateOne({ _id: 5 as any, kind: 'p' }, [{ $set: { twice: { $multiply: [2, 21] } } }], { upsert: true });
    expect(res.upsertedId).toBe(5);
    expect(await coll.findOne({ _id: 5 as any })).toEqual({ _id: 5, kind: 'p', twice: 42 });
  });
});
