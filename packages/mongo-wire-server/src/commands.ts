/**
 * Command dispatch: one function per database command, replies in mongod's shapes.
 * Unknown commands answer CommandNotFound (59) immediately.
 */
import { calculateObjectSize, Long, ObjectId, serialize, UUID } from 'bson';
import type { Doc } from './bson-types.js';
import { canonicalKey, cloneDoc, compareValues, toNumber, toView } from './bson-types.js';
import type { Collection, IndexSpec } from './collection.js';
import { defaultIndexName } from './collection.js';
import type { CursorManager } from './cursors.js';
import type { Engine } from './engine.js';
import { CommandError } from './errors.js';
import { explainAggregate, explainCommand, type ExplainDeps } from './explain.js';
import { projectDocs } from './projection.js';
import { compileFilter, runMingoPipeline, sortDocs } from './query.js';
import { applyUpdate, buildUpsertDoc, idFirst, isOperatorUpdate, isPlainObject, normalizeTimezones } from './update.js';

export interface ConnectionInfo {
  connectionId: number;
  remote: string;
}

export interface ServerContext {
  engine: Engine;
  cursors: CursorManager;
  startedAt: number;
  connections: () => number;
  totalConnections: () => number;
}

type Handler = (ctx: ServerContext, cmd: Doc, db: string, conn: ConnectionInfo) => Doc;

export const VERSION = '7.0.0-wire';

const TXN_MESSAGE =
  'Transactions are not supported by this MongoDB wire-protocol test server (use a replica set for multi-document transactions)';

const num = (v: any, dflt?: number): number | undefined => (v === undefined || v === null ? dflt : toNumber(v));

function collName(cmd: Doc, key: string): string {
  const n = cmd[key];
  if (typeof n !== 'string' || n.length === 0) {
    throw new CommandError(73, `collection name has invalid type ${n === undefined ? 'missing' : typeof n}`, 'InvalidNamespace');
  }
  return n;
}

function sameDoc(a: Doc, b: Doc): boolean {
  return Buffer.compare(serialize(a), serialize(b)) === 0;
}

function writeError(index: number, e: unknown): Doc {
  if (e instanceof CommandError) return { index, code: e.code, errmsg: e.message, ...e.extra };
  return { index, code: 1, errmsg: String((e as Error)?.message ?? e) };
}

function cursorReply(ns: string, id: Long, batch: Doc[], first: boolean): Doc {
  return { cursor: first ? { firstBatch: batch, id, ns } : { nextBatch: batch, id, ns }, ok: 1 };
}

function helloReply(ctx: ServerContext, conn: ConnectionInfo, legacyName: boolean): Doc {
  return {
    ...(legacyName ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    maxBsonObjectSize: 16777216,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: conn.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ok: 1,
  };
}

/** $lookup and friends read other collections of the same database through this. */
function resolverFor(ctx: ServerContext, db: string) {
  return (name: string) => {
    const c = ctx.engine.collection(db, name);
    return c ? [...c.docs()].map((d) => cloneDoc(toView(d))) : [];
  };
}

function explainDeps(ctx: ServerContext): ExplainDeps {
  return {
    engine: ctx.engine,
    version: VERSION,
    runStages: (db, docs, stages) => runMingoPipeline(docs, stages, { collectionResolver: resolverFor(ctx, db) }),
  };
}

/** Leading $match / $sort / $skip / $limit stages run on the typed documents (index-aware, BSON order). */
function runAggregate(ctx: ServerContext, db: string, coll: Collection | undefined, pipeline: Doc[]): Doc[] {
  let i = 0;
  const matches: Doc[] = [];
  while (i < pipeline.length && pipeline[i].$match !== undefined) matches.push(pipeline[i++].$match);
  let docs: Doc[] = coll ? coll.find(matches.length === 0 ? undefined : matches.length === 1 ? matches[0] : { $and: matches }) : [];
  if (i < pipeline.length && pipeline[i].$sort !== undefined) docs = sortDocs(docs.slice(), pipeline[i++].$sort);
  while (i < pipeline.length && (pipeline[i].$skip !== undefined || pipeline[i].$limit !== undefined)) {
    const s = pipeline[i++];
    docs = s.$skip !== undefined ? docs.slice(num(s.$skip)!) : docs.slice(0, num(s.$limit)!);
  }
  const rest = pipeline.slice(i);
  if (rest.length === 0) return docs;
  const last = rest[rest.length - 1];
  const out = last.$out ?? last.$merge;
  const stages = out !== undefined ? rest.slice(0, -1) : rest;
  const result = stages.length ? runMingoPipeline(docs, stages, { collectionResolver: resolverFor(ctx, db) }) : docs;
  if (out !== undefined) {
    // $out / $merge (simplified): $out replaces the target; $merge upserts by _id.
    const target = typeof out === 'string' ? out : typeof out.into === 'string' ? out.into : out.coll ?? out.into?.coll;
    const targetDb = typeof out === 'object' && typeof out.db === 'string' ? out.db : typeof out?.into?.db === 'string' ? out.into.db : db;
    const { coll: t } = ctx.engine.ensureCollection(targetDb, String(target));
    if (last.$out !== undefined) t.clear();
    for (const d0 of result) {
      const d = idFirst(d0._id === undefined ? { _id: new ObjectId(), ...d0 } : cloneDoc(d0));
      const existing = t.getById(canonicalKey(d._id));
      if (existing) t.replace(existing, d);
      else t.insert(d);
    }
    return [];
  }
  return result;
}

/** The update command's per-statement logic, shared with findAndModify semantics. */
function updateOne(coll: Collection, stmt: Doc, result: { n: number; nModified: number; upserted: Doc[] }, index: number, ensure: () => Collection): void {
  const q: Doc = stmt.q ?? {};
  const u = stmt.u;
  const multi = !!stmt.multi;
  if (u === undefined || (!Array.isArray(u) && !isPlainObject(u))) throw new CommandError(9, 'Update argument must be an object or pipeline', 'FailedToParse');
  if (multi && !Array.isArray(u) && !isOperatorUpdate(u)) {
    throw new CommandError(9, 'multi update is not supported for replacement-style update', 'FailedToParse');
  }
  const hasSort = !multi && stmt.sort && Object.keys(stmt.sort).length > 0;
  let matched = coll.find(q, multi || hasSort ? Infinity : 1);
  if (hasSort) matched = sortDocs(matched.slice(), stmt.sort).slice(0, 1);
  const ctx = { filter: q, arrayFilters: stmt.arrayFilters };
  if (matched.length === 0) {
    if (stmt.upsert) {
      const nd = buildUpsertDoc(q, u, ctx);
      ensure().insert(nd);
      result.n += 1;
      result.upserted.push({ index, _id: nd._id });
    }
    return;
  }
  for (const doc of matched) {
    const nd = applyUpdate(doc, u, ctx);
    result.n += 1;
    if (!sameDoc(doc, nd)) {
      coll.replace(doc, nd);
      result.nModified += 1;
    }
  }
}

const handlers: Record<string, Handler> = {
  hello: (ctx, _c, _db, conn) => helloReply(ctx, conn, false),
  isMaster: (ctx, _c, _db, conn) => helloReply(ctx, conn, true),
  ismaster: (ctx, _c, _db, conn) => helloReply(ctx, conn, true),
  ping: () => ({ ok: 1 }),
  buildInfo: () => ({
    version: VERSION,
    gitVersion: 'mongo-wire-server',
    versionArray: [7, 0, 0, 0],
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    bits: 64,
    debug: false,
    maxBsonObjectSize: 16777216,
    storageEngines: ['memory'],
    ok: 1,
  }),
  buildinfo: (ctx, c, db, conn) => handlers.buildInfo(ctx, c, db, conn),
  getParameter: (_ctx, cmd) => {
    const out: Doc = { ok: 1 };
    if (cmd.featureCompatibilityVersion !== undefined || cmd.getParameter === '*') out.featureCompatibilityVersion = { version: '7.0' };
    return out;
  },
  serverStatus: (ctx) => ({
    host: 'localhost',
    version: VERSION,
    process: 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: (Date.now() - ctx.startedAt) / 1000,
    uptimeMillis: Long.fromNumber(Date.now() - ctx.startedAt),
    localTime: new Date(),
    connections: { current: ctx.connections(), available: 1000, totalCreated: ctx.totalConnections() },
    ok: 1,
  }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  whatsmyuri: (_ctx, _c, _db, conn) => ({ you: conn.remote, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['mongo-wire-server'], parsed: {}, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: 'localhost' }, os: {}, extra: {}, ok: 1 }),
  endSessions: () => ({ ok: 1 }),
  killAllSessions: () => ({ ok: 1 }),
  killSessions: () => ({ ok: 1 }),
  refreshSessions: () => ({ ok: 1 }),
  startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),

  // ---------------------------------------------------------------------------------------
  insert: (ctx, cmd, db) => {
    const name = collName(cmd, 'insert');
    const docs: Doc[] = cmd.documents ?? [];
    const ordered = cmd.ordered !== false;
    const writeErrors: Doc[] = [];
    let n = 0;
    if (docs.length === 0) return { n: 0, ok: 1 };
    const { coll } = ctx.engine.ensureCollection(db, name);
    for (let i = 0; i < docs.length; i++) {
      try {
        let d = docs[i];
        if (!isPlainObject(d)) throw new CommandError(2, 'document to insert must be an object', 'BadValue');
        // Missing _id: generate an ObjectId and put it first, as mongod does.
        d = d._id === undefined ? { _id: new ObjectId(), ...d } : idFirst(d);
        if (Array.isArray(d._id)) throw new CommandError(53, "The '_id' value cannot be of type array", 'InvalidIdField');
        if (d._id instanceof RegExp) throw new CommandError(53, "The '_id' value cannot be of type regex", 'InvalidIdField');
        coll.insert(d);
        n++;
      } catch (e) {
        writeErrors.push(writeError(i, e));
        if (ordered) break;
      }
    }
    return writeErrors.length ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  },

  update: (ctx, cmd, db) => {
    const name = collName(cmd, 'update');
    const stmts: Doc[] = cmd.updates ?? [];
    const ordered = cmd.ordered !== false;
    const result = { n: 0, nModified: 0, upserted: [] as Doc[] };
    const writeErrors: Doc[] = [];
    const ensure = () => ctx.engine.ensureCollection(db, name).coll;
    for (let i = 0; i < stmts.length; i++) {
      try {
        const coll = ctx.engine.collection(db, name);
        const stmt = stmts[i];
        if (!coll) {
          if (stmt.upsert) updateOne(ensure(), stmt, result, i, ensure);
          continue;
        }
        updateOne(coll, stmt, result, i, ensure);
      } catch (e) {
        writeErrors.push(writeError(i, e));
        if (ordered) break;
      }
    }
    const reply: Doc = { n: result.n, nModified: result.nModified };
    if (result.upserted.length) reply.upserted = result.upserted;
    if (writeErrors.length) reply.writeErrors = writeErrors;
    reply.ok = 1;
    return reply;
  },

  delete: (ctx, cmd, db) => {
    const name = collName(cmd, 'delete');
    const stmts: Doc[] = cmd.deletes ?? [];
    const ordered = cmd.ordered !== false;
    const writeErrors: Doc[] = [];
    let n = 0;
    for (let i = 0; i < stmts.length; i++) {
      try {
        const coll = ctx.engine.collection(db, name);
        if (!coll) continue;
        const { q, limit } = stmts[i];
        const one = num(limit, 0) === 1;
        const sort = stmts[i].sort;
        let docs = coll.find(q ?? {}, one && !sort ? 1 : Infinity);
        if (one && sort) docs = sortDocs(docs.slice(), sort).slice(0, 1);
        for (const d of docs) coll.remove(d);
        n += docs.length;
      } catch (e) {
        writeErrors.push(writeError(i, e));
        if (ordered) break;
      }
    }
    return writeErrors.length ? { n, writeErrors, ok: 1 } : { n, ok: 1 };
  },

  // mingo gap (findAndModify): select, modify and return one document atomically.
  findAndModify: (ctx, cmd, db) => {
    const name = collName(cmd, 'findAndModify');
    const query: Doc = cmd.query ?? {};
    let coll = ctx.engine.collection(db, name);
    const hasSort = cmd.sort && Object.keys(cmd.sort).length > 0;
    let docs = coll ? coll.find(query, hasSort ? Infinity : 1) : [];
    if (hasSort) docs = sortDocs(docs.slice(), cmd.sort);
    const target = docs[0];
    const project = (d: Doc | null) => (d && cmd.fields ? projectDocs([d], cmd.fields, query)[0] : d);
    if (cmd.remove) {
      if (cmd.update !== undefined) throw new CommandError(9, 'Cannot specify both an update and remove=true', 'FailedToParse');
      if (!target || !coll) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
      coll.remove(target);
      return { lastErrorObject: { n: 1 }, value: project(target), ok: 1 };
    }
    if (cmd.update === undefined) throw new CommandError(9, 'Either an update or remove=true must be specified', 'FailedToParse');
    const uctx = { filter: query, arrayFilters: cmd.arrayFilters };
    if (target && coll) {
      const nd = applyUpdate(target, cmd.update, uctx);
      if (!sameDoc(target, nd)) coll.replace(target, nd);
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? nd : target), ok: 1 };
    }
    if (cmd.upsert) {
      const nd = buildUpsertDoc(query, cmd.update, uctx);
      coll ??= ctx.engine.ensureCollection(db, name).coll;
      coll.insert(nd);
      return { lastErrorObject: { n: 1, updatedExisting: false, upserted: nd._id }, value: project(cmd.new ? nd : null), ok: 1 };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  },

  // ---------------------------------------------------------------------------------------
  find: (ctx, cmd, db) => {
    const name = collName(cmd, 'find');
    const coll = ctx.engine.collection(db, name);
    const skip = num(cmd.skip, 0)!;
    let limit = num(cmd.limit, 0)!;
    let singleBatch = !!cmd.singleBatch;
    if (limit < 0) {
      limit = -limit;
      singleBatch = true;
    }
    const hasSort = cmd.sort && Object.keys(cmd.sort).length > 0;
    let docs = coll ? coll.find(cmd.filter, !hasSort && limit ? skip + limit : Infinity) : [];
    if (hasSort) docs = sortDocs(docs.slice(), cmd.sort);
    if (skip || limit) docs = docs.slice(skip, limit ? skip + limit : undefined);
    docs = projectDocs(docs, cmd.projection, cmd.filter);
    const ns = `${db}.${name}`;
    const { id, batch } = ctx.cursors.open(ns, docs, num(cmd.batchSize), singleBatch);
    return cursorReply(ns, id, batch, true);
  },

  getMore: (ctx, cmd, db) => {
    const id = cmd.getMore;
    const ns = `${db}.${cmd.collection}`;
    const r = ctx.cursors.getMore(Long.isLong(id) ? id : Long.fromNumber(toNumber(id)), ns, num(cmd.batchSize));
    return cursorReply(ns, r.id, r.batch, false);
  },

  killCursors: (ctx, cmd) => {
    const ids = ((cmd.cursors ?? []) as any[]).map((x) => (Long.isLong(x) ? x : Long.fromNumber(toNumber(x))));
    const { killed, notFound } = ctx.cursors.kill(ids);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
  },

  aggregate: (ctx, cmd, db) => {
    const pipeline = normalizeTimezones(cmd.pipeline ?? []) as Doc[];
    if (!Array.isArray(pipeline)) throw new CommandError(14, "'pipeline' option must be specified as an array", 'TypeMismatch');
    const name = typeof cmd.aggregate === 'string' ? cmd.aggregate : undefined;
    // The legacy form { aggregate, pipeline, explain: true } answers at queryPlanner verbosity.
    if (cmd.explain) return explainAggregate(explainDeps(ctx), db, cmd, 'queryPlanner');
    const coll = name ? ctx.engine.collection(db, name) : undefined;
    const docs = runAggregate(ctx, db, coll, pipeline);
    const ns = `${db}.${name ?? '$cmd.aggregate'}`;
    const { id, batch } = ctx.cursors.open(ns, docs, num(cmd.cursor?.batchSize), false);
    return cursorReply(ns, id, batch, true);
  },

  // mingo gap (query plans): see explain.ts and planner.ts.
  explain: (ctx, cmd, db) => explainCommand(explainDeps(ctx), cmd, db),

  count: (ctx, cmd, db) => {
    const coll = ctx.engine.collection(db, collName(cmd, 'count'));
    let n = coll ? (cmd.query && Object.keys(cmd.query).length ? coll.find(cmd.query).length : coll.size) : 0;
    const skip = num(cmd.skip, 0)!;
    const limit = Math.abs(num(cmd.limit, 0)!);
    n = Math.max(0, n - skip);
    if (limit) n = Math.min(n, limit);
    return { n, ok: 1 };
  },

  // mingo gap (distinct): values of a path across matching documents, arrays unwound, deduplicated.
  distinct: (ctx, cmd, db) => {
    const coll = ctx.engine.collection(db, collName(cmd, 'distinct'));
    const key = String(cmd.key);
    const seen = new Map<string, any>();
    for (const d of coll ? coll.find(cmd.query) : []) {
      const vals: any[] = [];
      collectPath(d, key.split('.'), 0, vals);
      for (const v of vals) {
        const k = canonicalKey(v);
        if (!seen.has(k)) seen.set(k, v);
      }
    }
    return { values: [...seen.values()].sort(compareValues), ok: 1 };
  },

  // ---------------------------------------------------------------------------------------
  createIndexes: (ctx, cmd, db) => {
    const name = collName(cmd, 'createIndexes');
    const specs: Doc[] = cmd.indexes ?? [];
    if (!Array.isArray(specs) || specs.length === 0) throw new CommandError(2, 'Must specify at least one index to create', 'BadValue');
    const { coll, created } = ctx.engine.ensureCollection(db, name);
    const before = coll.indexes.length;
    for (const s of specs) {
      if (!isPlainObject(s.key) || Object.keys(s.key).length === 0) throw new CommandError(67, 'Index keys cannot be empty.', 'CannotCreateIndex');
      const spec: IndexSpec = { v: 2, key: s.key, name: typeof s.name === 'string' ? s.name : defaultIndexName(s.key) };
      for (const [k, v] of Object.entries(s)) {
        if (k === 'key' || k === 'name' || k === 'v' || k === 'background' || k === 'ns') continue;
        if ((k === 'unique' || k === 'sparse') && !v) continue;
        spec[k] = k === 'expireAfterSeconds' ? toNumber(v) : v;
      }
      coll.createIndex(spec);
    }
    const after = coll.indexes.length;
    const reply: Doc = { numIndexesBefore: before, numIndexesAfter: after, createdCollectionAutomatically: created };
    if (after === before) reply.note = 'all indexes already exist';
    reply.ok = 1;
    return reply;
  },

  /**
   * collMod, for index options only (manual: reference/command/collMod): `index: { keyPattern |
   * name, expireAfterSeconds?, hidden? }` changes the index in place and answers the old and new
   * values, e.g. `{ expireAfterSeconds_old: 3600, expireAfterSeconds_new: 7200, ok: 1 }`. Since
   * mongod 5.1 a single-field non-TTL index may be given expireAfterSeconds this way.
   */
  collMod: (ctx, cmd, db) => {
    const name = collName(cmd, 'collMod');
    const coll = ctx.engine.collection(db, name);
    if (!coll) throw new CommandError(26, `ns does not exist: ${db}.${name}`, 'NamespaceNotFound');
    const reply: Doc = {};
    const change = cmd.index;
    if (change !== undefined) {
      if (!isPlainObject(change)) throw new CommandError(14, 'index must be an object', 'TypeMismatch');
      const target = typeof change.name === 'string' ? change.name : isPlainObject(change.keyPattern) ? change.keyPattern : undefined;
      if (target === undefined) throw new CommandError(72, 'must specify either index name or key pattern', 'InvalidOptions');
      const ix = coll.findIndex(target);
      if (!ix) throw new CommandError(27, `cannot find index ${typeof target === 'string' ? target : JSON.stringify(target)} for ns ${db}.${name}`, 'IndexNotFound');
      const options: Doc = {};
      if (change.expireAfterSeconds !== undefined) {
        const seconds = toNumber(change.expireAfterSeconds);
        if (!Number.isFinite(seconds) || seconds < 0) throw new CommandError(2, 'expireAfterSeconds must be a non-negative number', 'BadValue');
        if (ix.spec.name === '_id_' || Object.keys(ix.spec.key).length !== 1) {
          throw new CommandError(72, 'TTL indexes are single-field indexes, compound indexes do not support TTL', 'InvalidOptions');
        }
        options.expireAfterSeconds = seconds;
      }
      if (change.hidden !== undefined) {
        if (ix.spec.name === '_id_') throw new CommandError(72, 'can\'t hide _id index', 'InvalidOptions');
        options.hidden = !!change.hidden;
      }
      Object.assign(reply, coll.modifyIndex(ix, options));
    }
    reply.ok = 1;
    return reply;
  },

  listIndexes: (ctx, cmd, db) => {
    const name = collName(cmd, 'listIndexes');
    const coll = ctx.engine.collection(db, name);
    if (!coll) throw new CommandError(26, `ns does not exist: ${db}.${name}`, 'NamespaceNotFound');
    const ns = `${db}.${name}`;
    const { id, batch } = ctx.cursors.open(ns, coll.indexes.map((ix) => ({ ...ix.spec })), num(cmd.cursor?.batchSize), false);
    return cursorReply(ns, id, batch, true);
  },

  dropIndexes: (ctx, cmd, db) => {
    const name = collName(cmd, 'dropIndexes');
    const coll = ctx.engine.collection(db, name);
    if (!coll) throw new CommandError(26, `ns not found ${db}.${name}`, 'NamespaceNotFound');
    const was = coll.indexes.length;
    const which = cmd.index;
    if (which === '*') {
      for (const ix of coll.indexes.slice()) if (ix.spec.name !== '_id_') coll.dropIndex(ix);
    } else {
      const targets = Array.isArray(which) ? which : [which];
      const found = targets.map((t) => {
        const ix = coll.findIndex(t);
        if (!ix) {
          throw new CommandError(27, typeof t === 'string' ? `index not found with name [${t}]` : `can't find index with key: ${JSON.stringify(t)}`, 'IndexNotFound');
        }
        return ix;
      });
      found.forEach((ix) => coll.dropIndex(ix));
    }
    return { nIndexesWas: was, ok: 1 };
  },
  deleteIndexes: (ctx, cmd, db, conn) => handlers.dropIndexes(ctx, { ...cmd, dropIndexes: cmd.deleteIndexes }, db, conn),

  listCollections: (ctx, cmd, db) => {
    const colls = [...(ctx.engine.dbs.get(db)?.values() ?? [])];
    let infos: Doc[] = colls.map((c) => ({
      name: c.name,
      type: 'collection',
      options: c.options,
      info: { readOnly: false, uuid: c.uuid },
      idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
    }));
    if (cmd.filter && Object.keys(cmd.filter).length) {
      const pred = compileFilter(cmd.filter);
      infos = infos.filter(pred);
    }
    if (cmd.nameOnly) infos = infos.map((i) => ({ name: i.name, type: i.type }));
    const ns = `${db}.$cmd.listCollections`;
    const { id, batch } = ctx.cursors.open(ns, infos, num(cmd.cursor?.batchSize), false);
    return cursorReply(ns, id, batch, true);
  },

  create: (ctx, cmd, db) => {
    const name = collName(cmd, 'create');
    const { create: _c, $db: _d, lsid: _l, writeConcern: _w, $clusterTime: _t, $readPreference: _r, apiVersion: _a, txnNumber: _n, ...options } = cmd;
    ctx.engine.createCollection(db, name, options);
    return { ok: 1 };
  },

  drop: (ctx, cmd, db) => {
    const name = collName(cmd, 'drop');
    const coll = ctx.engine.dropCollection(db, name);
    if (!coll) throw new CommandError(26, 'ns not found', 'NamespaceNotFound');
    return { nIndexesWas: coll.indexes.length, ns: `${db}.${name}`, ok: 1 };
  },

  dropDatabase: (ctx, _cmd, db) => {
    ctx.engine.dropDatabase(db);
    return { dropped: db, ok: 1 };
  },

  listDatabases: (ctx, cmd) => {
    const databases: Doc[] = [];
    let total = 0;
    for (const [name, colls] of ctx.engine.dbs) {
      let size = 0;
      for (const c of colls.values()) for (const d of c.docs()) size += serialize(d).length;
      total += size;
      databases.push(cmd.nameOnly ? { name } : { name, sizeOnDisk: size, empty: size === 0 });
    }
    let out = databases;
    if (cmd.filter && Object.keys(cmd.filter).length) out = databases.filter(compileFilter(cmd.filter));
    return cmd.nameOnly ? { databases: out, ok: 1 } : { databases: out, totalSize: total, totalSizeMb: Math.floor(total / 1048576), ok: 1 };
  },

  /**
   * dbStats (manual: reference/command/dbStats): `dataSize` is the total size of the uncompressed
   * data, the BSON size of every document, and falls when documents are removed; `avgObjSize` is
   * dataSize / objects, unscaled. Documents are held uncompressed with no free space, so
   * `storageSize` equals dataSize (a mongod's is its compressed, allocated size). Index maps are
   * not measured: `indexSize` is 0, so `totalSize` (storageSize + indexSize) is the documents'.
   * `scale` divides the sizes by its integer part, as `scaleFactor` says.
   */
  dbStats: (ctx, cmd, db) => {
    const colls = [...(ctx.engine.dbs.get(db)?.values() ?? [])];
    const scale = cmd.scale === undefined ? 1 : Math.trunc(toNumber(cmd.scale));
    if (!Number.isFinite(scale) || scale < 1) throw new CommandError(2, 'Scale factor must be a positive number', 'BadValue');
    let objects = 0;
    let indexes = 0;
    let bytes = 0;
    for (const c of colls) {
      objects += c.size;
      indexes += c.indexes.length;
      for (const d of c.docs()) bytes += calculateObjectSize(d);
    }
    const dataSize = bytes / scale;
    return {
      db,
      collections: colls.length,
      views: 0,
      objects,
      avgObjSize: objects === 0 ? 0 : bytes / objects,
      dataSize,
      storageSize: dataSize,
      indexes,
      indexSize: 0,
      totalSize: dataSize,
      scaleFactor: scale,
      ok: 1,
    };
  },

  renameCollection: (ctx, cmd) => {
    const [fromDb, ...fromRest] = String(cmd.renameCollection).split('.');
    const [toDb, ...toRest] = String(cmd.to).split('.');
    const from = fromRest.join('.');
    const to = toRest.join('.');
    const src = ctx.engine.collection(fromDb, from);
    if (!src) throw new CommandError(26, 'source namespace does not exist', 'NamespaceNotFound');
    if (ctx.engine.collection(toDb, to)) {
      if (!cmd.dropTarget) throw new CommandError(48, 'target namespace exists', 'NamespaceExists');
      ctx.engine.dropCollection(toDb, to);
    }
    ctx.engine.renameCollection(fromDb, from, toDb, to);
    return { ok: 1 };
  },
};

function collectPath(v: any, segs: string[], i: number, out: any[]): void {
  if (i === segs.length) {
    if (Array.isArray(v)) out.push(...v);
    else if (v !== undefined) out.push(v);
    return;
  }
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    if (/^\d+$/.test(segs[i])) collectPath(v[+segs[i]], segs, i + 1, out);
    else for (const el of v) collectPath(el, segs, i, out);
    return;
  }
  collectPath(v[segs[i]], segs, i + 1, out);
}

const WRITE_COMMANDS = new Set([
  'insert', 'update', 'delete', 'findAndModify', 'createIndexes', 'dropIndexes', 'deleteIndexes',
  'collMod', 'create', 'drop', 'dropDatabase', 'renameCollection',
]);

/** Whether a command may change data (refused up front once the journal has failed). */
export function isWriteCommand(body: Doc): boolean {
  const name = Object.keys(body)[0];
  if (WRITE_COMMANDS.has(name)) return true;
  if (name !== 'aggregate' || !Array.isArray(body.pipeline) || body.pipeline.length === 0) return false;
  const last = body.pipeline[body.pipeline.length - 1];
  return last !== null && typeof last === 'object' && ('$out' in last || '$merge' in last);
}

/** Run one command document; never throws (errors become `ok: 0` replies). */
export function runCommand(ctx: ServerContext, body: Doc, conn: ConnectionInfo): Doc {
  const name = Object.keys(body)[0];
  try {
    if (name === undefined) throw new CommandError(59, 'no command specified', 'CommandNotFound');
    // Transactions are refused up front with 115 (never TransientTransactionError, see README).
    if (name === 'commitTransaction' || name === 'abortTransaction' || body.startTransaction === true || body.autocommit === false) {
      throw new CommandError(115, TXN_MESSAGE, 'OperationNotSupported');
    }
    const h = Object.prototype.hasOwnProperty.call(handlers, name) ? handlers[name] : undefined;
    if (!h) throw new CommandError(59, `no such command: '${name}'`, 'CommandNotFound');
    const db = typeof body.$db === 'string' ? body.$db : 'admin';
    return h(ctx, body, db, conn);
  } catch (e) {
    if (e instanceof CommandError) return e.toReply();
    return { ok: 0, errmsg: String((e as Error)?.message ?? e), code: 1, codeName: 'InternalError' };
  }
}

