import { Logger } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startMongoWireServer } from '../../tools/mongo-wire-server/src/index.js';

export interface EmbeddedDatabase {
  kind: 'mongod' | 'wire';
  uri: string;
  dataPath: string;
  stop(): Promise<void>;
}

const DB_NAME = 'videogen';
const DOWNLOAD_FAILED_MARKER = 'mongod-download-failed';
const RETRY_DOWNLOAD_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The offline default when MONGODB_URI is not set: a real `mongod` (mongodb-memory-server-core)
 * with a persistent data directory when a binary can be had, otherwise our MongoDB wire-protocol
 * server with a data directory. Either way the service starts with no manual step and keeps its
 * data across restarts. Only main.ts calls this; the rest of the app just sees a MongoDB URI.
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  preference: 'auto' | 'mongod' | 'wire',
  logger = new Logger('EmbeddedDatabase'),
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  mkdirSync(root, { recursive: true });

  if (preference !== 'wire') {
    const mongod = await tryStartMongod(root, logger, preference === 'mongod');
    if (mongod) return mongod;
    if (preference === 'mongod') throw new Error('EMBEDDED_DB=mongod but no mongod binary could be started');
  }

  const dataPath = join(root, 'mongo-wire');
  const server = await startMongoWireServer({ dataDir: dataPath });
  logger.warn(
    `MONGODB_URI is not set: started an embedded MongoDB wire-protocol server (no mongod binary available); ` +
      `data lives in ${dataPath}. Set MONGODB_URI to use a real MongoDB.`,
  );
  return { kind: 'wire', uri: `${server.uri.replace(/\/$/, '')}/${DB_NAME}`, dataPath, stop: () => server.stop() };
}

async function tryStartMongod(root: string, logger: Logger, force: boolean): Promise<EmbeddedDatabase | undefined> {
  const marker = join(root, DOWNLOAD_FAILED_MARKER);
  const hasSystemBinary = Boolean(process.env.MONGOMS_SYSTEM_BINARY);
  if (!force && !hasSystemBinary && recentlyFailed(marker)) return undefined;
  const dataPath = join(root, 'mongod');
  mkdirSync(dataPath, { recursive: true });
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const server = await withTimeout(
      MongoMemoryServer.create({ instance: { dbPath: dataPath, storageEngine: 'wiredTiger' } }),
      60_000,
    );
    logger.warn(
      `MONGODB_URI is not set: started an embedded mongod (mongodb-memory-server); data lives in ${dataPath}.`,
    );
    return {
      kind: 'mongod',
      uri: `${server.getUri().replace(/\/$/, '')}/${DB_NAME}`,
      dataPath,
      stop: async () => {
        await server.stop({ doCleanup: false });
      },
    };
  } catch (error) {
    // Offline machines fail the binary download; remember it so every start is not 8 s slower.
    writeFileSync(marker, JSON.stringify({ at: new Date().toISOString(), error: String(error) }));
    logger.warn(`No mongod binary could be had (${firstLine(error)}); falling back to the wire-protocol server`);
    return undefined;
  }
}

function recentlyFailed(marker: string): boolean {
  if (!existsSync(marker)) return false;
  try {
    const { at } = JSON.parse(readFileSync(marker, 'utf8')) as { at: string };
    return Date.now() - Date.parse(at) < RETRY_DOWNLOAD_AFTER_MS;
  } catch {
    return false;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}
