/**
 * Snapshots of the data directory.
 *
 * Format: one file per database, `<dataDir>/<encodeURIComponent(db)>.wsnap`, a plain sequence
 * of BSON documents (each self-delimited by its int32 length, the same framing as mongodump's
 * .bson files):
 *   { format: 'mongo-wire-server-snapshot', version: 1, db }
 *   then per collection: { collection, options, indexes: [specs without _id_], count }
 *   followed by `count` raw documents.
 * Documents are written with their stored BSON types, so Int32/Double/Long/Decimal128 survive.
 * Each file is written to a temp file, fsynced and renamed over the old one (atomic on POSIX).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserialize, serialize as bsonSerialize } from 'bson';
import { normalizeIncoming, type Doc } from './bson-types.js';
import type { Engine } from './engine.js';
import type { IndexSpec } from './collection.js';

const EXT = '.wsnap';
const FORMAT = 'mongo-wire-server-snapshot';

const serialize = (d: Doc): Buffer => {
  const u = bsonSerialize(d);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};

function fileFor(dataDir: string, db: string): string {
  return path.join(dataDir, encodeURIComponent(db) + EXT);
}

function readDocs(buf: Buffer): Doc[] {
  const out: Doc[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readInt32LE(off);
    if (len < 5 || off + len > buf.length) throw new Error(`truncated snapshot at byte ${off}`);
    out.push(normalizeIncoming(deserialize(buf.subarray(off, off + len), { promoteValues: false })));
    off += len;
  }
  return out;
}

export function loadSnapshots(engine: Engine, dataDir: string, log: (m: string) => void): void {
  fs.mkdirSync(dataDir, { recursive: true });
  for (const name of fs.readdirSync(dataDir)) {
    if (!name.endsWith(EXT)) continue;
    const docs = readDocs(fs.readFileSync(path.join(dataDir, name)));
    const header = docs[0];
    if (!header || header.format !== FORMAT) {
      log(`persistence: skipping ${name} (not a snapshot)`);
      continue;
    }
    const db = String(header.db);
    let i = 1;
    while (i < docs.length) {
      const c = docs[i++];
      const count = Number(c.count);
      const collDocs = docs.slice(i, i + count);
      i += count;
      engine.restoreCollection(db, String(c.collection), c.options ?? {}, (c.indexes ?? []) as IndexSpec[], collDocs);
    }
    log(`persistence: loaded database ${db}`);
  }
  engine.dirty.clear();
}

function writeAtomic(file: string, chunks: Buffer[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const c of chunks) fs.writeSync(fd, c);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * Write every database changed since the last snapshot. A database stays marked dirty until its
 * own file is written, so one failed write neither loses the others nor is forgotten: it is
 * retried at the next interval and on stop, and the first error is rethrown after the others.
 */
export function writeSnapshots(engine: Engine, dataDir: string, log: (m: string) => void): void {
  if (engine.dirty.size === 0) return;
  fs.mkdirSync(dataDir, { recursive: true });
  let written = 0;
  let firstError: unknown;
  for (const db of [...engine.dirty]) {
    try {
      writeDatabase(engine, dataDir, db);
      engine.dirty.delete(db);
      written += 1;
    } catch (e) {
      firstError ??= e;
    }
  }
  try {
    const dfd = fs.openSync(dataDir, 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    /* directory fsync is not supported everywhere */
  }
  log(`persistence: wrote ${written} database snapshot(s)`);
  if (firstError !== undefined) throw firstError;
}

function writeDatabase(engine: Engine, dataDir: string, db: string): void {
  const file = fileFor(dataDir, db);
  const colls = engine.dbs.get(db);
  if (!colls || colls.size === 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  const chunks: Buffer[] = [serialize({ format: FORMAT, version: 1, db })];
  for (const coll of colls.values()) {
    chunks.push(
      serialize({
        collection: coll.name,
        options: coll.options,
        indexes: coll.indexes.filter((ix) => ix.spec.name !== '_id_').map((ix) => ix.spec),
        count: coll.size,
      }),
    );
    for (const d of coll.docs()) chunks.push(serialize(d));
  }
  writeAtomic(file, chunks);
}

const LOCK_FILE = 'wire-server.lock';
/** Data directories this process holds (a second server in the same process is refused too). */
const heldDirs = new Set<string>();

/**
 * Takes the data directory for this process, as mongod's `mongod.lock` does: two servers on one
 * directory would overwrite each other's snapshots. The lock file is created exclusively. A lock
 * whose process no longer runs is stale: it is claimed by renaming it away (only one contender's
 * rename can succeed) and the loop tries again. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const dir = fs.realpathSync(dataDir);
  const file = path.join(dir, LOCK_FILE);
  if (heldDirs.has(dir)) throw new Error(`data directory ${dataDir} is in use by process ${process.pid}, this one (${file})`);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      heldDirs.add(dir);
      return () => {
        heldDirs.delete(dir);
        fs.rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = readOwner(file);
    if (owner === undefined) continue; // released meanwhile: try again
    if (owner !== process.pid && isRunning(owner)) {
      throw new Error(`data directory ${dataDir} is in use by process ${owner} (${file})`);
    }
    const claimed = `${file}.stale-${process.pid}-${attempt}`;
    try {
      fs.renameSync(file, claimed);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // another contender claimed it
      throw e;
    }
    // Between reading the owner and the rename, a live process may have taken the lock; give it back.
    const renamedOwner = readOwner(claimed);
    if (renamedOwner !== undefined && renamedOwner !== owner && isRunning(renamedOwner)) {
      fs.renameSync(claimed, file);
      throw new Error(`data directory ${dataDir} is in use by process ${renamedOwner} (${file})`);
    }
    fs.rmSync(claimed, { force: true });
  }
  throw new Error(`could not lock data directory ${dataDir} (${file})`);
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
