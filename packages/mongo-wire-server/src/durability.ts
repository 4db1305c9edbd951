/**
 * Durability of a data directory: recovery at start, the journal (journal.ts) on every write, and
 * checkpoints written by a worker thread (checkpoint-worker.ts).
 *
 * Recovery: load `checkpoint.wckpt` (or, if there is none yet, the `.wsnap` files of the format
 * before the journal), then replay the journal records after its lsn, oldest file first. A torn or
 * corrupt record at the end of the last journal file is dropped with a log line and the file is
 * truncated there; one anywhere else, or a gap in the lsn sequence, stops the start (the journal
 * after it would be applied to the wrong state).
 *
 * Checkpoints: once `journalCheckpointBytes` of journal have been written since the last one, the
 * journal moves to a new file and the worker writes the state after the last record of the old
 * one. When the checkpoint is on disk, the journal files it covers are deleted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { normalizeIncoming, type Doc } from './bson-types.js';
import { CHECKPOINT_FILE, listSnapshotFiles, readBaseFile, type Section } from './checkpoint.js';
import type { IndexSpec } from './collection.js';
import type { Engine, Op } from './engine.js';
import { decodePayload, JournalWriter, listJournalFiles, readJournalFile, toEngineOp } from './journal.js';

export const DEFAULT_JOURNAL_CHECKPOINT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_DATA_SIZE_WARN_BYTES = 512 * 1024 * 1024;
const CHECKPOINT_RETRY_MS = 10_000;

export interface DurabilityOptions {
  dataDir: string;
  journalCheckpointBytes?: number;
  dataSizeWarnBytes?: number;
  log: (m: string) => void;
}

export interface DurabilityStatus {
  /** false once the journal failed: writes are answered with an error from then on */
  ok: boolean;
  failed?: string;
  journal: {
    /** records (one per write command) and bytes accepted but not yet fsynced */
    pendingOps: number;
    pendingBytes: number;
    lastLsn: number;
    durableLsn: number;
    /** journal bytes written since the last checkpoint */
    bytesSinceCheckpoint: number;
    /** write + fdatasync time per group commit, over the last (up to) 1024 groups: the disk's share of a write's latency */
    syncMs: { groups: number; p50: number; p99: number; max: number };
  };
  checkpoint: {
    running: boolean;
    lsn: number;
    lastMs?: number;
    lastError?: string;
  };
  /** BSON size of the documents at the last checkpoint (or at start) */
  dataBytes: number;
  dataSizeWarnBytes: number;
}

export interface CheckpointResult {
  lsn: number;
  bytes: number;
  documents: number;
  ms: number;
}

export class DurableStore {
  private readonly writer: JournalWriter;
  private readonly worker: Worker;
  private readonly abort = new SharedArrayBuffer(4);
  private readonly threshold: number;
  private readonly warnBytes: number;
  private bytesSinceCheckpoint: number;
  private checkpointLsn: number;
  private running = false;
  private lastMs: number | undefined;
  private lastError: string | undefined;
  private retryAfter = 0;
  private dataBytes: number;
  private warned = false;
  private workerDead: string | undefined;
  private waiters: { resolve: (r: CheckpointResult) => void; reject: (e: Error) => void }[] = [];
  private closing = false;

  private constructor(
    private readonly engine: Engine,
    private readonly opts: DurabilityOptions,
  ) {
    const { dataDir, log } = opts;
    this.threshold = opts.journalCheckpointBytes ?? DEFAULT_JOURNAL_CHECKPOINT_BYTES;
    this.warnBytes = opts.dataSizeWarnBytes ?? DEFAULT_DATA_SIZE_WARN_BYTES;
    fs.rmSync(path.join(dataDir, `${CHECKPOINT_FILE}.tmp`), { force: true, recursive: true });

    // 1. The base: the last checkpoint, or the snapshot files of the format before the journal.
    const started = performance.now();
    const checkpointFile = path.join(dataDir, CHECKPOINT_FILE);
    let baseFiles: string[];
    let lsn0 = 0;
    let sections: Section[] = [];
    const load = (file: string) => {
      let coll: ReturnType<Engine['restoreCollection']> | undefined;
      return readBaseFile(
        file,
        (s) => {
          // (the sections are this load's own: normalizing them in place is safe)
          const options = normalizeIncoming(s.options) as Doc;
          const indexes = s.indexes.map((i) => normalizeIncoming(i)) as IndexSpec[];
          coll = engine.restoreCollection(s.db, s.name, options, indexes, []);
        },
        (_s, doc) => coll!.insert(doc),
      );
    };
    if (fs.existsSync(checkpointFile)) {
      const base = load(checkpointFile);
      if (!base || base.kind !== 'checkpoint') throw new Error(`${checkpointFile} is not a checkpoint`);
      lsn0 = base.lsn;
      sections = base.sections;
      baseFiles = [checkpointFile];
      for (const f of listSnapshotFiles(dataDir)) {
        log(`persistence: removing ${path.basename(f)}: the checkpoint already holds it`);
        fs.rmSync(f, { force: true });
      }
    } else {
      baseFiles = [];
      for (const f of listSnapshotFiles(dataDir)) {
        const base = load(f);
        if (!base) {
          log(`persistence: skipping ${path.basename(f)} (not a snapshot)`);
          continue;
        }
        baseFiles.push(f);
        sections.push(...base.sections);
        log(`persistence: loaded database ${base.sections[0]?.db ?? path.basename(f)} from a snapshot file`);
      }
    }
    this.checkpointLsn = lsn0;
    this.dataBytes = sections.reduce((n, s) => n + s.bytes, 0);

    // 2. Replay the journal after the base.
    const files = listJournalFiles(dataDir);
    let last = lsn0;
    let replayed = 0;
    let sinceBase = 0;
    const feed: Buffer[] = [];
    const closed: { gen: number; file: string; maxLsn: number }[] = [];
    let tail = { gen: files.length ? files[files.length - 1].gen : 1, pos: 0, maxLsn: lsn0 };
    // A torn record can only be at the end of the last file written to: the files after it, if
    // any, are empty (the next file is created ahead of time).
    let lastWritten = -1;
    files.forEach(({ file }, i) => {
      if (fs.statSync(file).size > 0) lastWritten = i;
    });
    files.forEach(({ gen, file }, i) => {
      const r = readJournalFile(file);
      let maxLsn = lsn0;
      for (const rec of r.records) {
        maxLsn = rec.lsn;
        if (rec.lsn <= lsn0) continue;
        if (rec.lsn !== last + 1) throw new Error(`journal ${path.basename(file)}: record ${rec.lsn} follows ${last}; records are missing, refusing to start`);
        for (const raw of decodePayload(rec.payload).ops) engine.apply(toEngineOp(raw));
        last = rec.lsn;
        replayed++;
        sinceBase += rec.frame.length;
        feed.push(rec.frame);
      }
      const isLast = i === files.length - 1;
      if (r.problem) {
        if (i !== lastWritten) throw new Error(`journal ${path.basename(file)}: ${r.problem}, and later journal files exist; refusing to start`);
        log(`journal: ${path.basename(file)}: ${r.problem}; dropped ${r.size - r.validBytes} byte(s) from there (a write torn by a crash, never acknowledged)`);
        const fd = fs.openSync(file, 'r+');
        try {
          fs.ftruncateSync(fd, r.validBytes);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      }
      if (isLast) tail = { gen, pos: r.validBytes, maxLsn: Math.max(maxLsn, last) };
      else if (maxLsn <= lsn0) fs.rmSync(file, { force: true });
      else closed.push({ gen, file, maxLsn });
    });
    this.bytesSinceCheckpoint = sinceBase;
    log(
      `persistence: recovered ${baseFiles.length ? baseFiles.map((f) => path.basename(f)).join(', ') : 'an empty data directory'} ` +
        `(lsn ${lsn0}) and ${replayed} journal record(s) in ${Math.round(performance.now() - started)} ms`,
    );

    // 3. The checkpoint worker starts from the same base and the same records.
    this.worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { dataDir, abort: this.abort } });
    this.worker.unref();
    this.worker.on('message', (m: Doc) => this.onWorker(m));
    this.worker.on('error', (e) => this.onWorker({ type: 'fatal', error: e.message }));
    this.worker.postMessage({ type: 'base', files: baseFiles, lsn: lsn0 });
    if (feed.length) this.postRecords(Buffer.concat(feed));

    // 4. New records go to the end of the last journal file.
    this.writer = new JournalWriter(
      dataDir,
      { gen: tail.gen, pos: tail.pos, maxLsn: tail.maxLsn, lastLsn: last },
      (data) => {
        this.bytesSinceCheckpoint += data.length;
        this.postRecords(data);
      },
      () => this.maybeCheckpoint(),
      log,
    );
    this.writer.closed.push(...closed);
    this.checkSize();
  }

  static open(engine: Engine, opts: DurabilityOptions): DurableStore {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    return new DurableStore(engine, opts);
  }

  get failed(): Error | undefined {
    return this.writer.failed;
  }

  /** Journal one command's changes; resolves once they are on disk. */
  commit(ops: Op[]): Promise<void> {
    return this.writer.append(ops);
  }

  status(): DurabilityStatus {
    const j = this.writer.stats();
    return {
      ok: !j.failed,
      ...(j.failed ? { failed: j.failed } : {}),
      journal: {
        pendingOps: j.pendingOps,
        pendingBytes: j.pendingBytes,
        lastLsn: j.lastLsn,
        durableLsn: j.durableLsn,
        bytesSinceCheckpoint: this.bytesSinceCheckpoint,
        syncMs: j.syncMs,
      },
      checkpoint: {
        running: this.running,
        lsn: this.checkpointLsn,
        ...(this.lastMs !== undefined ? { lastMs: this.lastMs } : {}),
        ...(this.lastError ? { lastError: this.lastError } : {}),
      },
      dataBytes: this.dataBytes,
      dataSizeWarnBytes: this.warnBytes,
    };
  }

  /** Write a checkpoint now (after what is journaled so far); resolves when it is on disk. */
  async checkpoint(): Promise<CheckpointResult> {
    await this.writer.drain();
    const done = new Promise<CheckpointResult>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.running) this.startCheckpoint();
    return done;
  }

  /** Wait for the journal to be on disk, stop the worker (a running checkpoint is abandoned). */
  async close(): Promise<void> {
    this.closing = true;
    await this.writer.drain();
    await this.writer.close();
    Atomics.store(new Int32Array(this.abort), 0, 1);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('server stopped before the checkpoint finished'));
  }

  private postRecords(data: Buffer): void {
    if (this.workerDead) return;
    // A fresh copy of exactly these bytes, moved (not cloned) to the worker.
    const copy = new Uint8Array(data.length);
    copy.set(data);
    this.worker.postMessage({ type: 'records', data: copy }, [copy.buffer]);
  }

  private maybeCheckpoint(): void {
    if (this.running || this.closing || this.workerDead) return;
    if (this.bytesSinceCheckpoint < this.threshold || Date.now() < this.retryAfter) return;
    this.startCheckpoint();
  }

  private startCheckpoint(): void {
    if (this.workerDead) {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`checkpoint worker failed: ${this.workerDead}`));
      return;
    }
    this.running = true;
    this.writer.rotate((lsn) => {
      if (lsn <= this.checkpointLsn && this.waiters.length === 0) {
        this.running = false;
        return;
      }
      // The worker deletes the journal files this checkpoint covers once it is on disk.
      this.worker.postMessage({ type: 'checkpoint', lsn, covered: this.writer.covered(lsn) });
    });
  }

  private onWorker(m: Doc): void {
    if (m.type === 'checkpointed') {
      this.running = false;
      this.checkpointLsn = m.lsn;
      this.lastMs = m.ms;
      this.lastError = undefined;
      this.dataBytes = m.bytes;
      this.bytesSinceCheckpoint = this.writer.bytesSinceRotation;
      this.writer.forget(m.deleted);
      this.opts.log(`checkpoint: lsn ${m.lsn}, ${m.documents} document(s), ${(m.bytes / 1048576).toFixed(1)} MB in ${Math.round(m.ms)} ms`);
      this.checkSize();
      for (const w of this.waiters.splice(0)) w.resolve({ lsn: m.lsn, bytes: m.bytes, documents: m.documents, ms: m.ms });
      this.maybeCheckpoint();
    } else if (m.type === 'checkpoint-failed') {
      this.running = false;
      this.lastError = String(m.error);
      this.retryAfter = Date.now() + CHECKPOINT_RETRY_MS;
      if (!this.closing) this.opts.log(`checkpoint failed (the journal still holds every write; retried later): ${m.error}`);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`checkpoint failed: ${m.error}`));
    } else if (m.type === 'fatal') {
      this.running = false;
      this.workerDead = String(m.error);
      this.lastError = this.workerDead;
      this.opts.log(`checkpoint worker failed; no more checkpoints (the journal still holds every write): ${m.error}`);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`checkpoint worker failed: ${m.error}`));
    }
  }

  private checkSize(): void {
    if (this.dataBytes > this.warnBytes) {
      if (!this.warned) {
        this.opts.log(
          `warning: the data (${megabytes(this.dataBytes)} of BSON) is past the ${megabytes(this.warnBytes)} ` +
            'this server is meant for: it keeps every document in memory; use a real MongoDB for more',
        );
        this.warned = true;
      }
    } else this.warned = false;
  }
}

function megabytes(n: number): string {
  return n >= 1048576 ? `${Math.round(n / 1048576)} MB` : `${(n / 1048576).toFixed(3)} MB`;
}
