/**
 * Durability of the data directory (wire server only: a real mongod has its own journal).
 * The contract is mongod's journal (manual: core/journaling): a write acknowledged with `j: true`
 * survives a crash of the process; here every acknowledged write is journaled first.
 *
 * - Kill test: the server runs in a child process (cli.js); 20 concurrent clients insert and
 *   update and record what was acknowledged; the server is SIGKILLed mid-burst several times and
 *   restarted; every acknowledged write must be there and no write half applied.
 * - A journal whose last record is torn or corrupt recovers to the record before it.
 * - A data directory in the snapshot format of before the journal still loads.
 * - A checkpoint merged from the previous one and the journal holds exactly the server's state.
 */
import { after as afterAll, before as beforeAll, it, clientOptions, describeWireOnly, startWireServer } from './harness.js';
import { expect } from 'expect';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serialize } from 'bson';
import { Double, Int32, Long, MongoClient, type Db } from 'mongodb';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

async function withClient<T>(uri: string, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, clientOptions);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Start cli.js on a data directory; resolves with the child and its URI. */
async function startChild(dataDir: string, extra: string[] = []): Promise<{ child: ChildProcess; uri: string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--data-dir', dataDir, '--verbose', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before printing its URI: ${err}`)));
  });
  return { child, uri, stderr: () => err };
}

/** Everything the server holds, in natural order, with index specs: to compare two states. */
async function dump(client: MongoClient): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const { databases } = await client.db('admin').admin().listDatabases({ nameOnly: true });
  for (const { name } of databases.sort((a, b) => a.name.localeCompare(b.name))) {
    const db: Db = client.db(name);
    for (const c of (await db.listCollections().toArray()).map((x) => x.name).sort()) {
      out[`${name}.${c}`] = {
        docs: await db.collection(c).find({}, { promoteValues: false, promoteLongs: false }).toArray(),
        indexes: await db.collection(c).listIndexes().toArray(),
      };
    }
  }
  return out;
}

describeWireOnly('durability: journal and checkpoints (wire server only)', () => {
  let root: string;
  /** child servers still running (killed at the end whatever happened) */
  const children = new Set<ChildProcess>();
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mongo-wire-durable-'));
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });
  const startTracked = async (dataDir: string, extra: string[] = []) => {
    const s = await startChild(dataDir, extra);
    children.add(s.child);
    s.child.once('exit', () => children.delete(s.child));
    return s;
  };

  it('every acknowledged write survives SIGKILL mid-burst, several times, and none is half applied', async () => {
    const dir = join(root, 'kill');
    const WORKERS = 20;
    const BATCH = 5;
    const GROUP = 4;
    const payload = 'x'.repeat(300);
    // What the clients were told, across all rounds.
    const ackedInserts = new Set<string>();
    const ackedBatches = new Set<string>();
    const attemptedBatches = new Set<string>();
    const ackedCounter = new Array<number>(WORKERS).fill(0);
    const ackedGroup = new Array<number>(WORKERS).fill(0);
    let seq = 0;

    const check = async (uri: string) => {
      await withClient(uri, async (c) => {
        const db = c.db('killtest');
        const ids = new Set((await db.collection('docs').find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
        for (const id of ackedInserts) expect({ id, present: ids.has(id) }).toEqual({ id, present: true });
        const batchDocs = await db.collection('batches').find({}).toArray();
        const perBatch = new Map<string, number>();
        for (const d of batchDocs) perBatch.set(d.batch, (perBatch.get(d.batch) ?? 0) + 1);
        for (const b of ackedBatches) expect({ b, n: perBatch.get(b) }).toEqual({ b, n: BATCH });
        for (const [b, n] of perBatch) {
          expect(attemptedBatches.has(b)).toBe(true);
          expect({ b, n }).toEqual({ b, n: BATCH }); // an insertMany is one record: all or nothing
        }
        for (let w = 0; w < WORKERS; w++) {
          const counter = await db.collection('counters').findOne({ _id: `w${w}` as any });
          expect(counter).not.toBeNull();
          expect(counter!.v).toBeGreaterThanOrEqual(ackedCounter[w]);
          expect(counter!.copy).toBe(counter!.v); // both fields of one $set
          const group = await db.collection('groups').find({ grp: w }).toArray();
          expect(group.length).toBe(GROUP);
          const values = new Set(group.map((g) => g.gv));
          expect({ w, distinct: values.size }).toEqual({ w, distinct: 1 }); // an updateMany is one record
          expect(group[0].gv).toBeGreaterThanOrEqual(ackedGroup[w]);
        }
      });
    };

    let server = await startTracked(dir, ['--journal-checkpoint-bytes', String(128 * 1024)]);
    await withClient(server.uri, async (c) => {
      const db = c.db('killtest');
      await db.collection('docs').createIndex({ w: 1, i: 1 }, { unique: true });
      for (let w = 0; w < WORKERS; w++) {
        await db.collection('counters').insertOne({ _id: `w${w}` as any, v: 0, copy: 0 });
        await db.collection('groups').insertMany(Array.from({ length: GROUP }, (_, g) => ({ grp: w, g, gv: 0 })));
      }
    });

    // Kill once the clients have had this many writes acknowledged in the round (different moments:
    // just started, during checkpoints, later).
    const rounds = [15, 250, 900, 1800];
    for (const [round, killAfter] of rounds.entries()) {
      const client = new MongoClient(server.uri, { ...clientOptions, retryWrites: false, serverSelectionTimeoutMS: 1500, maxPoolSize: WORKERS });
      await client.connect();
      const db = client.db('killtest');
      let acked = 0;
      let dead = false;
      let killed!: () => void;
      const killedPromise = new Promise<void>((r) => (killed = r));
      const ack = () => {
        acked++;
        if (acked === killAfter && !dead) {
          dead = true;
          server.child.kill('SIGKILL');
          killed();
        }
      };
      const worker = async (w: number) => {
        let i = 0;
        while (!dead) {
          const n = ++seq;
          i++;
          try {
            switch (n % 4) {
              case 0: {
                const id = `r${round}-w${w}-i${i}`;
                await db.collection('docs').insertOne({ _id: id as any, w, i: n, payload });
                if (!dead) ackedInserts.add(id);
                break;
              }
              case 1: {
                const b = `r${round}-w${w}-b${i}`;
                attemptedBatches.add(b);
                await db.collection('batches').insertMany(Array.from({ length: BATCH }, (_, k) => ({ batch: b, k, payload })));
                if (!dead) ackedBatches.add(b);
                break;
              }
              case 2: {
                await db.collection('counters').updateOne({ _id: `w${w}` as any }, { $set: { v: n, copy: n } });
                if (!dead) ackedCounter[w] = n;
                break;
              }
              default: {
                await db.collection('groups').updateMany({ grp: w }, { $set: { gv: n } });
                if (!dead) ackedGroup[w] = n;
              }
            }
            // A reply that arrived after the kill was sent before it: the write is on disk all the same.
            ack();
          } catch {
            if (!dead) await new Promise((r) => setTimeout(r, 5));
          }
        }
      };
      const all = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      await killedPromise;
      await new Promise<void>((r) => (server.child.exitCode !== null || server.child.signalCode ? r() : server.child.once('exit', () => r())));
      await all;
      await client.close(true).catch(() => undefined);

      server = await startTracked(dir, ['--journal-checkpoint-bytes', String(128 * 1024)]);
      await check(server.uri);
    }
    // The rounds went through checkpoints as well as journal replay.
    expect(readdirSync(dir)).toContain('checkpoint.wckpt');
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    expect(existsSync(join(dir, 'wire-server.lock'))).toBe(false);
  });

  /** Byte offsets of the records of a journal file. */
  const recordStarts = (buf: Buffer): number[] => {
    const starts: number[] = [];
    for (let off = 0; off < buf.length; off += 8 + buf.readUInt32LE(off)) starts.push(off);
    return starts;
  };

  for (const damage of ['truncated tail', 'flipped byte in the last record'] as const) {
    it(`a journal with a ${damage} recovers to the last good record, and says so`, async () => {
      const dir = join(root, damage.replace(/ /g, '-'));
      const first = await startWireServer({ dataDir: dir });
      await withClient(first.uri, async (c) => {
        const coll = c.db('torn').collection('t');
        for (let i = 1; i <= 5; i++) await coll.insertOne({ _id: i as any, i });
        await coll.updateMany({}, { $set: { last: true } }); // the last record: five documents at once
      });
      await first.stop();

      // the journal file written to (the next one is created ahead of time, empty)
      const journals = readdirSync(dir).filter((n) => n.endsWith('.wjnl')).sort();
      const buffers = await Promise.all(journals.map((n) => readFile(join(dir, n))));
      const at = buffers.map((b) => b.length > 0).lastIndexOf(true);
      const file = join(dir, journals[at]);
      const buf = buffers[at];
      const starts = recordStarts(buf);
      const last = starts[starts.length - 1];
      if (damage === 'truncated tail') await truncate(file, buf.length - 7);
      else {
        buf[last + 8 + Math.floor((buf.length - last - 8) / 2)] ^= 0x40;
        await writeFile(file, buf);
      }

      const logs: string[] = [];
      const second = await startWireServer({ dataDir: dir, log: (m) => logs.push(m) });
      try {
        await withClient(second.uri, async (c) => {
          const docs = await c.db('torn').collection('t').find().toArray();
          expect(docs.map((d) => d._id)).toEqual([1, 2, 3, 4, 5]);
          expect(docs.filter((d) => d.last)).toEqual([]); // the damaged updateMany is dropped whole
          await c.db('torn').collection('t').insertOne({ _id: 6 as any });
        });
        expect(logs.some((l) => /journal: .*\.wjnl: .*(torn|CRC).*dropped/.test(l))).toBe(true);
      } finally {
        await second.stop();
      }
      // The file was cut at the last good record, so what follows it is read back.
      const third = await startWireServer({ dataDir: dir });
      try {
        await withClient(third.uri, async (c) => {
          expect((await c.db('torn').collection('t').find().toArray()).map((d) => d._id)).toEqual([1, 2, 3, 4, 5, 6]);
        });
      } finally {
        await third.stop();
      }
    });
  }

  it('a data directory in the snapshot format of before the journal loads, and carries on in the new one', async () => {
    const dir = join(root, 'old-format');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    // Exactly what the snapshot writer wrote: header, then per collection its header and documents.
    const parts = [
      serialize({ format: 'mongo-wire-server-snapshot', version: 1, db: 'olddb' }),
      serialize({ collection: 'users', options: {}, indexes: [{ v: 2, key: { email: 1 }, name: 'email_1', unique: true }], count: 2 }),
      serialize({ _id: 1, email: 'a@x', d: new Double(1), l: Long.fromString('9007199254740993') }),
      serialize({ _id: 2, email: 'b@x', n: new Int32(7) }),
      serialize({ collection: 'empty', options: { capped: false }, indexes: [], count: 0 }),
    ];
    await writeFile(join(dir, 'olddb.wsnap'), Buffer.concat(parts));

    const first = await startWireServer({ dataDir: dir });
    try {
      await withClient(first.uri, async (c) => {
        const users = c.db('olddb').collection('users');
        const a = (await users.findOne({ _id: 1 as any }, { promoteValues: false, promoteLongs: false }))!;
        expect(a.d._bsontype).toBe('Double');
        expect(a.l.toString()).toBe('9007199254740993');
        expect((await users.insertOne({ email: 'a@x' }).catch((e) => e)).code).toBe(11000);
        expect((await c.db('olddb').listCollections().toArray()).map((x) => x.name).sort()).toEqual(['empty', 'users']);
        await users.updateOne({ _id: 2 as any }, { $set: { n: 8 } });
        await users.insertOne({ _id: 3 as any, email: 'c@x' });
      });
    } finally {
      await first.stop();
    }
    expect(existsSync(join(dir, 'olddb.wsnap'))).toBe(true); // still the base until the first checkpoint

    const second = await startWireServer({ dataDir: dir });
    try {
      await withClient(second.uri, async (c) => {
        expect((await c.db('olddb').collection('users').findOne({ _id: 2 as any }))!.n).toBe(8);
      });
      await second.checkpoint();
      expect(existsSync(join(dir, 'olddb.wsnap'))).toBe(false); // now in checkpoint.wckpt
    } finally {
      await second.stop();
    }
    const third = await startWireServer({ dataDir: dir });
    try {
      await withClient(third.uri, async (c) => {
        expect((await c.db('olddb').collection('users').find().toArray()).map((u) => [u._id, u.email, u.n])).toEqual([
          [1, 'a@x', undefined],
          [2, 'b@x', 8],
          [3, 'c@x', undefined],
        ]);
      });
    } finally {
      await third.stop();
    }
  });

  it('a checkpoint merged from the last one and the journal holds exactly the server state', async () => {
    const dir = join(root, 'merge');
    const server = await startWireServer({ dataDir: dir });
    let before: Record<string, unknown>;
    try {
      await withClient(server.uri, async (c) => {
        const db = c.db('m');
        await db.collection('a').createIndex({ k: 1 }, { unique: true });
        await db.collection('a').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i as any, k: `k${i}`, n: i })));
        await db.collection('b').insertMany([{ x: 1 }, { x: 2 }]);
        await db.collection('gone').insertOne({ x: 1 });
        await db.collection('cleared').insertMany([{ y: 1 }, { y: 2 }]);
        await db.collection('ttl').createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
        await c.db('m2').collection('z').insertOne({ z: 1 });
      });
      await server.checkpoint(); // the base
      await withClient(server.uri, async (c) => {
        const db = c.db('m');
        await db.collection('a').updateOne({ _id: 3 as any }, { $set: { n: 300 } }); // replaced in place
        await db.collection('a').deleteOne({ _id: 4 as any });
        await db.collection('a').deleteOne({ _id: 5 as any });
        await db.collection('a').insertOne({ _id: 5 as any, k: 'k5', n: 'back' }); // re-inserted: moves to the end
        await db.collection('a').insertOne({ _id: 100 as any, k: 'k100' });
        await db.collection('a').updateOne({ _id: 100 as any }, { $set: { n: 100 } });
        await db.collection('a').createIndex({ n: -1 });
        await db.collection('a').dropIndex('k_1');
        await db.command({ collMod: 'ttl', index: { name: 'at_1', expireAfterSeconds: 60 } });
        await c.db('admin').command({ renameCollection: 'm.b', to: 'm.b2' });
        await db.collection('gone').drop();
        await db.collection('b2').aggregate([{ $match: {} }, { $out: 'cleared' }]).toArray();
        await c.db('m2').dropDatabase();
        await db.collection('fresh').insertOne({ f: 1 });
      });
      await server.checkpoint(); // merged
      before = await withClient(server.uri, dump);
    } finally {
      await server.stop();
    }
    // The journal the checkpoint covers is gone: what is left is the current file and the next one, empty.
    const { statSync } = await import('node:fs');
    expect(readdirSync(dir).filter((n) => n.endsWith('.wjnl') && statSync(join(dir, n)).size > 0)).toEqual([]);
    const again = await startWireServer({ dataDir: dir });
    try {
      const after = await withClient(again.uri, dump);
      expect(after).toEqual(before);
      expect(Object.keys(after).sort()).toEqual(['m.a', 'm.b2', 'm.cleared', 'm.fresh', 'm.ttl']);
      expect((after['m.a'] as { docs: { _id: Int32 }[] }).docs.slice(-3).map((d) => d._id.value)).toEqual([49, 5, 100]);
    } finally {
      await again.stop();
    }
  });
  // The journal's disk fails (here: its file descriptor now points at /dev/full, so the next write
  // gets ENOSPC). mongod would stop; this server stops acknowledging writes instead.
  it('when a journal write fails, that write and every later one get an error, reads still work, and status says so', async () => {
    const dir = join(root, 'failing');
    const server = await startWireServer({ dataDir: dir });
    try {
      await withClient(server.uri, async (c) => {
        const coll = c.db('f').collection('x');
        await coll.insertOne({ _id: 1 as any, before: true });
        expect(server.status()).toMatchObject({ durable: true, ok: true, journal: { pendingOps: 0, syncMs: { groups: expect.any(Number) } } });

        // the current journal file: the lowest generation this process holds open in `dir`
        const open = readdirSync('/proc/self/fd')
          .map((fd) => {
            try {
              return { fd: Number(fd), target: readlinkSync(`/proc/self/fd/${fd}`) };
            } catch {
              return { fd: Number(fd), target: '' };
            }
          })
          .filter((x) => x.target.startsWith(dir) && x.target.endsWith('.wjnl'))
          .sort((a, b) => a.target.localeCompare(b.target));
        const fd = open[0].fd;
        closeSync(fd);
        expect(openSync('/dev/full', 'w')).toBe(fd); // POSIX: the lowest free descriptor

        const err = await coll.insertOne({ _id: 2 as any }).catch((e) => e);
        expect(err?.code).toBe(1);
        expect(String(err?.message)).toMatch(/journal write failed: .*ENOSPC.*no longer acknowledges writes/);
        const later = await coll.updateOne({ _id: 1 as any }, { $set: { after: true } }).catch((e) => e);
        expect(String(later?.message)).toMatch(/journal write failed/);
        expect((await coll.findOne({ _id: 1 as any }))!.before).toBe(true); // reads are served
        const status = server.status();
        expect(status).toMatchObject({ durable: true, ok: false });
        expect((status as { failed?: string }).failed).toMatch(/ENOSPC/);
      });
    } finally {
      await server.stop();
    }
    // What was acknowledged is there after a restart; the refused writes are not.
    const again = await startWireServer({ dataDir: dir });
    try {
      await withClient(again.uri, async (c) => {
        expect(await c.db('f').collection('x').find().toArray()).toEqual([{ _id: 1, before: true }]);
      });
    } finally {
      await again.stop();
    }
  });

  it('warns in the log when the data passes dataSizeWarnBytes', async () => {
    const logs: string[] = [];
    const server = await startWireServer({ dataDir: join(root, 'size'), dataSizeWarnBytes: 10_000, log: (m) => logs.push(m) });
    try {
      await withClient(server.uri, async (c) => {
        await c.db('s').collection('x').insertMany(Array.from({ length: 20 }, (_, i) => ({ i, pad: 'x'.repeat(1000) })));
      });
      expect(logs.filter((l) => l.startsWith('warning:'))).toEqual([]);
      await server.checkpoint();
      expect(logs.some((l) => /^warning: the data \(0\.0\d\d MB of BSON\) is past the 0\.010 MB this server is meant for/.test(l))).toBe(true);
      expect(server.status()).toMatchObject({ dataSizeWarnBytes: 10_000 });
      expect((server.status() as { dataBytes: number }).dataBytes).toBeGreaterThan(20_000);
    } finally {
      await server.stop();
    }
  });
});
