/**
 * TCP server: sockets, framing, dispatch, the TTL timer, durability and clean shutdown.
 *
 * With a data directory, the changes each command makes are journaled (durability.ts) and its
 * reply is sent only once they are on disk. Replies on one connection keep their order: a reply
 * that waits for the journal holds back the ones after it.
 */
import * as net from 'node:net';
import type { Doc } from './bson-types.js';
import { isWriteCommand, runCommand, type ConnectionInfo, type ServerContext } from './commands.js';
import { CursorManager } from './cursors.js';
import { DurableStore, type CheckpointResult, type DurabilityStatus } from './durability.js';
import { Engine, type Op } from './engine.js';
import { lockDataDir } from './persistence.js';
import { encodeReply, FrameReader, parseRequest, type Request } from './protocol.js';

export interface MongoWireServerOptions {
  /** TCP port; default 0 = an ephemeral port chosen by the OS. */
  port?: number;
  /** Interface to bind; default '127.0.0.1'. */
  host?: string;
  /**
   * When set, data survives a restart and a SIGKILL: every acknowledged write is journaled in this
   * directory first (see README, Durability). When absent, memory only.
   */
  dataDir?: string;
  /** TTL monitor period; default 60 000 ms like mongod. Tests shorten it. */
  ttlSweepIntervalMs?: number;
  /** A checkpoint is written once this much journal has accumulated since the last; default 64 MiB. */
  journalCheckpointBytes?: number;
  /** Log a warning when the data (BSON size of the documents) passes this; default 512 MiB. */
  dataSizeWarnBytes?: number;
  /** Optional diagnostics sink; silent by default. */
  log?: (msg: string) => void;
}

export interface MongoWireServer {
  /** `mongodb://host:port/` — append a database name. */
  uri: string;
  host: string;
  port: number;
  /** Close sockets, wait for the journal to be on disk, clear timers, release the data directory. */
  stop(): Promise<void>;
  /**
   * Durability state for readiness checks: `ok: false` once a journal write or fsync failed (the
   * server then answers writes with an error), and the journal backlog (records and bytes not yet
   * on disk). `durable: false` for a memory-only server.
   */
  status(): MongoWireStatus;
  /** Write a checkpoint now; resolves when it is on disk. Rejects for a memory-only server. */
  checkpoint(): Promise<CheckpointResult>;
}

export type MongoWireStatus = { durable: false; ok: true } | ({ durable: true } & DurabilityStatus);

/** The reply to a write once the journal has failed: an error, never an acknowledgement. */
function journalFailedReply(e: Error): Doc {
  return {
    ok: 0,
    code: 1,
    codeName: 'InternalError',
    errmsg: `${e.message}; this server no longer acknowledges writes (its data directory needs attention, then a restart)`,
  };
}

export async function startMongoWireServer(opts: MongoWireServerOptions = {}): Promise<MongoWireServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const engine = new Engine(log);
  const cursors = new CursorManager();
  const releaseLock = opts.dataDir ? lockDataDir(opts.dataDir) : undefined;
  let store: DurableStore | undefined;
  try {
    if (opts.dataDir) {
      store = DurableStore.open(engine, {
        dataDir: opts.dataDir,
        journalCheckpointBytes: opts.journalCheckpointBytes,
        dataSizeWarnBytes: opts.dataSizeWarnBytes,
        log,
      });
    }
  } catch (e) {
    releaseLock?.();
    throw e;
  }

  /** Run `fn` recording its changes; journal them (the promise resolves once they are on disk). */
  const journaled = <T>(fn: () => T): { result: T; durable?: Promise<void> } => {
    if (!store) return { result: fn() };
    const ops: Op[] = [];
    engine.capture = ops;
    let result: T;
    try {
      result = fn();
    } finally {
      engine.capture = undefined;
    }
    return { result, durable: ops.length ? store.commit(ops) : undefined };
  };

  const sockets = new Set<net.Socket>();
  let totalConnections = 0;
  const ctx: ServerContext = {
    engine,
    cursors,
    startedAt: Date.now(),
    connections: () => sockets.size,
    totalConnections: () => totalConnections,
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    totalConnections += 1;
    socket.setNoDelay(true);
    const conn: ConnectionInfo = { connectionId: totalConnections, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    const reader = new FrameReader();
    /** the last reply still waiting for the journal on this connection (later replies queue behind it) */
    let tail: Promise<void> | undefined;
    /** Never throws (it runs in promise callbacks too). */
    const send = (req: Request, reply: Doc) => {
      if (req.moreToCome) return; // fire-and-forget (w:0): no reply expected
      if (socket.destroyed) return;
      let bytes: Buffer;
      try {
        bytes = encodeReply(req, reply);
      } catch (e) {
        bytes = encodeReply(req, { ok: 0, errmsg: `reply could not be encoded: ${(e as Error).message}`, code: 10334, codeName: 'BSONObjectTooLarge' });
      }
      try {
        socket.write(bytes);
      } catch {
        socket.destroy();
      }
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (e) {
        log(`connection ${conn.connectionId}: ${(e as Error).message}; closing`);
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        let req;
        try {
          req = parseRequest(frame);
        } catch (e) {
          log(`connection ${conn.connectionId}: bad message: ${(e as Error).message}; closing`);
          socket.destroy();
          return;
        }
        const r = req;
        const failed = store?.failed;
        if (failed && isWriteCommand(r.body)) {
          const reply = journalFailedReply(failed);
          if (tail) tail = tail.then(() => send(r, reply));
          else send(r, reply);
          continue;
        }
        const { result: reply, durable } = journaled(() => runCommand(ctx, r.body, conn));
        if (reply.ok !== 1) log(`command ${Object.keys(r.body)[0]} failed: ${String(reply.errmsg)}`);
        if (!durable && !tail) {
          send(r, reply);
          continue;
        }
        const wait = Promise.all([tail, durable]);
        tail = wait.then(
          () => send(r, reply),
          (e: Error) => send(r, journalFailedReply(e)),
        );
        const mine = tail;
        void mine.then(() => {
          if (tail === mine) tail = undefined;
        });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => {
      releaseLock?.();
      reject(e);
    });
    server.listen(opts.port ?? 0, host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const uriHost = host.includes(':') ? `[${host}]` : host;

  const ttlTimer = setInterval(() => {
    if (store?.failed) return;
    const { durable } = journaled(() => engine.sweepTtl());
    durable?.catch(() => undefined); // a failed journal is reported by status() and to the next write
  }, opts.ttlSweepIntervalMs ?? 60_000);
  ttlTimer.unref();
  log(`listening on ${host}:${port}${opts.dataDir ? ` (data dir ${opts.dataDir})` : ' (memory only)'}`);

  let stopped: Promise<void> | undefined;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    host,
    port,
    status: () => (store ? { durable: true, ...store.status() } : { durable: false, ok: true }),
    checkpoint: () => (store ? store.checkpoint() : Promise.reject(new Error('memory-only server: nothing to checkpoint'))),
    stop() {
      stopped ??= (async () => {
        clearInterval(ttlTimer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        cursors.clear();
        try {
          await store?.close();
        } finally {
          releaseLock?.();
        }
        log('stopped');
      })();
      return stopped;
    },
  };
}
