/**
 * Server-side cursors (mingo gap: cursors). A query's full result is materialised once and
 * handed out in batches by find/aggregate (firstBatch) and getMore (nextBatch). Cursor ids are
 * BSON Longs; id 0 means "exhausted". Batches stop at batchSize documents (default first batch
 * 101, like mongod) or at about 16 MiB of BSON.
 */
import { calculateObjectSize, Long } from 'bson';
import type { Doc } from './bson-types.js';
import { CommandError } from './errors.js';

const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 16 * 1024;
const IDLE_TIMEOUT_MS = 10 * 60 * 1000; // mongod's cursorTimeoutMillis default

interface OpenCursor {
  ns: string;
  docs: Doc[];
  pos: number;
  lastUsed: number;
}

export class CursorManager {
  private readonly cursors = new Map<string, OpenCursor>();
  private next = BigInt(1 + Math.floor(Math.random() * 1e9)) * 1000n;

  /** Take the next batch: at most `limit` docs (undefined/0 = no count limit) and ~16 MiB. */
  private static take(c: OpenCursor, limit: number | undefined): Doc[] {
    const batch: Doc[] = [];
    let bytes = 0;
    while (c.pos < c.docs.length && (!limit || batch.length < limit)) {
      const d = c.docs[c.pos];
      bytes += calculateObjectSize(d, { ignoreUndefined: true });
      if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
      batch.push(d);
      c.pos++;
    }
    return batch;
  }

  /** Create a cursor over `docs` and return the first batch (the cursor is dropped if nothing remains). */
  open(ns: string, docs: Doc[], batchSize: number | undefined, singleBatch: boolean): { id: Long; batch: Doc[] } {
    const c: OpenCursor = { ns, docs, pos: 0, lastUsed: Date.now() };
    const batch = CursorManager.take(c, batchSize ?? 101);
    if (singleBatch || c.pos >= docs.length) return { id: Long.ZERO, batch };
    const idNum = this.next++;
    this.cursors.set(idNum.toString(), c);
    this.reap();
    return { id: Long.fromBigInt(idNum), batch };
  }

  getMore(id: Long, ns: string, batchSize: number | undefined): { id: Long; batch: Doc[] } {
    const key = id.toString();
    const c = this.cursors.get(key);
    if (!c) throw new CommandError(43, `cursor id ${key} not found`, 'CursorNotFound');
    if (c.ns !== ns) {
      throw new CommandError(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`, 'Unauthorized');
    }
    c.lastUsed = Date.now();
    const batch = CursorManager.take(c, batchSize);
    if (c.pos >= c.docs.length) {
      this.cursors.delete(key);
      return { id: Long.ZERO, batch };
    }
    return { id, batch };
  }

  kill(ids: Long[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) (this.cursors.delete(id.toString()) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  clear(): void {
    this.cursors.clear();
  }

  private reap(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    for (const [k, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(k);
  }
}
