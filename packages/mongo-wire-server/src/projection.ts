/**
 * Find/findAndModify projections. mingo does inclusion/exclusion, $elemMatch and expressions;
 * two operators are handled here (mingo gap: projection):
 *  - `{ arr: { $slice: n | [skip, n] } }`: mingo treats it as an inclusion, but in mongod a
 *    projection holding only $slice is an exclusion projection (all other fields returned);
 *  - positional `{ 'arr.$': 1 }`: mingo yields null; mongod returns the first element matched
 *    by the query's condition on that array (resolved like the positional update operator).
 */
import { cloneDoc, toNumber, type Doc } from './bson-types.js';
import { mingoProject } from './query.js';
import { getAt, isPlainObject, positionalIndex, setAt } from './update.js';

function sliceArray(arr: any[], spec: any): any[] {
  if (Array.isArray(spec)) {
    let skip = toNumber(spec[0]);
    const n = toNumber(spec[1]);
    if (skip < 0) skip = Math.max(0, arr.length + skip);
    return arr.slice(skip, skip + n);
  }
  const n = toNumber(spec);
  return n >= 0 ? arr.slice(0, n) : arr.slice(Math.max(0, arr.length + n));
}

const isInclusion = (v: any) => (isPlainObject(v) ? true : v === true || (typeof v !== 'boolean' && toNumber(v) !== 0));

export function projectDocs(docs: Doc[], projection: Doc | undefined, filter?: Doc): Doc[] {
  if (!projection || Object.keys(projection).length === 0) return docs;
  const slices: [string, any][] = [];
  const positional: string[] = [];
  const rest: Doc = {};
  for (const k of Object.keys(projection)) {
    const v = projection[k];
    if (k.endsWith('.$')) positional.push(k.slice(0, -2));
    else if (isPlainObject(v) && '$slice' in v && Object.keys(v).length === 1) slices.push([k, v.$slice]);
    else rest[k] = v;
  }
  if (slices.length === 0 && positional.length === 0) return mingoProject(docs, rest);
  const inclusion = positional.length > 0 || Object.keys(rest).some((k) => k !== '_id' && isInclusion(rest[k]));
  if (inclusion) for (const [p] of slices) rest[p] ??= 1;
  for (const p of positional) rest[p] ??= 1;
  const projected = Object.keys(rest).length ? mingoProject(docs, rest).map(cloneDoc) : docs.map(cloneDoc);
  return projected.map((d, i) => {
    for (const [p, spec] of slices) {
      const v = getAt(d, p);
      if (Array.isArray(v)) setAt(d, p, sliceArray(v, spec));
    }
    for (const p of positional) {
      const arr = getAt(docs[i], p);
      if (!Array.isArray(arr)) continue;
      try {
        setAt(d, p, [arr[positionalIndex(docs[i], p, filter)]]);
      } catch {
        /* no matching element: leave the field as projected */
      }
    }
    return d;
  });
}
