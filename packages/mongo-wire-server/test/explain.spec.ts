/**
 * explain for find, aggregate, count and writes: which plan answers a query, in mongod's shapes.
 *
 * Assertions go through src/explain-plan.ts, which looks for stages anywhere along the winning plan,
 * so they hold on mongod's richer plans too (classic or slot-based engine, EXPRESS stages of 8.0).
 * Manual pages: reference/explain-results, reference/command/explain,
 * reference/method/cursor.explain, tutorial/analyze-query-plan and the index pages named per test.
 */
import { after as afterAll, before as beforeAll, describe, it, describeWireOnly, freshName, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import mongoose, { Schema, type Connection } from 'mongoose';
import type { Collection, Db, Document } from 'mongodb';
import {
  assertCollScan,
  assertStage,
  assertUsesIndex,
  indexesUsed,
  planStages,
  planSummary,
  stageNames,
  usesIndex,
  winningPlans,
} from '../src/explain-plan.js';

let s: Suite;
let db: Db;
let tasks: Collection<Document>;
let tasksName: string;

const N = 300;
const t0 = Date.UTC(2030, 0, 1);
const minute = 60_000;
const at = (i: number) => new Date(t0 + i * minute);
const STATUSES = ['open', 'done', 'late'];

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
  tasksName = freshName('tasks');
  tasks = db.collection(tasksName);
  await tasks.insertMany(
    Array.from({ length: N }, (_, i) => ({
      sku: `SKU-${i}`,
      customer: `c${i % 10}`,
      workspace: i % 10,
      createdAt: at(i),
      status: STATUSES[i % 3],
      priority: i % 5,
      title: `task ${(i * 7) % N}`,
    })),
  );
  await tasks.createIndex({ sku: 1 }, { unique: true });
  await tasks.createIndex({ customer: 1 });
  await tasks.createIndex({ workspace: 1, createdAt: -1 });
  await tasks.createIndex({ workspace: 1 });
  await tasks.createIndex({ status: 1, priority: -1 });
});
afterAll(async () => {
  await s?.teardown();
});

const stage = (explain: Document, name: string) => planStages(explain).find((x) => x.stage === name);

describe('find().explain()', () => {
  // manual: reference/explain-results#queryplanner — queryPlanner.namespace, parsedQuery, winningPlan (a tree of
  // stages linked by inputStage), rejectedPlans; IXSCAN "for scanning index keys", FETCH "for retrieving documents"
  it('equality on an indexed field: FETCH over an IXSCAN of that index, with point bounds', async () => {
    const explain = await tasks.find({ customer: 'c7' }).explain('queryPlanner');
    expect(explain.queryPlanner).toMatchObject({ namespace: `${s.dbName}.${tasksName}`, parsedQuery: { customer: { $eq: 'c7' } } });
    expect(Array.isArray(explain.queryPlanner.rejectedPlans)).toBe(true);
    assertUsesIndex(explain, 'customer_1');
    expect(stageNames(explain)).toEqual(['FETCH', 'IXSCAN']);
    expect(stage(explain, 'IXSCAN')).toMatchObject({
      keyPattern: { customer: 1 },
      indexName: 'customer_1',
      direction: 'forward',
      indexBounds: { customer: ['["c7", "c7"]'] },
    });
  });

  // manual: reference/explain-results — IDHACK up to 7.x, EXPRESS_IXSCAN from 8.0 ("EXPRESS stages: queries that
  // bypass regular query planning"); both read the _id index
  it('_id equality reads the _id index', async () => {
    const doc = await tasks.findOne({ sku: 'SKU-5' });
    const explain = await tasks.find({ _id: doc!._id }).explain('queryPlanner');
    assertUsesIndex(explain, '_id_');
  });

  // manual: reference/explain-results#collection-scan — "If the query planner selects a collection scan, the
  // explain result includes a COLLSCAN stage"; core/index-compound#index-prefixes — a query on a non-prefix field
  // of a compound index cannot use it
  it('no usable index: COLLSCAN, including a query on a compound index field that is not a prefix', async () => {
    assertCollScan(await tasks.find({ title: 'task 7' }).explain('queryPlanner'));
    assertCollScan(await tasks.find({ createdAt: { $gte: at(10) } }).explain('queryPlanner'));
    assertCollScan(await tasks.find({ priority: 2 }).explain('queryPlanner'));
  });

  // manual: tutorial/sort-results-with-indexes#sort-and-non-prefix-subset-of-an-index — equality on the prefix,
  // then sort on the next key: no blocking SORT; the reverse order scans the index backward
  it('compound index prefix with sort: the index provides the order, forward or backward', async () => {
    const desc = await tasks.find({ workspace: 3 }).sort({ createdAt: -1 }).explain('queryPlanner');
    assertUsesIndex(desc, 'workspace_1_createdAt_-1');
    assertStage(desc, 'SORT', false);
    expect(stage(desc, 'IXSCAN')?.direction).toBe('forward');

    const asc = await tasks.find({ workspace: 3 }).sort({ createdAt: 1 }).explain('queryPlanner');
    assertUsesIndex(asc, 'workspace_1_createdAt_-1');
    assertStage(asc, 'SORT', false);
    expect(stage(asc, 'IXSCAN')?.direction).toBe('backward');
  });

  // manual: core/index-compound — a compound index supports an equality on its first field and a range on the next;
  // tutorial/equality-sort-range-guideline (ESR)
  it('range after equality: the compound index bounds both fields', async () => {
    const explain = await tasks.find({ workspace: 3, createdAt: { $gte: at(150) } }).explain('queryPlanner');
    assertUsesIndex(explain, 'workspace_1_createdAt_-1');
    const ix = stage(explain, 'IXSCAN')!;
    expect(Object.keys(ix.indexBounds)).toEqual(['workspace', 'createdAt']);
    expect(ix.indexBounds.workspace).toEqual(['[3, 3]']);
    expect(ix.indexBounds.createdAt).toHaveLength(1);
  });

  // manual: reference/operator/query/in — "$in ... can use an index"; core/index-compound#sort-order — a key may be
  // descending
  it('$in counts as equality, also on a compound index with a descending key', async () => {
    const explain = await tasks.find({ status: { $in: ['open', 'late'] }, priority: { $lt: 3 } }).explain('queryPlanner');
    assertUsesIndex(explain, 'status_1_priority_-1');
    expect(stage(explain, 'IXSCAN')!.indexBounds.status).toEqual(['["late", "late"]', '["open", "open"]']);

    const sorted = await tasks.find({ status: 'done' }).sort({ priority: -1 }).explain('queryPlanner');
    assertUsesIndex(sorted, 'status_1_priority_-1');
    assertStage(sorted, 'SORT', false);
  });

  // manual: reference/operator/query/or#-or-clauses-and-indexes — "if all the clauses are supported by indexes,
  // MongoDB performs index scans", otherwise a collection scan
  it('$or: index scans when every clause has an index, else a collection scan', async () => {
    const both = await tasks.find({ $or: [{ customer: 'c1' }, { sku: 'SKU-3' }] }).explain('executionStats');
    expect(indexesUsed(both).sort()).toEqual(['customer_1', 'sku_1']);
    assertStage(both, 'OR');
    expect(both.executionStats.nReturned).toBe(N / 10 + 1);
    assertCollScan(await tasks.find({ $or: [{ customer: 'c1' }, { title: 'task 3' }] }).explain('queryPlanner'));
  });

  // manual: reference/explain-results#sort-stage — "If MongoDB cannot use an index or indexes to obtain the sort
  // order, the results include a SORT stage"
  it('sort the index cannot provide: a SORT stage above the scan', async () => {
    const viaIndex = await tasks.find({ workspace: 3 }).sort({ title: 1 }).explain('queryPlanner');
    assertStage(viaIndex, 'SORT');
    expect(indexesUsed(viaIndex).some((n) => n.startsWith('workspace_1'))).toBe(true);
    const names = stageNames(viaIndex);
    expect(names.indexOf('SORT')).toBeLessThan(names.indexOf('IXSCAN'));

    const scan = await tasks.find({}).sort({ title: 1 }).explain('queryPlanner');
    assertCollScan(scan);
    expect(stageNames(scan).slice(0, 1)).toEqual(['SORT']);
  });

  // manual: tutorial/sort-results-with-indexes — with no filter, an index on the sort key still returns the order
  it('sort alone on an indexed field reads the index instead of sorting', async () => {
    const explain = await tasks.find({}).sort({ sku: -1 }).limit(5).explain('queryPlanner');
    assertUsesIndex(explain, 'sku_1');
    assertStage(explain, 'SORT', false);
    expect(stage(explain, 'IXSCAN')?.direction).toBe('backward');
  });

  // manual: reference/explain-results#covered-queries — "the IXSCAN stage is not the descendant of a FETCH stage,
  // and in the executionStats, the totalDocsExamined is 0"
  it('covered query: no FETCH and no document examined', async () => {
    const explain = await tasks.find({ customer: 'c7' }, { projection: { customer: 1, _id: 0 } }).explain('executionStats');
    assertUsesIndex(explain, 'customer_1');
    assertStage(explain, 'FETCH', false);
    expect(explain.executionStats).toMatchObject({ nReturned: N / 10, totalDocsExamined: 0 });
  });

  // manual: reference/explain-results#executionstats — nReturned, totalKeysExamined, totalDocsExamined
  it('executionStats: a unique point lookup examines one key and one document; a scan examines every document', async () => {
    const point = await tasks.find({ sku: 'SKU-42' }).explain('executionStats');
    expect(point.executionStats).toMatchObject({ executionSuccess: true, nReturned: 1, totalKeysExamined: 1, totalDocsExamined: 1 });

    const scan = await tasks.find({ title: { $regex: '^task 1' } }).explain('executionStats');
    const matching = await tasks.countDocuments({ title: { $regex: '^task 1' } });
    expect(scan.executionStats).toMatchObject({ nReturned: matching, totalKeysExamined: 0, totalDocsExamined: N });
  });

  // manual: reference/command/explain#verbosity-modes — queryPlanner runs no query and reports no executionStats;
  // cursor.explain() with no argument uses allPlansExecution, which includes executionStats
  it('verbosity: queryPlanner has no executionStats; the default includes them', async () => {
    expect((await tasks.find({ customer: 'c1' }).explain('queryPlanner')).executionStats).toBeUndefined();
    const full = await tasks.find({ customer: 'c1' }).explain();
    expect(full.executionStats).toMatchObject({ nReturned: N / 10 });
    expect(Array.isArray(full.executionStats.allPlansExecution)).toBe(true);
  });

  // manual: reference/method/cursor.hint — force an index by name, or a collection scan with { $natural: 1 }
  it('hint: an index by name, or a collection scan', async () => {
    assertUsesIndex(await tasks.find({}).hint('customer_1').explain('queryPlanner'), 'customer_1');
    assertCollScan(await tasks.find({ customer: 'c7' }).hint({ $natural: 1 }).explain('queryPlanner'));
  });

  // manual: reference/command/delete#explain, reference/command/update — explain of a write reports the plan and
  // changes nothing
  it('writes: deleteOne/updateOne explain plan the query and modify nothing', async () => {
    const del = (await tasks.deleteOne({ sku: 'SKU-9' }, { explain: 'queryPlanner' })) as unknown as Document;
    assertUsesIndex(del, 'sku_1');
    assertStage(del, 'DELETE');
    const upd = (await tasks.updateOne({ customer: 'c2' }, { $set: { title: 'x' } }, { explain: 'executionStats' })) as unknown as Document;
    assertUsesIndex(upd, 'customer_1');
    assertStage(upd, 'UPDATE');
    expect(await tasks.countDocuments({ sku: 'SKU-9' })).toBe(1);
    expect(await tasks.countDocuments({ title: 'x' })).toBe(0);
  });
});

describe('index options and the planner', () => {
  // manual: core/index-sparse#sparse-index-on-a-collection-cannot-return-complete-results — a sparse index is not
  // used when it could miss documents (a sort over the whole collection), unless hinted
  it('sparse: not used for a sort over all documents, used for a query that excludes missing fields', async () => {
    const scores = db.collection(freshName('scores'));
    await scores.insertMany([{ userid: 'newbie' }, { userid: 'abby', score: 82 }, { userid: 'nina', score: 90 }]);
    await scores.createIndex({ score: 1 }, { sparse: true });
    const all = await scores.find().sort({ score: -1 }).explain('queryPlanner');
    assertCollScan(all);
    assertStage(all, 'SORT');
    assertUsesIndex(await scores.find({ score: { $lt: 90 } }).explain('queryPlanner'), 'score_1');
    assertUsesIndex(await scores.find().sort({ score: -1 }).hint({ score: 1 }).explain('queryPlanner'), 'score_1');
  });

  // manual: core/index-partial#query-coverage — the partial index is used only when the query implies the
  // partialFilterExpression (the restaurants example: rating $gt 5)
  it('partial: used only when the filter implies the partialFilterExpression', async () => {
    const restaurants = db.collection(freshName('restaurants'));
    await restaurants.insertMany(Array.from({ length: 20 }, (_, i) => ({ cuisine: i % 2 ? 'Italian' : 'Thai', rating: i % 10 })));
    await restaurants.createIndex({ cuisine: 1 }, { partialFilterExpression: { rating: { $gt: 5 } } });
    assertUsesIndex(await restaurants.find({ cuisine: 'Italian', rating: { $gte: 8 } }).explain('queryPlanner'), 'cuisine_1');
    assertCollScan(await restaurants.find({ cuisine: 'Italian', rating: { $lt: 8 } }).explain('queryPlanner'));
    assertCollScan(await restaurants.find({ cuisine: 'Italian' }).explain('queryPlanner'));
  });

  // manual: core/index-ttl — a TTL index is a single-field index: queries use it like any other
  it('TTL and unique indexes answer queries like ordinary indexes', async () => {
    const sessions = db.collection(freshName('sessions'));
    await sessions.insertMany(Array.from({ length: 10 }, (_, i) => ({ token: `t${i}`, expiresAt: at(i) })));
    await sessions.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 10 * 365 * 24 * 3600 });
    await sessions.createIndex({ token: 1 }, { unique: true });
    assertUsesIndex(await sessions.find({ expiresAt: { $lt: at(5) } }).explain('queryPlanner'), 'expiresAt_1');
    assertUsesIndex(await sessions.find({ token: 't3' }).explain('queryPlanner'), 'token_1');
  });
});

describe('aggregate().explain()', () => {
  // manual: reference/explain-results — queryPlanner.optimizedPipeline: "the entire aggregation pipeline operation
  // was optimized away, and instead, fulfilled by a tree of query plan execution stages";
  // core/aggregation-pipeline-optimization#pipeline-sequence-optimization — $match + $sort use indexes
  it('$match + $sort: the query layer uses the compound index and needs no SORT', async () => {
    const explain = await tasks.aggregate([{ $match: { workspace: 4 } }, { $sort: { createdAt: -1 } }]).explain('queryPlanner');
    assertUsesIndex(explain, 'workspace_1_createdAt_-1');
    assertStage(explain, 'SORT', false);
  });

  // manual: core/aggregation-pipeline-optimization#improve-performance-with-indexes-and-document-filters — a leading
  // $match can use an index whatever follows it
  it('$match + $sort + $group: the leading query still uses the index', async () => {
    const explain = await tasks
      .aggregate([{ $match: { customer: 'c3' } }, { $sort: { createdAt: 1 } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
      .explain('queryPlanner');
    assertUsesIndex(explain, 'customer_1');
  });

  it('$match on an unindexed field: COLLSCAN', async () => {
    assertCollScan(await tasks.aggregate([{ $match: { title: 'task 3' } }, { $project: { title: 1 } }]).explain('queryPlanner'));
  });

  // manual: reference/command/aggregate — the explain: true option "returns information on the processing of the
  // pipeline" instead of a cursor
  it('the aggregate command with explain: true', async () => {
    const explain = await db.command({ aggregate: tasksName, pipeline: [{ $match: { customer: 'c5' } }], explain: true });
    assertUsesIndex(explain, 'customer_1');
  });
});

describeWireOnly('explain shapes of the classic engine (wire server only: mongod 7+ may use slot-based plans)', () => {
  // manual: reference/explain-results — aggregate: a pipeline that became a query entirely reports queryPlanner at the
  // top with optimizedPipeline: true; otherwise the query is the $cursor stage, stages[0].$cursor.queryPlanner
  it('aggregate: optimizedPipeline at the top, or the $cursor stage first', async () => {
    const flat = await tasks.aggregate([{ $match: { workspace: 4 } }, { $sort: { createdAt: -1 } }, { $limit: 3 }]).explain('executionStats');
    expect(flat.queryPlanner).toMatchObject({ optimizedPipeline: true });
    expect(flat.executionStats).toMatchObject({ nReturned: 3 });

    const staged = await tasks.aggregate([{ $match: { customer: 'c3' } }, { $group: { _id: '$status', n: { $sum: 1 } } }]).explain('executionStats');
    expect(Object.keys(staged.stages[0])).toContain('$cursor');
    expect(staged.stages[0].$cursor.queryPlanner.winningPlan).toMatchObject({ stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName: 'customer_1' } });
    expect(staged.stages[0].$cursor.executionStats).toMatchObject({ nReturned: N / 10, totalKeysExamined: N / 10 });
    expect(staged.stages[1]).toMatchObject({ $group: { _id: '$status' }, nReturned: 3 });
    expect(winningPlans(staged)).toHaveLength(1);
  });

  // manual: reference/explain-results — IDHACK (mongod up to 7.x) for an _id point lookup
  it('IDHACK for { _id: value }, rejected candidates listed, winning plan summary', async () => {
    const doc = await tasks.findOne({ sku: 'SKU-5' });
    const id = await tasks.find({ _id: doc!._id }).explain('executionStats');
    expect(id.queryPlanner.winningPlan).toEqual({ stage: 'IDHACK' });
    expect(id.executionStats).toMatchObject({ nReturned: 1, totalKeysExamined: 1, totalDocsExamined: 1 });

    const sorted = await tasks.find({ workspace: 3 }).sort({ createdAt: -1 }).explain('queryPlanner');
    expect(planSummary(sorted)).toBe('FETCH > IXSCAN(workspace_1_createdAt_-1)');
    expect(sorted.queryPlanner.rejectedPlans.map((p: Document) => p.inputStage?.inputStage?.indexName ?? p.inputStage?.indexName)).toEqual(['workspace_1']);
  });

  // manual: reference/command/count — explain of count: COUNT over COUNT_SCAN when the index answers it alone
  it('count: COUNT_SCAN, RECORD_STORE_FAST_COUNT for an empty query', async () => {
    const counted = await db.command({ explain: { count: tasksName, query: { customer: 'c7' } }, verbosity: 'executionStats' });
    expect(counted.queryPlanner.winningPlan).toMatchObject({ stage: 'COUNT', inputStage: { stage: 'COUNT_SCAN', indexName: 'customer_1' } });
    expect(counted.executionStats.executionStages).toMatchObject({ stage: 'COUNT', nCounted: N / 10 });
    const all = await db.command({ explain: { count: tasksName }, verbosity: 'queryPlanner' });
    expect(all.queryPlanner.winningPlan).toEqual({ stage: 'RECORD_STORE_FAST_COUNT' });
    expect(usesIndex(counted, 'customer_1')).toBe(true);
  });

  it('an unknown verbosity is refused; a missing collection plans EOF', async () => {
    await expect(db.command({ explain: { find: tasksName, filter: {} }, verbosity: 'everything' })).rejects.toMatchObject({ code: 2 });
    const eof = await db.collection(freshName('missing')).find({ a: 1 }).explain('queryPlanner');
    expect(eof.queryPlanner.winningPlan).toEqual({ stage: 'EOF' });
  });
});

describe('Mongoose .explain()', () => {
  let conn: Connection;
  const taskSchema = new Schema({ email: { type: String, unique: true }, workspace: Number, createdAt: Date, title: String });
  taskSchema.index({ workspace: 1, createdAt: -1 });

  beforeAll(async () => {
    conn = await mongoose.createConnection(s.target.uri, { dbName: s.dbName, serverSelectionTimeoutMS: 5000 }).asPromise();
  });
  afterAll(async () => {
    await conn?.close();
  });

  // manual: reference/method/cursor.explain (Mongoose Query.prototype.explain sets the driver's explain option)
  it('Query.explain() and Aggregate.explain() report the schema indexes', async () => {
    const Task = conn.model('ExplainTask', taskSchema, freshName('mtasks'));
    await Task.init();
    await Task.insertMany(Array.from({ length: 40 }, (_, i) => ({ email: `u${i}@x.io`, workspace: i % 4, createdAt: at(i), title: `t${i}` })));

    const byEmail = (await Task.find({ email: 'u3@x.io' }).explain('queryPlanner')) as unknown as Document;
    assertUsesIndex(byEmail, 'email_1');
    const one = (await Task.findOne({ workspace: 2 }).sort({ createdAt: -1 }).explain('queryPlanner')) as unknown as Document;
    assertUsesIndex(one, 'workspace_1_createdAt_-1');
    assertStage(one, 'SORT', false);
    assertCollScan((await Task.find({ title: 't1' }).explain('queryPlanner')) as unknown as Document);

    const agg = (await Task.aggregate([{ $match: { workspace: 1 } }, { $sort: { createdAt: -1 } }, { $limit: 2 }]).explain('queryPlanner')) as unknown as Document;
    assertUsesIndex(agg, 'workspace_1_createdAt_-1');
  });
});
