/**
 * find + getMore + killCursors, limit / skip / sort / projection.
 */
import { after as afterAll, before as beforeAll, describe, it, clientOptions, freshName, openSuite, rejectionOf, type Suite } from './harness.js';
import { expect } from 'expect';
import { Long, MongoClient, MongoServerError, type Collection, type CommandStartedEvent, type CommandSucceededEvent, type Db, type Document } from 'mongodb';

let s: Suite;
let db: Db;
let big: Collection<Document>; // 250 docs: { _id: i, n: i, g: i % 3, s: 'doc' + pad(i) }
let monitored: MongoClient;
const started: CommandStartedEvent[] = [];
const succeeded: CommandSucceededEvent[] = [];

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
  big = db.collection(freshName('big'));
  // insert in a shuffled order so that sort order has to come from sort, not insertion order
  const ns = Array.from({ length: 250 }, (_, i) => i);
  for (let i = ns.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [ns[i], ns[j]] = [ns[j], ns[i]];
  }
  await big.insertMany(ns.map((n) => ({ _id: n as any, n, g: n % 3, s: `doc${String(n).padStart(3, '0')}` })));
  monitored = new MongoClient(s.target.uri, { ...clientOptions, monitorCommands: true });
  monitored.on('commandStarted', (e) => started.push(e));
  monitored.on('commandSucceeded', (e) => succeeded.push(e));
  await monitored.connect();
});
afterAll(async () => {
  await monitored?.close();
  await s?.teardown();
});

describe('batches', () => {
  // manual: reference/method/cursor.batchSize + reference/command/getMore — all 250 docs arrive over several batches
  it('250 docs with batchSize 50 iterate completely, in sort order, over several getMores', async () => {
    const coll = monitored.db(s.dbName).collection(big.collectionName);
    const before = started.filter((e) => e.commandName === 'getMore').length;
    const seen: number[] = [];
    for await (const doc of coll.find({}).sort({ n: 1 }).batchSize(50)) seen.push(doc.n);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const getMores = started.filter((e) => e.commandName === 'getMore').slice(before);
    expect(getMores.length).toBeGreaterThanOrEqual(4);
    // manual: reference/command/getMore — cursor ids are 64-bit integers (Long)
    expect(getMores[0].command.getMore).toBeInstanceOf(Long);
    expect(getMores[0].command.batchSize).toBe(50);
  });

  // manual: core/cursors#cursor-batches — "find() and aggregate() operations have an initial batch size of 101 documents by default"
  it('the default first batch holds 101 documents', async () => {
    const cursor = big.find({}).sort({ n: 1 });
    expect(await cursor.hasNext()).toBe(true);
    expect(cursor.bufferedCount()).toBe(101);
    const all = await cursor.toArray();
    expect(all).toHaveLength(250);
  });

  // manual: reference/command/find#output — the cursor id is 0 when the result is exhausted in the first batch
  it('a result that fits in the first batch returns cursor id 0', async () => {
    const coll = monitored.db(s.dbName).collection(big.collectionName);
    const docs = await coll.find({ n: { $lt: 10 } }).toArray();
    expect(docs).toHaveLength(10);
    const reply = succeeded.filter((e) => e.commandName === 'find').at(-1)!.reply as Document;
    expect(reply.cursor.firstBatch).toHaveLength(10);
    expect(Long.fromValue(reply.cursor.id).isZero()).toBe(true);
    expect(reply.cursor.ns).toBe(`${s.dbName}.${big.collectionName}`);
  });

  // manual: reference/command/killCursors — cursor.close() kills the server cursor; later getMore fails with 43 CursorNotFound
  it('cursor.close() sends killCursors; a later getMore gets CursorNotFound (43)', async () => {
    const coll = monitored.db(s.dbName).collection(big.collectionName);
    const cursor = coll.find({}).sort({ n: 1 }).batchSize(10);
    await cursor.next();
    const id = cursor.id!;
    expect(id.isZero()).toBe(false);
    await cursor.close();
    const kill = started.filter((e) => e.commandName === 'killCursors').at(-1)!;
    expect(kill).toBeDefined();
    expect(Long.fromValue(kill.command.cursors[0]).equals(id)).toBe(true);
    const killReply = succeeded.filter((e) => e.commandName === 'killCursors').at(-1)!.reply as Document;
    expect(killReply.cursorsKilled.map((x: any) => Long.fromValue(x).toString())).toEqual([id.toString()]);
    const err = await rejectionOf(db.command({ getMore: id, collection: big.collectionName }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err.code).toBe(43);
  });

  // manual: reference/method/cursor.limit — limit with a smaller batchSize still stops at the limit
  it('limit across batches stops at the limit', async () => {
    const docs = await big.find({}).sort({ n: 1 }).limit(120).batchSize(50).toArray();
    expect(docs).toHaveLength(120);
    expect(docs.at(-1)!.n).toBe(119);
  });
});

describe('limit / skip / sort', () => {
  // manual: reference/method/cursor.skip, cursor.limit — skip applies before limit, after sort
  it('skip + limit after sort', async () => {
    const docs = await big.find({}).sort({ n: -1 }).skip(5).limit(3).toArray();
    expect(docs.map((d) => d.n)).toEqual([244, 243, 242]);
  });

  // manual: reference/method/cursor.sort — compound sort, mixed directions
  it('compound sort { g: 1, n: -1 }', async () => {
    const docs = await big.find({ n: { $lt: 9 } }).sort({ g: 1, n: -1 }).toArray();
    expect(docs.map((d) => [d.g, d.n])).toEqual([
      [0, 6],
      [0, 3],
      [0, 0],
      [1, 7],
      [1, 4],
      [1, 1],
      [2, 8],
      [2, 5],
      [2, 2],
    ]);
  });

  // manual: reference/method/cursor.sort — string sort is by binary comparison (simple collation)
  it('descending sort on a string field', async () => {
    const docs = await big.find({ n: { $gte: 247 } }).sort({ s: -1 }).toArray();
    expect(docs.map((d) => d.s)).toEqual(['doc249', 'doc248', 'doc247']);
  });

  // manual: reference/method/cursor.sort#sort-consistency + missing fields sort as null (before numbers)
  it('documents missing the sort field come first in ascending order', async () => {
    const coll = db.collection(freshName('sort'));
    await coll.insertMany([{ _id: 1, v: 2 }, { _id: 2 }, { _id: 3, v: 1 }] as any[]);
    const docs = await coll.find().sort({ v: 1 }).toArray();
    expect(docs.map((d) => d._id)).toEqual([2, 3, 1]);
  });
});

describe('projection', () => {
  let coll: Collection<Document>;
  beforeAll(async () => {
    coll = db.collection(freshName('proj'));
    await coll.insertOne({
      _id: 1,
      name: 'n',
      meta: { a: 1, b: 2 },
      arr: [1, 2, 3, 4, 5],
      students: [
        { name: 'john', school: 102, age: 10 },
        { name: 'jess', school: 102, age: 11 },
        { name: 'jeff', school: 108, age: 15 },
      ],
    } as any);
  });

  // manual: tutorial/project-fields-from-query-results — inclusion returns _id unless excluded
  it('inclusion projection (and _id suppression, dotted inclusion)', async () => {
    expect(await coll.findOne({}, { projection: { name: 1 } })).toEqual({ _id: 1, name: 'n' });
    expect(await coll.findOne({}, { projection: { name: 1, _id: 0 } })).toEqual({ name: 'n' });
    expect(await coll.findOne({}, { projection: { 'meta.b': 1, _id: 0 } })).toEqual({ meta: { b: 2 } });
    expect(await coll.findOne({}, { projection: { 'students.name': 1, _id: 0 } })).toEqual({
      students: [{ name: 'john' }, { name: 'jess' }, { name: 'jeff' }],
    });
  });

  // manual: tutorial/project-fields-from-query-results — exclusion returns all other fields
  it('exclusion projection', async () => {
    expect(await coll.findOne({}, { projection: { students: 0, arr: 0, 'meta.a': 0 } })).toEqual({ _id: 1, name: 'n', meta: { b: 2 } });
  });

  // manual: reference/operator/projection/slice — n, -n, [skip, limit]
  it('$slice', async () => {
    expect((await coll.findOne({}, { projection: { arr: { $slice: 2 } } }))!.arr).toEqual([1, 2]);
    expect((await coll.findOne({}, { projection: { arr: { $slice: -2 } } }))!.arr).toEqual([4, 5]);
    expect((await coll.findOne({}, { projection: { arr: { $slice: [1, 2] } } }))!.arr).toEqual([2, 3]);
    // manual: "The $slice projection by itself is considered an exclusion" — the other fields are returned
    const doc = await coll.findOne({}, { projection: { arr: { $slice: 1 } } });
    expect(doc).toMatchObject({ name: 'n', meta: { a: 1, b: 2 }, arr: [1] });
  });

  // manual: reference/operator/projection/elemMatch — only the first matching element
  it('$elemMatch projection returns only the first matching element', async () => {
    const doc = await coll.findOne({}, { projection: { students: { $elemMatch: { school: 102 } } } });
    expect(doc).toEqual({ _id: 1, students: [{ name: 'john', school: 102, age: 10 }] });
    const none = await coll.findOne({}, { projection: { students: { $elemMatch: { school: 999 } } } });
    expect(none).toEqual({ _id: 1 });
  });

  // manual: reference/operator/projection/positional — arr.$ returns the first element matched by the query
  it('positional projection arr.$', async () => {
    const doc = await coll.findOne({ 'students.age': { $gt: 10 } }, { projection: { 'students.$': 1 } });
    expect(doc).toEqual({ _id: 1, students: [{ name: 'jess', school: 102, age: 11 }] });
    const doc2 = await coll.findOne({ arr: { $gte: 3 } }, { projection: { 'arr.$': 1, _id: 0 } });
    expect(doc2).toEqual({ arr: [3] });
  });
});
