import { Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// Types only (erased): the wire server itself is imported in startWire, so a start on MONGODB_URI
// never loads it (test/embedded-import.e2e-spec.ts).
import type { MongoWireStatus } from '@videogen/mongo-wire-server';

export type EmbeddedKind = 'mongod' | 'wire';

export interface EmbeddedDatabase {
  kind: EmbeddedKind;
  uri: string;
  dataPath: string;
  /** The wire server's journal state (a mongod has its own journal and answers for it itself). */
  status?(): MongoWireStatus;
  stop(): Promise<void>;
}

/** More journal records than this waiting for the disk: the disk does not keep up; not ready. */
export const READY_MAX_JOURNAL_BACKLOG = 10_000;

/** The embedded database this process runs (main.ts starts at most one), for /health/ready. */
let running: EmbeddedDatabase | undefined;

/**
 * Readiness of the embedded wire server's journal: undefined when there is none in this process;
 * down once a journal write failed (it then answers writes with an error) or with too long a
 * backlog of writes waiting for the disk.
 */
export function embeddedJournalHealth(database: EmbeddedDatabase | undefined = running):
  | { up: boolean; details: Record<string, unknown> }
  | undefined {
  const status = database?.status?.();
  if (!status?.durable) return undefined;
  const details = { pendingWrites: status.journal.pendingOps, pendingBytes: status.journal.pendingBytes, dataBytes: status.dataBytes };
  if (!status.ok) return { up: false, details: { ...details, message: status.failed } };
  if (status.journal.pendingOps > READY_MAX_JOURNAL_BACKLOG) {
    return { up: false, details: { ...details, message: `${status.journal.pendingOps} writes wait for the journal (more than ${READY_MAX_JOURNAL_BACKLOG})` } };
  }
  return { up: true, details };
}

const DB_NAME = 'videogen';
const CHOICE_FILE = 'embedded-db.json';
const MONGOD_START_TIMEOUT_MS = 60_000;

/**
 * The offline default when MONGODB_URI is not set: a real `mongod` (mongodb-memory-server-core)
 * with a persistent data directory when a binary can be had, otherwise our MongoDB wire-protocol
 * server with a data directory. Either way the service starts with no manual step and keeps its
 * data across restarts.
 *
 * The first start records which one it chose in DATA_DIR and later starts keep to it (a directory
 * without the record keeps to whichever store holds data): switching would leave the data behind
 * in the other store and look like data loss. Only main.ts calls
 * this; the rest of the app just sees a MongoDB URI.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  preference: 'auto' | EmbeddedKind,
  logger = new Logger('EmbeddedDatabase'),
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  mkdirSync(root, { recursive: true });
  const recorded = readChoice(root);
  if (recorded && preference !== 'auto' && preference !== recorded) {
    throw new Error(
      `EMBEDDED_DB=${preference}, but ${root} holds the data of an embedded ${recorded}; ` +
        `use another DATA_DIR or set EMBEDDED_DB=${recorded}`,
    );
  }

  const wanted = recorded ?? (preference === 'auto' ? undefined : preference);
  let database: EmbeddedDatabase | undefined;
  if (wanted !== 'wire') {
    try {
      database = await startMongod(root);
    } catch (error) {
      // A recorded or requested mongod must not silently become an empty wire server.
      if (wanted === 'mongod') throw new Error(`The embedded mongod could not start: ${firstLine(error)}`);
      logger.warn(`No mongod binary could be had (${firstLine(error)}); using the wire-protocol server`);
    }
  }
  database ??= await startWire(root);
  if (!recorded) writeChoice(root, database.kind);
  running = database;

  const what = database.kind === 'mongod' ? 'mongod (mongodb-memory-server)' : 'MongoDB wire-protocol server';
  logger.warn(
    `MONGODB_URI is not set: started an embedded ${what}; data lives in ${database.dataPath}. ` +
      'Set MONGODB_URI to use your own MongoDB.',
  );
  return database;
}

async function startWire(root: string): Promise<EmbeddedDatabase> {
  const dataPath = join(root, 'mongo-wire');
  const logger = new Logger('EmbeddedDatabase');
  // Recovery and checkpoints are logged; a torn journal tail, a failed journal or checkpoint and
  // the size warning as warnings. (Per-command failures, such as duplicate keys, are not.)
  const log = (message: string) => {
    if (/^(warning|journal|checkpoint failed|checkpoint worker failed)/.test(message)) logger.warn(`wire server: ${message}`);
    else if (/^(persistence|checkpoint)/.test(message)) logger.log(`wire server: ${message}`);
  };
  const { startMongoWireServer } = await import('@videogen/mongo-wire-server');
  const server = await startMongoWireServer({ dataDir: dataPath, log });
  return { kind: 'wire', uri: `${server.uri}${DB_NAME}`, dataPath, status: () => server.status(), stop: () => server.stop() };
}

async function startMongod(root: string): Promise<EmbeddedDatabase> {
  const dataPath = join(root, 'mongod');
  mkdirSync(dataPath, { recursive: true });
  // Offline, the download fails at once: one attempt (not the library's three), and the binary is
  // looked for before the server, so its multi-line report of a failed start is never printed.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const { MongoBinary, MongoMemoryServer } = await import('mongodb-memory-server-core');
  await MongoBinary.getPath();
  const starting = MongoMemoryServer.create({ instance: { dbPath: dataPath, storageEngine: 'wiredTiger' } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // A mongod that comes up after we gave up must not keep running beside the fallback.
      void starting.then((late) => late.stop({ doCleanup: false })).catch(() => undefined);
      reject(new Error(`mongod did not start within ${MONGOD_START_TIMEOUT_MS} ms`));
    }, MONGOD_START_TIMEOUT_MS);
  });
  try {
    const server = await Promise.race([starting, timeout]);
    return {
      kind: 'mongod',
      uri: `${server.getUri().replace(/\/$/, '')}/${DB_NAME}`,
      dataPath,
      stop: async () => {
        await server.stop({ doCleanup: false });
      },
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The recorded choice; without a record, whichever store already holds data (both: refuse). */
function readChoice(root: string): EmbeddedKind | undefined {
  const file = join(root, CHOICE_FILE);
  if (existsSync(file)) {
    let kind: unknown;
    try {
      kind = (JSON.parse(readFileSync(file, 'utf8')) as { kind?: unknown }).kind;
    } catch {
      kind = undefined;
    }
    if (kind === 'mongod' || kind === 'wire') return kind;
    throw new Error(`${file} is corrupt: expected {"kind": "mongod" | "wire"}; fix or remove it`);
  }
  // The wire server's checkpoint and journal, or the snapshot files of its format before the journal.
  const wireHasData = hasFile(join(root, 'mongo-wire'), (name) => /\.(wsnap|wckpt|wjnl)$/.test(name));
  const mongodHasData = hasFile(join(root, 'mongod'), (name) => name.startsWith('WiredTiger'));
  if (wireHasData && mongodHasData) {
    throw new Error(`${root} holds data of both an embedded mongod and the wire server; keep one of them`);
  }
  return wireHasData ? 'wire' : mongodHasData ? 'mongod' : undefined;
}

function hasFile(dir: string, matches: (name: string) => boolean): boolean {
  return existsSync(dir) && readdirSync(dir).some(matches);
}

/** Written to a temporary file and renamed, so a crash never leaves half a record. */
function writeChoice(root: string, kind: EmbeddedKind): void {
  const file = join(root, CHOICE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ kind, chosenAt: new Date().toISOString() })}\n`);
  renameSync(`${file}.tmp`, file);
}

/** An error's message on one line (a download error puts its cause on the next). */
function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).replace(/\s*\n\s*/g, ' ').trim();
}
