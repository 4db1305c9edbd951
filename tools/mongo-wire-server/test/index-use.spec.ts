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
