/**
 * Data directory: the wire server's own feature (a real mongod always persists), so the whole file is wire-only.
 * The expectations are MongoDB's durability contract (manual: core/journaling — acknowledged writes survive a clean
 * shutdown and restart), applied to the server's documented dataDir option; types per reference/bson-types,
 * index behaviour per core/index-unique.
 */
import { after as afterAll, before as beforeAll, it, clientOptions, describeWireOnly, startWireServer } from './harness.js';
import { expect } from 'expect';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal128, Double, Int32, Long, MongoClient, ObjectId } from 'mongodb';

const DB = 'conf_persistence';

async function withClient<T>(uri: string, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, clientOptions);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describeWireOnly('persistence with dataDir (wire server only)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mongo-wire-conf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('documents (with their BSON types) and unique indexes survive stop + start on the same dataDir', async () => {
    const oid = new ObjectId();
    const when = new Date('2024-05-06T07:08:09.010Z');
    const first = await startWireServer({ dataDir: dir });
    try {
      await withClient(first.uri, async (c) => {
        const users = c.db(DB).collection('users');
        await users.createIndex({ email: 1 }, { unique: true });
        await users.insertMany([
          { _id: oid, email: 'a@x', i: new Int32(1), d: new Double(1), l: Long.fromString('9007199254740993'), m: Decimal128.fromString('0.10'), when, nested: { arr: [1, 'two', null] } },
          { email: 'b@x' },
        ]);
        await c.db(DB).collection('other').insertOne({ k: 'v' });
        await users.updateOne({ email: 'b@x' }, { $set: { updated: true } });
      });
    } finally {
      await first.stop();
    }

    const second = await startWireServer({ dataDir: dir });
    try {
      await withClient(second.uri, async (c) => {
        const users = c.db(DB).collection('users');
        expect(await users.countDocuments()).toBe(2);
        const d = (await users.findOne({ _id: oid }, { promoteValues: false, promoteLongs: false }))!;
        expect(d.email).toBe('a@x');
        expect(d.i._bsontype).toBe('Int32');
        expect(d.d._bsontype).toBe('Double');
        expect(d.l._bsontype).toBe('Long');
        expect(d.l.toString()).toBe('9007199254740993');
        expect(d.m._bsontype).toBe('Decimal128');
        expect(d.m.toString()).toBe('0.10');
        expect(d.when.getTime()).toBe(when.getTime());
        const plain = await users.findOne({ _id: oid });
        expect(plain!.nested).toEqual({ arr: [1, 'two', null] });
        expect((await users.findOne({ email: 'b@x' }))!.updated).toBe(true);
        expect(await c.db(DB).collection('other').countDocuments({ k: 'v' })).toBe(1);

        const ix = (await users.listIndexes().toArray()).find((i) => i.name === 'email_1');
        expect(ix).toMatchObject({ key: { email: 1 }, unique: true });
        const err = await users.insertOne({ email: 'a@x' }).then(
          () => null,
          (e) => e,
        );
        expect(err?.code).toBe(11000);
        // still writable after the restart, and those writes persist too
        await users.insertOne({ email: 'c@x' });
      });
    } finally {
      await second.stop();
    }

    const third = await startWireServer({ dataDir: dir });
    try {
      await withClient(third.uri, async (c) => {
        expect((await c.db(DB).collection('users').find({}, { projection: { _id: 0, email: 1 } }).sort({ email: 1 }).toArray()).map((u) => u.email)).toEqual(['a@x', 'b@x', 'c@x']);
      });
    } finally {
      await third.stop();
    }
  });

  it('dropped collections stay dropped after a restart', async () => {
    const sub = await mkdtemp(join(dir, 'drop-'));
    const first = await startWireServer({ dataDir: sub });
    try {
      await withClient(first.uri, async (c) => {
        await c.db(DB).collection('gone').insertOne({ a: 1 });
        await c.db(DB).collection('kept').insertOne({ a: 1 });
        await c.db(DB).collection('gone').drop();
      });
    } finally {
      await first.stop();
    }
    const second = await startWireServer({ dataDir: sub });
    try {
      await withClient(second.uri, async (c) => {
        const names = (await c.db(DB).listCollections().toArray()).map((x) => x.name).sort();
        expect(names).toEqual(['kept']);
      });
    } finally {
      await second.stop();
    }
  });

  it('without dataDir nothing survives a restart', async () => {
    const first = await startWireServer();
    try {
      await withClient(first.uri, async (c) => {
        await c.db(DB).collection('mem').insertOne({ a: 1 });
      });
    } finally {
      await first.stop();
    }
    const second = await startWireServer();
    try {
      await withClient(second.uri, async (c) => {
        expect(await c.db(DB).collection('mem').countDocuments()).toBe(0);
        expect(await c.db(DB).listCollections().toArray()).toEqual([]);
      });
    } finally {
      await second.stop();
    }
  });

  // manual: reference/configuration-options#storage.dbPath — one mongod per dbPath (mongod.lock)
  it('refuses a second server on a data directory in use, and allows it once the first stopped', async () => {
    const own = await mkdtemp(join(tmpdir(), 'mongo-wire-lock-'));
    try {
      const first = await startWireServer({ dataDir: own });
      try {
        await expect(startWireServer({ dataDir: own })).rejects.toThrow(/is in use by process/);
      } finally {
        await first.stop();
      }
      const second = await startWireServer({ dataDir: own });
      await second.stop();
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  it('refuses a data directory locked by another running process', async () => {
    const own = await mkdtemp(join(tmpdir(), 'mongo-wire-live-'));
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      await writeFile(join(own, 'wire-server.lock'), String(other.pid));
      await expect(startWireServer({ dataDir: own })).rejects.toThrow(`is in use by process ${other.pid}`);
    } finally {
      other.kill();
      await rm(own, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that no longer runs', async () => {
    const own = await mkdtemp(join(tmpdir(), 'mongo-wire-stale-'));
    try {
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      await writeFile(join(own, 'wire-server.lock'), gone.stdout);
      const server = await startWireServer({ dataDir: own });
      try {
        expect(await readFile(join(own, 'wire-server.lock'), 'utf8')).toBe(String(process.pid));
      } finally {
        await server.stop();
      }
      expect(existsSync(join(own, 'wire-server.lock'))).toBe(false);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  // Was "a snapshot that cannot be written is retried on stop": snapshots are gone; the journal
  // holds every write, and a checkpoint that fails is retried without losing anything.
  it('a checkpoint that cannot be written is retried later without losing any database', async () => {
    const own = await mkdtemp(join(tmpdir(), 'mongo-wire-retry-'));
    try {
      const server = await startWireServer({ dataDir: own });
      // A directory where the checkpoint's temp file goes makes the checkpoint fail.
      await mkdir(join(own, 'checkpoint.wckpt.tmp'), { recursive: true });
      await withClient(server.uri, async (c) => {
        await c.db('blocked').collection('x').insertOne({ n: 1 });
        await c.db('fine').collection('y').insertOne({ n: 2 });
      });
      await expect(server.checkpoint()).rejects.toThrow(/checkpoint failed/);
      expect(server.status()).toMatchObject({ durable: true, ok: true, checkpoint: { running: false } });
      await rm(join(own, 'checkpoint.wckpt.tmp'), { recursive: true });
      await server.checkpoint();
      await withClient(server.uri, async (c) => {
        await c.db('fine').collection('y').insertOne({ n: 3 }); // after the checkpoint: from the journal
      });
      await server.stop();

      const again = await startWireServer({ dataDir: own });
      try {
        await withClient(again.uri, async (c) => {
          expect(await c.db('blocked').collection('x').countDocuments()).toBe(1);
          expect(await c.db('fine').collection('y').countDocuments()).toBe(2);
        });
      } finally {
        await again.stop();
      }
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
