/**
 * Benchmark (not a test): the wire server through the native `mongodb` driver, with a plain
 * in-process Map doing the same work as a same-run baseline.
 *
 *   npm run bench:mongo-wire (from the repository root), or npm run bench here
 *   (it compiles with tsconfig.test.json into dist-test/ and runs dist-test/bench/bench.js)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { calculateObjectSize, serialize } from 'bson';
import { MongoClient } from 'mongodb';
import { startMongoWireServer, type MongoWireServer } from '../src/index.js';

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

// ---------------------------------------------------------------------------------------------
// Durability: acknowledged single-document updates at concurrency 20, durable (journal, fsync
// before the reply) against memory only, on databases of 10, 100 and 500 MB; then the main
// thread's stall while a checkpoint of 200 MB is written.

const MB = 1024 * 1024;
const CONCURRENCY = 20;

/** About 1 KB of BSON: the shape of a video record with a few sub-documents. */
function bigDoc(i: number) {
  return {
    _id: i,
    email: `user${i}@example.com`,
    name: `User ${i}`,
    group: `g${i % 20}`,
    n: i,
    createdAt: new Date(1_700_000_000_000 + i * 1000),
    tags: ['alpha', 'beta', 'gamma', `t${i % 7}`, `t${i % 11}`],
    videos: Array.from({ length: 4 }, (_, v) => ({ id: `v${v}`, status: 'queued', url: `https://cdn.example.com/videos/${i}/${v}.mp4` })),
    script: `Product ${i}: `.padEnd(480, 'lorem ipsum dolor sit amet '),
  };
}
const DOC_BYTES = calculateObjectSize(bigDoc(123456));

async function load(client: MongoClient, bytes: number): Promise<number> {
  const coll = client.db('durability').collection('videos');
  const n = Math.ceil(bytes / DOC_BYTES);
  for (let start = 0; start < n; start += 2000) {
    await coll.insertMany(Array.from({ length: Math.min(2000, n - start) }, (_, k) => bigDoc(start + k)) as any[], { ordered: false });
  }
  return n;
}

interface Latencies {
  ops: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  max: number;
}

/** `total` updateOne by _id, `CONCURRENCY` at a time, each awaited (acknowledged). */
async function updates(client: MongoClient, n: number, total: number, seed: number): Promise<Latencies> {
  const coll = client.db('durability').collection('videos');
  const lat: number[] = [];
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        const i = next++;
        const id = (i * 7919 + seed) % n;
        const t = now();
        const r = await coll.updateOne({ _id: id as any }, { $set: { 'videos.1.status': 'done', n: i + seed } });
        lat.push(now() - t);
        if (r.matchedCount !== 1) throw new Error('update missed');
      }
    }),
  );
  const ms = now() - t0;
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))];
  return { ops: total, opsPerSec: (total / ms) * 1000, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] };
}

async function waitCheckpointIdle(server: MongoWireServer): Promise<void> {
  for (;;) {
    const s = server.status();
    if (!s.durable || !s.checkpoint.running) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const gc = () => (globalThis as { gc?: () => void }).gc?.();

async function durabilityTable(): Promise<void> {
  const sizes = [10, 100, 500];
  // Three rounds per configuration; the table shows the median round. (On a shared 2-core machine
  // one round's p99 moves with whatever else runs; the median of three moves less.)
  const ROUNDS = 3;
  const UPDATES = 5000;
  const rows: { size: number; mode: string; r: Latencies }[] = [];
  console.log(`\ndurability: updateOne by _id at concurrency ${CONCURRENCY}, ${ROUNDS} rounds of ${UPDATES} acknowledged updates (median round shown); documents of ${DOC_BYTES} bytes`);
  {
    // warm-up (JIT) on a small memory-only database, not reported
    const server = await startMongoWireServer();
    const client = new MongoClient(server.uri, { maxPoolSize: CONCURRENCY });
    await client.connect();
    const n = await load(client, 2 * MB);
    await updates(client, n, 3000, 5);
    await client.close();
    await server.stop();
  }
  for (const size of sizes) {
    for (const mode of ['memory', 'durable'] as const) {
      const dir = mode === 'durable' ? mkdtempSync(join(tmpdir(), 'wire-bench-')) : undefined;
      const server = await startMongoWireServer({ dataDir: dir });
      const client = new MongoClient(server.uri, { maxPoolSize: CONCURRENCY });
      try {
        await client.connect();
        const t = now();
        const n = await load(client, size * MB);
        const loadMs = now() - t;
        await waitCheckpointIdle(server);
        await updates(client, n, 1000, 1); // warm-up
        const rounds: Latencies[] = [];
        const syncs: string[] = [];
        for (let k = 0; k < ROUNDS; k++) {
          rounds.push(await updates(client, n, UPDATES, 17 + k));
          const st = server.status();
          if (st.durable) syncs.push(`${st.journal.syncMs.p50.toFixed(1)}/${st.journal.syncMs.p99.toFixed(1)}`);
        }
        const median = (f: (x: Latencies) => number) => rounds.map(f).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
        const r: Latencies = { ops: UPDATES, opsPerSec: median((x) => x.opsPerSec), p50: median((x) => x.p50), p99: median((x) => x.p99), max: Math.max(...rounds.map((x) => x.max)) };
        rows.push({ size, mode, r });
        const st = server.status();
        console.log(
          `  ${String(size).padStart(3)} MB ${mode.padEnd(7)} loaded ${n} docs in ${(loadMs / 1000).toFixed(1)} s; ` +
            `${fmt(r.opsPerSec)} updates/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (rounds: ${rounds.map((x) => x.p99.toFixed(1)).join(', ')}), max ${r.max.toFixed(1)} ms` +
            (st.durable ? `; journal write+fdatasync p50/p99 ms per round: ${syncs.join(', ')}; checkpoint lsn ${st.checkpoint.lsn}, last took ${Math.round(st.checkpoint.lastMs ?? 0)} ms` : ''),
        );
        if (mode === 'durable' && size === sizes[sizes.length - 1]) {
          // Recovery at the largest size: checkpoint + journal replay.
          await client.close();
          await server.stop();
          gc();
          const t2 = now();
          const again = await startMongoWireServer({ dataDir: dir });
          const restartMs = now() - t2;
          const c2 = new MongoClient(again.uri);
          await c2.connect();
          const count = await c2.db('durability').collection('videos').countDocuments();
          await c2.close();
          await again.stop();
          console.log(`  ${size} MB durable: restart (checkpoint load + journal replay) ${(restartMs / 1000).toFixed(1)} s, ${count} of ${n} documents back`);
          if (count !== n) throw new Error('documents lost across the restart');
        }
      } finally {
        await client.close().catch(() => undefined);
        await server.stop().catch(() => undefined);
        if (dir) rmSync(dir, { recursive: true, force: true });
        gc();
      }
    }
  }
  console.log('\n| DB size | memory-only updates/s | durable updates/s | durable / memory | memory p99 ms | durable p99 ms | durable p99 / memory p99 |');
  console.log('|---|---|---|---|---|---|---|');
  for (const size of sizes) {
    const m = rows.find((x) => x.size === size && x.mode === 'memory')!.r;
    const d = rows.find((x) => x.size === size && x.mode === 'durable')!.r;
    console.log(
      `| ${size} MB | ${fmt(m.opsPerSec)} | ${fmt(d.opsPerSec)} | ${(d.opsPerSec / m.opsPerSec).toFixed(2)} | ${m.p99.toFixed(2)} | ${d.p99.toFixed(2)} | ${(d.p99 / m.p99).toFixed(2)} |`,
    );
  }
  const p99s = (mode: string) => rows.filter((x) => x.mode === mode).map((x) => x.r.p99);
  for (const mode of ['memory', 'durable']) {
    const p = p99s(mode);
    console.log(`${mode}: p99 largest / smallest across sizes = ${(Math.max(...p) / Math.min(...p)).toFixed(2)} (aim ≤ 1.5)`);
  }
  const worst = Math.min(...sizes.map((size) => rows.find((x) => x.size === size && x.mode === 'durable')!.r.opsPerSec / rows.find((x) => x.size === size && x.mode === 'memory')!.r.opsPerSec));
  console.log(`durable / memory-only throughput, worst size = ${worst.toFixed(2)} (aim ≥ 0.5)`);
}

/** This thread's time on a CPU and waiting for one (Linux schedstat), to tell blocking from being descheduled. */
function schedstat(): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return undefined;
  }
}

/**
 * Main-thread stall while a checkpoint of `size` MB is written: event-loop delay, under a light
 * load (5 updates/s and a ping every 10 ms, as the service's health probe would see it) and under
 * saturation (20 clients updating), each against the same load without a checkpoint.
 */
async function checkpointStall(size: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wire-bench-'));
  const server = await startMongoWireServer({ dataDir: dir });
  const client = new MongoClient(server.uri, { maxPoolSize: CONCURRENCY });
  try {
    await client.connect();
    const n = await load(client, size * MB);
    await waitCheckpointIdle(server);
    await updates(client, n, 1000, 3);
    const coll = client.db('durability').collection('videos');
    const admin = client.db('admin');

    const measure = async (saturated: boolean, withCheckpoint: boolean) => {
      gc();
      const h = monitorEventLoopDelay({ resolution: 1 });
      const s0 = schedstat();
      h.enable();
      let running = true;
      let ckpt: Awaited<ReturnType<MongoWireServer['checkpoint']>> | undefined;
      const t = now();
      const cp = withCheckpoint ? server.checkpoint().then((r) => ((ckpt = r), (running = false))) : undefined;
      const busy = () => (withCheckpoint ? running : now() - t < 2000);
      const lat: number[] = [];
      const pings: number[] = [];
      let i = 0;
      const update = async () => {
        const k = i++;
        const s = now();
        await coll.updateOne({ _id: ((k * 104729) % n) as any }, { $set: { n: k } });
        lat.push(now() - s);
      };
      if (saturated) {
        await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (busy()) await update(); }));
      } else {
        const writer = (async () => { while (busy()) { await update(); await new Promise((r) => setTimeout(r, 200)); } })();
        while (busy()) {
          const s = now();
          await admin.command({ ping: 1 });
          pings.push(now() - s);
          await new Promise((r) => setTimeout(r, 10));
        }
        await writer;
      }
      await cp;
      h.disable();
      const s1 = schedstat();
      const sorted = (a: number[]) => a.sort((x, y) => x - y);
      const q = (a: number[], p: number) => (a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : 0);
      sorted(lat);
      sorted(pings);
      return {
        ms: now() - t,
        eldMax: h.max / 1e6,
        eldP99: h.percentile(99) / 1e6,
        updates: lat.length,
        updateP99: q(lat, 0.99),
        pingP99: q(pings, 0.99),
        pingMax: pings[pings.length - 1] ?? 0,
        cpu: s0 && s1 ? s1[0] - s0[0] : undefined,
        waitCpu: s0 && s1 ? s1[1] - s0[1] : undefined,
        ckpt,
      };
    };
    console.log(`\ncheckpoint of ${size} MB (${n} documents), main thread of the server (and of the clients: one process):`);
    for (const saturated of [false, true]) {
      const base = await measure(saturated, false);
      const during = await measure(saturated, true);
      const sched = (r: typeof base) => (r.cpu === undefined ? '' : `; main thread on a CPU ${Math.round(r.cpu)} ms, waiting for one ${Math.round(r.waitCpu!)} ms`);
      const what = saturated ? `${CONCURRENCY} clients updating` : '5 updates/s + ping every 10 ms';
      const extra = (r: typeof base) => (saturated ? `update p99 ${r.updateP99.toFixed(1)} ms (${r.updates} updates)` : `ping p99 ${r.pingP99.toFixed(1)} ms, max ${r.pingMax.toFixed(1)} ms`);
      console.log(
        `  ${what}: during the checkpoint (${Math.round(during.ckpt!.ms)} ms, ${(during.ckpt!.bytes / MB).toFixed(0)} MB): ` +
          `event-loop delay max ${during.eldMax.toFixed(1)} ms, p99 ${during.eldP99.toFixed(1)} ms; ${extra(during)}${sched(during)}`,
      );
      console.log(`  ${' '.repeat(what.length)}  same load, no checkpoint (${Math.round(base.ms)} ms): event-loop delay max ${base.eldMax.toFixed(1)} ms, p99 ${base.eldP99.toFixed(1)} ms; ${extra(base)}${sched(base)}`);
    }
    // For comparison: what the old once-a-second snapshot did on the main thread at this size.
    const t = now();
    for (let k = 0; k < n; k++) serialize(bigDoc(k));
    console.log(`  for comparison, serializing ${size} MB on the main thread (the old snapshot's work) takes ${Math.round(now() - t)} ms in one go`);
  } finally {
    await client.close().catch(() => undefined);
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    gc();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--stall-only')) {
    await checkpointStall(200);
    return;
  }
  if (process.argv.includes('--durability-only')) {
    await durabilityTable();
    await checkpointStall(200);
    return;
  }
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
  await durabilityTable();
  await checkpointStall(200);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
