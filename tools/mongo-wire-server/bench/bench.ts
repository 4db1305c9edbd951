/**
 * Benchmark (not a test): the wire server through the native `mongodb` driver, with a plain
 * in-process Map doing the same work as a same-run baseline.
 *
 *   npx tsc -p tools/mongo-wire-server/tsconfig.bench.json
 *   node tools/mongo-wire-server/dist-bench/bench/bench.js
 */
import { MongoClient } from 'mongodb';
import { startMongoWireServer } from '../src/index.js';

interface Row {
  n: number;
  insertDocsPerSec: number;
  firstBatchDocsPerSec: number;
  lastBatchDocsPerSec: number;
  findOpsPerSec: number;
  updateOpsPerSec: number;
  groupMs: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

function makeDoc(i: number) {
  return {
    email: `user${i}@example.com`,
    name: `User ${i}`,
    group: `g${i % 20}`,
    n: i,
    videos: [
      { id: 'v0', status: 'queued' },
      { id: 'v1', status: 'queued' },
    ],
  };
}

async function benchServer(client: MongoClient, n: number): Promise<Row> {
  const db = client.db('bench');
  const coll = db.collection(`c${n}`);
  await coll.drop().catch(() => undefined);
  await coll.createIndex({ email: 1 }, { unique: true });

  // insertMany of all N documents in one call (one OP_MSG with a `documents` sequence)
  const docs = Array.from({ length: n }, (_, i) => makeDoc(i));
  let t = now();
  await coll.insertMany(docs);
  const insertMs = now() - t;

  // growth check: the rate of the first vs the last 1,000 documents inserted into a second collection
  const growth = db.collection(`g${n}`);
  await growth.drop().catch(() => undefined);
  await growth.createIndex({ email: 1 }, { unique: true });
  const batchRates: number[] = [];
  for (let start = 0; start < n; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - start) }, (_, i) => makeDoc(start + i));
    t = now();
    await growth.insertMany(batch);
    batchRates.push((batch.length / (now() - t)) * 1000);
  }

  const ops = Math.min(n, 2000);
  t = now();
  for (let i = 0; i < ops; i++) {
    const d = await coll.findOne({ email: `user${(i * 7919) % n}@example.com` });
    if (!d) throw new Error('findOne missed');
  }
  const findMs = now() - t;

  t = now();
  for (let i = 0; i < ops; i++) {
    const r = await coll.updateOne(
      { email: `user${(i * 7919) % n}@example.com`, 'videos.id': 'v1' },
      { $set: { 'videos.$.status': 'done', 'videos.$.url': `https://cdn/${i}` } },
    );
    if (r.matchedCount !== 1) throw new Error('updateOne missed');
  }
  const updateMs = now() - t;

  const runs = 5;
  t = now();
  for (let i = 0; i < runs; i++) {
    const g = await coll.aggregate([{ $group: { _id: '$group', count: { $sum: 1 }, avg: { $avg: '$n' } } }]).toArray();
    if (g.length !== 20) throw new Error('unexpected $group result');
  }
  const groupMs = (now() - t) / runs;

  return {
    n,
    insertDocsPerSec: (n / insertMs) * 1000,
    firstBatchDocsPerSec: batchRates[0],
    lastBatchDocsPerSec: batchRates[batchRates.length - 1],
    findOpsPerSec: (ops / findMs) * 1000,
    updateOpsPerSec: (ops / updateMs) * 1000,
    groupMs,
  };
}

/** The same operations on a Map keyed by the unique field: a floor for what any server adds. */
function benchMap(n: number): Row {
  const byEmail = new Map<string, ReturnType<typeof makeDoc>>();
  const docs = Array.from({ length: n }, (_, i) => makeDoc(i));
  let t = now();
  for (const d of docs) {
    if (byEmail.has(d.email)) throw new Error('dup');
    byEmail.set(d.email, structuredClone(d));
  }
  const insertMs = now() - t;
  const ops = Math.min(n, 2000);
  t = now();
  for (let i = 0; i < ops; i++) structuredClone(byEmail.get(`user${(i * 7919) % n}@example.com`));
  const findMs = now() - t;
  t = now();
  for (let i = 0; i < ops; i++) {
    const d = byEmail.get(`user${(i * 7919) % n}@example.com`)!;
    const v = d.videos.find((x) => x.id === 'v1')!;
    v.status = 'done';
    (v as any).url = `https://cdn/${i}`;
  }
  const updateMs = now() - t;
  t = now();
  const groups = new Map<string, { count: number; sum: number }>();
  for (const d of byEmail.values()) {
    const g = groups.get(d.group) ?? { count: 0, sum: 0 };
    g.count++;
    g.sum += d.n;
    groups.set(d.group, g);
  }
  const groupMs = now() - t;
  const rate = (n / insertMs) * 1000;
  return {
    n,
    insertDocsPerSec: rate,
    firstBatchDocsPerSec: rate,
    lastBatchDocsPerSec: rate,
    findOpsPerSec: (ops / findMs) * 1000,
    updateOpsPerSec: (ops / updateMs) * 1000,
    groupMs,
  };
}

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

function print(label: string, r: Row): void {
  console.log(
    `${label.padEnd(12)} N=${String(r.n).padEnd(6)} insertMany ${fmt(r.insertDocsPerSec).padStart(10)} docs/s ` +
      `(first 1k ${fmt(r.firstBatchDocsPerSec)}, last 1k ${fmt(r.lastBatchDocsPerSec)} docs/s) | ` +
      `find by index ${fmt(r.findOpsPerSec).padStart(8)} ops/s | updateOne $ ${fmt(r.updateOpsPerSec).padStart(8)} ops/s | ` +
      `$group ${fmt(r.groupMs)} ms`,
  );
}

async function main(): Promise<void> {
  const server = await startMongoWireServer();
  const client = new MongoClient(server.uri);
  await client.connect();
  try {
    console.log(`node ${process.version}, wire server at ${server.uri}`);
    await benchServer(client, 1000); // warm-up (JIT), not reported
    for (const n of [1000, 10000]) {
      print('wire server', await benchServer(client, n));
      print('Map baseline', benchMap(n));
    }
    const t = now();
    const c = client.db('bench').collection('target');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertMany(Array.from({ length: 10000 }, (_, i) => makeDoc(i)));
    const ms = now() - t;
    console.log(`target: 10,000 documents with a unique index inserted in ${ms.toFixed(0)} ms (${ms < 1000 ? 'met' : 'MISSED'}: < 1000 ms)`);
  } finally {
    await client.close();
    await server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
