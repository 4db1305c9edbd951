/**
 * Query operators the application uses, each checked against the manual's semantics.
 * One collection seeded once; every test only reads it.
 */
import { after as afterAll, before as beforeAll, describe, it, freshName, openSuite, type Suite } from './harness.js';
import { expect } from 'expect';
import type { Collection, Db, Document, Filter } from 'mongodb';

let s: Suite;
let db: Db;
let coll: Collection<Document>;

const d = (iso: string) => new Date(iso);

beforeAll(async () => {
  s = await openSuite(import.meta.filename);
  db = s.client.db(s.dbName);
  coll = db.collection(freshName('inventory'));
  await coll.insertMany([
    {
      _id: 1 as any,
      item: 'journal',
      qty: 25,
      tags: ['blank', 'red'],
      dim: [14, 21],
      status: 'A',
      at: d('2024-01-01T00:00:00Z'),
      lines: [{ sku: 'j1', qty: 5, price: 10 }, { sku: 'j2', qty: 1, price: 20 }],
      budget: 100,
      spent: 50,
    },
    {
      _id: 2 as any,
      item: 'notebook',
      qty: 50,
      tags: ['red', 'blank'],
      dim: [14, 21],
      status: 'A',
      at: d('2024-02-01T00:00:00Z'),
      lines: [{ sku: 'n1', qty: 2, price: 5 }],
      budget: 40,
      spent: 60,
    },
    {
      _id: 3 as any,
      item: 'paper',
      qty: 100,
      tags: ['red', 'blank', 'plain'],
      dim: [14, 21],
      status: 'D',
      at: d('2024-03-01T00:00:00Z'),
      lines: [{ sku: 'p1', qty: 10, price: 1 }, { sku: 'p2', qty: 3, price: 30 }],
      budget: 10,
      spent: 10,
      note: null,
    },
    {
      _id: 4 as any,
      item: 'planner',
      qty: 75,
      tags: ['blank', 'red'],
      dim: [22.85, 30],
      status: 'D',
      at: d('2024-04-01T00:00:00Z'),
      lines: [],
      budget: 5,
      spent: 20,
      note: 'urgent',
    },
    {
      _id: 5 as any,
      item: 'Postcard',
      qty: 45,
      tags: ['blue'],
      dim: [10, 15.25],
      status: 'A',
      at: d('2024-05-01T00:00:00Z'),
      budget: 1,
      spent: 0,
    },
  ]);
});
afterAll(async () => {
  await s?.teardown();
});

async function ids(filter: Filter<Document>): Promise<number[]> {
  const docs = await coll.find(filter, { projection: { _id: 1 } }).sort({ _id: 1 }).toArray();
  return docs.map((x) => x._id as unknown as number);
}

describe('comparison', () => {
  // manual: reference/operator/query/eq
  it('$eq and implicit equality', async () => {
    expect(await ids({ status: { $eq: 'D' } })).toEqual([3, 4]);
    expect(await ids({ status: 'A' })).toEqual([1, 2, 5]);
  });

  // manual: reference/operator/query/eq — "array element equality": a scalar matches any element
  it('a scalar matches an array containing it; an array matches exactly (order matters)', async () => {
    expect(await ids({ tags: 'plain' })).toEqual([3]);
    expect(await ids({ tags: ['blank', 'red'] })).toEqual([1, 4]);
    expect(await ids({ tags: ['red', 'blank'] })).toEqual([2]);
  });

  // manual: reference/operator/query/ne — "includes documents that do not contain the field"
  it('$ne includes documents missing the field', async () => {
    expect(await ids({ status: { $ne: 'A' } })).toEqual([3, 4]);
    expect(await ids({ note: { $ne: 'urgent' } })).toEqual([1, 2, 3, 5]);
  });

  // manual: reference/operator/query/in — matches if the field (or any array element) equals any value; regex allowed
  it('$in, including array fields and regular expressions', async () => {
    expect(await ids({ qty: { $in: [25, 75, 999] } })).toEqual([1, 4]);
    expect(await ids({ tags: { $in: ['plain', 'blue'] } })).toEqual([3, 5]);
    expect(await ids({ item: { $in: [/^pa/, 'journal'] } })).toEqual([1, 3]);
  });

  // manual: reference/operator/query/nin — "or the field does not exist"
  it('$nin includes documents missing the field', async () => {
    expect(await ids({ note: { $nin: ['urgent'] } })).toEqual([1, 2, 3, 5]);
    expect(await ids({ tags: { $nin: ['red'] } })).toEqual([5]);
  });

  // manual: reference/operator/query/gt, gte, lt, lte
  it('$gt / $gte / $lt / $lte on numbers', async () => {
    expect(await ids({ qty: { $gt: 50 } })).toEqual([3, 4]);
    expect(await ids({ qty: { $gte: 50 } })).toEqual([2, 3, 4]);
    expect(await ids({ qty: { $lt: 45 } })).toEqual([1]);
    expect(await ids({ qty: { $lte: 45 } })).toEqual([1, 5]);
    expect(await ids({ qty: { $gt: 25, $lt: 100 } })).toEqual([2, 4, 5]);
  });

  // manual: reference/operator/query/gt — Dates compare chronologically
  it('range operators on Dates', async () => {
    expect(await ids({ at: { $gte: d('2024-02-01T00:00:00Z'), $lt: d('2024-04-01T00:00:00Z') } })).toEqual([2, 3]);
    expect(await ids({ at: { $gt: d('2024-04-15T00:00:00Z') } })).toEqual([5]);
  });

  // manual: reference/operator/query/gt — range on an array field matches if any element satisfies it
  it('range on an array matches when any element satisfies it', async () => {
    expect(await ids({ dim: { $gt: 25 } })).toEqual([4]);
  });
});

describe('element', () => {
  // manual: reference/operator/query/exists — "$exists: true matches documents that contain the field, including null"
  it('$exists true / false (a null value exists)', async () => {
    expect(await ids({ note: { $exists: true } })).toEqual([3, 4]);
    expect(await ids({ note: { $exists: false } })).toEqual([1, 2, 5]);
  });

  // manual: tutorial/query-for-null-fields — { f: null } matches null or missing
  it('{ field: null } matches null and missing fields', async () => {
    expect(await ids({ note: null })).toEqual([1, 2, 3, 5]);
  });

  // manual: reference/operator/query/type — string aliases; "number" matches all numeric types; "array"
  it('$type by alias', async () => {
    expect(await ids({ note: { $type: 'string' } })).toEqual([4]);
    expect(await ids({ note: { $type: 'null' } })).toEqual([3]);
    expect(await ids({ at: { $type: 'date' } })).toEqual([1, 2, 3, 4, 5]);
    expect(await ids({ 'dim.0': { $type: 'double' } })).toEqual([4]);
    expect(await ids({ tags: { $type: 'array' } })).toEqual([1, 2, 3, 4, 5]);
    expect(await ids({ qty: { $type: 'number' } })).toEqual([1, 2, 3, 4, 5]);
    expect(await ids({ note: { $type: ['string', 'null'] } })).toEqual([3, 4]);
  });
});

describe('evaluation', () => {
  // manual: reference/operator/query/regex — $regex with $options, and a JS RegExp literal
  it('$regex with options and regular expression literals', async () => {
    expect(await ids({ item: { $regex: '^p' } })).toEqual([3, 4]);
    expect(await ids({ item: { $regex: '^p', $options: 'i' } })).toEqual([3, 4, 5]);
    expect(await ids({ item: /book$/ })).toEqual([2]);
    expect(await ids({ tags: /^bl/ })).toEqual([1, 2, 3, 4, 5]);
  });

  // manual: reference/operator/query/expr — compare two fields of the same document
  it('$expr compares fields of the same document', async () => {
    expect(await ids({ $expr: { $gt: ['$spent', '$budget'] } })).toEqual([2, 4]);
    expect(await ids({ $expr: { $eq: ['$spent', '$budget'] } })).toEqual([3]);
  });
});

describe('logical', () => {
  // manual: reference/operator/query/and, or, nor
  it('$and / $or / $nor', async () => {
    expect(await ids({ $and: [{ status: 'A' }, { qty: { $lt: 50 } }] })).toEqual([1, 5]);
    expect(await ids({ $or: [{ status: 'D' }, { qty: { $lt: 30 } }] })).toEqual([1, 3, 4]);
    // $nor: "documents that fail all the query expressions", including those missing the fields
    expect(await ids({ $nor: [{ status: 'A' }, { note: 'urgent' }] })).toEqual([3]);
  });

  // manual: reference/operator/query/not
  it('$not inverts an operator expression and matches missing fields', async () => {
    expect(await ids({ qty: { $not: { $gt: 50 } } })).toEqual([1, 2, 5]);
    expect(await ids({ note: { $not: /urg/ } })).toEqual([1, 2, 3, 5]);
  });
});

describe('array', () => {
  // manual: reference/operator/query/all
  it('$all requires every listed element, in any order', async () => {
    expect(await ids({ tags: { $all: ['red', 'blank'] } })).toEqual([1, 2, 3, 4]);
    expect(await ids({ tags: { $all: ['plain', 'red'] } })).toEqual([3]);
  });

  // manual: reference/operator/query/size
  it('$size matches arrays of exactly that length', async () => {
    expect(await ids({ tags: { $size: 3 } })).toEqual([3]);
    expect(await ids({ lines: { $size: 0 } })).toEqual([4]);
  });

  // manual: reference/operator/query/elemMatch — one element must satisfy every criterion
  it('$elemMatch on subdocuments vs. criteria spread over different elements', async () => {
    // j1 has qty 5 price 10, j2 qty 1 price 20: no single line has qty >= 5 and price >= 20
    expect(await ids({ lines: { $elemMatch: { qty: { $gte: 5 }, price: { $gte: 20 } } } })).toEqual([]);
    // without $elemMatch the conditions may be satisfied by different elements
    expect(await ids({ 'lines.qty': { $gte: 5 }, 'lines.price': { $gte: 20 } })).toEqual([1, 3]);
    expect(await ids({ lines: { $elemMatch: { sku: 'p2', price: { $gt: 25 } } } })).toEqual([3]);
  });

  // manual: reference/operator/query/elemMatch — on scalar arrays
  it('$elemMatch on scalar arrays', async () => {
    expect(await ids({ dim: { $elemMatch: { $gt: 22, $lt: 25 } } })).toEqual([4]);
  });

  // manual: tutorial/query-array-of-documents — dotted paths reach into arrays of subdocuments; numeric index paths
  it('dotted paths into arrays of subdocuments and positional index paths', async () => {
    expect(await ids({ 'lines.sku': 'n1' })).toEqual([2]);
    expect(await ids({ 'lines.qty': { $gt: 5 } })).toEqual([3]);
    expect(await ids({ 'lines.0.sku': 'p1' })).toEqual([3]);
    expect(await ids({ 'dim.1': { $gt: 25 } })).toEqual([4]);
  });
});
