/**
 * The catalog: databases -> collections, plus the TTL monitor and the capture of changes for the
 * journal (journal.ts): while `capture` is set, every change to the data (documents, indexes,
 * collections) is appended to it as an `Op`, in the order it happened.
 */
import type { Doc } from './bson-types.js';
import { Collection, type CollectionChange, type IndexSpec } from './collection.js';
import { CommandError } from './errors.js';

/** One change as the journal records it (see journal.ts for the encoding). */
export type Op =
  | (CollectionChange & { db: string; c: string })
  | { op: 'cc'; db: string; c: string; options: Doc }
  | { op: 'dc'; db: string; c: string }
  | { op: 'dd'; db: string }
  | { op: 'rn'; db: string; c: string; toDb: string; to: string };

export class Engine {
  readonly dbs = new Map<string, Map<string, Collection>>();
  /** Changes made since the caller set it (undefined: not recorded, e.g. memory only or replay). */
  capture: Op[] | undefined;

  constructor(private readonly log: (msg: string) => void = () => undefined) {}

  private record(op: Op): void {
    this.capture?.push(op);
  }

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
    const coll = new Collection(dbName, name, options, (change) => this.capture?.push({ ...change, db: dbName, c: name }));
    this.db(dbName, true)!.set(name, coll);
    this.record({ op: 'cc', db: dbName, c: name, options });
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
    this.record({ op: 'dc', db: dbName, c: name });
    return coll;
  }

  dropDatabase(dbName: string): void {
    if (this.dbs.delete(dbName)) this.record({ op: 'dd', db: dbName });
  }

  /** Rebuild a collection from a snapshot or checkpoint (persistence.ts); not recorded. */
  restoreCollection(dbName: string, name: string, options: Doc, indexes: IndexSpec[], docs: Iterable<Doc>): Collection {
    const capture = this.capture;
    this.capture = undefined;
    try {
      const coll = this.addCollection(dbName, name, options);
      for (const spec of indexes) if (spec.name !== '_id_') coll.createIndex(spec);
      for (const d of docs) coll.insert(d);
      return coll;
    } finally {
      this.capture = capture;
    }
  }

  /**
   * renameCollection (the target, if any, must be gone already): the documents and indexes move to
   * the new name. Recorded as one `rn` op, not as the re-insertion of every document.
   */
  renameCollection(fromDb: string, from: string, toDb: string, to: string): void {
    const src = this.collection(fromDb, from);
    if (!src) throw new CommandError(26, 'source namespace does not exist', 'NamespaceNotFound');
    const capture = this.capture;
    this.capture = undefined;
    try {
      this.dropCollection(fromDb, from);
      this.restoreCollection(toDb, to, src.options, src.indexes.map((i) => i.spec), src.docs());
    } finally {
      this.capture = capture;
    }
    this.record({ op: 'rn', db: fromDb, c: from, toDb, to });
  }

  /** Apply one journaled op (recovery); `doc` is the op's document for `i` and `u`. */
  apply(op: Op): void {
    const capture = this.capture;
    this.capture = undefined;
    try {
      applyOp(this, op);
    } finally {
      this.capture = capture;
    }
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

function applyOp(engine: Engine, op: Op): void {
  const need = (): Collection => {
    const c = engine.collection(op.db, (op as { c: string }).c);
    if (!c) throw new Error(`journal replay: ${op.op} on missing collection ${op.db}.${(op as { c: string }).c}`);
    return c;
  };
  switch (op.op) {
    case 'i':
      need().insert(op.doc);
      return;
    case 'u': {
      const coll = need();
      const old = coll.getById(op.k);
      if (!old) throw new Error(`journal replay: update of missing document ${op.k} in ${op.db}.${op.c}`);
      coll.replace(old, op.doc);
      return;
    }
    case 'd': {
      const coll = need();
      const old = coll.getById(op.k);
      if (old) coll.remove(old);
      return;
    }
    case 'clear':
      need().clear();
      return;
    case 'ci':
      need().createIndex(op.spec);
      return;
    case 'di': {
      const coll = need();
      const ix = coll.findIndex(op.name);
      if (ix) coll.dropIndex(ix);
      return;
    }
    case 'mi': {
      const coll = need();
      const ix = coll.findIndex(op.name);
      if (ix) coll.modifyIndex(ix, op.options);
      return;
    }
    case 'cc':
      if (!engine.collection(op.db, op.c)) engine.addCollection(op.db, op.c, op.options);
      return;
    case 'dc':
      engine.dropCollection(op.db, op.c);
      return;
    case 'dd':
      engine.dropDatabase(op.db);
      return;
    case 'rn':
      engine.renameCollection(op.db, op.c, op.toDb, op.to);
      return;
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
