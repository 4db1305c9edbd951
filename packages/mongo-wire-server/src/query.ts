/**
 * Query matching, sorting and projection on top of mingo.
 *
 * mingo supplies the query language (logical operators, $regex, $elemMatch, $exists, $size,
 * $expr, ...) and projection. Its comparison operators use mingo's own ordering, which
 * compares bson wrappers (Long, Decimal128, Double 1.0) as strings and orders types
 * differently from MongoDB (mingo gap: type order). We therefore register BSON-aware versions
 * of $eq/$ne/$gt/$gte/$lt/$lte/$in/$nin/$all/$type/$mod in a mingo Context, and a BSON-order
 * $sort pipeline stage, built on compareValues/valuesEqual from bson-types.ts.
 */
import { Context, ProcessingMode } from 'mingo/core';
import { Query } from 'mingo/query';
import { Aggregator } from 'mingo/aggregator';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import type { Options } from 'mingo/types';
import { flatten, resolve, isObject } from 'mingo/util';
import { Lazy } from 'mingo/lazy';
import { bsonTypeAlias, compareValues, isNumeric, toNumber, toView, typeRank, valuesEqual, type Doc } from './bson-types.js';

type Pred = (o: any) => boolean;

function depthOf(selector: string): number {
  let d = 0;
  for (let i = 0; i < selector.length; i++) if (selector.charCodeAt(i) === 46) d++;
  return d;
}

/** Build a mingo query operator `(selector, value, options) => predicate` from a value predicate. */
function fieldOp(test: (lhs: any, rhs: any, depth: number) => boolean) {
  return (selector: string, value: any, _options: Options): Pred => {
    const depth = depthOf(selector);
    return (o: any) => test(resolve(o, selector, { unwrapArray: true }), value, depth);
  };
}

const isNil = (v: any) => v === null || v === undefined;

function isRegex(v: any): v is RegExp {
  return v instanceof RegExp;
}

/** MongoDB equality on a (possibly array-valued) field: the whole value or any element may match. */
function eqMatch(a: any, b: any, depth: number): boolean {
  if (isNil(b)) {
    if (isNil(a)) return true;
    if (Array.isArray(a)) return a.some((x) => x === null) || flatten(a, depth).some((x) => x === null || x === undefined);
    return false;
  }
  if (valuesEqual(a, b)) return true;
  if (Array.isArray(a)) {
    if (a.some((x) => valuesEqual(x, b))) return true;
    return flatten(a, depth).some((x) => valuesEqual(x, b));
  }
  return false;
}

function inMatch(a: any, values: any[], depth: number): boolean {
  if (!Array.isArray(values)) throw Object.assign(new Error('$in needs an array'), { code: 2 });
  for (const b of values) {
    if (isRegex(b)) {
      const xs = Array.isArray(a) ? flatten(a, depth) : [a];
      if (xs.some((x) => typeof x === 'string' && b.test(x))) return true;
    } else if (eqMatch(a, b, depth)) return true;
  }
  return false;
}

/** Range comparison with MongoDB's type bracketing: only values of the same canonical type compare. */
function rangeMatch(cmp: (c: number) => boolean, inclusiveNull: boolean) {
  return (a: any, b: any, depth: number): boolean => {
    const xs = Array.isArray(a) ? [a, ...flatten(a, depth)] : [a];
    const rb = typeRank(b);
    for (const x of xs) {
      if (rb === 2) {
        if (inclusiveNull && isNil(x)) return true;
        continue;
      }
      if (typeRank(x) === rb && cmp(compareValues(x, b))) return true;
    }
    return false;
  };
}

const TYPE_NUMBERS: Record<number, string> = {
  1: 'double', 2: 'string', 3: 'object', 4: 'array', 5: 'binData', 7: 'objectId', 8: 'bool', 9: 'date',
  10: 'null', 11: 'regex', 13: 'javascript', 14: 'symbol', 16: 'int', 17: 'timestamp', 18: 'long', 19: 'decimal',
  [-1]: 'minKey', 127: 'maxKey',
};

function typeMatches(v: any, wanted: any): boolean {
  const name = typeof wanted === 'number' || isNumeric(wanted) ? TYPE_NUMBERS[toNumber(wanted)] : String(wanted);
  if (v === undefined) return false;
  const alias = bsonTypeAlias(v);
  if (name === 'number') return alias === 'int' || alias === 'long' || alias === 'double' || alias === 'decimal';
  return alias === name;
}

const queryOps: Record<string, any> = {
  $eq: fieldOp(eqMatch),
  $ne: fieldOp((a, b, d) => !eqMatch(a, b, d)),
  $in: fieldOp(inMatch),
  $nin: fieldOp((a, b, d) => !inMatch(a, b, d)),
  $gt: fieldOp(rangeMatch((c) => c > 0, false)),
  $gte: fieldOp(rangeMatch((c) => c >= 0, true)),
  $lt: fieldOp(rangeMatch((c) => c < 0, false)),
  $lte: fieldOp(rangeMatch((c) => c <= 0, true)),
  $type: fieldOp((a, b) => {
    const wanted = Array.isArray(b) ? b : [b];
    const hit = (v: any) => wanted.some((w) => typeMatches(v, w));
    if (Array.isArray(a)) return hit(a) || a.some(hit);
    return hit(a);
  }),
  $mod: fieldOp((a, b) => {
    const [d, r] = (b as any[]).map(toNumber);
    const xs = Array.isArray(a) ? a : [a];
    return xs.some((x) => isNumeric(x) && Math.trunc(toNumber(x)) % d === r);
  }),
  $all: fieldOp((a, rhs) => {
    if (!Array.isArray(rhs) || rhs.length === 0) return false;
    const xs = Array.isArray(a) ? a : [a];
    return rhs.every((expr: any) => {
      if (isObject(expr) && Object.keys(expr)[0] === '$elemMatch') {
        const q = new Query(expr.$elemMatch as Doc, { context: CONTEXT });
        return xs.some((x) => isObject(x) && q.test(x));
      }
      if (isRegex(expr)) return xs.some((x) => typeof x === 'string' && expr.test(x));
      return xs.some((x) => valuesEqual(x, expr)) || valuesEqual(a, expr);
    });
  }),
};

/** BSON-order $sort stage for mingo pipelines (mingo gap: type order). */
function sortStage(coll: any, spec: Doc): any {
  return Lazy(sortDocs(coll.collect(), spec));
}

/**
 * Our own complete operator context. (mingo's `Context.from(defaults, ours)` keeps the defaults
 * when names collide, so the overrides must be merged here and used with the base classes from
 * 'mingo/query' and 'mingo/aggregator', which take the context as given.)
 */
export const CONTEXT = Context.init({
  accumulator: { ...accumulatorOperators } as any,
  expression: { ...expressionOperators } as any,
  pipeline: { ...pipelineOperators, $sort: sortStage } as any,
  projection: { ...projectionOperators } as any,
  query: { ...queryOperators, ...queryOps } as any,
  window: { ...windowOperators } as any,
});

export const MINGO_OPTIONS: Partial<Options> = { context: CONTEXT, useStrictMode: true, scriptEnabled: false };

/** Does the filter use something evaluated by mingo's expression engine (needs the numeric view)? */
function needsView(filter: any): boolean {
  if (filter === null || typeof filter !== 'object') return false;
  if (Array.isArray(filter)) return filter.some(needsView);
  if (filter.constructor !== Object) return false;
  for (const k of Object.keys(filter)) {
    if (k === '$expr' || k === '$where' || k === '$jsonSchema') return true;
    if (needsView(filter[k])) return true;
  }
  return false;
}

/** Compile a MongoDB filter into a predicate over stored (typed) documents. */
export function compileFilter(filter: Doc | undefined, options: Partial<Options> = MINGO_OPTIONS): Pred {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const q = new Query(filter, options);
  if (needsView(filter)) {
    const qv = new Query(toView(filter) as Doc, options);
    return (d) => qv.test(toView(d));
  }
  return (d) => q.test(d);
}

// ---------------------------------------------------------------------------------------------
// Sorting in BSON order

/** Value used as the sort key of one document for one field (arrays: min for asc, max for desc). */
function sortKey(doc: any, path: string, dir: number): any {
  const v = resolve(doc, path, { unwrapArray: true });
  if (!Array.isArray(v)) return v;
  const flat = flatten(v, 8);
  if (flat.length === 0) return undefined;
  let best = flat[0];
  for (let i = 1; i < flat.length; i++) {
    const c = compareValues(flat[i], best);
    if (dir > 0 ? c < 0 : c > 0) best = flat[i];
  }
  return best;
}

export function sortDocs<T extends Doc>(docs: T[], spec: Doc | undefined): T[] {
  if (!spec) return docs;
  const fields = Object.keys(spec).filter((k) => {
    const d = spec[k];
    return !(d && typeof d === 'object' && d.$meta !== undefined);
  });
  if (fields.length === 0) return docs;
  const dirs = fields.map((k) => (toNumber(spec[k]) < 0 ? -1 : 1));
  const keyed = docs.map((d, i) => ({ d, i, k: fields.map((f, j) => sortKey(d, f, dirs[j])) }));
  keyed.sort((a, b) => {
    for (let j = 0; j < fields.length; j++) {
      const c = compareValues(a.k[j], b.k[j]);
      if (c !== 0) return c * dirs[j];
    }
    return a.i - b.i; // stable, like a collection scan in natural order
  });
  return keyed.map((x) => x.d);
}

// ---------------------------------------------------------------------------------------------
// Projection (mingo) on typed documents; projection.ts adds $slice and positional `arr.$`.

export function mingoProject(docs: Doc[], projection: Doc): Doc[] {
  // CLONE_INPUT: mingo's exclusion of nested paths ('meta.a': 0) edits the input objects in place.
  return new Query({}, { ...MINGO_OPTIONS, processingMode: ProcessingMode.CLONE_INPUT }).find(docs, projection).all() as Doc[];
}

/** Run a pipeline with mingo on view documents (numeric wrappers as JS numbers). */
export function runMingoPipeline(docs: Doc[], pipeline: Doc[], options: Partial<Options>): Doc[] {
  // CLONE_INPUT: some stages edit documents in place; the inputs are the stored documents.
  return new Aggregator(pipeline, { ...MINGO_OPTIONS, processingMode: ProcessingMode.CLONE_INPUT, ...options }).run(docs.map(toView)) as Doc[];
}
