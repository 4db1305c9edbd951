/**
 * Reading explain() output the same way on the wire server and on a real mongod.
 *
 * mongod nests the winning plan differently by command and version:
 * - find / count / distinct / update / delete: `queryPlanner.winningPlan`;
 * - aggregate: the same when the whole pipeline became a query (`optimizedPipeline: true`),
 *   otherwise `stages[0].$cursor.queryPlanner.winningPlan`;
 * - slot-based engine (explainVersion "2"): `winningPlan.queryPlan`;
 * - sharded: `winningPlan.shards[].winningPlan` or `shards.<name>` for aggregate.
 * Stages chain through `inputStage` (one child) or `inputStages` (several: OR, SORT_MERGE, ...).
 *
 * So assert on what is found along the winning plan ("IXSCAN on sku_1 somewhere", "COLLSCAN and
 * no index"), never on one exact tree. Imports nothing from the server (nor from the driver): usable
 * by any test, through `@videogen/mongo-wire-server/explain-plan`.
 */
import { AssertionError } from 'node:assert';

/** An explain reply or one of its stages, as any driver returns it (the driver's own `Document`). */
type Document = { [key: string]: any };

/** Stages that read an index, by name (IDHACK reads the _id index without naming it). */
const INDEX_STAGES = new Set(['IXSCAN', 'COUNT_SCAN', 'DISTINCT_SCAN', 'EXPRESS_IXSCAN', 'IDHACK', 'EXPRESS_CLUSTERED_IXSCAN']);

function rootsOfQueryPlanner(qp: Document | undefined, out: Document[]): void {
  const wp = qp?.winningPlan;
  if (!wp) return;
  if (Array.isArray(wp.shards)) {
    for (const s of wp.shards) rootsOfQueryPlanner({ winningPlan: s.winningPlan }, out);
    return;
  }
  out.push(wp.queryPlan ?? wp);
}

/** The winning plan root(s) of an explain reply (find, count, distinct, writes, aggregate; classic, SBE, sharded). */
export function winningPlans(explain: Document): Document[] {
  const out: Document[] = [];
  rootsOfQueryPlanner(explain.queryPlanner, out);
  for (const st of Array.isArray(explain.stages) ? explain.stages : []) rootsOfQueryPlanner(st?.$cursor?.queryPlanner, out);
  if (explain.shards && typeof explain.shards === 'object' && !Array.isArray(explain.shards)) {
    for (const shard of Object.values(explain.shards)) out.push(...winningPlans(shard as Document));
  }
  return out;
}

/** Every stage of the winning plan(s), root first, depth first. */
export function planStages(explain: Document): Document[] {
  const out: Document[] = [];
  const walk = (node: Document | undefined) => {
    if (!node || typeof node !== 'object') return;
    out.push(node);
    walk(node.inputStage);
    for (const child of Array.isArray(node.inputStages) ? node.inputStages : []) walk(child);
  };
  for (const root of winningPlans(explain)) walk(root);
  return out;
}

/** Stage names along the winning plan(s), e.g. ['FETCH', 'IXSCAN']. */
export function stageNames(explain: Document): string[] {
  return planStages(explain).map((s) => String(s.stage));
}

/** Names of the indexes the winning plan reads (IDHACK counts as `_id_`). */
export function indexesUsed(explain: Document): string[] {
  return planStages(explain)
    .filter((s) => INDEX_STAGES.has(s.stage))
    .map((s) => (s.stage === 'IDHACK' || s.stage === 'EXPRESS_CLUSTERED_IXSCAN' ? (s.indexName ?? '_id_') : String(s.indexName)));
}

/** Does the winning plan read the index `indexName`? */
export function usesIndex(explain: Document, indexName: string): boolean {
  return indexesUsed(explain).includes(indexName);
}

/** Does the winning plan scan the collection (and read no index)? */
export function usesCollScan(explain: Document): boolean {
  return stageNames(explain).includes('COLLSCAN') && indexesUsed(explain).length === 0;
}

/** One line per winning plan, e.g. `SORT > FETCH > IXSCAN(workspace_1)`, for failure messages. */
export function planSummary(explain: Document): string {
  const line = (node: Document | undefined): string => {
    if (!node) return '';
    const name = node.indexName ? `${node.stage}(${node.indexName})` : String(node.stage);
    const kids = [node.inputStage, ...(Array.isArray(node.inputStages) ? node.inputStages : [])].filter(Boolean);
    if (kids.length === 0) return name;
    if (kids.length === 1) return `${name} > ${line(kids[0])}`;
    return `${name} > [${kids.map(line).join(' | ')}]`;
  };
  const roots = winningPlans(explain);
  return roots.length ? roots.map(line).join(' ; ') : '(no winning plan in this explain output)';
}

function fail(message: string, explain: Document): never {
  throw new AssertionError({ message: `${message}; winning plan: ${planSummary(explain)}` });
}

/** Throws unless the winning plan reads the index `indexName` (IXSCAN, COUNT_SCAN, DISTINCT_SCAN, IDHACK for `_id_`, ...). */
export function assertUsesIndex(explain: Document, indexName: string): void {
  if (!usesIndex(explain, indexName)) fail(`expected the winning plan to use index ${indexName}`, explain);
}

/** Throws unless the winning plan is a collection scan that reads no index. */
export function assertCollScan(explain: Document): void {
  if (!usesCollScan(explain)) fail('expected a COLLSCAN without any index', explain);
}

/** Throws unless the winning plan contains a stage named `stage` (true) or none (false). */
export function assertStage(explain: Document, stage: string, present = true): void {
  if (stageNames(explain).includes(stage) !== present) fail(`expected ${present ? 'a' : 'no'} ${stage} stage`, explain);
}
