/**
 * Aggregation pipeline stages and accumulators, count / distinct.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import type { Collection, Db, Document } from 'mongodb';

let s: Suite;
let db: Db;
let sales: Collection<Document>;

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
  sales = db.collection(freshName('sales'));
  // manual: reference/operator/aggregation/group — the "sales" example data set (prices as numbers here)
  await sales.insertMany([
    { _id: 1, item: 'abc', price: 10, quantity: 2, date: new Date('2014-03-01T08:00:00Z'), tags: ['a', 'b'] },
    { _id: 2, item: 'jkl', price: 20, quantity: 1, date: new Date('2014-03-01T09:00:00Z'), tags: ['b'] },
    { _id: 3, item: 'xyz', price: 5, quantity: 10, date: new Date('2014-03-15T09:00:00Z'), tags: [] },
    { _id: 4, item: 'xyz', price: 5, quantity: 20, date: new Date('2014-04-04T11:21:39Z'), tags: ['c', 'a'] },
    { _id: 5, item: 'abc', price: 10, quantity: 10, date: new Date('2014-04-04T21:23:13Z') },
  ] as any[]);
});
afterAll(async () => {
  await s?.teardown();
});

describe('stages', () => {
  // manual: reference/operator/aggregation/match, sort, project
  it('$match + $sort + $project', async () => {
    const out = await sales
      .aggregate([{ $match: { item: 'abc' } }, { $sort: { quantity: -1 } }, { $project: { _id: 0, item: 1, total: { $multiply: ['$price', '$quantity'] } } }])
      .toArray();
    expect(out).toEqual([
      { item: 'abc', total: 100 },
      { item: 'abc', total: 20 },
    ]);
  });

  // manual: reference/operator/aggregation/group — accumulators $sum $avg $min $max $push $addToSet $first
  it('$group with $sum, $avg, $min, $max, $push, $addToSet, $first', async () => {
    const out = await sales
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $group: {
            _id: '$item',
            count: { $sum: 1 },
            qty: { $sum: '$quantity' },
            avgQty: { $avg: '$quantity' },
            minPrice: { $min: '$price' },
            maxQty: { $max: '$quantity' },
            ids: { $push: '$_id' },
            prices: { $addToSet: '$price' },
            firstId: { $first: '$_id' },
          },
        },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 'abc', count: 2, qty: 12, avgQty: 6, minPrice: 10, maxQty: 10, ids: [1, 5], prices: [10], firstId: 1 },
      { _id: 'jkl', count: 1, qty: 1, avgQty: 1, minPrice: 20, maxQty: 1, ids: [2], prices: [20], firstId: 2 },
      { _id: 'xyz', count: 2, qty: 30, avgQty: 15, minPrice: 5, maxQty: 20, ids: [3, 4], prices: [5], firstId: 3 },
    ]);
  });

  // manual: reference/operator/aggregation/group#group-by-null — _id: null groups everything
  it('$group by null computes totals', async () => {
    const out = await sales.aggregate([{ $group: { _id: null, revenue: { $sum: { $multiply: ['$price', '$quantity'] } }, n: { $sum: 1 } } }]).toArray();
    expect(out).toEqual([{ _id: null, revenue: 20 + 20 + 50 + 100 + 100, n: 5 }]);
  });

  // manual: reference/operator/aggregation/dateToString — format %Y-%m-%d with timezone "UTC" (an Olson name)
  it('$group by $dateToString day with timezone UTC', async () => {
    const out = await sales
      .aggregate([
        { $group: { _id: { $dateToString: { format: '%Y-%m-%d', date: '$date', timezone: 'UTC' } }, qty: { $sum: '$quantity' } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: '2014-03-01', qty: 3 },
      { _id: '2014-03-15', qty: 10 },
      { _id: '2014-04-04', qty: 30 },
    ]);
  });

  // manual: reference/operator/aggregation/dateToString — a timezone shifts the local date
  it('$dateToString with an offset timezone', async () => {
    const out = await sales
      .aggregate([{ $match: { _id: 5 } }, { $project: { _id: 0, d: { $dateToString: { format: '%Y-%m-%d %H:%M', date: '$date', timezone: '+05:30' } } } }])
      .toArray();
    expect(out).toEqual([{ d: '2014-04-05 02:53' }]);
  });

  // manual: reference/operator/aggregation/limit, skip
  it('$skip and $limit', async () => {
    const out = await sales.aggregate([{ $sort: { _id: 1 } }, { $skip: 1 }, { $limit: 2 }, { $project: { _id: 1 } }]).toArray();
    expect(out).toEqual([{ _id: 2 }, { _id: 3 }]);
  });

  // manual: reference/operator/aggregation/unwind — empty / missing arrays are dropped unless preserveNullAndEmptyArrays
  it('$unwind (plain, includeArrayIndex, preserveNullAndEmptyArrays)', async () => {
    const plain = await sales.aggregate([{ $unwind: '$tags' }, { $sort: { _id: 1, tags: 1 } }, { $project: { tags: 1 } }]).toArray();
    expect(plain).toEqual([
      { _id: 1, tags: 'a' },
      { _id: 1, tags: 'b' },
      { _id: 2, tags: 'b' },
      { _id: 4, tags: 'a' },
      { _id: 4, tags: 'c' },
    ]);
    const full = await sales
      .aggregate([{ $unwind: { path: '$tags', includeArrayIndex: 'i', preserveNullAndEmptyArrays: true } }, { $match: { _id: { $in: [3, 4, 5] } } }, { $project: { tags: 1, i: 1 } }, { $sort: { _id: 1, i: 1 } }])
      .toArray();
    expect(full).toEqual([
      { _id: 3, i: null },
      { _id: 4, tags: 'c', i: 0 },
      { _id: 4, tags: 'a', i: 1 },
      { _id: 5, i: null },
    ]);
  });

  // manual: reference/operator/aggregation/count
  it('$count', async () => {
    expect(await sales.aggregate([{ $match: { price: { $gte: 10 } } }, { $count: 'n' }]).toArray()).toEqual([{ n: 3 }]);
  });

  // manual: reference/operator/aggregation/facet — sub-pipelines over the same input
  it('$facet', async () => {
    const out = await sales
      .aggregate([
        {
          $facet: {
            total: [{ $count: 'n' }],
            page: [{ $sort: { _id: -1 } }, { $limit: 2 }, { $project: { _id: 1 } }],
            byItem: [{ $group: { _id: '$item', n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          },
        },
      ])
      .toArray();
    expect(out).toEqual([
      {
        total: [{ n: 5 }],
        page: [{ _id: 5 }, { _id: 4 }],
        byItem: [
          { _id: 'abc', n: 2 },
          { _id: 'jkl', n: 1 },
          { _id: 'xyz', n: 2 },
        ],
      },
    ]);
  });

  // manual: reference/operator/aggregation/lookup — equality match; no match gives an empty array
  it('$lookup with localField / foreignField', async () => {
    const items = db.collection(freshName('items'));
    await items.insertMany([
      { _id: 'i1', sku: 'abc', desc: 'product 1' },
      { _id: 'i2', sku: 'xyz', desc: 'product 3' },
      { _id: 'i3', sku: 'xyz', desc: 'product 3b' },
    ] as any[]);
    const out = await sales
      .aggregate([
        { $match: { _id: { $in: [1, 2, 3] } } },
        { $lookup: { from: items.collectionName, localField: 'item', foreignField: 'sku', as: 'inv' } },
        { $project: { item: 1, inv: '$inv._id' } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, item: 'abc', inv: ['i1'] },
      { _id: 2, item: 'jkl', inv: [] },
      { _id: 3, item: 'xyz', inv: ['i2', 'i3'] },
    ]);
  });

  // manual: reference/operator/aggregation/addFields — adds fields, keeps the rest
  it('$addFields', async () => {
    const out = await sales.aggregate([{ $match: { _id: 2 } }, { $addFields: { total: { $multiply: ['$price', '$quantity'] }, 'x.y': 1 } }]).toArray();
    expect(out).toEqual([{ _id: 2, item: 'jkl', price: 20, quantity: 1, date: new Date('2014-03-01T09:00:00Z'), tags: ['b'], total: 20, x: { y: 1 } }]);
  });

  // manual: core/cursors#cursor-batches + reference/command/aggregate — results over several batches via getMore
  it('a 250-document result arrives over several batches', async () => {
    const coll = db.collection(freshName('aggbig'));
    await coll.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, v: i % 10 })) as any[]);
    const cursor = coll.aggregate([{ $match: { v: { $gte: 0 } } }, { $sort: { _id: 1 } }], { batchSize: 40 });
    const ids: number[] = [];
    for await (const d of cursor) ids.push(d._id);
    expect(ids).toEqual(Array.from({ length: 250 }, (_, i) => i));
    // default first batch: 101 (manual: core/cursors)
    const c2 = coll.aggregate([{ $sort: { _id: 1 } }]);
    expect(await c2.hasNext()).toBe(true);
    expect(c2.bufferedCount()).toBe(101);
    await c2.close();
  });
});

describe('count and distinct', () => {
  // manual: reference/method/db.collection.countDocuments — filter, skip, limit (driver runs an aggregate)
  it('countDocuments with filter, skip and limit', async () => {
    expect(await sales.countDocuments()).toBe(5);
    expect(await sales.countDocuments({ item: 'xyz' })).toBe(2);
    expect(await sales.countDocuments({}, { skip: 1, limit: 3 })).toBe(3);
    expect(await sales.countDocuments({}, { skip: 4 })).toBe(1);
    expect(await sales.countDocuments({ item: 'none' })).toBe(0);
  });

  // manual: reference/method/db.collection.estimatedDocumentCount (count command) + reference/command/count
  it('estimatedDocumentCount and the count command', async () => {
    expect(await sales.estimatedDocumentCount()).toBe(5);
    const res = await db.command({ count: sales.collectionName, query: { price: 10 } });
    expect(res).toMatchObject({ n: 2, ok: 1 });
    // manual: reference/command/count — a missing collection counts 0
    expect((await db.command({ count: 'no_such_coll' })).n).toBe(0);
  });

  // manual: reference/command/distinct — "If the value of the specified field is an array, distinct considers each
  // element of the array as a separate value"; results are unique; a query narrows the input
  it('distinct flattens arrays and honours a query', async () => {
    expect((await sales.distinct('item')).sort()).toEqual(['abc', 'jkl', 'xyz']);
    expect((await sales.distinct('tags')).sort()).toEqual(['a', 'b', 'c']);
    expect((await sales.distinct('price', { item: { $ne: 'jkl' } })).sort((a: number, b: number) => a - b)).toEqual([5, 10]);
    expect(await sales.distinct('nope')).toEqual([]);
  });

  // manual: reference/command/distinct#array-fields — only one level is flattened: [1, [1], 1] gives 1 and [1]
  it('distinct flattens one level only, and reaches into arrays of subdocuments', async () => {
    const coll = db.collection(freshName('dist'));
    await coll.insertMany([
      { _id: 1, v: [1, [1], 1], items: [{ sku: 'a' }, { sku: 'b' }] },
      { _id: 2, v: 2, items: [{ sku: 'b' }, { sku: 'c' }] },
    ] as any[]);
    const vs = await coll.distinct('v');
    expect(vs).toHaveLength(3);
    expect(vs).toEqual(expect.arrayContaining([1, [1], 2]));
    expect((await coll.distinct('items.sku')).sort()).toEqual(['a', 'b', 'c']);
  });
});
