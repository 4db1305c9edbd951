/**
 * The journal: an append-only log of every change, written and fsynced before the write that made
 * it is acknowledged (mongod's journal does the same for `j: true`).
 *
 * File: `<dataDir>/journal-<16-digit generation>.wjnl`, a sequence of records:
 *
 *     u32 LE  payload length
 *     u32 LE  CRC-32 of the payload
 *     payload: BSON { lsn, n } followed by n ops; each op is a BSON header
 *              { op, db, c, k?, ... } and, for `i` (insert) and `u` (replace), the document's
 *              BSON right after it.
 *
 * One record holds every change one command made (or one TTL sweep), so a multi-document write
 * is replayed whole or not at all. `lsn` (log sequence number) counts records across files, one by
 * one. A record whose length runs past the end of the file, whose CRC does not match or whose
 * payload does not parse ends the readable journal: that is a write torn by a crash, and
 * recovery drops it (with a log line) and truncates the file there.
 *
 * Group commit: records are queued, and one `write` + `fdatasync` takes everything queued so far;
 * the records that arrive while a sync is in flight go together in the next one. The promise of
 * `append` resolves when its record is on disk; if a write or sync fails, the journal is failed
 * for good and every waiting and later `append` rejects.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { deserialize, serialize as bsonSerialize } from 'bson';
import { normalizeIncoming, toNumber, type Doc } from './bson-types.js';
import type { Op } from './engine.js';

export const JOURNAL_PREFIX = 'journal-';
export const JOURNAL_EXT = '.wjnl';
const RECORD_HEADER = 8;

const serialize = (d: Doc): Buffer => {
  const u = bsonSerialize(d);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
};

// zlib.crc32 exists from Node 20.15 / 22.2; the table version is the fallback.
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
export const crc32: (b: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (b) => (zlib as unknown as { crc32: (b: Uint8Array) => number }).crc32(b) >>> 0
    : (b) => {
        let c = -1;
        for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
        return (c ^ -1) >>> 0;
      };

export function journalFileName(gen: number): string {
  return `${JOURNAL_PREFIX}${String(gen).padStart(16, '0')}${JOURNAL_EXT}`;
}

/** Journal files of a data directory, oldest first. */
export function listJournalFiles(dataDir: string): { gen: number; file: string }[] {
  const out: { gen: number; file: string }[] = [];
  for (const name of fs.readdirSync(dataDir)) {
    const m = /^journal-(\d+)\.wjnl$/.exec(name);
    if (m) out.push({ gen: Number(m[1]), file: path.join(dataDir, name) });
  }
  return out.sort((a, b) => a.gen - b.gen);
}

/** Encode one record (header + payload). Serializes the ops' documents: cost follows the write's size. */
export function encodeRecord(lsn: number, ops: Op[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(RECORD_HEADER), serialize({ lsn, n: ops.length })];
  for (const op of ops) {
    if (op.op === 'i' || op.op === 'u') {
      const { doc, ...header } = op;
      parts.push(serialize({ ...header, d: 1 }), serialize(doc));
    } else parts.push(serialize(op));
  }
  const rec = Buffer.concat(parts);
  rec.writeUInt32LE(rec.length - RECORD_HEADER, 0);
  rec.writeUInt32LE(crc32(rec.subarray(RECORD_HEADER)), 4);
  return rec;
}

/** An op as read back: its header (BSON types kept) and, for i/u, the document's bytes. */
export interface RawOp {
  header: Doc;
  doc?: Buffer;
}

/** Split a payload into its ops without deserializing the documents. Throws on a malformed payload. */
export function decodePayload(payload: Buffer): { lsn: number; ops: RawOp[] } {
  let off = 0;
  const next = (): Buffer => {
    if (off + 5 > payload.length) throw new Error('payload ends inside a document');
    const len = payload.readInt32LE(off);
    if (len < 5 || off + len > payload.length) throw new Error('bad document length in payload');
    const b = payload.subarray(off, off + len);
    off += len;
    return b;
  };
  const head = deserialize(next(), { promoteValues: false });
  const lsn = toNumber(head.lsn);
  const n = toNumber(head.n);
  const ops: RawOp[] = [];
  for (let i = 0; i < n; i++) {
    const header = deserialize(next(), { promoteValues: false });
    ops.push(header.d ? { header, doc: next() } : { header });
  }
  if (off !== payload.length) throw new Error('trailing bytes in payload');
  return { lsn, ops };
}

/** An op ready for Engine.apply (documents deserialized and normalized as the wire path does). */
export function toEngineOp(raw: RawOp): Op {
  const h = normalizeIncoming(raw.header) as Doc;
  delete h.d;
  if (raw.doc) h.doc = normalizeIncoming(deserialize(raw.doc, { promoteValues: false }));
  return h as Op;
}

export interface ReadRecord {
  lsn: number;
  payload: Buffer;
  /** the record as framed in the file (header + payload) */
  frame: Buffer;
}

/**
 * Read the whole records of a journal file. Stops at the first torn or corrupt record and says
 * where (`validBytes`) and why (`problem`).
 */
export function readJournalFile(file: string): { records: ReadRecord[]; validBytes: number; size: number; problem?: string } {
  const buf = fs.readFileSync(file);
  const records: ReadRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + RECORD_HEADER > buf.length) return { records, validBytes: off, size: buf.length, problem: `torn record header at byte ${off}` };
    const len = buf.readUInt32LE(off);
    const crc = buf.readUInt32LE(off + 4);
    if (off + RECORD_HEADER + len > buf.length) {
      return { records, validBytes: off, size: buf.length, problem: `record at byte ${off} is torn (${len} bytes announced, ${buf.length - off - RECORD_HEADER} present)` };
    }
    const payload = buf.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len);
    if (crc32(payload) !== crc) return { records, validBytes: off, size: buf.length, problem: `record at byte ${off} fails its CRC-32 check` };
    let lsn: number;
    try {
      lsn = decodePayload(payload).lsn;
    } catch (e) {
      return { records, validBytes: off, size: buf.length, problem: `record at byte ${off} does not parse: ${(e as Error).message}` };
    }
    records.push({ lsn, payload, frame: buf.subarray(off, off + RECORD_HEADER + len) });
    off += RECORD_HEADER + len;
  }
  return { records, validBytes: off, size: buf.length };
}

export interface JournalStats {
  /** records queued or being written, not yet on disk */
  pendingOps: number;
  pendingBytes: number;
  /** lsn of the last record handed to the journal, and of the last one on disk */
  lastLsn: number;
  durableLsn: number;
  /** set once a write or sync failed: the journal takes no more records */
  failed?: string;
  /** time of write + fdatasync per group commit, over the last (up to) 1024 groups */
  syncMs: { groups: number; p50: number; p99: number; max: number };
}

interface OpenFile {
  gen: number;
  fd: number;
  pos: number;
  /** highest lsn written to this file */
  maxLsn: number;
}

/**
 * The append side. `onDurable` receives each group's records (framed as in the file), in lsn
 * order, once they are on disk (the checkpoint worker's feed); `afterSync` runs after each group
 * (checkpoint trigger).
 */
export class JournalWriter {
  private file: OpenFile;
  /** closed generations that still hold records not yet in a checkpoint */
  readonly closed: { gen: number; file: string; maxLsn: number }[] = [];
  private queue: { rec: Buffer; lsn: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private queueBytes = 0;
  private inflight: { ops: number; bytes: number } | undefined;
  private scheduled = false;
  private nextLsn: number;
  private durable: number;
  private error: Error | undefined;
  private rotations: ((coveredLsn: number) => void)[] = [];
  private readonly syncTimes = new Float64Array(1024);
  private syncs = 0;
  /** the next journal file, created and its directory entry synced ahead of time (so a rotation never waits for the disk) */
  private spare: { gen: number; fd: number } | undefined;
  private preparing = false;
  /** journal bytes written since the last rotation */
  bytesSinceRotation = 0;

  constructor(
    private readonly dataDir: string,
    start: { gen: number; pos: number; maxLsn: number; lastLsn: number },
    private readonly onDurable: (records: Buffer) => void,
    private readonly afterSync: () => void,
    private readonly log: (m: string) => void,
  ) {
    const file = path.join(dataDir, journalFileName(start.gen));
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
    this.file = { gen: start.gen, fd, pos: start.pos, maxLsn: start.maxLsn };
    this.nextLsn = start.lastLsn + 1;
    this.durable = start.lastLsn;
    if (start.pos === 0) syncDir(dataDir);
    this.prepareSpare();
  }

  /** Create the next file and sync the directory, off the main thread (libuv's pool). */
  private prepareSpare(): void {
    if (this.spare || this.preparing || this.error) return;
    this.preparing = true;
    let settle!: () => void;
    this.prepared = new Promise<void>((r) => (settle = r));
    const gen = this.file.gen + 1;
    fs.open(path.join(this.dataDir, journalFileName(gen)), 'w', (err, fd) => {
      if (err) {
        this.preparing = false;
        settle();
        this.log(`journal: could not create the next journal file: ${err.message}`);
        return;
      }
      fs.open(this.dataDir, 'r', (e2, dfd) => {
        const done = () => {
          this.preparing = false;
          settle();
          if (this.closedForGood) {
            fs.close(fd, () => undefined);
            return;
          }
          this.spare = { gen, fd };
          if (this.rotations.length && !this.inflight) this.maybeRotate();
        };
        if (e2) return done();
        fs.fsync(dfd, () => fs.close(dfd, () => done()));
      });
    });
  }
  private closedForGood = false;
  private prepared: Promise<void> = Promise.resolve();

  get failed(): Error | undefined {
    return this.error;
  }

  get currentGen(): number {
    return this.file.gen;
  }

  get lastLsn(): number {
    return this.nextLsn - 1;
  }

  get durableLsn(): number {
    return this.durable;
  }

  stats(): JournalStats {
    const n = Math.min(this.syncs, this.syncTimes.length);
    const times = Array.from(this.syncTimes.subarray(0, n)).sort((a, b) => a - b);
    const q = (p: number) => (n ? times[Math.min(n - 1, Math.floor(n * p))] : 0);
    return {
      syncMs: { groups: n, p50: q(0.5), p99: q(0.99), max: n ? times[n - 1] : 0 },
      pendingOps: this.queue.length + (this.inflight?.ops ?? 0),
      pendingBytes: this.queueBytes + (this.inflight?.bytes ?? 0),
      lastLsn: this.lastLsn,
      durableLsn: this.durable,
      ...(this.error ? { failed: this.error.message } : {}),
    };
  }

  /** Queue the record of one command's ops; resolves once it is on disk. */
  append(ops: Op[]): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    let rec: Buffer;
    try {
      rec = encodeRecord(this.nextLsn, ops);
    } catch (e) {
      // The change is made in memory but cannot be journaled: memory and disk now differ, so no
      // later write may be acknowledged either.
      this.fail(e as Error, []);
      return Promise.reject(this.error);
    }
    const lsn = this.nextLsn++;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rec, lsn, resolve, reject });
      this.queueBytes += rec.length;
      this.schedule();
    });
  }

  /**
   * Close the current file between two groups, so that later records go to a new one; `done` gets
   * the lsn of the last record in the closed file (every record up to it is on disk and was fed).
   */
  rotate(done: (coveredLsn: number) => void): void {
    this.rotations.push(done);
    if (!this.inflight) this.maybeRotate();
  }

  /** Resolves when everything appended so far is on disk (or the journal failed). */
  async drain(): Promise<void> {
    while ((this.inflight || this.queue.length > 0 || this.scheduled) && !this.error) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  /** Close the files (after the next file, if being created, exists: nothing touches the directory after this). */
  async close(): Promise<void> {
    this.closedForGood = true;
    await this.prepared;
    for (const fd of [this.file.fd, this.spare?.fd]) {
      if (fd === undefined) continue;
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    this.spare = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.inflight || this.error) return;
    this.scheduled = true;
    // setImmediate: every command that arrives in this turn of the event loop joins this sync.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inflight || this.error) return;
    if (this.queue.length === 0) {
      this.maybeRotate();
      return;
    }
    const group = this.queue;
    this.queue = [];
    const bytes = this.queueBytes;
    this.queueBytes = 0;
    this.inflight = { ops: group.length, bytes };
    const buf = group.length === 1 ? group[0].rec : Buffer.concat(group.map((g) => g.rec), bytes);
    const file = this.file;
    const started = performance.now();
    const done = (err: NodeJS.ErrnoException | null) => {
      this.inflight = undefined;
      this.syncTimes[this.syncs++ % this.syncTimes.length] = performance.now() - started;
      if (err) {
        this.fail(err, group);
        return;
      }
      file.pos += bytes;
      const last = group[group.length - 1].lsn;
      file.maxLsn = last;
      this.durable = last;
      this.bytesSinceRotation += bytes;
      for (const g of group) g.resolve();
      try {
        this.onDurable(buf);
      } catch (e) {
        this.log(`journal: checkpoint feed failed: ${(e as Error).message}`);
      }
      this.maybeRotate();
      this.afterSync();
      if (this.queue.length > 0) this.schedule();
    };
    fs.write(file.fd, buf, 0, bytes, file.pos, (err) => {
      if (err) return done(err);
      fs.fdatasync(file.fd, done);
    });
  }

  private maybeRotate(): void {
    if (this.rotations.length === 0 || this.inflight || this.error) return;
    const callbacks = this.rotations.splice(0);
    const covered = this.file.maxLsn;
    const finish = () => {
      for (const cb of callbacks) cb(covered);
    };
    if (this.file.pos === 0) return finish(); // nothing in it yet: keep using it
    if (!this.spare) {
      // Not ready yet (rare: a rotation right after the last one): wait for it.
      this.rotations.unshift(...callbacks);
      this.prepareSpare();
      return;
    }
    const old = this.file;
    const { gen, fd } = this.spare;
    this.spare = undefined;
    fs.close(old.fd, () => undefined);
    this.closed.push({ gen: old.gen, file: path.join(this.dataDir, journalFileName(old.gen)), maxLsn: old.maxLsn });
    this.file = { gen, fd, pos: 0, maxLsn: old.maxLsn };
    this.bytesSinceRotation = 0;
    this.prepareSpare();
    finish();
  }

  private fail(err: Error, group: { reject: (e: Error) => void }[]): void {
    this.error = new Error(`journal write failed: ${err.message}`);
    this.log(`journal: ${this.error.message}; no further writes are acknowledged`);
    for (const g of group) g.reject(this.error);
    for (const g of this.queue) g.reject(this.error);
    this.queue = [];
    this.queueBytes = 0;
  }

  /** Closed journal files whose every record is in a checkpoint at `lsn` (the checkpoint writer deletes them). */
  covered(lsn: number): string[] {
    return this.closed.filter((f) => f.maxLsn <= lsn).map((f) => f.file);
  }

  /** Forget files the checkpoint writer deleted. */
  forget(files: string[]): void {
    const gone = new Set(files);
    for (let i = this.closed.length - 1; i >= 0; i--) if (gone.has(this.closed[i].file)) this.closed.splice(i, 1);
  }
}

export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* directory fsync is not supported everywhere */
  }
}
