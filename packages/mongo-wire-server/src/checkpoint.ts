/**
 * Checkpoint files, and the snapshot files of the format before the journal (still loaded).
 *
 * Both are plain sequences of BSON documents, each self-delimited by its int32 length (the framing
 * of mongodump's .bson files). Documents keep their stored BSON types.
 *
 * `<dataDir>/checkpoint.wckpt` (all databases, the state after journal record `lsn`):
 *   { format: 'mongo-wire-server-checkpoint', version: 1, lsn }
 *   per collection: { db, collection, options, indexes: [specs without _id_], count, bytes }
 *                   followed by `count` documents, `bytes` long in all;
 *   { end: true, collections, lsn }   — a checkpoint without it is incomplete and is refused.
 * It is written to `checkpoint.wckpt.tmp`, fsynced and renamed over the old one, so it is always
 * whole.
 *
 * `<dataDir>/<encodeURIComponent(db)>.wsnap` (the snapshot format, one file per database):
 *   { format: 'mongo-wire-server-snapshot', version: 1, db }
 *   per collection: { collection, options, indexes, count } followed by `count` documents.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deserialize } from 'bson';
import { canonicalKey, normalizeIncoming, toNumber, type Doc } from './bson-types.js';

export const CHECKPOINT_FILE = 'checkpoint.wckpt';
export const CHECKPOINT_FORMAT = 'mongo-wire-server-checkpoint';
export const SNAPSHOT_EXT = '.wsnap';
export const SNAPSHOT_FORMAT = 'mongo-wire-server-snapshot';

/** One collection's documents inside a checkpoint or snapshot file. */
export interface Section {
  db: string;
  name: string;
  /** the collection header as stored (BSON types kept: promoteValues false, not normalized) */
  options: Doc;
  indexes: Doc[];
  count: number;
  file: string;
  /** byte range of the documents */
  offset: number;
  bytes: number;
}

export interface BaseFile {
  kind: 'checkpoint' | 'snapshot';
  file: string;
  lsn: number;
  sections: Section[];
}

/** Reads a range of a file as BSON documents, a few MB at a time. */
export class DocReader {
  private buf: Buffer;
  private start = 0; // first unread byte in buf
  private end = 0; // bytes of buf filled
  private filePos: number;

  constructor(
    private readonly fd: number,
    from: number,
    private readonly to: number,
    chunk = 4 * 1024 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(chunk);
    this.filePos = from;
  }

  /** Continue reading at `pos` (within the range). */
  seek(pos: number): void {
    this.filePos = pos;
    this.start = 0;
    this.end = 0;
  }

  get position(): number {
    return this.filePos - (this.end - this.start);
  }

  private fill(need: number): boolean {
    if (this.end - this.start >= need) return true;
    if (this.start > 0) {
      this.buf.copy(this.buf, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.end);
      this.buf = bigger;
    }
    while (this.end < need && this.filePos < this.to) {
      const n = fs.readSync(this.fd, this.buf, this.end, Math.min(this.buf.length - this.end, this.to - this.filePos), this.filePos);
      if (n === 0) break;
      this.end += n;
      this.filePos += n;
    }
    return this.end - this.start >= need;
  }

  /** The next document (a view valid until the next call), or undefined at the end of the range. */
  next(): Buffer | undefined {
    if (!this.fill(4)) {
      if (this.end > this.start) throw new Error(`truncated document at byte ${this.position}`);
      return undefined;
    }
    const len = this.buf.readInt32LE(this.start);
    if (len < 5) throw new Error(`bad document length ${len} at byte ${this.position}`);
    if (!this.fill(len)) throw new Error(`truncated document at byte ${this.position}`);
    const out = this.buf.subarray(this.start, this.start + len);
    this.start += len;
    return out;
  }
}

const raw = (b: Buffer): Doc => deserialize(b, { promoteValues: false });
const normalized = (b: Buffer): Doc => normalizeIncoming(deserialize(b, { promoteValues: false }));

/**
 * Read a checkpoint or snapshot file. With `onDoc`, every document is handed over (main thread:
 * load); without, documents are skipped (worker: where the sections are). Throws on a malformed
 * or incomplete file; answers undefined for a file in neither format.
 */
export function readBaseFile(
  file: string,
  onSection?: (s: Section) => void,
  onDoc?: (s: Section, doc: Doc) => void,
): BaseFile | undefined {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const reader = new DocReader(fd, 0, size);
    const first = reader.next();
    const header = first ? raw(first) : undefined;
    if (header?.format === CHECKPOINT_FORMAT) {
      const lsn = toNumber(header.lsn);
      const sections: Section[] = [];
      for (;;) {
        const b = reader.next();
        if (!b) throw new Error(`checkpoint ${file} is incomplete (no end marker)`);
        const h = raw(b);
        if (h.end) {
          if (toNumber(h.collections) !== sections.length || toNumber(h.lsn) !== lsn) throw new Error(`checkpoint ${file}: end marker does not match`);
          break;
        }
        const s: Section = {
          db: String(h.db),
          name: String(h.collection),
          options: h.options ?? {},
          indexes: (h.indexes ?? []) as Doc[],
          count: toNumber(h.count),
          file,
          offset: reader.position,
          bytes: toNumber(h.bytes),
        };
        sections.push(s);
        onSection?.(s);
        if (onDoc) {
          const docs = new DocReader(fd, s.offset, s.offset + s.bytes);
          let n = 0;
          for (let d = docs.next(); d; d = docs.next(), n++) onDoc(s, normalized(d));
          if (n !== s.count) throw new Error(`checkpoint ${file}: ${s.db}.${s.name} holds ${n} documents, header says ${s.count}`);
        }
        reader.seek(s.offset + s.bytes);
      }
      return { kind: 'checkpoint', file, lsn, sections };
    }
    if (header?.format === SNAPSHOT_FORMAT) {
      const db = String(header.db);
      const sections: Section[] = [];
      for (let b = reader.next(); b; b = reader.next()) {
        const h = raw(b);
        const s: Section = {
          db,
          name: String(h.collection),
          options: h.options ?? {},
          indexes: (h.indexes ?? []) as Doc[],
          count: toNumber(h.count),
          file,
          offset: reader.position,
          bytes: 0,
        };
        onSection?.(s);
        for (let i = 0; i < s.count; i++) {
          const d = reader.next();
          if (!d) throw new Error(`truncated snapshot ${file}: ${db}.${s.name} ends after ${i} of ${s.count} documents`);
          onDoc?.(s, normalized(d));
        }
        s.bytes = reader.position - s.offset;
        sections.push(s);
      }
      return { kind: 'snapshot', file, lsn: 0, sections };
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

const ELEMENT_FIXED: Record<number, number> = { 0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0a: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0xff: 0, 0x7f: 0 };

/**
 * The canonical `_id` key of a stored document (the key Collection uses), reading only its first
 * element when that is `_id` (documents are stored `_id` first), else the whole document.
 */
export function idKeyOf(doc: Buffer): string {
  const type = doc[4];
  if (doc[5] === 0x5f && doc[6] === 0x69 && doc[7] === 0x64 && doc[8] === 0) {
    const v = 9;
    let size: number | undefined = ELEMENT_FIXED[type];
    if (size === undefined) {
      if (type === 0x02 || type === 0x0d || type === 0x0e) size = 4 + doc.readInt32LE(v);
      else if (type === 0x03 || type === 0x04 || type === 0x0f) size = doc.readInt32LE(v);
      else if (type === 0x05) size = 5 + doc.readInt32LE(v);
      else if (type === 0x0b) {
        const a = doc.indexOf(0, v);
        size = doc.indexOf(0, a + 1) + 1 - v;
      }
    }
    if (size !== undefined) {
      const mini = Buffer.alloc(v + size + 1);
      doc.copy(mini, 0, 0, v + size);
      mini.writeInt32LE(mini.length, 0);
      return canonicalKey(normalizeIncoming(deserialize(mini, { promoteValues: false }))._id);
    }
  }
  return canonicalKey(normalized(doc)._id);
}

/** Snapshot files (the format before the journal) in a data directory. */
export function listSnapshotFiles(dataDir: string): string[] {
  return fs
    .readdirSync(dataDir)
    .filter((n) => n.endsWith(SNAPSHOT_EXT))
    .sort()
    .map((n) => path.join(dataDir, n));
}
