/**
 * Conformance-suite harness.
 *
 * - `MONGODB_URI` set   -> every spec talks to that real MongoDB; `stop()` is a no-op.
 * - `MONGODB_URI` unset -> a fresh in-process wire server per spec file (random port,
 *                          200 ms TTL sweep so the wire-only TTL test finishes quickly).
 * - `TEST_MONGODB_EXTERNAL` set (the application's `MONGODB_URI=… npm test`, which runs the
 *   application's tests on the user's MongoDB and passes this suite no `MONGODB_URI`): every test
 *   of a spec that imports its test API from here is skipped, with a reason the report prints and
 *   counts, and no hook runs, so no wire server starts. This suite tests our server, not theirs.
 *
 * Specs take `describe`, `it` and the hooks from here rather than from node:test, so that one
 * switch skips them. The server module is loaded lazily so that, against a real MongoDB, the suite
 * does not even need the server's sources to load.
 */
import * as nodeTest from 'node:test';
import { randomBytes } from 'node:crypto';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { MongoWireServer, MongoWireServerOptions } from '../src/index.js';

export interface Target {
  uri: string;
  /** true when running against MONGODB_URI (a real mongod / replica set). */
  external: boolean;
  stop(): Promise<void>;
}

export const externalUri: string | undefined = process.env.MONGODB_URI || undefined;

/** Why every test here is skipped, when the application's suite runs on another MongoDB. */
export const skipReason: string | undefined =
  process.env.TEST_MONGODB_EXTERNAL && !externalUri
    ? 'the wire server\'s own suite: skipped while npm test runs on the MongoDB in MONGODB_URI'
    : undefined;

const noHook = (() => undefined) as unknown as typeof nodeTest.before;
const skippedIt = ((name?: string) => nodeTest.it(name, { skip: skipReason }, () => undefined)) as unknown as typeof nodeTest.it;

export const describe = nodeTest.describe;
export const it: typeof nodeTest.it = skipReason ? skippedIt : nodeTest.it;
export const before: typeof nodeTest.before = skipReason ? noHook : nodeTest.before;
export const after: typeof nodeTest.after = skipReason ? noHook : nodeTest.after;
export const beforeEach: typeof nodeTest.beforeEach = skipReason ? noHook : nodeTest.beforeEach;
export const afterEach: typeof nodeTest.afterEach = skipReason ? noHook : nodeTest.afterEach;

/**
 * `describe` for tests only the test server can run (restart with a data directory,
 * TTL with a shortened sweep, its own transaction-refusal message). Chosen once at
 * load time from the environment, so the same files run unchanged against a real MongoDB.
 */
export const describeWireOnly = (name: string, fn: () => void): void => {
  if (externalUri) nodeTest.it(name, { skip: 'needs the wire server itself (MONGODB_URI is set)' }, () => undefined);
  else describe(name, fn);
};

/** Start the wire server directly (persistence tests need their own options). */
export async function startWireServer(opts: MongoWireServerOptions = {}): Promise<MongoWireServer> {
  // A dynamic import, so the module is only loaded when no MONGODB_URI is given.
  const mod = await import('../src/index.js');
  // port 0: let the OS pick a free port so spec files running in parallel never collide.
  return mod.startMongoWireServer({ port: 0, ttlSweepIntervalMs: 200, log: () => undefined, ...opts });
}

export async function startTarget(): Promise<Target> {
  if (externalUri) {
    return { uri: externalUri, external: true, stop: async () => undefined };
  }
  const server = await startWireServer();
  return { uri: server.uri, external: false, stop: () => server.stop() };
}

/** A unique database name per spec file: conf_<file>_<random>. (Names stay well under 64 bytes.) */
export function uniqueDbName(file: string): string {
  const base = file.replace(/^.*[\\/]/, '').replace(/\.spec\.[jt]s$/, '').replace(/[^A-Za-z0-9]/g, '_').slice(0, 24);
  return `conf_${base}_${randomBytes(4).toString('hex')}`;
}

/** Client options shared by every spec: fail fast instead of waiting 30 s for server selection. */
export const clientOptions: MongoClientOptions = {
  serverSelectionTimeoutMS: 5000,
  connectTimeoutMS: 5000,
};

export interface Suite {
  target: Target;
  client: MongoClient;
  dbName: string;
  /** Drops the spec's database, closes the client and stops the server. */
  teardown(): Promise<void>;
}

/** Start (or attach to) a target, connect a driver client and pick this file's database. */
export async function openSuite(file: string, extra: MongoClientOptions = {}): Promise<Suite> {
  const target = await startTarget();
  const client = new MongoClient(target.uri, { ...clientOptions, ...extra });
  await client.connect();
  const dbName = uniqueDbName(file);
  return {
    target,
    client,
    dbName,
    async teardown() {
      try {
        await client.db(dbName).dropDatabase();
      } catch {
        /* best effort: the assertion failures that matter are in the tests */
      }
      await client.close();
      await target.stop();
    },
  };
}

let counter = 0;
/** A fresh collection name, so no test depends on another's data. */
export function freshName(prefix = 'c'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`;
}

/** Await a promise that must reject; returns the error (fails the test if it resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
