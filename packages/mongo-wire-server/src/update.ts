/**
 * Applying update specifications (operator documents, replacements, pipelines) to one document.
 *
 * mingo's `update` applies most operators ($set, $unset, $push with modifiers, $pull, $addToSet,
 * $rename, $currentDate, $pop, $pullAll, $bit). Hand-written code here fills mingo's gaps:
 *  - positional path resolution (mingo gap): `$`, `$[]` and `$[name]` are resolved to concrete
 *    array indexes first, because mingo refuses two positional paths into one array as a conflict;
 *  - $setOnInsert and upsert seeding (mingo gap: no upsert): the new document is seeded from the
 *    filter's equality fields, $setOnInsert applies only then;
 *  - arithmetic with BSON types ($inc/$mul/$min/$max, mingo gap: type order / numeric types):
 *    Int32+Int32 stays Int32 (Long on overflow), Long stays Long, Double stays Double even when
 *    integral, Decimal128 stays Decimal128 — computed here and handed to mingo as plain $set;
 *  - `_id` immutability (code 66) and operator validation.
 */
import { update as mingoUpdate } from 'mingo/updater';
import { Aggregator } from 'mingo/aggregator';
import { Query } from 'mingo/query';
import { Decimal128, Long, ObjectId, Timestamp } from 'bson';

let tsCounter = 0;
import {
  bsonTypeAlias,
  cloneDoc,
  compareValues,
  isNumeric,
  makeDouble,
  renderValue,
  toNumber,
  toView,
  valuesEqual,
  type Doc,
} from './bson-types.js';
import { CommandError } from './errors.js';
import { MINGO_OPTIONS } from './query.js';

const UPDATE_OPS = new Set([
  '$set', '$unset', '$inc', '$mul', '$min', '$max', '$rename', '$push', '$addToSet', '$pull', '$pullAll', '$pop',
  '$currentDate', '$bit', '$setOnInsert',
]);
const ARITH_OPS = new Set(['$inc', '$mul', '$min', '$max']);

export interface UpdateContext {
  filter?: Doc;
  arrayFilters?: Doc[];
  /** true when the document is being created by an upsert ($setOnInsert applies). */
  inserting?: boolean;
}

export const isPlainObject = (v: any): v is Doc =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && v.constructor === Object && v._bsontype === undefined;

export function isOperatorObject(v: any): boolean {
  if (!isPlainObject(v)) return false;
  const k = Object.keys(v)[0];
  return k !== undefined && k.startsWith('$');
}

export function isOperatorUpdate(u: any): boolean {
  return isPlainObject(u) && Object.keys(u).some((k) => k.startsWith('$'));
}

// ---------------------------------------------------------------------------------------------
// Concrete path helpers

export function getAt(doc: any, path: string): any {
  let cur = doc;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[seg];
  }
  return cur;
}

export function setAt(doc: Doc, path: string, value: any): void {
  const segs = path.split('.');
  let cur: any = doc;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    if (cur[s] === null || typeof cur[s] !== 'object') cur[s] = {};
    cur = cur[s];
  }
  cur[segs[segs.length - 1]] = value;
}

// ---------------------------------------------------------------------------------------------
// Positional resolution (mingo gap)

/** Index of the first element of the array at `arrayPath` matched by the query's conditions on it. */
export function positionalIndex(doc: Doc, arrayPath: string, filter: Doc | undefined): number {
  const arr = getAt(doc, arrayPath);
  const criteria: Doc[] = [];
  const collect = (f: Doc | undefined) => {
    if (!f) return;
    for (const k of Object.keys(f)) {
      const v = f[k];
      if (k === '$and' && Array.isArray(v)) v.forEach(collect);
      else if (k === arrayPath) {
        if (isPlainObject(v) && v.$elemMatch !== undefined) {
          const em = v.$elemMatch;
          if (isOperatorObject(em)) criteria.push({ __e: em });
          else {
            const c: Doc = {};
            for (const ek of Object.keys(em)) c[ek.startsWith('$') ? ek : `__e.${ek}`] = em[ek];
            criteria.push(c);
          }
        } else criteria.push({ __e: v });
      } else if (k.startsWith(arrayPath + '.')) criteria.push({ [`__e.${k.slice(arrayPath.length + 1)}`]: v });
    }
  };
  collect(filter);
  if (Array.isArray(arr) && criteria.length > 0) {
    const qs = criteria.map((c) => new Query(c, MINGO_OPTIONS));
    for (let i = 0; i < arr.length; i++) if (qs.every((q) => q.test({ __e: arr[i] }))) return i;
  }
  throw new CommandError(2, 'The positional operator did not find the match needed from the query.', 'BadValue');
}

function arrayFilterMatcher(id: string, arrayFilters: Doc[] | undefined): (el: any) => boolean {
  const parts = (arrayFilters ?? []).filter((f) => Object.keys(f).some((k) => k === id || k.startsWith(id + '.')));
  if (parts.length === 0) {
    throw new CommandError(2, `No array filter found for identifier '${id}' in path`, 'BadValue');
  }
  const qs = parts.map((p) => new Query(p, MINGO_OPTIONS));
  return (el) => qs.every((q) => q.test({ [id]: el }));
}

/** Resolve `$`, `$[]`, `$[id]` in one update path to the list of concrete paths. */
export function expandPath(doc: Doc, path: string, ctx: UpdateContext): string[] {
  if (!path.includes('$')) return [path];
  const segs = path.split('.');
  const out: string[] = [];
  const walk = (value: any, i: number, prefix: string[]) => {
    if (i === segs.length) {
      out.push(prefix.join('.'));
      return;
    }
    const seg = segs[i];
    if (seg === '$') {
      if (ctx.inserting) throw new CommandError(2, "The positional operator did not find the match needed from the query.", 'BadValue');
      const idx = positionalIndex(doc, prefix.join('.'), ctx.filter);
      walk(value?.[idx], i + 1, [...prefix, String(idx)]);
    } else if (seg === '$[]' || (seg.startsWith('$[') && seg.endsWith(']'))) {
      if (!Array.isArray(value)) {
        if (ctx.inserting || value === undefined) return;
        throw new CommandError(2, `The path '${prefix.join('.')}' must exist in the document in order to apply array updates.`, 'BadValue');
      }
      const test = seg === '$[]' ? () => true : arrayFilterMatcher(seg.slice(2, -1), ctx.arrayFilters);
      value.forEach((el, idx) => {
        if (test(el)) walk(el, i + 1, [...prefix, String(idx)]);
      });
    } else walk(value === null || typeof value !== 'object' ? undefined : value[seg], i + 1, [...prefix, seg]);
  };
  walk(doc, 0, []);
  return out;
}

// ---------------------------------------------------------------------------------------------
// BSON-typed arithmetic (mingo gap: numeric types)

type Kind = 0 | 1 | 2 | 3; // int, long, double, decimal
function kindOf(v: any): Kind {
  switch (bsonTypeAlias(v)) {
    case 'int':
      return 0;
    case 'long':
      return 1;
    case 'double':
      return 2;
    default:
      return 3;
  }
}

function toLong(v: any): Long {
  return v?._bsontype === 'Long' ? (v as Long) : Long.fromNumber(toNumber(v));
}

function arith(op: '$inc' | '$mul', a: any, b: any): any {
  const k = Math.max(kindOf(a), kindOf(b)) as Kind;
  if (k === 0) {
    const r = op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
    return r >= -2147483648 && r <= 2147483647 ? r : Long.fromNumber(r);
  }
  if (k === 1) return op === '$inc' ? toLong(a).add(toLong(b)) : toLong(a).multiply(toLong(b));
  const r = op === '$inc' ? toNumber(a) + toNumber(b) : toNumber(a) * toNumber(b);
  if (k === 2) return makeDouble(r);
  // Decimal128 arithmetic through JS numbers: adequate for a test server, not decimal-exact.
  return Decimal128.fromString(String(r));
}

function zeroLike(v: any): any {
  switch (kindOf(v)) {
    case 0:
      return 0;
    case 1:
      return Long.ZERO;
    case 2:
      return makeDouble(0);
    default:
      return Decimal128.fromString('0');
  }
}

// ---------------------------------------------------------------------------------------------

function conflictCheck(paths: string[]): void {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a === b || b.startsWith(a + '.')) {
      throw new CommandError(40, `Updating the path '${b}' would create a conflict at '${a}'`, 'ConflictingUpdateOperators');
    }
  }
}

function idOf(doc: Doc): string {
  return renderValue(doc._id);
}

/** Apply an operator-style update. Returns a new document (the input is not modified). */
function applyOperators(oldDoc: Doc, update: Doc, ctx: UpdateContext): Doc {
  const doc = cloneDoc(oldDoc);
  const modifier: Doc = {};
  const allPaths: string[] = [];
  const sets: Doc = {};
  for (const op of Object.keys(update)) {
    if (!UPDATE_OPS.has(op)) {
      throw new CommandError(9, `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`, 'FailedToParse');
    }
    const spec = update[op];
    if (!isPlainObject(spec)) throw new CommandError(9, `Modifiers operate on fields but we found type ${bsonTypeAlias(spec)} instead.`, 'FailedToParse');
    if (op === '$setOnInsert' && !ctx.inserting) continue;
    for (const rawPath of Object.keys(spec)) {
      const value = spec[rawPath];
      const concrete = op === '$rename' ? [rawPath] : expandPath(doc, rawPath, ctx);
      for (const path of concrete) {
        if (path === '_id' && (op === '$set' || op === '$setOnInsert') && '_id' in doc) {
          // Setting _id to its current value is a no-op; any other value is refused (mongod code 66).
          if (valuesEqual(value, doc._id) && bsonTypeAlias(value) === bsonTypeAlias(doc._id)) continue;
          throw new CommandError(66, `Performing an update on the path '_id' would modify the immutable field '_id'`, 'ImmutableField');
        }
        allPaths.push(path);
        if (op === '$rename') allPaths.push(String(value));
        if (op === '$currentDate') {
          // mingo writes a number for {$type: 'timestamp'}; mongod writes a BSON Timestamp.
          const wantsTs = isPlainObject(value) && value.$type === 'timestamp';
          sets[path] = wantsTs ? new Timestamp({ t: Math.floor(Date.now() / 1000), i: ++tsCounter }) : new Date();
        } else if (ARITH_OPS.has(op)) {
          const cur = getAt(doc, path);
          if (op === '$inc' || op === '$mul') {
            if (!isNumeric(value)) {
              throw new CommandError(14, `Cannot ${op === '$inc' ? 'increment' : 'multiply'} with non-numeric argument: {${path}: ${renderValue(value)}}`, 'TypeMismatch');
            }
            if (cur !== undefined && !isNumeric(cur)) {
              throw new CommandError(
                14,
                `Cannot apply ${op} to a value of non-numeric type. {_id: ${idOf(doc)}} has the field '${path.split('.').pop()}' of non-numeric type ${bsonTypeAlias(cur)}`,
                'TypeMismatch',
              );
            }
            sets[path] = cur === undefined ? (op === '$inc' ? value : zeroLike(value)) : arith(op, cur, value);
          } else {
            const c = cur === undefined ? 0 : compareValues(value, cur);
            if (cur === undefined || (op === '$min' ? c < 0 : c > 0)) sets[path] = value;
          }
        } else {
          const target = op === '$setOnInsert' ? '$set' : op;
          (modifier[target] ??= {})[path] = value;
        }
      }
    }
  }
  conflictCheck(allPaths);
  if (Object.keys(sets).length) modifier.$set = { ...(modifier.$set ?? {}), ...sets };
  if (Object.keys(modifier).length === 0) return doc;
  try {
    mingoUpdate(doc, modifier as any, undefined, undefined, { cloneMode: 'none', queryOptions: MINGO_OPTIONS });
  } catch (e: any) {
    if (e instanceof CommandError) throw e;
    const msg = String(e?.message ?? e);
    if (/conflict/i.test(msg)) throw new CommandError(40, msg, 'ConflictingUpdateOperators');
    if (/immutable field/i.test(msg)) throw new CommandError(66, msg.replace(/\.$/, ''), 'ImmutableField');
    throw new CommandError(2, msg, 'BadValue');
  }
  return doc;
}

/** Put back the stored typed value wherever a pipeline left a numerically identical value untouched. */
function restoreTypes(nv: any, ov: any): any {
  if (typeof nv === 'number' && isNumeric(ov) && toNumber(ov) === nv) return ov;
  if (Array.isArray(nv) && Array.isArray(ov)) return nv.map((x, i) => restoreTypes(x, ov[i]));
  if (isPlainObject(nv) && isPlainObject(ov)) {
    for (const k of Object.keys(nv)) if (k in ov) nv[k] = restoreTypes(nv[k], ov[k]);
    return nv;
  }
  return nv;
}

function applyPipeline(oldDoc: Doc, stages: Doc[]): Doc {
  const allowed = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);
  for (const s of stages) {
    const k = Object.keys(s)[0];
    if (!allowed.has(k)) throw new CommandError(72, `${k} is not allowed to be used within an update`, 'InvalidOptions');
  }
  const out = new Aggregator(normalizeTimezones(stages) as Doc[], MINGO_OPTIONS).run([cloneDoc(toView(oldDoc))]);
  const nd = (out[0] ?? {}) as Doc;
  return restoreTypes(nd, oldDoc);
}

/** Reorder so that `_id` is the first field, as mongod stores it. */
export function idFirst(doc: Doc): Doc {
  if (!('_id' in doc) || Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/**
 * Compute the document that results from applying `update` to `oldDoc`.
 * Throws CommandError (66 when `_id` would change).
 */
export function applyUpdate(oldDoc: Doc, update: Doc | Doc[], ctx: UpdateContext): Doc {
  let nd: Doc;
  if (Array.isArray(update)) nd = applyPipeline(oldDoc, update);
  else if (isOperatorUpdate(update)) {
    if (Object.keys(update).some((k) => !k.startsWith('$'))) {
      throw new CommandError(9, 'Update document requires atomic operators or a replacement document, not both', 'FailedToParse');
    }
    nd = applyOperators(oldDoc, update, ctx);
  } else {
    nd = cloneDoc(update);
    if (!('_id' in nd) && '_id' in oldDoc) nd = { _id: oldDoc._id, ...nd };
  }
  if ('_id' in oldDoc) {
    if (!('_id' in nd)) nd._id = oldDoc._id;
    else if (!valuesEqual(nd._id, oldDoc._id) || bsonTypeAlias(nd._id) !== bsonTypeAlias(oldDoc._id)) {
      throw new CommandError(
        66,
        `Performing an update on the path '_id' would modify the immutable field '_id'`,
        'ImmutableField',
      );
    }
  }
  return idFirst(nd);
}

/** Seed a new upsert document from the filter's equality conditions (mingo gap: no upsert). */
export function seedFromFilter(filter: Doc | undefined): Doc {
  const out: Doc = {};
  const visit = (f: Doc | undefined) => {
    if (!f) return;
    for (const k of Object.keys(f)) {
      const v = f[k];
      if (k === '$and' && Array.isArray(v)) v.forEach(visit);
      else if (k.startsWith('$')) continue;
      else if (isOperatorObject(v)) {
        if ('$eq' in v) setAt(out, k, cloneDoc(v.$eq));
        else if (Array.isArray(v.$in) && v.$in.length === 1) setAt(out, k, cloneDoc(v.$in[0]));
      } else if (!(v instanceof RegExp)) setAt(out, k, cloneDoc(v));
    }
  };
  visit(filter);
  return out;
}

/** Build the document an upsert inserts. */
export function buildUpsertDoc(filter: Doc | undefined, update: Doc | Doc[], ctx: UpdateContext): Doc {
  const seed = seedFromFilter(filter);
  let nd: Doc;
  if (Array.isArray(update)) nd = applyPipeline(seed, update);
  else if (isOperatorUpdate(update)) nd = applyUpdate(seed, update, { ...ctx, inserting: true });
  else {
    nd = cloneDoc(update);
    if (!('_id' in nd) && '_id' in seed) nd._id = seed._id;
  }
  if ('_id' in seed && '_id' in nd && !valuesEqual(seed._id, nd._id)) {
    throw new CommandError(66, `Performing an update on the path '_id' would modify the immutable field '_id'`, 'ImmutableField');
  }
  if (!('_id' in nd)) nd._id = new ObjectId();
  return idFirst(nd);
}

/** Time zones mingo does not accept ('UTC', 'GMT') rewritten to an offset (mingo gap: $dateToString 'UTC'). */
export function normalizeTimezones(v: any): any {
  if (Array.isArray(v)) return v.map(normalizeTimezones);
  if (!isPlainObject(v)) return v;
  const out: Doc = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (k === 'timezone' && typeof x === 'string' && /^(UTC|GMT|Z|Etc\/UTC|Etc\/GMT|UCT|Zulu|Universal)$/i.test(x)) out[k] = '+00:00';
    else out[k] = normalizeTimezones(x);
  }
  return out;
}
