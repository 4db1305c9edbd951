/**
 * BSON type fidelity and MongoDB's BSON comparison order.
 *
 * Storage representation ("typed documents") — the design decision of this server:
 *  - Incoming BSON is deserialized with `promoteValues: false`, then `normalizeIncoming` turns
 *    every value that a plain JS value represents *unambiguously* back into that plain value:
 *      Int32                          -> JS number (an integer in int32 range re-serializes as Int32)
 *      Double with a fractional part,
 *      or outside the int32 range     -> JS number (re-serializes as Double)
 *  - Values a JS number cannot represent faithfully stay as their bson wrapper objects:
 *      Double holding an integer in int32 range (1.0 would otherwise come back as Int32 1),
 *      Long (any value; also > 2^53), Decimal128.
 *  So most application documents are plain JS objects that mingo handles natively, and the
 *  few wrappers round-trip byte-exact because bson.serialize writes them with their own type.
 *
 * mingo gap (type order): mingo compares wrappers as strings ("10" < "9") and orders types
 * differently from MongoDB. `compareValues` / `valuesEqual` below implement MongoDB's order
 * (MinKey < null < numbers < string < object < array < BinData < ObjectId < bool < Date <
 * Timestamp < Regex < MaxKey), comparing Int32/Long/Double/Decimal128 numerically and exactly;
 * query.ts plugs them into mingo's comparison operators and into $sort.
 *
 * For mingo's expression engine (aggregation, pipeline updates, $expr) `toView` produces a
 * copy in which numeric wrappers are JS numbers, since mingo's arithmetic only knows numbers.
 */
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp } from 'bson';

export type Doc = Record<string, any>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const bsonType = (v: any): string | undefined =>
  v !== null && typeof v === 'object' ? (v._bsontype as string | undefined) : undefined;

/** True for values (plain or wrapped) that MongoDB treats as numbers. */
export function isNumeric(v: any): boolean {
  if (typeof v === 'number') return true;
  const t = bsonType(v);
  return t === 'Double' || t === 'Int32' || t === 'Long' || t === 'Decimal128';
}

/** Best-effort JS number for a numeric value (lossy for Long > 2^53 and Decimal128). */
export function toNumber(v: any): number {
  if (typeof v === 'number') return v;
  switch (bsonType(v)) {
    case 'Double':
    case 'Int32':
      return v.value;
    case 'Long':
      return (v as Long).toNumber();
    case 'Decimal128':
      return Number((v as Decimal128).toString());
    default:
      return Number(v);
  }
}

/** Wrap a JS number the way MongoDB would store a Double (keeps 1.0 a Double). */
export function makeDouble(n: number): any {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX ? new Double(n) : n;
}

/** Turn a value deserialized with promoteValues:false into the storage representation (in place for containers). */
export function normalizeIncoming(v: any): any {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = normalizeIncoming(v[i]);
    return v;
  }
  const t = v._bsontype;
  if (t === 'Int32') return v.value;
  if (t === 'Double') {
    const n = v.value as number;
    return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0) ? v : n;
  }
  if (t !== undefined || v instanceof Date || v instanceof RegExp) return v;
  for (const k of Object.keys(v)) v[k] = normalizeIncoming(v[k]);
  return v;
}

/** Numeric-wrapper-free copy for mingo's expression engine (returns the same object when nothing changes). */
export function toView(v: any): any {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let out: any[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const c = toView(v[i]);
      if (c !== v[i]) {
        out ??= v.slice();
        out[i] = c;
      }
    }
    return out ?? v;
  }
  const t = v._bsontype;
  if (t === 'Double' || t === 'Int32' || t === 'Long' || t === 'Decimal128') return toNumber(v);
  if (t !== undefined || v instanceof Date || v instanceof RegExp || v.constructor !== Object) return v;
  let out: Doc | undefined;
  for (const k of Object.keys(v)) {
    const c = toView(v[k]);
    if (c !== v[k]) {
      out ??= { ...v };
      out![k] = c;
    }
  }
  return out ?? v;
}

/** Deep copy that shares immutable leaves (bson wrappers, ObjectId, Binary). */
export function cloneDoc<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneDoc) as any;
  if (v instanceof Date) return new Date(v.getTime()) as any;
  if ((v as any)._bsontype !== undefined || v instanceof RegExp || (v as any).constructor !== Object) return v;
  const out: Doc = {};
  for (const k of Object.keys(v as any)) out[k] = cloneDoc((v as any)[k]);
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Type ranks (MongoDB "Comparison/Sort Order" manual page)

export function typeRank(v: any): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
    case 'bigint':
      return 3;
  }
  if (Array.isArray(v)) return 6;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  switch (v._bsontype) {
    case 'MinKey':
      return 1;
    case 'Double':
    case 'Int32':
    case 'Long':
    case 'Decimal128':
      return 3;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    case 'Code':
      return 13;
    case 'MaxKey':
      return 14;
    case 'DBRef':
      return 5;
  }
  return 5; // plain object
}

/** MongoDB $type alias of a stored value. */
export function bsonTypeAlias(v: any): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX && !Object.is(v, -0) ? 'int' : 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  switch (v._bsontype) {
    case 'Double':
      return 'double';
    case 'Int32':
      return 'int';
    case 'Long':
      return 'long';
    case 'Decimal128':
      return 'decimal';
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'Timestamp':
      return 'timestamp';
    case 'BSONRegExp':
      return 'regex';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
  }
  return 'object';
}

// ---------------------------------------------------------------------------------------------
// Exact numeric comparison. Fast path: both values are exactly representable JS numbers.

interface DecParts {
  special?: 'nan' | 'inf' | '-inf';
  neg: boolean;
  m: bigint; // non-negative mantissa
  e: number; // base-10 exponent
}

function parseDecimalString(s: string): DecParts {
  const t = s.trim();
  const lower = t.toLowerCase();
  if (lower.includes('nan')) return { special: 'nan', neg: false, m: 0n, e: 0 };
  if (lower.includes('inf')) return { special: t.startsWith('-') ? '-inf' : 'inf', neg: t.startsWith('-'), m: 0n, e: 0 };
  let neg = false;
  let i = 0;
  if (t[0] === '-' || t[0] === '+') {
    neg = t[0] === '-';
    i = 1;
  }
  let body = t.slice(i);
  let exp = 0;
  const ePos = body.search(/[eE]/);
  if (ePos >= 0) {
    exp = parseInt(body.slice(ePos + 1), 10);
    body = body.slice(0, ePos);
  }
  const dot = body.indexOf('.');
  if (dot >= 0) {
    exp -= body.length - dot - 1;
    body = body.slice(0, dot) + body.slice(dot + 1);
  }
  let m = BigInt(body || '0');
  if (m === 0n) return { neg: false, m: 0n, e: 0 };
  while (m % 10n === 0n) {
    m /= 10n;
    exp += 1;
  }
  return { neg, m, e: exp };
}

function decParts(v: any): DecParts {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { special: 'nan', neg: false, m: 0n, e: 0 };
    if (!Number.isFinite(v)) return { special: v > 0 ? 'inf' : '-inf', neg: v < 0, m: 0n, e: 0 };
    return parseDecimalString(String(v));
  }
  const t = bsonType(v);
  if (t === 'Double' || t === 'Int32') return decParts(v.value);
  if (t === 'Long') return parseDecimalString((v as Long).toString());
  if (t === 'Decimal128') return parseDecimalString((v as Decimal128).toString());
  return decParts(Number(v));
}

function cmpParts(a: DecParts, b: DecParts): number {
  const rank = (p: DecParts) => (p.special === 'nan' ? 0 : p.special === '-inf' ? 1 : p.special === 'inf' ? 3 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || ra !== 2) return ra - rb;
  const sa = a.m === 0n ? 0 : a.neg ? -1 : 1;
  const sb = b.m === 0n ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa - sb;
  if (sa === 0) return 0;
  const emin = Math.min(a.e, b.e);
  const ma = a.m * 10n ** BigInt(a.e - emin);
  const mb = b.m * 10n ** BigInt(b.e - emin);
  const c = ma < mb ? -1 : ma > mb ? 1 : 0;
  return sa < 0 ? -c : c;
}

/** A JS number when the value is exactly representable as one, else undefined. */
function exactNumber(v: any): number | undefined {
  if (typeof v === 'number') return v;
  const t = bsonType(v);
  if (t === 'Double' || t === 'Int32') return v.value;
  if (t === 'Long') {
    const l = v as Long;
    if (l.lessThanOrEqual(Long.fromNumber(Number.MAX_SAFE_INTEGER)) && l.greaterThanOrEqual(Long.fromNumber(-Number.MAX_SAFE_INTEGER))) return l.toNumber();
  }
  return undefined;
}

export function compareNumbers(a: any, b: any): number {
  const x = exactNumber(a);
  const y = exactNumber(b);
  if (x !== undefined && y !== undefined) {
    // MongoDB sorts NaN below every other number and NaN equals NaN.
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
    if (Number.isNaN(y)) return 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return cmpParts(decParts(a), decParts(b));
}

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Total order over BSON values, as MongoDB sorts them (missing compares as null). */
export function compareValues(a: any, b: any): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 1:
    case 2:
    case 14:
      return 0;
    case 3:
      return compareNumbers(a, b);
    case 4:
      return compareStrings(typeof a === 'string' ? a : a.value, typeof b === 'string' ? b : b.value);
    case 5: {
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      const n = Math.min(ka.length, kb.length);
      for (let i = 0; i < n; i++) {
        const va = a[ka[i]];
        const vb = b[kb[i]];
        const tr = typeRank(va) - typeRank(vb);
        if (tr !== 0) return sign(tr);
        const kc = compareStrings(ka[i], kb[i]);
        if (kc !== 0) return kc;
        const c = compareValues(va, vb);
        if (c !== 0) return c;
      }
      return sign(ka.length - kb.length);
    }
    case 6: {
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(a[i], b[i]);
        if (c !== 0) return c;
      }
      return sign(a.length - b.length);
    }
    case 7: {
      const ba = (a as Binary).buffer;
      const bb = (b as Binary).buffer;
      if (ba.length !== bb.length) return sign(ba.length - bb.length);
      if (a.sub_type !== b.sub_type) return sign(a.sub_type - b.sub_type);
      return sign(compareBytes(ba, bb));
    }
    case 8:
      return sign(compareBytes((a as ObjectId).id, (b as ObjectId).id));
    case 9:
      return a === b ? 0 : a ? 1 : -1;
    case 10:
      return sign(a.getTime() - b.getTime());
    case 11: {
      const ta = a as Timestamp;
      const tb = b as Timestamp;
      return sign(ta.t - tb.t) || sign(ta.i - tb.i);
    }
    case 12: {
      const sa = a instanceof RegExp ? a.source : a.pattern;
      const sb = b instanceof RegExp ? b.source : b.pattern;
      const fa = a instanceof RegExp ? a.flags : a.options;
      const fb = b instanceof RegExp ? b.flags : b.options;
      return compareStrings(sa, sb) || compareStrings(fa, fb);
    }
    case 13:
      return compareStrings(String(a.code), String(b.code));
  }
  return 0;
}

/** MongoDB value equality (numbers compare numerically across types; field order matters). */
export function valuesEqual(a: any, b: any): boolean {
  if (a === b) return true;
  return typeRank(a) === typeRank(b) && compareValues(a, b) === 0;
}

// ---------------------------------------------------------------------------------------------
// Canonical keys for hashed indexes: equal (per valuesEqual) values produce the same string.

function numberKey(v: any): string {
  const x = exactNumber(v);
  if (x !== undefined && Number.isSafeInteger(x)) return 'n' + String(x === 0 ? 0 : x);
  const p = decParts(v);
  if (p.special) return 'n' + p.special;
  if (p.m === 0n) return 'n0';
  const s = p.neg ? '-' : '';
  return p.e >= 0 && p.e < 40 ? 'n' + s + (p.m * 10n ** BigInt(p.e)).toString() : 'n' + s + p.m.toString() + 'e' + p.e;
}

export function canonicalKey(v: any): string {
  switch (typeRank(v)) {
    case 1:
      return '-';
    case 2:
      return 'z';
    case 3:
      return numberKey(v);
    case 4:
      return 's' + (typeof v === 'string' ? v : v.value);
    case 5:
      return 'O{' + Object.keys(v).map((k) => JSON.stringify(k) + ':' + JSON.stringify(canonicalKey(v[k]))).join(',') + '}';
    case 6:
      return 'A[' + (v as any[]).map((x) => JSON.stringify(canonicalKey(x))).join(',') + ']';
    case 7:
      return 'x' + v.sub_type + ':' + Buffer.from(v.buffer).toString('base64');
    case 8:
      return 'o' + (v as ObjectId).toHexString();
    case 9:
      return v ? 'b1' : 'b0';
    case 10:
      return 'd' + v.getTime();
    case 11:
      return 't' + v.toString();
    case 12:
      return 'r' + (v instanceof RegExp ? `${v.source}/${v.flags}` : `${v.pattern}/${v.options}`);
    case 14:
      return '+';
  }
  return 'u' + String(v);
}

/** Render a value the way mongod prints it inside E11000 messages (`{ email: "a@b" }`). */
export function renderValue(v: any): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return '[ ' + v.map(renderValue).join(', ') + ' ]';
  switch (v._bsontype) {
    case 'ObjectId':
      return `ObjectId('${v.toHexString()}')`;
    case 'Long':
      return v.toString();
    case 'Double':
    case 'Int32':
      return String(v.value);
    case 'Decimal128':
      return v.toString();
  }
  if (v.constructor === Object) {
    const keys = Object.keys(v);
    return keys.length ? '{ ' + keys.map((k) => `${k}: ${renderValue(v[k])}`).join(', ') + ' }' : '{}';
  }
  return String(v);
}

export { Int32, Long, Double, Decimal128, ObjectId };
