/**
 * Wire-protocol framing: OP_MSG (2013) requests/replies, legacy OP_QUERY (2004) handshakes
 * answered with OP_REPLY (1). See the MongoDB manual, "MongoDB Wire Protocol".
 */
import { deserialize, serialize } from 'bson';
import { normalizeIncoming, type Doc } from './bson-types.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const FLAG_CHECKSUM_PRESENT = 1 << 0;
const FLAG_MORE_TO_COME = 1 << 1;

export const MAX_MESSAGE_SIZE = 48_000_000;

export interface Request {
  requestID: number;
  opCode: number;
  body: Doc;
  /** OP_MSG moreToCome: the client expects no reply (w:0). */
  moreToCome: boolean;
}

function readDoc(buf: Buffer, off: number): { doc: Doc; end: number } {
  const len = buf.readInt32LE(off);
  if (len < 5 || off + len > buf.length) throw new Error('malformed BSON document in message');
  const doc = normalizeIncoming(deserialize(buf.subarray(off, off + len), { promoteValues: false }));
  return { doc, end: off + len };
}

function readCString(buf: Buffer, off: number): { str: string; end: number } {
  const z = buf.indexOf(0, off);
  if (z < 0) throw new Error('unterminated cstring');
  return { str: buf.toString('utf8', off, z), end: z + 1 };
}

/** Accumulates TCP chunks and yields complete messages (handles partial frames and several per chunk). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const frames: Buffer[] = [];
    while (this.length >= 4) {
      const head = this.chunks[0].length >= 4 ? this.chunks[0] : this.flatten();
      const size = head.readInt32LE(0);
      if (size < 16 || size > MAX_MESSAGE_SIZE) throw new Error(`invalid message length ${size}`);
      if (this.length < size) break;
      const all = this.flatten();
      frames.push(all.subarray(0, size));
      const rest = all.subarray(size);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
    }
    return frames;
  }

  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.length)];
    return this.chunks[0];
  }
}

export function parseRequest(frame: Buffer): Request {
  const requestID = frame.readInt32LE(4);
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = frame.readUInt32LE(16);
    const end = flags & FLAG_CHECKSUM_PRESENT ? frame.length - 4 : frame.length; // CRC32C trailer is not verified
    let off = 20;
    let body: Doc | undefined;
    const sequences: Record<string, Doc[]> = {};
    while (off < end) {
      const kind = frame.readUInt8(off);
      off += 1;
      if (kind === 0) {
        const r = readDoc(frame, off);
        body = r.doc;
        off = r.end;
      } else if (kind === 1) {
        const size = frame.readInt32LE(off);
        const secEnd = off + size;
        const id = readCString(frame, off + 4);
        const docs: Doc[] = [];
        let p = id.end;
        while (p < secEnd) {
          const r = readDoc(frame, p);
          docs.push(r.doc);
          p = r.end;
        }
        sequences[id.str] = docs;
        off = secEnd;
      } else throw new Error(`unknown OP_MSG section kind ${kind}`);
    }
    if (!body) throw new Error('OP_MSG without a body section');
    // Document sequences (insert `documents`, update `updates`, delete `deletes`) join the command.
    for (const [k, v] of Object.entries(sequences)) body[k] = v;
    return { requestID, opCode, body, moreToCome: (flags & FLAG_MORE_TO_COME) !== 0 };
  }
  if (opCode === OP_QUERY) {
    let off = 20; // after flags
    const ns = readCString(frame, off);
    off = ns.end + 8; // numberToSkip, numberToReturn
    let { doc } = readDoc(frame, off);
    if (doc.$query && typeof doc.$query === 'object') doc = doc.$query;
    const db = ns.str.split('.')[0];
    if (!ns.str.endsWith('.$cmd')) throw new Error(`legacy OP_QUERY on ${ns.str} is not supported`);
    if (doc.$db === undefined) doc.$db = db;
    return { requestID, opCode, body: doc, moreToCome: false };
  }
  throw new Error(`unsupported opCode ${opCode}`);
}

let nextRequestId = 1;

function header(total: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(total, 0);
  h.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function encodeReply(req: Request, reply: Doc): Buffer {
  const body = serialize(reply, { ignoreUndefined: true });
  if (req.opCode === OP_QUERY) {
    const pre = Buffer.alloc(20); // responseFlags, cursorID (int64), startingFrom, numberReturned
    pre.writeInt32LE(1, 16);
    return Buffer.concat([header(16 + 20 + body.length, req.requestID, OP_REPLY), pre, body]);
  }
  const pre = Buffer.alloc(5); // flagBits = 0, section kind 0
  return Buffer.concat([header(16 + 5 + body.length, req.requestID, OP_MSG), pre, body]);
}
