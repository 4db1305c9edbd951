/**
 * White-box: the planner's choice rule (planner.ts), on a Collection without the wire protocol.
 * The conformance side (explain.spec.ts) checks the same through the driver against mongod's manual.
 */
import { describe, it } from 'node:test';
import { expect } from 'expect';
import { ObjectId } from 'bson';
import { Collection } from '../src/collection.js';
import { planQuery, planTree, simulate, type QueryShape } from '../src/planner.js';

function givenOrders(): Collection {
  const orders = new Collection('db', 'orders');
  for (let i = 0; i < 200; i++) {
    orders.insert({ _id: new ObjectId(), shop: `s${i % 4}`, status: ['new', 'paid', 'sent'][i % 3], total: i, at: new Date(1e12 + i), tags: i % 2 ? ['x'] : [] });
  }
  return orders;
}

const index = (c: Collection, key: Record<string, number | string>, extra: Record<string, unknown> = {}) =>
  c.createIndex({ v: 2, key, name: Object.entries(key).map(([k, v]) => `${k}_${v}`).join('_'), ...extra });

const winner = (c: Collection, shape: QueryShape) => {
  const w = planQuery(c, shape).winning;
  return w.access.kind === 'IXSCAN' ? w.access.c.ix.spec.name : w.access.kind;
};

describe('planner', () => {
  it('prefers the index whose prefix covers the most query fields; equality fields in any order', () => {
    const c = givenOrders();
    index(c, { shop: 1 });
    index(c, { status: 1, shop: 1, total: 1 });
    expect(winner(c, { filter: { shop: 's1' } })).toBe('shop_1');
    expect(winner(c, { filter: { shop: 's1', status: 'paid' } })).toBe('status_1_shop_1_total_1');
    expect(winner(c, { filter: { shop: 's1', status: 'paid', total: { $gt: 10 } } })).toBe('status_1_shop_1_total_1');
    // the compound index without its leading field is not a candidate
    expect(winner(c, { filter: { total: { $gt: 10 } } })).toBe('COLLSCAN');
  });

  it('$in keeps the equality prefix going; a range ends it', () => {
    const c = givenOrders();
    index(c, { shop: 1, status: 1 });
    index(c, { shop: 1, total: 1, status: 1 });
    const p = planQuery(c, { filter: { shop: { $in: ['s1', 's2'] }, status: 'new' } }).winning;
    expect(p.access.kind === 'IXSCAN' && p.access.c.ix.spec.name).toBe('shop_1_status_1');
    expect(planTree(p).inputStage.indexBounds).toEqual({ shop: ['["s1", "s1"]', '["s2", "s2"]'], status: ['["new", "new"]'] });
    // both bound two fields tightly; the one with two equalities wins (equality before range)
    expect(winner(c, { filter: { shop: 's1', total: { $gt: 5 }, status: 'new' } })).toBe('shop_1_status_1');
    expect(winner(c, { filter: { shop: 's1', total: { $gt: 5 } } })).toBe('shop_1_total_1_status_1');
  });

  it('sort: an equality-pinned key may sit between the sort keys; a blocking SORT otherwise', () => {
    const c = givenOrders();
    index(c, { shop: 1, status: 1, at: -1 });
    const pinned = planQuery(c, { filter: { shop: 's1', status: 'new' }, sort: { at: 1 } }).winning;
    expect(pinned.blockingSort).toBeUndefined();
    expect(planTree(pinned).inputStage.direction).toBe('backward');
    const gap = planQuery(c, { filter: { shop: 's1' }, sort: { at: 1 } }).winning;
    expect(planTree(gap).stage).toBe('SORT');
    // mixed directions the index cannot give in one scan
    expect(planQuery(c, { filter: { shop: 's1', status: 'new' }, sort: { status: 1, at: 1 } }).winning.blockingSort).toBeUndefined();
    expect(planTree(planQuery(c, { filter: { shop: 's1' }, sort: { status: 1, at: 1 } }).winning).stage).toBe('SORT');
  });

  it('hidden and special (text, hashed) indexes are never chosen', () => {
    const c = givenOrders();
    index(c, { shop: 1 }, { hidden: true });
    index(c, { status: 'hashed' });
    expect(winner(c, { filter: { shop: 's1' } })).toBe('COLLSCAN');
    expect(winner(c, { filter: { status: 'new' } })).toBe('COLLSCAN');
  });

  it('partial: the filter must imply the expression (equality, narrower range, $exists)', () => {
    const c = givenOrders();
    c.createIndex({ v: 2, key: { shop: 1 }, name: 'shop_paid', partialFilterExpression: { status: 'paid', total: { $gte: 50 } } });
    expect(winner(c, { filter: { shop: 's1', status: 'paid', total: { $gt: 60 } } })).toBe('shop_paid');
    expect(winner(c, { filter: { shop: 's1', status: 'paid', total: 70 } })).toBe('shop_paid');
    expect(winner(c, { filter: { shop: 's1', status: 'paid', total: { $gt: 10 } } })).toBe('COLLSCAN');
    expect(winner(c, { filter: { shop: 's1', total: { $gt: 60 } } })).toBe('COLLSCAN');
    const e = new Collection('db', 'e');
    e.createIndex({ v: 2, key: { code: 1 }, name: 'code_1', unique: true, partialFilterExpression: { code: { $exists: true } } });
    expect(winner(e, { filter: { code: 'A' } })).toBe('code_1');
    expect(winner(e, { filter: { code: null } })).toBe('COLLSCAN');
  });

  it('simulated execution returns what the query returns and counts keys and documents', () => {
    const c = givenOrders();
    index(c, { status: 1, total: -1 });
    index(c, { tags: 1 });
    const shape = { filter: { status: 'paid', total: { $lt: 100 } }, sort: { total: -1 }, limit: 5 };
    const sim = simulate(c, planQuery(c, shape).winning);
    expect(sim.docs.map((d) => d.total)).toEqual([97, 94, 91, 88, 85]);
    expect(sim).toMatchObject({ totalKeysExamined: 5, totalDocsExamined: 5 });
    // multikey: one document per matching record even when several keys match
    const mk = simulate(c, planQuery(c, { filter: { tags: { $in: ['x', []] } } }).winning);
    expect(mk.docs).toHaveLength(200);
    expect(planTree(planQuery(c, { filter: { tags: 'x' } }).winning).inputStage).toMatchObject({ isMultiKey: true, multiKeyPaths: { tags: ['tags'] } });
  });

  it('regex: prefix bounds when anchored, the whole string range otherwise; always a FETCH filter', () => {
    const c = givenOrders();
    index(c, { shop: 1 });
    const anchored = planTree(planQuery(c, { filter: { shop: /^s1/ } }).winning);
    expect(anchored.inputStage.indexBounds.shop).toEqual(['["s1", "s2")', '[/^s1/, /^s1/]']);
    expect(anchored.filter).toBeDefined();
    const loose = planTree(planQuery(c, { filter: { shop: { $regex: '1$' } } }).winning);
    expect(loose.inputStage.indexBounds.shop).toEqual(['["", {})', '[/1$/, /1$/]']);
  });
});
