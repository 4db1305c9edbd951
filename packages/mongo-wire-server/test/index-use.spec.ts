/**
 * White-box: explain() reports the plan a mongod would choose (planner.ts, explain.spec.ts); how
 * this server itself executes the query it cannot show. The collection can: an equality filter
 * on an indexed field is answered from the index's hash map, and the map follows every insert,
 * replace and remove.
 */
import { describe, it } from 'node:test';
import { expect } from 'expect';
import { ObjectId } from 'bson';
import { Collection } from '../src/collection.js';

function givenProducts(count: number): Collection {
  const products = new Collection('db', 'products');
  for (let i = 0; i < count; i++) products.insert({ _id: new ObjectId(), sku: `SKU-${i}`, workspace: i % 10 });
  return products;
}

describe('index use (wire server internals)', () => {
  it('answers an equality filter on an indexed field from the index, not a scan', () => {
    const products = givenProducts(2000);
    expect(products.candidates({ sku: 'SKU-1500' })).toBeUndefined(); // no index yet: a scan
    products.createIndex({ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true });
    expect(products.candidates({ sku: 'SKU-1500' })?.map((d) => d.sku)).toEqual(['SKU-1500']);
    expect(products.candidates({ sku: { $eq: 'SKU-7' } })).toHaveLength(1);
    expect(products.candidates({ sku: { $in: ['SKU-1', 'SKU-2', 'nope'] } })).toHaveLength(2);
    expect(products.candidates({ $and: [{ sku: 'SKU-3' }, { workspace: 3 }] })).toHaveLength(1);
    // A range cannot use the hash map: the documented fallback is a scan.
    expect(products.candidates({ sku: { $gt: 'SKU-1' } })).toBeUndefined();
  });

  it('uses a compound index only when every field is pinned', () => {
    const products = givenProducts(500);
    products.createIndex({ v: 2, key: { workspace: 1, sku: 1 }, name: 'workspace_1_sku_1' });
    expect(products.candidates({ workspace: 4, sku: 'SKU-4' })).toHaveLength(1);
    expect(products.candidates({ workspace: 4 })).toBeUndefined();
  });

  it('keeps the index current on replace and remove', () => {
    const products = givenProducts(100);
    products.createIndex({ v: 2, key: { sku: 1 }, name: 'sku_1', unique: true });
    const doc = products.candidates({ sku: 'SKU-42' })![0];
    products.replace(doc, { ...doc, sku: 'RENAMED' });
    expect(products.candidates({ sku: 'SKU-42' })).toEqual([]);
    expect(products.candidates({ sku: 'RENAMED' })).toHaveLength(1);
    products.remove(products.candidates({ sku: 'RENAMED' })![0]);
    expect(products.candidates({ sku: 'RENAMED' })).toEqual([]);
    // The freed key is free again in the unique index.
    products.insert({ _id: new ObjectId(), sku: 'RENAMED' });
    expect(() => products.insert({ _id: new ObjectId(), sku: 'RENAMED' })).toThrow(/E11000 duplicate key error collection: db.products index: sku_1/);
  });
});

describe('index use of partial and sparse indexes (wire server internals)', () => {
  // The manual (core/index-partial, "Query Coverage"): a partial index serves a query only when
  // the query's predicate implies the partialFilterExpression, since it holds no other document.
  it('answers from a partial index when the filter implies its partialFilterExpression', () => {
    const jobs = new Collection('db', 'jobs');
    for (let i = 0; i < 1000; i++) jobs.insert({ _id: new ObjectId(), name: 'send', ...(i % 2 === 0 && { pendingKey: `k-${i}` }) });
    jobs.createIndex({ v: 2, key: { pendingKey: 1 }, name: 'pendingKey_unique', unique: true, partialFilterExpression: { pendingKey: { $exists: true } } });
    expect(jobs.candidates({ pendingKey: 'k-42' })?.map((d) => d.pendingKey)).toEqual(['k-42']);
    expect(jobs.candidates({ pendingKey: 'k-43' })).toEqual([]);
    expect(jobs.candidates({ pendingKey: { $in: ['k-2', 'k-4'] } })).toHaveLength(2);
    // {pendingKey: null} also matches documents without the field, which the index does not hold.
    expect(jobs.candidates({ pendingKey: null })).toBeUndefined();
    expect(jobs.find({ pendingKey: null })).toHaveLength(500);
  });

  it('scans when the filter does not imply the partialFilterExpression', () => {
    const events = new Collection('db', 'events');
    for (let i = 0; i < 100; i++) events.insert({ _id: new ObjectId(), kind: i % 2 ? 'a' : 'b', status: i % 3 ? 'ok' : 'refused' });
    events.createIndex({ v: 2, key: { kind: 1 }, name: 'kind_refused', partialFilterExpression: { status: { $eq: 'refused' } } });
    expect(events.candidates({ kind: 'a' })).toBeUndefined();
    expect(events.candidates({ kind: 'a', status: 'refused' })).toHaveLength(17);
    expect(events.find({ kind: 'a', status: 'refused' })).toHaveLength(17);
  });

  it('answers from a sparse index unless the filter can match a missing field', () => {
    const users = new Collection('db', 'users');
    for (let i = 0; i < 50; i++) users.insert({ _id: new ObjectId(), ...(i < 10 && { nick: `n${i}` }) });
    users.createIndex({ v: 2, key: { nick: 1 }, name: 'nick_1', sparse: true });
    expect(users.candidates({ nick: 'n3' })).toHaveLength(1);
    expect(users.candidates({ nick: null })).toBeUndefined();
    expect(users.find({ nick: null })).toHaveLength(40);
  });
});
