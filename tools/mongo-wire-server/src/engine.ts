/**
 * The catalog: databases -> collections, plus the TTL monitor and dirty tracking for snapshots.
 */
import type { Doc } from './bson-types.js';
import { Collection, type IndexSpec } from './collection.js';
import { CommandError } from './errors.js';

export class Engine {
  readonly dbs = new Map<string, Map<string, Collection>>();
  /** databases changed since the last snapshot (including dropped ones) */
  readonly dirty = new Set<string>();

  constructor(private readonly log: (msg: string) => void = () => undefined) {}

  private db(name: string, create: boolean): Map<string, Collection> | undefined {
    let db = this.dbs.get(name);
    if (!db && create) this.dbs.set(name, (db = new Map()));
    return db;
  }

  collection(dbName: string, name: string): Collection | undefined {
    return this.dbs.get(dbName)?.get(name);
  }

  /** Get a collection, creating it implicitly (as mongod does on the first write). */
  ensureCollection(dbName: string, name: string): { coll: Collection; created: boolean } {
    const existing = this.collection(dbName, name);
    if (existing) return { coll: existing, created: false };
    validateCollectionName(name);
    return { coll: this.addCollection(dbName, name, {}), created: true };
  }

  addCollection(dbName: string, name: string, options: Doc): Collection {
    const coll = new Collection(dbName, name, options, () => this.dirty.add(dbName));
    this.db(dbName, true)!.set(name, coll);
    this.dirty.add(dbName);
    return coll;
  }

  createCollection(dbName: string, name: string, options: Doc): Collection {
    if (this.collection(dbName, name)) {
      throw new CommandError(48, `Collection ${dbName}.${name} already exists.`, 'NamespaceExists');
    }
    validateCollectionName(name);
    return this.addCollection(dbName, name, options);
  }

  dropCollection(dbName: string, name: string): Collection | undefined {
    const db = this.dbs.get(dbName);
    const coll = db?.get(name);
    if (!db || !coll) return undefined;
    db.delete(name);
    if (db.size === 0) this.dbs.delete(dbName);
    this.dirty.add(dbName);
    return coll;
  }

  dropDatabase(dbName: string): void {
    if (this.dbs.delete(dbName)) this.dirty.add(dbName);
  }

  /** Rebuild a collection from a snapshot (persistence.ts). */
  restoreCollection(dbName: string, name: string, options: Doc, indexes: IndexSpec[], docs: Doc[]): void {
    const coll = this.addCollection(dbName, name, options);
    for (const spec of indexes) if (spec.name !== '_id_') coll.createIndex(spec);
    for (const d of docs) coll.insert(d);
  }

  /**
   * TTL monitor: delete documents whose indexed date (earliest one for arrays) plus
   * expireAfterSeconds lies in the past. A periodic scan of TTL collections, like mongod's
   * background TTL thread (which also runs every 60 s by default). A partial TTL index expires
   * only the documents its partialFilterExpression admits (manual: tutorial/expire-data, "Expire
   * Documents with Filter Conditions").
   */
  sweepTtl(now = Date.now()): number {
    let removed = 0;
    for (const db of this.dbs.values()) {
      for (const coll of db.values()) {
        for (const ix of coll.indexes) {
          const secs = ix.spec.expireAfterSeconds;
          if (secs === undefined || ix.fields.length !== 1) continue;
          const field = ix.fields[0];
          const expired: Doc[] = [];
          for (const d of coll.docs()) {
            if (!ix.holds(d)) continue;
            const v = getPath(d, field);
            const dates = (Array.isArray(v) ? v : [v]).filter((x): x is Date => x instanceof Date);
            if (dates.length === 0) continue;
            const earliest = Math.min(...dates.map((x) => x.getTime()));
            if (earliest + Number(secs) * 1000 <= now) expired.push(d);
          }
          for (const d of expired) coll.remove(d);
          removed += expired.length;
        }
      }
    }
    if (removed) this.log(`ttl: removed ${removed} expired document(s)`);
    return removed;
  }
}

function getPath(doc: any, path: string): any {
  let cur = doc;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[seg];
  }
  return cur;
}

function validateCollectionName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || name.startsWith('.') || name.includes('$')) {
    throw new CommandError(73, `Invalid collection name: ${String(name)}`, 'InvalidNamespace');
  }
}
