/**
 * Query planning for `explain` (mingo gap: mingo has no indexes, so no query plans).
 *
 * This module decides which plan a mongod would pick for a find-like query and describes it in
 * mongod's stage vocabulary (COLLSCAN, IXSCAN, FETCH, SORT, SKIP, LIMIT, PROJECTION_*, IDHACK,
 * COUNT, COUNT_SCAN, EOF). `simulate` then runs that plan over the collection to produce the
 * `executionStats` counters (keys and documents examined, documents returned per stage).
 *
 * It only describes: the commands themselves still run through `Collection.find` (hash lookups
 * on fully pinned indexes, otherwise a scan); both give the same documents.
 *
 * The rule (a simplification of mongod's classic planner, see README "explain"):
 * - a predicate is index-usable when it is an equality (`{f: v}`, `$eq`, `$in`), a range
 *   (`$gt/$gte/$lt/$lte`, combined into one interval) or a regex on the field;
 * - an index is a candidate when its first key field has such a predicate, or when it can
 *   return the documents in the requested sort order (equality-pinned key fields may be skipped);
 *   sparse indexes need a predicate that excludes missing fields, partial indexes need a filter
 *   that implies their partialFilterExpression, hidden and special (text, 2dsphere, hashed)
 *   indexes are never used;
 * - among candidates the winner covers the most query fields with tight bounds (its leading
 *   equality fields in any order, then one range), then has more of them as equalities, then
 *   provides the sort, then constrains more of its key fields, then has fewer key fields, then
 *   was created first;
 * - `{_id: <value>}` with no sort, skip or hint is answered by IDHACK (mongod up to 7.x).
 */
import { MaxKey, MinKey, ObjectId } from 'bson';
import { canonicalKey, compareValues, renderValue, toNumber, typeRank, type Doc } from './bson-types.js';
import type { Collection, Index } from './collection.js';
import { compileFilter, sortDocs } from './query.js';

// ---------------------------------------------------------------------------------------------
// Intervals and their mongod rendering

interface Endpoint {
  v: any;
  /** How mongod prints this endpoint when it differs from the value (type-bracket limits). */
  text?: string;
}

export interface Interval {
  lo: Endpoint;
  hi: Endpoint;
  loIncl: boolean;
  hiIncl: boolean;
}

const MIN_KEY = new MinKey();
const MAX_KEY = new MaxKey();
const FULL: Interval = { lo: { v: MIN_KEY }, hi: { v: MAX_KEY }, loIncl: true, hiIncl: true };

const ep = (v: any, text?: string): Endpoint => (text === undefined ? { v } : { v, text });
const point = (v: any): Interval => ({ lo: ep(v), hi: ep(v), loIncl: true, hiIncl: true });

/** The lowest and highest values of v's BSON type: mongod brackets a range by type ($gt: 3 stops at inf). */
function typeBracket(v: any): { min: Endpoint; max: Endpoint; maxIncl: boolean } | undefined {
  switch (typeRank(v)) {
    case 2:
      return { min: ep(null), max: ep(null), maxIncl: true };
    case 3:
      return { min: ep(-Infinity), max: ep(Infinity), maxIncl: true };
    case 4:
      return { min: ep(''), max: ep({}), maxIncl: false };
    case 5:
      return { min: ep({}), max: ep([]), maxIncl: false };
    case 7:
      return undefined;
    case 8:
      return { min: ep(new ObjectId('000000000000000000000000')), max: ep(new ObjectId('ffffffffffffffffffffffff')), maxIncl: true };
    case 9:
      return { min: ep(false), max: ep(true), maxIncl: true };
    case 10:
      return {
        min: ep(new Date(-8.64e15), 'new Date(-9223372036854775808)'),
        max: ep(new Date(8.64e15), 'new Date(9223372036854775807)'),
        maxIncl: true,
      };
  }
  return undefined;
}

function renderEndpoint(e: Endpoint): string {
  if (e.text !== undefined) return e.text;
  const v = e.v;
  if (v === Infinity) return 'inf.0';
  if (v === -Infinity) return '-inf.0';
  if (v === undefined) return 'undefined';
  if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
  if (v?._bsontype === 'MinKey') return 'MinKey';
  if (v?._bsontype === 'MaxKey') return 'MaxKey';
  if (v?._bsontype === 'Double') return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  return renderValue(v);
}

export function renderInterval(iv: Interval, reversed: boolean): string {
  const [lo, hi, li, hiI] = reversed ? [iv.hi, iv.lo, iv.hiIncl, iv.loIncl] : [iv.lo, iv.hi, iv.loIncl, iv.hiIncl];
  return `${li ? '[' : '('}${renderEndpoint(lo)}, ${renderEndpoint(hi)}${hiI ? ']' : ')'}`;
}

function inInterval(x: any, iv: Interval): boolean {
  const a = compareValues(x, iv.lo.v);
  if (a < 0 || (a === 0 && !iv.loIncl)) return false;
  const b = compareValues(x, iv.hi.v);
  return !(b > 0 || (b === 0 && !iv.hiIncl));
}

function intersect(a: Interval, b: Interval): Interval | undefined {
  const cl = compareValues(a.lo.v, b.lo.v);
  const lo = cl > 0 ? a : cl < 0 ? b : a.loIncl ? b : a;
  const ch = compareValues(a.hi.v, b.hi.v);
  const hi = ch < 0 ? a : ch > 0 ? b : a.hiIncl ? b : a;
  const out: Interval = { lo: lo.lo, loIncl: lo.loIncl, hi: hi.hi, hiIncl: hi.hiIncl };
  const c = compareValues(out.lo.v, out.hi.v);
  if (c > 0 || (c === 0 && !(out.loIncl && out.hiIncl))) return undefined;
  return out;
}

const within = (inner: Interval, outer: Interval) => {
  const i = intersect(inner, outer);
  return !!i && compareValues(i.lo.v, inner.lo.v) === 0 && compareValues(i.hi.v, inner.hi.v) === 0 && i.loIncl === inner.loIncl && i.hiIncl === inner.hiIncl;
};

// ---------------------------------------------------------------------------------------------
// Filter analysis

/** What the filter says about one field, as index bounds. */
export interface FieldPred {
  /** Equality values (`{f: v}`, `$eq`, `$in`); undefined for a range or regex. */
  points?: any[];
  /** Union of intervals, ascending. */
  intervals: Interval[];
  /** The bounds alone decide every condition on this field (no FETCH filter needed for it). */
  exact: boolean;
  /** No document lacking the field can match (so a sparse index may answer it). */
  excludesMissing: boolean;
}

interface Clause {
  field?: string;
  doc: Doc;
  /** Represented in `FieldPred` bounds (exactly or not). */
  indexable: boolean;
}

export interface Analysis {
  preds: Map<string, FieldPred>;
  clauses: Clause[];
  /** mongod-style parsedQuery: implicit equalities as `$eq`, several conditions under `$and`. */
  parsed: Doc;
}

const isPlain = (v: any) => v !== null && typeof v === 'object' && v.constructor === Object;
const isOperatorDoc = (v: any) => isPlain(v) && Object.keys(v).length > 0 && Object.keys(v)[0].startsWith('$');
const isRegex = (v: any) => v instanceof RegExp || v?._bsontype === 'BSONRegExp';
const toRegExp = (v: any): RegExp => (v instanceof RegExp ? v : new RegExp(v.pattern, String(v.options ?? '').replace(/[^imsu]/g, '')));

function sortedUnique(values: any[]): any[] {
  const seen = new Map<string, any>();
  for (const v of values) if (!seen.has(canonicalKey(v))) seen.set(canonicalKey(v), v);
  return [...seen.values()].sort(compareValues);
}

function pointIntervals(points: any[]): { intervals: Interval[]; exact: boolean } {
  const out: Interval[] = [];
  let exact = true;
  for (const v of points) {
    if (v === null || v === undefined) {
      out.push(point(null));
      exact = false; // null also matches a missing field and [null] elements: mongod fetches to check
    } else if (Array.isArray(v)) {
      // mongod: equality to an array is bounded by its first element and by the whole array
      out.push(point(v.length ? v[0] : undefined), point(v));
      exact = false;
    } else out.push(point(v));
  }
  const uniq = new Map<string, Interval>();
  for (const iv of out) uniq.set(`${canonicalKey(iv.lo.v)}|${typeRank(iv.lo.v)}`, iv);
  return { intervals: [...uniq.values()].sort((a, b) => compareValues(a.lo.v, b.lo.v)), exact };
}

function regexIntervals(re: RegExp): Interval[] {
  const m = /^\^([^.*+?()[\]{}|\\$^]*)/.exec(re.source);
  const prefix = m && !re.flags.includes('i') && !re.flags.includes('m') ? m[1] : '';
  const text = prefix
    ? { lo: ep(prefix), hi: ep(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)), loIncl: true, hiIncl: false }
    : { lo: ep(''), hi: ep({}), loIncl: true, hiIncl: false };
  return [text, point(re)];
}

function rangeInterval(op: string, v: any): Interval | undefined {
  if (typeof v === 'number' && Number.isNaN(v)) return undefined;
  const b = typeBracket(v);
  if (!b) return undefined;
  switch (op) {
    case '$gt':
      return { lo: ep(v), loIncl: false, hi: b.max, hiIncl: b.maxIncl };
    case '$gte':
      return { lo: ep(v), loIncl: true, hi: b.max, hiIncl: b.maxIncl };
    case '$lt':
      return { lo: b.min, loIncl: true, hi: ep(v), hiIncl: false };
    case '$lte':
      return { lo: b.min, loIncl: true, hi: ep(v), hiIncl: true };
  }
  return undefined;
}

interface Acc {
  pointSets: any[][];
  ranges: Interval[];
  regexes: Interval[][];
  exact: boolean;
  excludesMissing: boolean;
}

export function analyzeFilter(filter: Doc | undefined): Analysis {
  const acc = new Map<string, Acc>();
  const clauses: Clause[] = [];
  const get = (f: string) => {
    let a = acc.get(f);
    if (!a) acc.set(f, (a = { pointSets: [], ranges: [], regexes: [], exact: true, excludesMissing: false }));
    return a;
  };
  const visit = (f: Doc) => {
    for (const k of Object.keys(f)) {
      const v = f[k];
      if (k === '$and' && Array.isArray(v)) {
        v.forEach((x) => isPlain(x) && visit(x));
        continue;
      }
      if (k.startsWith('$')) {
        clauses.push({ doc: { [k]: v }, indexable: false }); // $or, $nor, $expr, $where, $text, ...
        continue;
      }
      if (!isOperatorDoc(v)) {
        const a = get(k);
        if (isRegex(v)) {
          a.regexes.push(regexIntervals(toRegExp(v)));
          a.excludesMissing = true;
          clauses.push({ field: k, doc: { [k]: { $regex: v } }, indexable: true });
        } else {
          a.pointSets.push([v]);
          if (v !== null && v !== undefined) a.excludesMissing = true;
          clauses.push({ field: k, doc: { [k]: { $eq: v } }, indexable: true });
        }
        continue;
      }
      for (const op of Object.keys(v)) {
        const x = v[op];
        const a = () => get(k);
        const clause = (indexable: boolean) => clauses.push({ field: k, doc: { [k]: { [op]: x } }, indexable });
        if (op === '$eq' && !isRegex(x)) {
          a().pointSets.push([x]);
          if (x !== null && x !== undefined) a().excludesMissing = true;
          clause(true);
        } else if (op === '$in' && Array.isArray(x)) {
          const plain = x.filter((y) => !isRegex(y));
          const res = x.filter(isRegex);
          if (res.length === 0) a().pointSets.push(plain);
          else {
            a().regexes.push([...pointIntervals(plain).intervals, ...res.flatMap((r) => regexIntervals(toRegExp(r)))]);
            a().exact = false;
          }
          if (!x.some((y) => y === null)) a().excludesMissing = true;
          clause(true);
        } else if (op === '$gt' || op === '$gte' || op === '$lt' || op === '$lte') {
          const iv = rangeInterval(op, x);
          if (!iv) {
            clause(false);
            continue;
          }
          a().ranges.push(iv);
          if (x !== null) a().excludesMissing = true;
          clause(true);
        } else if (op === '$regex') {
          const re = isRegex(x) ? toRegExp(x) : new RegExp(String(x), String(v.$options ?? '').replace(/[^imsu]/g, ''));
          a().regexes.push(regexIntervals(re));
          a().excludesMissing = true;
          clauses.push({ field: k, doc: { [k]: v.$options !== undefined ? { $regex: x, $options: v.$options } : { $regex: x } }, indexable: true });
        } else if (op === '$options') {
          continue;
        } else clause(false); // $ne, $nin, $exists, $type, $elemMatch, $size, $all, $not, $mod, ...
      }
    }
  };
  if (filter) visit(filter);

  const preds = new Map<string, FieldPred>();
  for (const [f, a] of acc) {
    let exact = a.exact;
    let intervals: Interval[];
    let points: any[] | undefined;
    if (a.pointSets.length) {
      let pts = a.pointSets[0];
      for (const s of a.pointSets.slice(1)) {
        const keys = new Set(s.map(canonicalKey));
        pts = pts.filter((p) => keys.has(canonicalKey(p)));
      }
      pts = sortedUnique(pts).filter((p) => a.ranges.every((r) => inInterval(p, r)));
      const pi = pointIntervals(pts);
      points = pts;
      intervals = pi.intervals;
      exact = exact && pi.exact && a.regexes.length === 0;
    } else if (a.ranges.length) {
      let iv: Interval | undefined = a.ranges[0];
      for (const r of a.ranges.slice(1)) iv = iv && intersect(iv, r);
      intervals = iv ? [iv] : [];
      if (a.regexes.length) {
        intervals = a.regexes[0];
        exact = false;
      }
    } else {
      intervals = a.regexes[0];
      exact = false;
    }
    preds.set(f, { points, intervals, exact, excludesMissing: a.excludesMissing });
  }
  const docs = clauses.map((c) => c.doc);
  return { preds, clauses, parsed: docs.length === 0 ? {} : docs.length === 1 ? docs[0] : { $and: docs } };
}

/**
 * Whether every document matching `filter` is held by an index with this partialFilterExpression,
 * so the index alone may answer it (the same conservative rule the planner applies).
 */
export function filterImpliesPartial(filter: Doc, pfe: Doc): boolean {
  return impliesPartial(analyzeFilter(filter), pfe);
}

/** Does every condition of a partialFilterExpression follow from the query? (conservative) */
function impliesPartial(q: Analysis, pfe: Doc): boolean {
  const p = analyzeFilter(pfe);
  for (const c of p.clauses) {
    const f = c.field;
    if (f === undefined) return false;
    const cond = c.doc[f];
    const qp = q.preds.get(f);
    if (isPlain(cond) && cond.$exists !== undefined && Object.keys(cond).length === 1) {
      if (cond.$exists && qp?.excludesMissing) continue;
      if (!cond.$exists && q.clauses.some((x) => JSON.stringify(x.doc) === JSON.stringify(c.doc))) continue;
      return false;
    }
    if (c.indexable && qp && qp.intervals.length > 0) {
      const pp = p.preds.get(f)!;
      if (pp.exact && qp.intervals.every((iv) => pp.intervals.some((o) => within(iv, o)))) continue;
    }
    if (q.clauses.some((x) => JSON.stringify(x.doc) === JSON.stringify(c.doc))) continue;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Index candidates

export interface Candidate {
  ix: Index;
  dirs: number[];
  /** Query fields answered by tight bounds: leading equalities, then one range. */
  tight: number;
  /** How many of those are equalities. */
  eqPrefix: number;
  /** Key fields with any predicate. */
  predFields: number;
  /** 1 forward / -1 backward scan; set when the index returns the requested sort order. */
  sortDir?: 1 | -1;
  scanDir: 1 | -1;
  /** Ascending intervals per key field. */
  bounds: Interval[][];
}

const sign = (n: number) => (n < 0 ? -1 : 1);

function sortFields(sort: Doc | undefined): { field: string; dir: number }[] | undefined {
  if (!sort) return undefined;
  const keys = Object.keys(sort);
  if (keys.length === 0) return undefined;
  if (keys.some((k) => isPlain(sort[k]))) return undefined; // { $meta: ... }: never from an index
  return keys.map((k) => ({ field: k, dir: sign(toNumber(sort[k])) }));
}

/** Scan direction in which the index returns `sort` order (equality-pinned fields may be skipped). */
function sortProvision(fields: string[], dirs: number[], preds: Map<string, FieldPred>, sort: Doc | undefined): { dir: 1 | -1; usesKey: boolean } | undefined {
  const sf = sortFields(sort);
  if (!sf) return undefined;
  const pinned = (f: string) => preds.get(f)?.points?.length === 1;
  let i = 0;
  let j = 0;
  let dir = 0;
  while (j < sf.length) {
    if (i < fields.length && fields[i] === sf[j].field) {
      const d = dirs[i] * sf[j].dir;
      if (dir !== 0 && d !== dir) return undefined;
      dir = d;
      i++;
      j++;
    } else if (pinned(sf[j].field)) j++;
    else if (i < fields.length && pinned(fields[i])) i++;
    else return undefined;
  }
  return { dir: dir < 0 ? -1 : 1, usesKey: dir !== 0 };
}

function candidateFor(ix: Index, a: Analysis, sort: Doc | undefined, forced: boolean): Candidate | undefined {
  const fields = ix.fields;
  const raw = fields.map((f) => ix.spec.key[f]);
  if (raw.some((d) => typeof d === 'string')) return undefined; // text, 2dsphere, hashed: not modelled
  const dirs = raw.map((d) => sign(toNumber(d)));
  if (!forced) {
    if (ix.spec.hidden) return undefined;
    if (ix.spec.partialFilterExpression && !impliesPartial(a, ix.spec.partialFilterExpression)) return undefined;
    if (ix.sparse && !fields.some((f) => a.preds.get(f)?.excludesMissing)) return undefined;
  }
  const sp = sortProvision(fields, dirs, a.preds, sort);
  if (!forced && !a.preds.has(fields[0]) && !sp?.usesKey) return undefined;
  let tight = 0;
  let eqPrefix = 0;
  for (const f of fields) {
    const p = a.preds.get(f);
    if (!p) break;
    tight++;
    if (!p.points) break;
    eqPrefix++;
  }
  return {
    ix,
    dirs,
    tight,
    eqPrefix,
    predFields: fields.filter((f) => a.preds.has(f)).length,
    sortDir: sp?.dir,
    scanDir: sp?.dir ?? 1,
    bounds: fields.map((f) => a.preds.get(f)?.intervals ?? [FULL]),
  };
}

function better(x: Candidate, y: Candidate): number {
  return (
    y.tight - x.tight ||
    y.eqPrefix - x.eqPrefix ||
    (y.sortDir ? 1 : 0) - (x.sortDir ? 1 : 0) ||
    y.predFields - x.predFields ||
    x.ix.fields.length - y.ix.fields.length
  );
}

// ---------------------------------------------------------------------------------------------
// Plans

export interface QueryShape {
  filter?: Doc;
  sort?: Doc;
  projection?: Doc;
  skip?: number;
  limit?: number;
  hint?: any;
}

export type Access =
  | { kind: 'EOF' }
  | { kind: 'IDHACK'; id: any }
  | { kind: 'COLLSCAN'; dir: 1 | -1 }
  | { kind: 'IXSCAN'; c: Candidate; covered: boolean; fetchFilter?: Doc }
  | { kind: 'OR'; branches: Plan[] };

export interface Plan {
  access: Access;
  /** The sort pattern a SORT stage applies (undefined: no blocking sort). */
  blockingSort?: Doc;
  shape: QueryShape;
  analysis: Analysis;
  multikey: Map<Index, Doc>;
}

export interface Planned {
  winning: Plan;
  rejected: Plan[];
  analysis: Analysis;
}

/** Paths (and path prefixes) that hold arrays in some document: mongod's multiKeyPaths. */
function multiKeyPaths(coll: Collection, ix: Index): Doc {
  const out: Doc = {};
  const sets = ix.fields.map(() => new Set<string>());
  for (const doc of coll.docs()) {
    ix.fields.forEach((f, i) => {
      const segs = f.split('.');
      const walk = (v: any, d: number) => {
        if (Array.isArray(v)) {
          sets[i].add(segs.slice(0, d).join('.'));
          for (const el of v) walk(el, d);
          return;
        }
        if (d === segs.length || v === null || typeof v !== 'object') return;
        walk(v[segs[d]], d + 1);
      };
      walk(doc, 0);
    });
  }
  ix.fields.forEach((f, i) => (out[f] = [...sets[i]].sort()));
  return out;
}

function findHinted(coll: Collection, hint: any): Index | 'natural' | undefined {
  if (typeof hint === 'string') return coll.indexes.find((ix) => ix.spec.name === hint);
  if (isPlain(hint) && Object.keys(hint).length) {
    if (hint.$natural !== undefined) return 'natural';
    return coll.findIndex(hint);
  }
  return undefined;
}

function isIdHack(shape: QueryShape): boolean {
  const f = shape.filter;
  if (!f || Object.keys(f).length !== 1 || !('_id' in f)) return false;
  const v = f._id;
  if (isOperatorDoc(v) || isRegex(v) || Array.isArray(v) || v === undefined) return false;
  const hasSort = !!shape.sort && Object.keys(shape.sort).length > 0;
  return !hasSort && !shape.skip && (shape.hint === undefined || shape.hint === null || (isPlain(shape.hint) && Object.keys(shape.hint).length === 0));
}

/** Projection stage name mongod uses for a projection. */
function projectionStage(proj: Doc): 'PROJECTION_SIMPLE' | 'PROJECTION_DEFAULT' {
  const simple = Object.keys(proj).every((k) => !k.includes('.') && !k.includes('$') && (typeof proj[k] === 'number' || typeof proj[k] === 'boolean' || proj[k]?._bsontype === 'Double' || proj[k]?._bsontype === 'Int32'));
  return simple ? 'PROJECTION_SIMPLE' : 'PROJECTION_DEFAULT';
}

const truthy = (v: any) => (typeof v === 'boolean' ? v : typeof v === 'number' || v?._bsontype ? toNumber(v) !== 0 : undefined);

/** Inclusion projection answerable from the index keys alone (mongod's covered query). */
function coverable(proj: Doc | undefined, c: Candidate, fetchFilter: Doc | undefined, sort: Doc | undefined, mk: Doc): boolean {
  if (!proj || fetchFilter || Object.keys(proj).length === 0) return false;
  if (Object.values(mk).some((paths: string[]) => paths.length > 0)) return false;
  const keys = new Set(c.ix.fields);
  for (const [k, v] of Object.entries(proj)) {
    const t = truthy(v);
    if (k === '_id' && t === false) continue;
    if (t !== true || !keys.has(k)) return false;
  }
  if (truthy(proj._id) !== false && !keys.has('_id')) return false;
  return Object.keys(sort ?? {}).every((k) => keys.has(k));
}

function planWith(coll: Collection, shape: QueryShape, a: Analysis, c: Candidate, mk: Map<Index, Doc>): Plan {
  const fieldSet = new Set(c.ix.fields);
  const residual = a.clauses.filter((cl) => !(cl.field !== undefined && cl.indexable && fieldSet.has(cl.field) && a.preds.get(cl.field)!.exact)).map((cl) => cl.doc);
  const fetchFilter = residual.length === 0 ? undefined : residual.length === 1 ? residual[0] : { $and: residual };
  const paths = mk.get(c.ix) ?? multiKeyPaths(coll, c.ix);
  mk.set(c.ix, paths);
  const hasSort = !!sortFields(shape.sort);
  const covered = coverable(shape.projection, c, fetchFilter, shape.sort, paths);
  return {
    access: { kind: 'IXSCAN', c, covered, fetchFilter },
    blockingSort: hasSort && !c.sortDir ? shape.sort : undefined,
    shape,
    analysis: a,
    multikey: mk,
  };
}

/** Choose the winning plan (and the rejected candidates) for a find-like query. */
export function planQuery(coll: Collection | undefined, shape: QueryShape, opts: { idhack?: boolean } = {}): Planned {
  const a = analyzeFilter(shape.filter);
  const mk = new Map<Index, Doc>();
  const hasSort = !!shape.sort && Object.keys(shape.sort).length > 0;
  const base = { shape, analysis: a, multikey: mk };
  if (!coll) return { winning: { ...base, access: { kind: 'EOF' } }, rejected: [], analysis: a };
  if (opts.idhack !== false && isIdHack(shape)) return { winning: { ...base, access: { kind: 'IDHACK', id: shape.filter!._id } }, rejected: [], analysis: a };
  const hinted = shape.hint !== undefined ? findHinted(coll, shape.hint) : undefined;
  if (hinted === 'natural') {
    const dir = sign(toNumber(shape.hint.$natural)) as 1 | -1;
    return { winning: { ...base, access: { kind: 'COLLSCAN', dir }, blockingSort: hasSort ? shape.sort : undefined }, rejected: [], analysis: a };
  }
  if (hinted) {
    const c = candidateFor(hinted, a, shape.sort, true);
    if (c) return { winning: planWith(coll, shape, a, c, mk), rejected: [], analysis: a };
  }
  // A filter that is one $or whose every branch can use an index: mongod's SUBPLAN > FETCH > OR.
  const or = a.clauses.length === 1 ? a.clauses[0].doc.$or : undefined;
  if (Array.isArray(or) && or.length > 0 && hinted === undefined) {
    const branches = or.map((b: any) => planQuery(coll, { filter: isPlain(b) ? b : {} }, { idhack: false }).winning);
    if (branches.every((b: Plan) => b.access.kind === 'IXSCAN')) {
      return { winning: { ...base, access: { kind: 'OR', branches }, blockingSort: hasSort ? shape.sort : undefined }, rejected: [], analysis: a };
    }
  }
  const cands = coll.indexes.map((ix) => candidateFor(ix, a, shape.sort, false)).filter((c): c is Candidate => !!c);
  if (cands.length === 0) {
    return { winning: { ...base, access: { kind: 'COLLSCAN', dir: 1 }, blockingSort: hasSort ? shape.sort : undefined }, rejected: [], analysis: a };
  }
  const ordered = cands.map((c, i) => ({ c, i })).sort((x, y) => better(x.c, y.c) || x.i - y.i).map((x) => x.c);
  return { winning: planWith(coll, shape, a, ordered[0], mk), rejected: ordered.slice(1).map((c) => planWith(coll, shape, a, c, mk)), analysis: a };
}

// ---------------------------------------------------------------------------------------------
// Stage trees (queryPlanner) and simulated execution (executionStats)

function ixscanStage(p: Plan, c: Candidate): Doc {
  const ix = c.ix;
  const mk = p.multikey.get(ix) ?? {};
  const bounds: Doc = {};
  ix.fields.forEach((f, i) => {
    const reversed = c.dirs[i] * c.scanDir < 0;
    const list = c.bounds[i].map((iv) => renderInterval(iv, reversed));
    bounds[f] = reversed ? list.reverse() : list;
  });
  return {
    stage: 'IXSCAN',
    keyPattern: { ...ix.spec.key },
    indexName: ix.spec.name,
    isMultiKey: Object.values(mk).some((paths: string[]) => paths.length > 0),
    multiKeyPaths: mk,
    isUnique: ix.unique,
    isSparse: ix.sparse,
    isPartial: !!ix.spec.partialFilterExpression,
    indexVersion: ix.spec.v ?? 2,
    direction: c.scanDir > 0 ? 'forward' : 'backward',
    indexBounds: bounds,
  };
}

/** One stage of a built plan, bottom-up; `stats` is filled in by `simulate`. */
interface Layer {
  doc: Doc;
  stats?: Doc;
}

function layersOf(p: Plan): Layer[] {
  const { shape, access } = p;
  const layers: Layer[] = [];
  const filter = Object.keys(p.analysis.parsed).length ? p.analysis.parsed : undefined;
  switch (access.kind) {
    case 'EOF':
      return [{ doc: { stage: 'EOF' } }];
    case 'IDHACK':
      layers.push({ doc: { stage: 'IDHACK' } });
      break;
    case 'COLLSCAN':
      layers.push({ doc: { stage: 'COLLSCAN', ...(filter ? { filter } : {}), direction: access.dir > 0 ? 'forward' : 'backward' } });
      break;
    case 'IXSCAN':
      layers.push({ doc: ixscanStage(p, access.c) });
      if (!access.covered) layers.push({ doc: { stage: 'FETCH', ...(access.fetchFilter ? { filter: access.fetchFilter } : {}) } });
      break;
    case 'OR':
      layers.push({ doc: { stage: 'OR', inputStages: access.branches.map(orBranchTree) } });
      layers.push({ doc: { stage: 'FETCH' } });
      break;
  }
  // IDHACK is a point lookup: mongod adds no SKIP/LIMIT over it (skip excludes IDHACK anyway)
  const skip = shape.skip ?? 0;
  const limit = access.kind === 'IDHACK' ? 0 : shape.limit ?? 0;
  if (p.blockingSort) {
    layers.push({ doc: { stage: 'SORT', sortPattern: { ...p.blockingSort }, memLimit: 104857600, ...(limit ? { limitAmount: skip + limit } : {}), type: 'simple' } });
  }
  if (skip) layers.push({ doc: { stage: 'SKIP', skipAmount: skip } });
  if (limit && !p.blockingSort) layers.push({ doc: { stage: 'LIMIT', limitAmount: limit } });
  if (shape.projection && Object.keys(shape.projection).length) {
    const covered = access.kind === 'IXSCAN' && access.covered;
    layers.push({ doc: { stage: covered ? 'PROJECTION_COVERED' : projectionStage(shape.projection), transformBy: { ...shape.projection } } });
  }
  if (access.kind === 'OR') layers.push({ doc: { stage: 'SUBPLAN' } });
  return layers;
}

/** An $or branch under OR: its IXSCAN, under a FETCH only when the branch needs a filter. */
function orBranchTree(b: Plan): Doc {
  const t = nest(layersOf(b), false);
  return b.access.kind === 'IXSCAN' && !b.access.fetchFilter && t.stage === 'FETCH' ? t.inputStage : t;
}

function nest(layers: Layer[], withStats: boolean): Doc {
  let node: Doc | undefined;
  for (const l of layers) {
    const d: Doc = { ...l.doc, ...(withStats ? l.stats : {}) };
    if (node) d.inputStage = node;
    node = d;
  }
  return node!;
}

/** The winningPlan / rejectedPlans tree of a plan. */
export function planTree(p: Plan): Doc {
  return nest(layersOf(p), false);
}

export const stats = (nReturned: number, works: number, extra: Doc = {}): Doc => ({
  nReturned,
  executionTimeMillisEstimate: 0,
  works,
  advanced: nReturned,
  needTime: Math.max(0, works - nReturned - 1),
  needYield: 0,
  saveState: 0,
  restoreState: 0,
  isEOF: 1,
  ...extra,
});

export interface Simulation {
  /** The documents the plan returns, in plan order (projection not applied). */
  docs: Doc[];
  totalKeysExamined: number;
  totalDocsExamined: number;
  /** executionStages tree (stats merged into the stage documents). */
  executionStages: Doc;
}

/**
 * Run a plan over the collection and count what mongod's stages would count. Scans stop early
 * when a LIMIT (no blocking sort) is satisfied, as mongod's pull-based stages do.
 */
export function simulate(coll: Collection | undefined, p: Plan): Simulation {
  const layers = layersOf(p);
  const pred = compileFilter(p.shape.filter);
  const skip = p.shape.skip ?? 0;
  const limit = p.access.kind === 'IDHACK' ? 0 : p.shape.limit ?? 0;
  const want = !p.blockingSort && limit ? skip + limit : Infinity;
  let keys = 0;
  let examined = 0;
  let docs: Doc[] = [];
  let li = 0;
  const access = p.access;
  if (access.kind === 'EOF' || !coll) {
    layers[0].stats = stats(0, 1);
  } else if (access.kind === 'IDHACK') {
    const d = coll.getById(canonicalKey(access.id));
    docs = d ? [d] : [];
    keys = docs.length;
    examined = docs.length;
    layers[li++].stats = stats(docs.length, docs.length + 1, { keysExamined: keys, docsExamined: examined });
  } else if (access.kind === 'COLLSCAN') {
    const all = [...coll.docs()];
    if (access.dir < 0) all.reverse();
    for (const d of all) {
      if (docs.length >= want) break;
      examined++;
      if (pred(d)) docs.push(d);
    }
    layers[li++].stats = stats(docs.length, examined + 1, { docsExamined: examined });
  } else if (access.kind === 'OR') {
    const seen = new Set<Doc>();
    const kids: Doc[] = [];
    let branchFetched = 0;
    for (const b of access.branches) {
      const sim = simulate(coll, b);
      keys += sim.totalKeysExamined;
      const fetches = b.access.kind === 'IXSCAN' && !!b.access.fetchFilter;
      if (fetches) branchFetched += sim.totalDocsExamined;
      kids.push(fetches || sim.executionStages.stage !== 'FETCH' ? sim.executionStages : sim.executionStages.inputStage);
      for (const d of sim.docs) seen.add(d);
    }
    const union = [...seen];
    examined = branchFetched + union.length;
    docs = union.filter(pred).slice(0, want);
    layers[li].doc = { stage: 'OR' };
    layers[li++].stats = stats(union.length, keys + 1, { dupsTested: keys, dupsDropped: keys - union.length, inputStages: kids });
    layers[li++].stats = stats(docs.length, union.length + 1, { docsExamined: union.length, alreadyHasObj: 0 });
  } else {
    const { c } = access;
    const entries: { values: any[]; doc: Doc; seq: number }[] = [];
    let seq = 0;
    for (const d of coll.docs()) {
      for (const k of c.ix.keysFor(d)) {
        if (k.values.every((v, i) => c.bounds[i].some((iv) => inInterval(v, iv)))) entries.push({ values: k.values, doc: d, seq });
      }
      seq++;
    }
    entries.sort((x, y) => {
      for (let i = 0; i < c.dirs.length; i++) {
        const r = compareValues(x.values[i], y.values[i]);
        if (r !== 0) return r * c.dirs[i] * c.scanDir;
      }
      return (x.seq - y.seq) * c.scanDir;
    });
    const seen = new Set<Doc>();
    let ixOut = 0;
    const fetchPred = access.covered ? () => true : pred;
    for (const e of entries) {
      if (docs.length >= want) break;
      keys++;
      if (seen.has(e.doc)) continue;
      seen.add(e.doc);
      ixOut++;
      if (!access.covered) examined++;
      if (fetchPred(e.doc)) docs.push(e.doc);
    }
    const dups = keys - ixOut;
    const multikey = layers[li].doc.isMultiKey === true;
    layers[li++].stats = stats(ixOut, keys + 1, { keysExamined: keys, seeks: 1, dupsTested: multikey ? keys : 0, dupsDropped: dups });
    if (!access.covered) layers[li++].stats = stats(docs.length, ixOut + 1, { docsExamined: examined, alreadyHasObj: 0 });
  }
  let n = docs.length;
  for (; li < layers.length; li++) {
    const st = layers[li].doc.stage;
    const input = n;
    if (st === 'SORT') {
      docs = sortDocs(docs.slice(), p.blockingSort);
      if (limit) docs = docs.slice(0, skip + limit);
      n = docs.length;
      layers[li].stats = stats(n, input + n + 1, { totalDataSizeSorted: 0, usedDisk: false, spills: 0 });
    } else if (st === 'SKIP') {
      docs = docs.slice(skip);
      n = docs.length;
      layers[li].stats = stats(n, input + 1, { skipAmount: skip });
    } else if (st === 'LIMIT') {
      docs = docs.slice(0, limit);
      n = docs.length;
      layers[li].stats = stats(n, n + 1);
    } else layers[li].stats = stats(n, n + 1);
  }
  return { docs, totalKeysExamined: keys, totalDocsExamined: examined, executionStages: nest(layers, true) };
}

/** COUNT_SCAN is possible when the index bounds alone answer the whole filter with one key range. */
export function countScanStage(p: Plan): Doc | undefined {
  if (p.access.kind !== 'IXSCAN' || p.access.fetchFilter || p.shape.skip || p.shape.limit) return undefined;
  const c = p.access.c;
  const mk = p.multikey.get(c.ix) ?? {};
  if (Object.values(mk).some((paths: string[]) => paths.length > 0)) return undefined;
  // one contiguous range: single points, then at most one interval, then unbounded fields
  let ranged = false;
  const start: Doc = {};
  const end: Doc = {};
  let startIncl = true;
  let endIncl = true;
  for (let i = 0; i < c.ix.fields.length; i++) {
    const b = c.bounds[i];
    const f = c.ix.fields[i];
    if (b.length !== 1) return undefined;
    const iv = b[0];
    const isPoint = compareValues(iv.lo.v, iv.hi.v) === 0 && iv.loIncl && iv.hiIncl;
    if (ranged && iv !== FULL) return undefined;
    const low = c.dirs[i] > 0 ? iv.lo : iv.hi;
    const high = c.dirs[i] > 0 ? iv.hi : iv.lo;
    start[f] = ranged ? (c.dirs[i] > 0 ? MIN_KEY : MAX_KEY) : low.v;
    end[f] = ranged ? (c.dirs[i] > 0 ? MAX_KEY : MIN_KEY) : high.v;
    if (!isPoint && !ranged) {
      ranged = true;
      startIncl = c.dirs[i] > 0 ? iv.loIncl : iv.hiIncl;
      endIncl = c.dirs[i] > 0 ? iv.hiIncl : iv.loIncl;
    }
  }
  const ix = c.ix;
  return {
    stage: 'COUNT_SCAN',
    keyPattern: { ...ix.spec.key },
    indexName: ix.spec.name,
    isMultiKey: false,
    multiKeyPaths: mk,
    isUnique: ix.unique,
    isSparse: ix.sparse,
    isPartial: !!ix.spec.partialFilterExpression,
    indexVersion: ix.spec.v ?? 2,
    indexBounds: { startKey: start, startKeyInclusive: startIncl, endKey: end, endKeyInclusive: endIncl },
  };
}

/** Every key tuple of the collection inside a candidate's bounds (used for COUNT_SCAN stats). */
export function keysInBounds(coll: Collection, c: Candidate): number {
  let n = 0;
  for (const d of coll.docs()) for (const k of c.ix.keysFor(d)) if (k.values.every((v, i) => c.bounds[i].some((iv) => inInterval(v, iv)))) n++;
  return n;
}

/** An 8-hex-digit hash, the format of mongod's queryHash / planCacheKey. */
export function shapeHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).toUpperCase().padStart(8, '0');
}

/** The query's shape (values replaced by their types), for queryHash. */
export function shapeOf(v: any): any {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (isPlain(v)) return Object.fromEntries(Object.keys(v).map((k) => [k, shapeOf(v[k])]));
  return typeRank(v);
}
