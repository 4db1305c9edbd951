/**
 * One collection: documents in natural (insertion) order plus hashed indexes.
 *
 * mingo gap (indexes): mingo has no indexes. Every index here is a Map from a canonical key
 * string of the indexed values (bson-types.ts `canonicalKey`, so Int32 5 / Double 5.0 / Long 5
 * share a key, as in mongod) to the set of document ids holding that key. The maps are kept
 * current on every insert, update and delete, so unique checks and equality lookups cost one
 * hash probe per index instead of a scan.
 */
import { UUID } from 'bson';
import { canonicalKey, renderValue, type Doc } from './bson-types.js';
import { CommandError } from './errors.js';
import { filterImpliesPartial } from './planner.js';
import { compileFilter } from './query.js';

export interface IndexSpec {
  v: number;
  key: Doc;
  name: string;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Doc;
  expireAfterSeconds?: number;
  [option: string]: unknown;
}

interface KeyEntry {
  key: string;
  values: any[]; // one value per indexed field (for keyValue / error messages)
}

const EMPTY_ARRAY = Symbol('emptyArray');

/** Values a (dotted) path yields for indexing: arrays are expanded (multikey), as in mongod. */
function indexValues(doc: any, segs: string[], i: number, out: any[]): void {
  if (i === segs.length) {
    if (Array.isArray(doc)) {
      if (doc.length === 0) out.push(EMPTY_ARRAY);
      else for (const x of doc) out.push(x);
    } else out.push(doc);
    return;
  }
  if (doc === null || typeof doc !== 'object') return;
  if (Array.isArray(doc)) {
    const seg = segs[i];
    if (/^\d+$/.test(seg)) {
      if (doc[+seg] !== undefined) indexValues(doc[+seg], segs, i + 1, out);
    } else for (const el of doc) if (el !== null && typeof el === 'object' && !Array.isArray(el)) indexValues(el, segs, i, out);
    return;
  }
  const next = doc[segs[i]];
  if (next === undefined) return;
  indexValues(next, segs, i + 1, out);
}

export class Index {
  readonly fields: string[];
  private readonly segs: string[][];
  readonly unique: boolean;
  readonly sparse: boolean;
  private readonly partial?: (d: Doc) => boolean;
  /** canonical key -> ids (canonical _id keys) of the documents holding it */
  readonly entries = new Map<string, Set<string>>();

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.segs = this.fields.map((f) => f.split('.'));
    this.unique = spec.name === '_id_' || !!spec.unique;
    this.sparse = !!spec.sparse;
    if (spec.partialFilterExpression) this.partial = compileFilter(spec.partialFilterExpression);
  }

  /** Whether plain equality lookups may use this index (it holds an entry for every document). */
  get complete(): boolean {
    return !this.sparse && !this.partial;
  }

  /**
   * Whether this index holds every document that can match `filter`, given `eq`, the filter's
   * equality conditions on all of this index's fields. A complete index always does. A partial
   * one does when the filter implies its partialFilterExpression (mongod's rule, manual:
   * core/index-partial, "Query Coverage"); a sparse one when no pinned value is null, since a
   * document missing every indexed field could only match a null.
   */
  answers(filter: Doc, eq: Map<string, any[]>): boolean {
    if (this.complete) return true;
    if (this.sparse && this.fields.some((f) => eq.get(f)!.some((v) => v === null || v === undefined))) return false;
    return !this.spec.partialFilterExpression || filterImpliesPartial(filter, this.spec.partialFilterExpression);
  }

  /** Whether a document belongs in this index by its partialFilterExpression (every one does without). */
  holds(doc: Doc): boolean {
    return !this.partial || this.partial(doc);
  }

  keysFor(doc: Doc): KeyEntry[] {
    if (!this.holds(doc)) return [];
    const perField: any[][] = [];
    let present = 0;
    for (const segs of this.segs) {
      const vals: any[] = [];
      indexValues(doc, segs, 0, vals);
      if (vals.length) present++;
      else vals.push(null); // a missing field is indexed as null (unless sparse)
      perField.push(vals);
    }
    if (this.sparse && present === 0) return [];
    let combos: any[][] = [[]];
    for (const vals of perField) {
      const next: any[][] = [];
      for (const c of combos) for (const v of vals) next.push([...c, v]);
      combos = next;
    }
    const seen = new Set<string>();
    const out: KeyEntry[] = [];
    for (const values of combos) {
      const key = keyString(values);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ key, values: values.map((v) => (v === EMPTY_ARRAY ? [] : v)) });
    }
    return out;
  }

  /** Look up ids for an exact key tuple. */
  lookup(values: any[]): Set<string> | undefined {
    return this.entries.get(keyString(values));
  }

  add(id: string, keys: KeyEntry[]): void {
    for (const { key } of keys) {
      let s = this.entries.get(key);
      if (!s) this.entries.set(key, (s = new Set()));
      s.add(id);
    }
  }

  remove(id: string, keys: KeyEntry[]): void {
    for (const { key } of keys) {
      const s = this.entries.get(key);
      if (!s) continue;
      s.delete(id);
      if (s.size === 0) this.entries.delete(key);
    }
  }

  /** First key held by another document, if this is a unique index. */
  conflict(id: string, keys: KeyEntry[]): KeyEntry | undefined {
    if (!this.unique) return undefined;
    for (const k of keys) {
      const s = this.entries.get(k.key);
      if (s && (s.size > 1 || !s.has(id))) return k;
    }
    return undefined;
  }
}

function keyString(values: any[]): string {
  if (values.length === 1) return values[0] === EMPTY_ARRAY ? 'A[]' : canonicalKey(values[0]);
  return JSON.stringify(values.map((v) => (v === EMPTY_ARRAY ? 'A[]' : canonicalKey(v))));
}

export function defaultIndexName(key: Doc): string {
  return Object.keys(key)
    .map((k) => `${k}_${String(typeof key[k] === 'object' ? Number(key[k]) : key[k])}`)
    .join('_');
}

export function duplicateKeyError(ns: string, index: Index, entry: KeyEntry): CommandError {
  const keyValue: Doc = {};
  index.fields.forEach((f, i) => (keyValue[f] = entry.values[i] === undefined ? null : entry.values[i]));
  const rendered = index.fields.map((f) => `${f}: ${renderValue(keyValue[f])}`).join(', ');
  return new CommandError(
    11000,
    `E11000 duplicate key error collection: ${ns} index: ${index.spec.name} dup key: { ${rendered} }`,
    'DuplicateKey',
    { keyPattern: { ...index.spec.key }, keyValue },
  );
}

interface Rec {
  doc: Doc;
  seq: number;
}

/**
 * A change to one collection, as the journal records it (engine.ts adds the namespace). `k` is the
 * document's canonical `_id` key. Stored documents are never modified in place (an update stores
 * a new object), so `doc` may be serialized after the command has finished.
 */
export type CollectionChange =
  | { op: 'i' | 'u'; k: string; doc: Doc }
  | { op: 'd'; k: string }
  | { op: 'clear' }
  | { op: 'ci'; spec: IndexSpec }
  | { op: 'di'; name: string }
  | { op: 'mi'; name: string; options: { expireAfterSeconds?: number; hidden?: boolean } };

export class Collection {
  readonly records = new Map<string, Rec>();
  readonly indexes: Index[] = [];
  readonly uuid = new UUID();
  private seq = 0;

  constructor(
    readonly dbName: string,
    readonly name: string,
    readonly options: Doc = {},
    private readonly onChange: (change: CollectionChange) => void = () => undefined,
  ) {
    this.indexes.push(new Index({ v: 2, key: { _id: 1 }, name: '_id_' }));
  }

  get ns(): string {
    return `${this.dbName}.${this.name}`;
  }

  get size(): number {
    return this.records.size;
  }

  *docs(): IterableIterator<Doc> {
    for (const r of this.records.values()) yield r.doc;
  }

  getById(id: string): Doc | undefined {
    return this.records.get(id)?.doc;
  }

  /** Insert a document that already has an `_id`. Throws a duplicate-key CommandError. */
  insert(doc: Doc): void {
    const id = canonicalKey(doc._id);
    const keys = this.indexes.map((ix) => ix.keysFor(doc));
    for (let i = 0; i < this.indexes.length; i++) {
      const ix = this.indexes[i];
      const c = ix.unique ? ix.conflict(id, keys[i]) : undefined;
      if (c || (i === 0 && this.records.has(id))) throw duplicateKeyError(this.ns, ix, c ?? keys[0][0]);
    }
    this.indexes.forEach((ix, i) => ix.add(id, keys[i]));
    this.records.set(id, { doc, seq: this.seq++ });
    this.onChange({ op: 'i', k: id, doc });
  }

  /** Replace the stored version of a document (same `_id`). Throws a duplicate-key CommandError. */
  replace(oldDoc: Doc, newDoc: Doc): void {
    const id = canonicalKey(oldDoc._id);
    const rec = this.records.get(id);
    if (!rec) throw new Error('replace: document not found');
    const oldKeys = this.indexes.map((ix) => ix.keysFor(oldDoc));
    const newKeys = this.indexes.map((ix) => ix.keysFor(newDoc));
    for (let i = 0; i < this.indexes.length; i++) {
      const c = this.indexes[i].conflict(id, newKeys[i]);
      if (c) throw duplicateKeyError(this.ns, this.indexes[i], c);
    }
    this.indexes.forEach((ix, i) => {
      ix.remove(id, oldKeys[i]);
      ix.add(id, newKeys[i]);
    });
    rec.doc = newDoc;
    this.onChange({ op: 'u', k: id, doc: newDoc });
  }

  remove(doc: Doc): void {
    const id = canonicalKey(doc._id);
    const rec = this.records.get(id);
    if (!rec) return;
    this.indexes.forEach((ix) => ix.remove(id, ix.keysFor(rec.doc)));
    this.records.delete(id);
    this.onChange({ op: 'd', k: id });
  }

  clear(): void {
    this.records.clear();
    for (const ix of this.indexes) ix.entries.clear();
    this.onChange({ op: 'clear' });
  }

  // -------------------------------------------------------------------------------------------
  // Indexes

  findIndex(nameOrKey: string | Doc): Index | undefined {
    if (typeof nameOrKey === 'string') return this.indexes.find((ix) => ix.spec.name === nameOrKey);
    const want = JSON.stringify(normalizeKeyPattern(nameOrKey));
    return this.indexes.find((ix) => JSON.stringify(normalizeKeyPattern(ix.spec.key)) === want);
  }

  /** Create an index; returns false when an identical one already exists. */
  createIndex(spec: IndexSpec): boolean {
    const byName = this.findIndex(spec.name);
    // An index's identity is its key pattern and partialFilterExpression (mongod 5.0+): one key
    // pattern may carry several indexes whose filters differ, or one without a filter.
    const key = JSON.stringify(normalizeKeyPattern(spec.key));
    const filter = JSON.stringify(spec.partialFilterExpression ?? null);
    const byKey = this.indexes.find(
      (ix) => JSON.stringify(normalizeKeyPattern(ix.spec.key)) === key && JSON.stringify(ix.spec.partialFilterExpression ?? null) === filter,
    );
    if (byName) {
      if (sameIndex(byName.spec, spec)) return false;
      if (JSON.stringify(normalizeKeyPattern(byName.spec.key)) === JSON.stringify(normalizeKeyPattern(spec.key))) {
        throw new CommandError(85, `An existing index has the same name as the requested index but different options: ${spec.name}`, 'IndexOptionsConflict');
      }
      throw new CommandError(
        86,
        `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName.spec)}`,
        'IndexKeySpecsConflict',
      );
    }
    if (byKey) {
      throw new CommandError(85, `Index already exists with a different name: ${byKey.spec.name}`, 'IndexOptionsConflict');
    }
    const ix = new Index(spec);
    for (const [id, rec] of this.records) {
      const keys = ix.keysFor(rec.doc);
      const c = ix.conflict(id, keys);
      if (c) throw duplicateKeyError(this.ns, ix, c);
      ix.add(id, keys);
    }
    this.indexes.push(ix);
    this.onChange({ op: 'ci', spec });
    return true;
  }

  /** collMod's index options, in place: answers `<option>_old` / `<option>_new` for each value that changed. */
  modifyIndex(ix: Index, options: { expireAfterSeconds?: number; hidden?: boolean }): Doc {
    const reply: Doc = {};
    const changed: { expireAfterSeconds?: number; hidden?: boolean } = {};
    for (const option of ['expireAfterSeconds', 'hidden'] as const) {
      const value = options[option];
      if (value === undefined) continue;
      const old = ix.spec[option];
      if (old === value) continue;
      if (old !== undefined) reply[`${option}_old`] = old;
      reply[`${option}_new`] = value;
      (changed as Record<string, unknown>)[option] = value;
      if (option === 'hidden' && value === false) delete ix.spec.hidden;
      else (ix.spec as Record<string, unknown>)[option] = value;
    }
    if (Object.keys(reply).length > 0) this.onChange({ op: 'mi', name: ix.spec.name, options: changed });
    return reply;
  }

  dropIndex(ix: Index): void {
    if (ix.spec.name === '_id_') throw new CommandError(72, 'cannot drop _id index', 'InvalidOptions');
    this.indexes.splice(this.indexes.indexOf(ix), 1);
    this.onChange({ op: 'di', name: ix.spec.name });
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  /**
   * Documents possibly matching `filter`, from an index when the filter pins every field of an
   * index by equality (`{f: v}`, `{f: {$eq: v}}`, `{f: {$in: [...]}}`) and that index holds every
   * document the filter can match (see Index.answers); else undefined.
   */
  candidates(filter: Doc | undefined): Doc[] | undefined {
    if (!filter) return undefined;
    const eq = equalityConditions(filter);
    if (eq.size === 0) return undefined;
    let best: Doc[] | undefined;
    for (const ix of this.indexes) {
      if (!ix.fields.every((f) => eq.has(f)) || !ix.answers(filter, eq)) continue;
      let combos: any[][] = [[]];
      for (const f of ix.fields) {
        const next: any[][] = [];
        for (const c of combos) for (const v of eq.get(f)!) next.push([...c, v]);
        combos = next;
        if (combos.length > 1000) break;
      }
      if (combos.length > 1000) continue;
      const ids = new Set<string>();
      for (const c of combos) for (const id of ix.lookup(c) ?? []) ids.add(id);
      const recs = [...ids].map((id) => this.records.get(id)!).filter(Boolean);
      recs.sort((a, b) => a.seq - b.seq);
      const docs = recs.map((r) => r.doc);
      if (!best || docs.length < best.length) best = docs;
      if (best.length <= 1) break;
    }
    return best;
  }

  /** Documents matching `filter` in natural order; stops after `max` matches when given. */
  find(filter: Doc | undefined, max = Infinity): Doc[] {
    const pred = compileFilter(filter);
    const cands = this.candidates(filter);
    const out: Doc[] = [];
    if (max <= 0) return out;
    const source: Iterable<Doc> = cands ?? this.docs();
    for (const d of source) {
      if (pred(d)) {
        out.push(d);
        if (out.length >= max) break;
      }
    }
    return out;
  }
}

const indexableEq = (v: any) =>
  !(Array.isArray(v) || v instanceof RegExp || (v !== null && typeof v === 'object' && v.constructor === Object && Object.keys(v).some((k) => k.startsWith('$'))));

/** field -> list of values it must equal (one of), from top-level / $and equality conditions. */
function equalityConditions(filter: Doc): Map<string, any[]> {
  const out = new Map<string, any[]>();
  const visit = (f: Doc) => {
    for (const k of Object.keys(f)) {
      const v = f[k];
      if (k === '$and' && Array.isArray(v)) {
        v.forEach((x) => x && typeof x === 'object' && visit(x));
        continue;
      }
      if (k.startsWith('$') || out.has(k)) continue;
      if (v !== null && typeof v === 'object' && v.constructor === Object && Object.keys(v).some((x) => x.startsWith('$'))) {
        if ('$eq' in v && indexableEq(v.$eq)) out.set(k, [v.$eq]);
        else if (Array.isArray(v.$in) && v.$in.every(indexableEq)) out.set(k, v.$in);
      } else if (indexableEq(v)) out.set(k, [v]);
    }
  };
  visit(filter);
  return out;
}

function normalizeKeyPattern(key: Doc): Doc {
  const out: Doc = {};
  for (const k of Object.keys(key)) out[k] = typeof key[k] === 'string' ? key[k] : Number(key[k]);
  return out;
}

function sameIndexOptions(a: IndexSpec, b: IndexSpec): boolean {
  return (
    !!a.unique === !!b.unique &&
    !!a.sparse === !!b.sparse &&
    JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null) &&
    (a.expireAfterSeconds ?? null) === (b.expireAfterSeconds ?? null)
  );
}

function sameIndex(a: IndexSpec, b: IndexSpec): boolean {
  return JSON.stringify(normalizeKeyPattern(a.key)) === JSON.stringify(normalizeKeyPattern(b.key)) && (a.name === '_id_' || sameIndexOptions(a, b));
}
