/**
 * TCP server: sockets, framing, dispatch, timers (TTL sweep, snapshots) and clean shutdown.
 */
import * as net from 'node:net';
import { runCommand, type ConnectionInfo, type ServerContext } from './commands.js';
import { CursorManager } from './cursors.js';
import { Engine } from './engine.js';
import { loadSnapshots, lockDataDir, writeSnapshots } from './persistence.js';
import { encodeReply, FrameReader, parseRequest } from './protocol.js';

export interface MongoWireServerOptions {
  /** TCP port; default 0 = an ephemeral port chosen by the OS. */
  port?: number;
  /** Interface to bind; default '127.0.0.1'. */
  host?: string;
  /** When set, data survives a restart (snapshots in this directory); when absent, memory only. */
  dataDir?: string;
  /** TTL monitor period; default 60 000 ms like mongod. Tests shorten it. */
  ttlSweepIntervalMs?: number;
  /** Snapshot cadence when dataDir is set (only when something changed); default 1000 ms. */
  persistIntervalMs?: number;
  /** Optional diagnostics sink; silent by default. */
  log?: (msg: string) => void;
}

export interface MongoWireServer {
  /** `mongodb://host:port/` — append a database name. */
  uri: string;
  host: string;
  port: number;
  /** Close sockets, write the final snapshot, clear timers. */
  stop(): Promise<void>;
}

export async function startMongoWireServer(opts: MongoWireServerOptions = {}): Promise<MongoWireServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => undefined);
  const engine = new Engine(log);
  const cursors = new CursorManager();
  const releaseLock = opts.dataDir ? lockDataDir(opts.dataDir) : undefined;
  try {
    if (opts.dataDir) loadSnapshots(engine, opts.dataDir, log);
  } catch (e) {
    releaseLock?.();
    throw e;
  }

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
        const reply = runCommand(ctx, req.body, conn);
        if (reply.ok !== 1) log(`command ${Object.keys(req.body)[0]} failed: ${String(reply.errmsg)}`);
        if (req.moreToCome) continue; // fire-and-forget (w:0): no reply expected
        try {
          socket.write(encodeReply(req, reply));
        } catch (e) {
          socket.write(encodeReply(req, { ok: 0, errmsg: `reply could not be encoded: ${(e as Error).message}`, code: 10334, codeName: 'BSONObjectTooLarge' }));
        }
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

  const persist = () => {
    if (!opts.dataDir) return;
    try {
      writeSnapshots(engine, opts.dataDir, log);
    } catch (e) {
      log(`persistence: snapshot failed: ${(e as Error).message}`);
    }
  };
  const ttlTimer = setInterval(() => engine.sweepTtl(), opts.ttlSweepIntervalMs ?? 60_000);
  ttlTimer.unref();
  const persistTimer = opts.dataDir ? setInterval(persist, opts.persistIntervalMs ?? 1000) : undefined;
  persistTimer?.unref();
  log(`listening on ${host}:${port}${opts.dataDir ? ` (data dir ${opts.dataDir})` : ' (memory only)'}`);

  let stopped: Promise<void> | undefined;
  return {
    uri: `mongodb://${uriHost}:${port}/`,
    host,
    port,
    stop() {
      stopped ??= (async () => {
        clearInterval(ttlTimer);
        if (persistTimer) clearInterval(persistTimer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await closed;
        cursors.clear();
        try {
          if (opts.dataDir) writeSnapshots(engine, opts.dataDir, log);
        } finally {
          releaseLock?.();
        }
        log('stopped');
      })();
      return stopped;
    },
  };
}
