/**
 * The `explain` command (mingo gap: no query plans) and the legacy `aggregate` with
 * `explain: true`. Replies follow mongod 7.0's classic-engine shapes (explainVersion "1"):
 *
 *   find / count / distinct / update / delete / findAndModify:
 *     { explainVersion, queryPlanner: { namespace, parsedQuery, winningPlan, rejectedPlans, ... },
 *       executionStats?, command, serverInfo, ok: 1 }
 *   aggregate, pipeline made only of $match / $sort / $skip / $limit (the manual's
 *   "optimizedPipeline: true" case): the same shape as find;
 *   aggregate with any other stage: { explainVersion, stages: [ { $cursor: { queryPlanner,
 *     executionStats? } }, <the other stages, each with nReturned when executed> ], ... }
 *
 * The plan itself comes from planner.ts.
 */
import { hostname } from 'node:os';
import { serialize } from 'bson';
import type { Doc } from './bson-types.js';
import { canonicalKey, toNumber } from './bson-types.js';
import type { Collection } from './collection.js';
import type { Engine } from './engine.js';
import { CommandError } from './errors.js';
import {
  countScanStage,
  keysInBounds,
  planQuery,
  planTree,
  shapeHash,
  shapeOf,
  simulate,
  stats,
  type Plan,
  type Planned,
  type QueryShape,
} from './planner.js';
import { applyUpdate, normalizeTimezones } from './update.js';

export type Verbosity = 'queryPlanner' | 'executionStats' | 'allPlansExecution';

export interface ExplainDeps {
  engine: Engine;
  version: string;
  /** Run aggregation stages (after the query layer) on documents, as the aggregate command does. */
  runStages(db: string, docs: Doc[], stages: Doc[]): Doc[];
}

const VERBOSITIES = ['queryPlanner', 'executionStats', 'allPlansExecution'];

function parseVerbosity(v: unknown): Verbosity {
  // mongod's default for the explain command is allPlansExecution; the driver always sends one.
  if (v === undefined || v === null) return 'allPlansExecution';
  if (v === 'queryPlannerExtended') return 'queryPlanner';
  if (typeof v === 'string' && VERBOSITIES.includes(v)) return v as Verbosity;
  throw new CommandError(2, "verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}", 'BadValue');
}

const optNum = (v: any): number | undefined => (v === undefined || v === null ? undefined : toNumber(v));

function collName(cmd: Doc, key: string): string {
  const n = cmd[key];
  if (typeof n !== 'string' || n.length === 0) throw new CommandError(73, `collection name has invalid type ${typeof n}`, 'InvalidNamespace');
  return n;
}

function queryPlanner(ns: string, planned: Planned, winningPlan: Doc, rejectedPlans: Doc[], extra: Doc = {}): Doc {
  const shape = JSON.stringify(shapeOf({ f: planned.analysis.parsed, s: planned.winning.shape.sort, p: planned.winning.shape.projection }));
  const queryHash = shapeHash(shape);
  return {
    namespace: ns,
    indexFilterSet: false,
    parsedQuery: planned.analysis.parsed,
    queryHash,
    planCacheKey: shapeHash(queryHash + JSON.stringify(rejectedPlans.length) + JSON.stringify(winningPlan)),
    maxIndexedOrSolutionsReached: false,
    maxIndexedAndSolutionsReached: false,
    maxScansToExplodeReached: false,
    ...extra,
    winningPlan,
    rejectedPlans,
  };
}

function executionStats(coll: Collection | undefined, planned: Planned, verbosity: Verbosity): { stats: Doc; docs: Doc[] } {
  const started = Date.now();
  const sim = simulate(coll, planned.winning);
  const out: Doc = {
    executionSuccess: true,
    nReturned: sim.docs.length,
    executionTimeMillis: Date.now() - started,
    totalKeysExamined: sim.totalKeysExamined,
    totalDocsExamined: sim.totalDocsExamined,
    executionStages: sim.executionStages,
  };
  if (verbosity === 'allPlansExecution') {
    // mongod lists the trial runs of every candidate when there was more than one.
    const all = planned.rejected.length ? [planned.winning, ...planned.rejected] : [];
    out.allPlansExecution = all.map((p) => {
      const s = simulate(coll, p);
      return { nReturned: s.docs.length, executionTimeMillisEstimate: 0, totalKeysExamined: s.totalKeysExamined, totalDocsExamined: s.totalDocsExamined, executionStages: s.executionStages };
    });
  }
  return { stats: out, docs: sim.docs };
}

function findShape(cmd: Doc): QueryShape {
  const limit = optNum(cmd.limit);
  return {
    filter: cmd.filter,
    sort: cmd.sort,
    projection: cmd.projection,
    skip: optNum(cmd.skip) || undefined,
    limit: limit ? Math.abs(limit) : undefined,
    hint: cmd.hint,
  };
}

function reply(deps: ExplainDeps, db: string, inner: Doc, body: Doc): Doc {
  return {
    explainVersion: '1',
    ...body,
    command: { ...inner, $db: db },
    serverInfo: { host: hostname(), version: deps.version, gitVersion: 'mongo-wire-server' },
    ok: 1,
  };
}

function explainFind(deps: ExplainDeps, db: string, cmd: Doc, verbosity: Verbosity): Doc {
  const name = collName(cmd, 'find');
  const coll = deps.engine.collection(db, name);
  const planned = planQuery(coll, findShape(cmd));
  const body: Doc = { queryPlanner: queryPlanner(`${db}.${name}`, planned, planTree(planned.winning), planned.rejected.map((p) => planTree(p))) };
  if (verbosity !== 'queryPlanner') body.executionStats = executionStats(coll, planned, verbosity).stats;
  return reply(deps, db, cmd, body);
}

/**
 * The query part of a pipeline: leading $match stages (ANDed), a $sort right after them, then
 * $skip / $limit (folded into one skip and one limit, as mongod's optimizer does).
 */
function splitPipeline(pipeline: Doc[]): { shape: QueryShape; rest: Doc[] } {
  let i = 0;
  const matches: Doc[] = [];
  while (i < pipeline.length && pipeline[i].$match !== undefined) matches.push(pipeline[i++].$match);
  let sort: Doc | undefined;
  if (i < pipeline.length && pipeline[i].$sort !== undefined) sort = pipeline[i++].$sort;
  let skip = 0;
  let limit: number | undefined;
  while (i < pipeline.length && (pipeline[i].$skip !== undefined || pipeline[i].$limit !== undefined)) {
    const s = pipeline[i++];
    if (s.$skip !== undefined) {
      const n = toNumber(s.$skip);
      skip += n;
      if (limit !== undefined) limit = Math.max(0, limit - n);
    } else limit = limit === undefined ? toNumber(s.$limit) : Math.min(limit, toNumber(s.$limit));
  }
  const filter = matches.length === 0 ? undefined : matches.length === 1 ? matches[0] : { $and: matches };
  return { shape: { filter, sort, skip: skip || undefined, limit: limit || undefined }, rest: pipeline.slice(i) };
}

export function explainAggregate(deps: ExplainDeps, db: string, cmd: Doc, verbosity: Verbosity): Doc {
  const pipeline = normalizeTimezones(cmd.pipeline ?? []) as Doc[];
  if (!Array.isArray(pipeline)) throw new CommandError(14, "'pipeline' option must be specified as an array", 'TypeMismatch');
  const name = typeof cmd.aggregate === 'string' ? cmd.aggregate : undefined;
  const coll = name ? deps.engine.collection(db, name) : undefined;
  const { shape, rest } = splitPipeline(pipeline);
  shape.hint = cmd.hint;
  const planned = planQuery(coll, shape);
  const ns = `${db}.${name ?? '$cmd.aggregate'}`;
  const qp = (extra: Doc = {}) => queryPlanner(ns, planned, planTree(planned.winning), planned.rejected.map((p) => planTree(p)), extra);
  const inner = { ...cmd };
  delete inner.explain; // the legacy { aggregate, pipeline, explain: true } form
  const withStats = verbosity !== 'queryPlanner';
  if (rest.length === 0) {
    const body: Doc = { queryPlanner: qp({ optimizedPipeline: true }) };
    if (withStats) body.executionStats = executionStats(coll, planned, verbosity).stats;
    return reply(deps, db, inner, body);
  }
  const cursor: Doc = { queryPlanner: qp() };
  let docs: Doc[] = [];
  if (withStats) {
    const ex = executionStats(coll, planned, verbosity);
    cursor.executionStats = ex.stats;
    docs = ex.docs;
  }
  const stages: Doc[] = [{ $cursor: cursor, ...(withStats ? { nReturned: docs.length, executionTimeMillisEstimate: 0 } : {}) }];
  for (const stage of rest) {
    const writes = stage.$out !== undefined || stage.$merge !== undefined;
    if (withStats && !writes) {
      docs = deps.runStages(db, docs, [stage]);
      stages.push({ ...stage, nReturned: docs.length, executionTimeMillisEstimate: 0 });
    } else stages.push(withStats ? { ...stage, nReturned: 0, executionTimeMillisEstimate: 0 } : stage);
  }
  return reply(deps, db, inner, { stages });
}

function explainCount(deps: ExplainDeps, db: string, cmd: Doc, verbosity: Verbosity): Doc {
  const name = collName(cmd, 'count');
  const coll = deps.engine.collection(db, name);
  const query: Doc | undefined = cmd.query && Object.keys(cmd.query).length ? cmd.query : undefined;
  const skip = optNum(cmd.skip) ?? 0;
  const limit = Math.abs(optNum(cmd.limit) ?? 0);
  const planned = planQuery(coll, { filter: query, hint: cmd.hint }, { idhack: false });
  const fast = !!coll && !query && !skip && !limit;
  const cs = fast ? undefined : countScanStage(planned.winning);
  const input = cs ?? planTree(planned.winning);
  const winningPlan = fast ? { stage: 'RECORD_STORE_FAST_COUNT' } : { stage: 'COUNT', inputStage: input };
  const body: Doc = { queryPlanner: queryPlanner(`${db}.${name}`, planned, winningPlan, fast || cs ? [] : planned.rejected.map((p) => ({ stage: 'COUNT', inputStage: planTree(p) }))) };
  if (verbosity !== 'queryPlanner') {
    let matched: number;
    let keys = 0;
    let examined = 0;
    let inputStats: Doc | undefined;
    if (fast) matched = coll!.size;
    else if (cs && planned.winning.access.kind === 'IXSCAN') {
      matched = keys = keysInBounds(coll!, planned.winning.access.c);
      inputStats = { ...cs, ...stats(0, keys + 1, { keysExamined: keys }) };
    } else {
      const sim = simulate(coll, planned.winning);
      matched = sim.docs.length;
      keys = sim.totalKeysExamined;
      examined = sim.totalDocsExamined;
      inputStats = sim.executionStages;
    }
    const nSkipped = Math.min(skip, matched);
    let nCounted = matched - nSkipped;
    if (limit) nCounted = Math.min(nCounted, limit);
    const top = fast
      ? { stage: 'RECORD_STORE_FAST_COUNT', ...stats(0, 1), nCounted, nSkipped: 0 }
      : { stage: 'COUNT', ...stats(0, matched + 1), nCounted, nSkipped, inputStage: inputStats };
    body.executionStats = { executionSuccess: true, nReturned: 0, executionTimeMillis: 0, totalKeysExamined: keys, totalDocsExamined: examined, executionStages: top };
  }
  return reply(deps, db, cmd, body);
}

function explainDistinct(deps: ExplainDeps, db: string, cmd: Doc, verbosity: Verbosity): Doc {
  const name = collName(cmd, 'distinct');
  const key = String(cmd.key);
  const coll = deps.engine.collection(db, name);
  const query: Doc | undefined = cmd.query && Object.keys(cmd.query).length ? cmd.query : undefined;
  const transformBy = { _id: 0, [key]: 1 };
  // mongod answers distinct from an index led by the key (DISTINCT_SCAN) when the index alone
  // decides the query; asking the planner for that key's order finds such an index.
  const ordered = planQuery(coll, { filter: query, sort: { [key]: 1 }, hint: cmd.hint }, { idhack: false });
  const a = ordered.winning.access;
  const mk = a.kind === 'IXSCAN' ? ordered.winning.multikey.get(a.c.ix) : undefined;
  const distinctScan = a.kind === 'IXSCAN' && a.c.ix.fields[0] === key && !a.fetchFilter && (mk?.[key]?.length ?? 0) === 0;
  const planned = distinctScan ? ordered : planQuery(coll, { filter: query, hint: cmd.hint }, { idhack: false });
  const ixscan = (tree: Doc): Doc => (tree.stage === 'FETCH' ? tree.inputStage : tree);
  const input = distinctScan ? { ...ixscan(planTree(planned.winning)), stage: 'DISTINCT_SCAN' } : planTree(planned.winning);
  const winningPlan = { stage: distinctScan ? 'PROJECTION_COVERED' : 'PROJECTION_DEFAULT', transformBy, inputStage: input };
  const body: Doc = { queryPlanner: queryPlanner(`${db}.${name}`, planned, winningPlan, []) };
  if (verbosity !== 'queryPlanner') {
    const sim = simulate(coll, planned.winning);
    let n = sim.docs.length;
    let keys = sim.totalKeysExamined;
    let docsExamined = sim.totalDocsExamined;
    let inputStats = sim.executionStages;
    if (distinctScan) {
      // DISTINCT_SCAN skips from one key value to the next: one key and no document per value
      n = new Set(sim.docs.map((d) => canonicalKey(key.split('.').reduce((v: any, seg) => (v === null || typeof v !== 'object' ? undefined : v[seg]), d) ?? null))).size;
      keys = n;
      docsExamined = 0;
      inputStats = { ...ixscan(sim.executionStages), stage: 'DISTINCT_SCAN', ...stats(n, n + 1, { keysExamined: n }) };
    }
    body.executionStats = {
      executionSuccess: true,
      nReturned: n,
      executionTimeMillis: 0,
      totalKeysExamined: keys,
      totalDocsExamined: docsExamined,
      executionStages: { stage: winningPlan.stage, transformBy, ...stats(n, n + 1), inputStage: inputStats },
    };
  }
  return reply(deps, db, cmd, body);
}

const sameDoc = (a: Doc, b: Doc) => Buffer.compare(serialize(a), serialize(b)) === 0;

/** update / delete / findAndModify: the plan that finds the documents, under UPDATE or DELETE. */
function explainWrite(deps: ExplainDeps, db: string, cmd: Doc, verbosity: Verbosity, kind: 'update' | 'delete' | 'findAndModify'): Doc {
  const name = collName(cmd, kind);
  const coll = deps.engine.collection(db, name);
  let q: Doc | undefined;
  let sort: Doc | undefined;
  let multi = false;
  let update: any;
  let upsert = false;
  let remove = false;
  if (kind === 'findAndModify') {
    q = cmd.query;
    sort = cmd.sort;
    update = cmd.update;
    upsert = !!cmd.upsert;
    remove = !!cmd.remove;
  } else {
    const list: Doc[] = (kind === 'update' ? cmd.updates : cmd.deletes) ?? [];
    if (list.length !== 1) throw new CommandError(9, `explained ${kind} command must have exactly one ${kind === 'update' ? 'update' : 'delete'}`, 'FailedToParse');
    const s = list[0];
    q = s.q;
    sort = s.sort;
    if (kind === 'update') {
      update = s.u;
      multi = !!s.multi;
      upsert = !!s.upsert;
    } else {
      remove = true;
      multi = optNum(s.limit) !== 1;
    }
  }
  const planned = planQuery(coll, { filter: q, sort, hint: cmd.hint });
  const stage = remove ? 'DELETE' : 'UPDATE';
  const body: Doc = {
    queryPlanner: queryPlanner(
      `${db}.${name}`,
      planned,
      { stage, inputStage: planTree(planned.winning) },
      planned.rejected.map((p) => ({ stage, inputStage: planTree(p) })),
    ),
  };
  if (verbosity !== 'queryPlanner') {
    const sim = simulate(coll, planned.winning);
    const matched = multi ? sim.docs : sim.docs.slice(0, 1);
    let extra: Doc;
    if (remove) extra = { nWouldDelete: matched.length };
    else {
      let modified = 0;
      for (const d of matched) {
        try {
          if (!sameDoc(d, applyUpdate(d, update, { filter: q ?? {}, arrayFilters: cmd.arrayFilters ?? cmd.updates?.[0]?.arrayFilters }))) modified++;
        } catch {
          /* an update that would fail changes nothing here */
        }
      }
      extra = { nMatched: matched.length, nWouldModify: modified, nWouldUpsert: upsert && matched.length === 0 ? 1 : 0 };
    }
    body.executionStats = {
      executionSuccess: true,
      nReturned: 0,
      executionTimeMillis: 0,
      totalKeysExamined: sim.totalKeysExamined,
      totalDocsExamined: sim.totalDocsExamined,
      executionStages: { stage, ...stats(0, matched.length + 1), ...extra, inputStage: sim.executionStages },
    };
  }
  return reply(deps, db, cmd, body);
}

/** `{ explain: { <command> }, verbosity }` */
export function explainCommand(deps: ExplainDeps, cmd: Doc, db: string): Doc {
  const inner = cmd.explain;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) {
    throw new CommandError(2, 'explain command requires a nested object', 'BadValue');
  }
  const verbosity = parseVerbosity(cmd.verbosity);
  const name = Object.keys(inner)[0];
  switch (name) {
    case 'find':
      return explainFind(deps, db, inner, verbosity);
    case 'aggregate':
      return explainAggregate(deps, db, inner, verbosity);
    case 'count':
      return explainCount(deps, db, inner, verbosity);
    case 'distinct':
      return explainDistinct(deps, db, inner, verbosity);
    case 'update':
    case 'delete':
    case 'findAndModify':
      return explainWrite(deps, db, inner, verbosity, name);
    case 'findandmodify':
      return explainWrite(deps, db, { ...inner, findAndModify: inner.findandmodify }, verbosity, 'findAndModify');
  }
  throw new CommandError(59, `Explain failed due to unknown command: ${name}`, 'CommandNotFound');
}
