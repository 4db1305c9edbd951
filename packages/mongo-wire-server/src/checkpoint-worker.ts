/**
 * The checkpoint writer, in a worker thread, so that a checkpoint costs the request path nothing
 * whatever the size of the data.
 *
 * It never sees the server's documents as objects. It knows the last checkpoint (or the snapshot
 * files of the format before the journal) as byte ranges of files, and receives every journal
 * record once it is on disk. From the records it keeps, per collection, only what changed since
 * that base: documents replaced or deleted (by `_id` key) and documents inserted (in order), plus
 * collection options and index specs. A checkpoint merges the two: each collection's base range is
 * copied as is when nothing in it changed, or read document by document, replacing or skipping
 * the changed ones; the inserted documents follow. So its memory is bounded by the journal since
 * the last checkpoint, and the order of documents is the server's (insertion order, a replaced
 * document keeps its place).
 *
 * Messages in:  { type: 'base', files, lsn }   the base to start from
 *               { type: 'records', data }      journal records (framed as in the file), in lsn order
 *               { type: 'checkpoint', lsn, covered }  write checkpoint.wckpt for the state after `lsn`,
 *                                              then delete the journal files `covered` (all their records <= lsn)
 *               { type: 'close' }              exit (a running checkpoint stops at the abort flag)
 * Messages out: { type: 'checkpointed', lsn, bytes, documents, ms, deleted } | { type: 'checkpoint-failed', lsn, error }
 *               { type: 'fatal', error }       the feed is inconsistent: no checkpoint can be written
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { Long, serialize as bsonSerialize } from 'bson';
import type { Doc } from './bson-types.js';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT, DocReader, idKeyOf, readBaseFile, type Section } from './checkpoint.js';
import { decodePayload } from './journal.js';

interface CollState {
  options: Doc;
  indexes: Doc[];
  /** the collection's documents in the base, or null when it was created or cleared since */
  src: Section | null;
  /** base documents replaced (new bytes) or deleted (null) since the base, by _id key */
  changes: Map<string, Buffer | null>;
  /** documents inserted since the base, in insertion order */
  appended: Map<string, Buffer>;
}

const { dataDir, abort } = workerData as { dataDir: string; abort: SharedArrayBuffer };

// On Linux, setpriority() with this thread's id lowers this thread alone: when the cores are
// busy, the server's request thread gets them first, and a checkpoint just takes longer.
try {
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) os.setPriority(tid, 10);
} catch {
  /* not Linux: the thread keeps the process's priority */
}
const abortFlag = new Int32Array(abort);
const catalog = new Map<string, Map<string, CollState>>();
let appliedLsn = 0;
let baseFiles: string[] = [];
let fatal: string | undefined;

const serialize = (d: Doc): Buffer => {
  const u = bsonSerialize(d);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};

function setBase(files: string[], sections: Section[], lsn: number): void {
  catalog.clear();
  for (const s of sections) {
    let db = catalog.get(s.db);
    if (!db) catalog.set(s.db, (db = new Map()));
    db.set(s.name, { options: s.options, indexes: s.indexes, src: s, changes: new Map(), appended: new Map() });
  }
  baseFiles = files;
  appliedLsn = lsn;
}

function coll(db: string, c: string): CollState {
  const st = catalog.get(db)?.get(c);
  if (!st) throw new Error(`record for missing collection ${db}.${c}`);
  return st;
}

function applyRecords(data: Uint8Array): void {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off);
    const payload = buf.subarray(off + 8, off + 8 + len);
    off += 8 + len;
    const { lsn, ops } = decodePayload(payload);
    if (lsn <= appliedLsn) continue;
    if (lsn !== appliedLsn + 1) throw new Error(`journal record ${lsn} follows ${appliedLsn}`);
    for (const { header: h, doc } of ops) {
      const db = String(h.db);
      switch (h.op) {
        case 'i':
          coll(db, h.c).appended.set(h.k, doc!);
          break;
        case 'u': {
          const st = coll(db, h.c);
          if (st.appended.has(h.k)) st.appended.set(h.k, doc!);
          else st.changes.set(h.k, doc!);
          break;
        }
        case 'd': {
          const st = coll(db, h.c);
          st.appended.delete(h.k);
          if (st.src) st.changes.set(h.k, null);
          break;
        }
        case 'clear': {
          const st = coll(db, h.c);
          st.src = null;
          st.changes.clear();
          st.appended.clear();
          break;
        }
        case 'ci':
          coll(db, h.c).indexes.push(h.spec);
          break;
        case 'di': {
          const st = coll(db, h.c);
          st.indexes = st.indexes.filter((s) => s.name !== h.name);
          break;
        }
        case 'mi': {
          const spec = coll(db, h.c).indexes.find((s) => s.name === h.name);
          if (spec) {
            for (const [k, v] of Object.entries(h.options as Doc)) {
              if (k === 'hidden' && (v === false || v?.value === false)) delete spec.hidden;
              else spec[k] = v;
            }
          }
          break;
        }
        case 'cc': {
          let m = catalog.get(db);
          if (!m) catalog.set(db, (m = new Map()));
          if (!m.has(h.c)) m.set(h.c, { options: h.options ?? {}, indexes: [], src: null, changes: new Map(), appended: new Map() });
          break;
        }
        case 'dc': {
          const m = catalog.get(db);
          m?.delete(h.c);
          if (m && m.size === 0) catalog.delete(db);
          break;
        }
        case 'dd':
          catalog.delete(db);
          break;
        case 'rn': {
          const st = coll(db, h.c);
          const m = catalog.get(db)!;
          m.delete(h.c);
          if (m.size === 0) catalog.delete(db);
          let t = catalog.get(String(h.toDb));
          if (!t) catalog.set(String(h.toDb), (t = new Map()));
          t.set(String(h.to), st);
          break;
        }
        default:
          throw new Error(`unknown journal op ${String(h.op)}`);
      }
    }
    appliedLsn = lsn;
  }
}

class Aborted extends Error {}

const SYNC_EVERY = 16 * 1024 * 1024;

/** Buffered sequential writer with the ability to patch bytes already written. */
class Out {
  private buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  private used = 0;
  pos = 0;
  constructor(private readonly fd: number) {}
  write(b: Uint8Array): void {
    if (this.used + b.length > this.buf.length) this.flush();
    if (b.length > this.buf.length) {
      this.writeAll(b);
    } else {
      this.buf.set(b, this.used);
      this.used += b.length;
    }
    this.pos += b.length;
  }
  flush(): void {
    if (Atomics.load(abortFlag, 0)) throw new Aborted('checkpoint aborted: the server is stopping');
    if (this.used > 0) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }
  private written = 0;
  private synced = 0;
  private writeAll(b: Uint8Array): void {
    let o = 0;
    while (o < b.length) o += fs.writeSync(this.fd, b, o, b.length - o, this.written + o);
    this.written += b.length;
    // Sync as we go: hundreds of MB of dirty pages would otherwise be flushed in one go, and the
    // journal's fdatasync (ext4 commits in order) would wait behind them.
    if (this.written - this.synced >= SYNC_EVERY) {
      fs.fdatasyncSync(this.fd);
      this.synced = this.written;
    }
  }
  patch(at: number, b: Buffer): void {
    this.flush();
    fs.writeSync(this.fd, b, 0, b.length, at);
  }
}

function writeCheckpoint(lsn: number, covered: string[]): { bytes: number; documents: number; sections: Section[]; deleted: string[] } {
  const file = path.join(dataDir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  const fds = new Map<string, number>();
  const srcFd = (f: string) => {
    let x = fds.get(f);
    if (x === undefined) fds.set(f, (x = fs.openSync(f, 'r')));
    return x;
  };
  const sections: Section[] = [];
  let dataBytes = 0;
  let documents = 0;
  try {
    const out = new Out(fd);
    out.write(serialize({ format: CHECKPOINT_FORMAT, version: 1, lsn }));
    const copy = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (const [db, colls] of catalog) {
      for (const [name, st] of colls) {
        const headerAt = out.pos;
        const headerOf = (count: number, bytes: number) =>
          serialize({ db, collection: name, options: st.options, indexes: st.indexes, count: Long.fromNumber(count), bytes: Long.fromNumber(bytes) });
        out.write(headerOf(0, 0));
        const start = out.pos;
        let count = 0;
        if (st.src && st.src.bytes > 0) {
          const sfd = srcFd(st.src.file);
          if (st.changes.size === 0) {
            for (let at = st.src.offset, end = st.src.offset + st.src.bytes; at < end; ) {
              const n = fs.readSync(sfd, copy, 0, Math.min(copy.length, end - at), at);
              if (n === 0) throw new Error(`${st.src.file} ended early`);
              out.write(copy.subarray(0, n));
              at += n;
            }
            count = st.src.count;
          } else {
            const reader = new DocReader(sfd, st.src.offset, st.src.offset + st.src.bytes);
            for (let d = reader.next(); d; d = reader.next()) {
              const change = st.changes.get(idKeyOf(d));
              if (change === null) continue;
              out.write(change ?? d);
              count++;
            }
          }
        }
        for (const d of st.appended.values()) {
          out.write(d);
          count++;
        }
        const bytes = out.pos - start;
        out.patch(headerAt, headerOf(count, bytes));
        sections.push({ db, name, options: st.options, indexes: st.indexes, count, file, offset: start, bytes });
        dataBytes += bytes;
        documents += count;
      }
    }
    out.write(serialize({ end: true, collections: sections.length, lsn }));
    out.flush();
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    for (const x of fds.values()) fs.closeSync(x);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  for (const x of fds.values()) fs.closeSync(x);
  fs.renameSync(tmp, file);
  syncDir();
  // The base of the format before the journal, and the journal up to lsn, are now in the checkpoint.
  const deleted: string[] = [];
  for (const f of [...baseFiles.filter((b) => b !== file), ...covered]) {
    try {
      fs.rmSync(f, { force: true });
      deleted.push(f);
    } catch {
      /* left for the next checkpoint: recovery skips records the checkpoint holds */
    }
  }
  if (deleted.length) syncDir();
  return { bytes: dataBytes, documents, sections, deleted };
}

function syncDir(): void {
  try {
    const fd = fs.openSync(dataDir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    /* not supported everywhere */
  }
}

parentPort!.on('message', (msg: Doc) => {
  try {
    if (msg.type === 'close') {
      parentPort!.close();
      return;
    }
    if (fatal) {
      if (msg.type === 'checkpoint') parentPort!.postMessage({ type: 'checkpoint-failed', lsn: msg.lsn, error: fatal });
      return;
    }
    if (msg.type === 'base') {
      const sections: Section[] = [];
      for (const f of msg.files as string[]) {
        const base = readBaseFile(f);
        if (base) sections.push(...base.sections);
      }
      setBase(msg.files, sections, msg.lsn);
    } else if (msg.type === 'records') {
      applyRecords(msg.data);
    } else if (msg.type === 'checkpoint') {
      const lsn = msg.lsn as number;
      if (lsn !== appliedLsn) throw new Error(`checkpoint at ${lsn} asked, records applied up to ${appliedLsn}`);
      const started = performance.now();
      try {
        const r = writeCheckpoint(lsn, (msg.covered ?? []) as string[]);
        setBase([path.join(dataDir, CHECKPOINT_FILE)], r.sections, lsn);
        parentPort!.postMessage({ type: 'checkpointed', lsn, bytes: r.bytes, documents: r.documents, ms: performance.now() - started, deleted: r.deleted });
      } catch (e) {
        parentPort!.postMessage({ type: 'checkpoint-failed', lsn, error: (e as Error).message });
      }
    }
  } catch (e) {
    fatal = (e as Error).message;
    parentPort!.postMessage({ type: 'fatal', error: fatal });
  }
});
