import { BadRequestException } from '@nestjs/common';

/** Ids an SSE id carries at most: 16 characters each, so an id stays under 4 KB. */
export const MAX_CURSOR_IDS = 200;
const VERSION = 'v1';
const ID_CHARS = 16;

/**
 * A position in the webhook event log that survives late writes and several instances.
 *
 * Events are written in batches (and by instances whose clocks differ), so one can become visible
 * after others with a later `createdAt`: a cursor on (createdAt, _id) alone would step over it.
 * This cursor keeps a watermark (the latest `createdAt` seen) and the ids of the events already
 * seen within `overlapMs` before it. Reading again means: every event received at or after
 * `watermark − overlapMs` that is not among those ids. An event stored later than `overlapMs`
 * after its arrival time is not seen (it stays in the log).
 *
 * Encoded (`encode()`) it is the SSE `id:` of every delivery sent, so a client reconnecting with
 * `Last-Event-ID` resumes exactly after what it received, on any instance: no gap, and no repeat
 * while at most MAX_CURSOR_IDS events fall within the overlap window (beyond that the oldest ids
 * are left out of the encoding, which can repeat an event but never skip one; each delivery
 * carries its event id for clients to drop a repeat).
 */
export class StreamCursor {
  private readonly seen = new Map<string, number>();

  constructor(
    private watermarkMs: number,
    private readonly overlapMs: number,
  ) {}

  /** The cursor in a `Last-Event-ID`; 400 when it is not one of ours. */
  static decode(value: string, overlapMs: number): StreamCursor {
    const match = /^v1\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]*)$/.exec(value.trim());
    if (!match || match[2].length % ID_CHARS !== 0 || match[2].length / ID_CHARS > MAX_CURSOR_IDS) {
      throw new BadRequestException('Invalid Last-Event-ID');
    }
    const watermark = parseInt(match[1], 36);
    if (!Number.isSafeInteger(watermark)) throw new BadRequestException('Invalid Last-Event-ID');
    const cursor = new StreamCursor(watermark, overlapMs);
    for (let i = 0; i < match[2].length; i += ID_CHARS) {
      // Their arrival times are not in the encoding; the watermark is an upper bound, so they are
      // kept at least as long as needed.
      cursor.seen.set(Buffer.from(match[2].slice(i, i + ID_CHARS), 'base64url').toString('hex'), watermark);
    }
    return cursor;
  }

  /** An independent copy (to read with while the original decides what was sent). */
  clone(): StreamCursor {
    const copy = new StreamCursor(this.watermarkMs, this.overlapMs);
    for (const [id, at] of this.seen) copy.seen.set(id, at);
    return copy;
  }

  /** Where reading again starts. */
  get since(): Date {
    return new Date(this.watermarkMs - this.overlapMs);
  }

  /** The ids already seen within the overlap window (to leave out of the next read). */
  get seenIds(): string[] {
    return [...this.seen.keys()];
  }

  /** True the first time an event is offered (and remembers it), false for one seen before. */
  accept(id: string, createdAtMs: number): boolean {
    if (this.seen.has(id)) return false;
    this.seen.set(id, createdAtMs);
    this.advance(createdAtMs);
    return true;
  }

  /** Moves the watermark forward (never back) and forgets ids that fell out of the window. */
  advance(createdAtMs: number): void {
    if (createdAtMs <= this.watermarkMs) return;
    this.watermarkMs = createdAtMs;
    const oldest = this.watermarkMs - this.overlapMs;
    for (const [id, at] of this.seen) if (at < oldest) this.seen.delete(id);
  }

  encode(): string {
    let entries = [...this.seen];
    if (entries.length > MAX_CURSOR_IDS) entries = entries.sort((a, b) => b[1] - a[1]).slice(0, MAX_CURSOR_IDS);
    const ids = entries.map(([id]) => Buffer.from(id, 'hex').toString('base64url')).join('');
    return `${VERSION}.${this.watermarkMs.toString(36)}.${ids}`;
  }
}
