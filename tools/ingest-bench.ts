/**
 * `npm run bench:ingest`: how many signed RCK success callbacks per second the service takes
 * (autocannon, 50 connections), their p50 / p99 latency, and whether every delivery answered 2xx
 * has its stored event, beside a minimal handler (tools/ingest-baseline.ts: bare Fastify and the
 * bare driver sending the same commands one at a time), measured in the same run. Each runs in
 * its own process on one wire-protocol server (its own child process; MONGODB_URI to use a real
 * MongoDB instead), each on a database seeded alike, and the load alternates between them in
 * rounds (BENCH_ROUNDS), so that a busy spell on a shared machine falls on both rather than on
 * whichever ran second. Two scenarios, one after the other:
 *
 * - **First completions** (the headline): every delivery completes a different video, never
 *   one completed before. The videos are seeded as bulk requests of BULK_GENERATE_MAX_PRODUCTS
 *   (its default), each with its `videobatches` document, and the workspace has one endpoint
 *   subscribed to `video.completed`, so each delivery pays what a completion owes: the product
 *   copy, the outbound message and its delivery job, the batch's in-flight count (and, once per
 *   batch, the exact count and the digest job).
 * - **Repeats**: deliveries with fresh webhook-ids for videos completed already, which the
 *   handler answers as duplicates (the scenario this benchmark measured before issue 21).
 *
 * Neither target delivers the outbound messages while it is measured: the service polls its job
 * queue once a minute (JOBS_PROCESS_EVERY_MS at its maximum) and claims one job at a time, and
 * the minimal handler only stores the job, as the service's enqueue does. The few jobs the
 * service runs go to a local endpoint that answers 200 at once.
 *
 * The minimal handler's collections get the indexes the service created on its own (copied
 * after the warm-up), so a write costs the database the same on both.
 *
 * BENCH_COMMANDS=1 loads tools/command-counter.js into both processes and prints the commands
 * each sent per delivery, by command and collection; BENCH_COMMANDS=samples also prints the first
 * command of each kind. Off by default: monitoring costs each command some CPU. BENCH_SCENARIOS
 * (`first`, `repeats`, comma-separated) measures only those, e.g. to profile one.
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Db, MongoClient, ObjectId } from 'mongodb';
import { standardWebhookKey } from '../src/common/standard-webhook-key.js';
import { VideosEnvironment } from '../src/videos/videos.config.js';
import { signStandardWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';

// The issue's figure is at 50; fewer shows the service when deliveries rarely arrive together.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const WARMUP = 2000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const PER_ROUND = Math.floor(DELIVERIES / ROUNDS);
/** The videos of one bulk request: as many as one request may name by default. */
const BATCH_SIZE = new VideosEnvironment().BULK_GENERATE_MAX_PRODUCTS;
/** One video per first completion, and a few spare (autocannon builds a request only to send it). */
const VIDEOS = WARMUP + PER_ROUND * ROUNDS + CONNECTIONS;
const SECRET = 'whsec_YmVuY2gtcmNrLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3ODk=';
const KEY = standardWebhookKey(SECRET)!;
const COMMANDS = process.env.BENCH_COMMANDS;
const COUNTER = join(import.meta.dirname, 'command-counter.js');

interface Target {
  name: string;
  short: string;
  db: string;
  start: (uri: string) => Promise<{ port: number; child: ChildProcess }>;
}

async function startDatabase(): Promise<{ uri: string; pid?: number; stop: () => void }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI.replace(/\/[^/?]*(\?|$)/, '/$1'), stop: () => undefined };
  const cli = fileURLToPath(import.meta.resolve('@videogen/mongo-wire-server/cli'));
  // BENCH_DB_NODE_ARGS='--cpu-prof' profiles the wire server (written when it stops).
  const nodeArgs = process.env.BENCH_DB_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cli, '--port', '0', '--memory'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { uri: chunk.toString().trim(), pid: child.pid, stop: () => child.kill('SIGTERM') };
}

/** The customer's endpoint: answers 200 at once (only the few jobs the service runs reach it). */
async function startSink(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks/videogen`, server };
}

/**
 * CPU time (user + system, ms) a process has used so far, from Linux's /proc (undefined
 * elsewhere): where a delivery's cost goes, the target's process or the database's.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

function withDb(uri: string, db: string): string {
  const [head, query] = uri.split('?');
  return `${head.replace(/\/[^/]*$/, '')}/${db}${query ? `?${query}` : ''}`;
}

/** Starts a process and waits for it to answer on `port`. */
async function startProcess(script: string[], env: Record<string, string>, port: number): Promise<{ port: number; child: ChildProcess }> {
  const nodeArgs = COMMANDS ? ['--import', COUNTER] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...script], {
    env: { ...process.env, ...env, PORT: String(port) },
    // The IPC channel is how the command counter answers.
    stdio: ['ignore', 'ignore', 'inherit', ...(COMMANDS ? (['ipc'] as const) : [])],
  });
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/internal/videos/success`, { method: 'OPTIONS' });
      return { port, child };
    } catch {
      await sleep(100);
    }
  }
  child.kill('SIGTERM');
  throw new Error(`${script.join(' ')} did not start`);
}

const targets: Target[] = [
  {
    name: 'service (Nest, event log)',
    short: 'service',
    db: 'ingest_service',
    start: (uri) =>
      // BENCH_SERVICE_NODE_ARGS='--cpu-prof' profiles the service (a .cpuprofile in the working directory).
      startProcess([...(process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(import.meta.dirname, '..', 'src', 'main.js')], {
        NODE_ENV: 'test', MONGODB_URI: withDb(uri, 'ingest_service'), RCK_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'error',
        JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789', HOST: '127.0.0.1',
        // No repair sweeps while measuring, and outbound deliveries (jobs) almost never: the
        // queue is polled once a minute, one job at a time.
        VIDEO_MAINTENANCE_INTERVAL_MS: '3600000', OUTBOUND_SWEEP_INTERVAL_MS: '3600000', HEYGEN_RECONCILE_INTERVAL_MS: '3600000',
        JOBS_PROCESS_EVERY_MS: '60000', JOBS_CONCURRENCY: '1', OUTBOUND_ALLOW_PRIVATE_URLS: 'true',
      }, 5701),
  },
  {
    name: 'minimal Fastify + driver',
    short: 'handler',
    db: 'ingest_baseline',
    start: (uri) =>
      // BENCH_HANDLER_NODE_ARGS='--cpu-prof' profiles the minimal handler, to compare with the service's.
      startProcess([...(process.env.BENCH_HANDLER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(import.meta.dirname, 'ingest-baseline.js')], {
        MONGODB_URI: withDb(uri, 'ingest_baseline'), RCK_WEBHOOK_SECRET: SECRET,
      }, 5702),
  },
];

/**
 * VIDEOS generating videos, as bulk requests of BATCH_SIZE (each with its batch document and
 * in-flight count), each with its product and the product's entry; and the workspace's endpoint.
 */
async function seed(database: Db, endpointUrl: string): Promise<string[]> {
  await database.dropDatabase();
  const now = new Date();
  const workspaceId = new ObjectId();
  const userId = new ObjectId();
  await database.collection('webhookEndpoints').insertOne({
    workspaceId, url: endpointUrl, eventTypes: ['video.completed'], description: 'bench', enabled: true,
    secrets: [{ secret: 'whsec_YmVuY2gtZW5kcG9pbnQtc2VjcmV0LTAxMjM0NTY3ODk=', createdAt: now }], createdAt: now, updatedAt: now,
  });
  const videoIds = Array.from({ length: VIDEOS }, () => new ObjectId());
  const productIds = videoIds.map(() => new ObjectId());
  const batchOf = (i: number) => `bench-${Math.floor(i / BATCH_SIZE)}`;
  const batches = Math.ceil(VIDEOS / BATCH_SIZE);
  await database.collection('videobatches').insertMany(Array.from({ length: batches }, (_, b) => {
    const total = Math.min(BATCH_SIZE, VIDEOS - b * BATCH_SIZE);
    return { batchId: `bench-${b}`, workspaceId, userId, total, inFlight: total, digestDueAt: new Date(now.getTime() + 365 * 86_400_000), createdAt: now, updatedAt: now };
  }));
  for (let start = 0; start < VIDEOS; start += 5000) {
    const range = videoIds.slice(start, start + 5000).map((_, j) => start + j);
    await database.collection('products').insertMany(range.map((i) => ({
      _id: productIds[i], workspaceId, title: `Product ${i}`, sku: `SKU-${i}`, imageUrls: [], createdAt: now, updatedAt: now,
      videos: [{ videoId: videoIds[i], templateId: 't', templateName: 'Showcase', status: 'generating', createdAt: now, version: 0 }],
    })));
    await database.collection('aivideos').insertMany(range.map((i) => ({
      _id: videoIds[i], userId, workspaceId, productId: productIds[i], template: 'Showcase', status: 'generating', createdAt: now, updatedAt: now,
      metadata: {
        templateId: 't', templateName: 'Showcase', queuedAt: now, aspect_ratio: '9:16', batchId: batchOf(i), dispatchAttempts: 1, retryCount: 0,
        quotaPeriod: '2025-01', quotaHeld: true, productSynced: true, version: 0, dispatchedAt: now, externalJobId: `job-${i}`,
      },
    })));
  }
  return videoIds.map((id) => id.toHexString());
}

/**
 * Gives the minimal handler's collections the indexes the service made on its own (Mongoose's
 * and the job runner's), so that each write maintains the same indexes on both.
 */
async function copyIndexes(from: Db, to: Db): Promise<string[]> {
  const problems: string[] = [];
  for (const { name } of await from.listCollections({}, { nameOnly: true }).toArray()) {
    for (const index of await from.collection(name).listIndexes().toArray()) {
      if (index.name === '_id_') continue;
      const { key, v: _v, ns: _ns, ...options } = index;
      try {
        await to.collection(name).createIndex(key, options);
      } catch (error) {
        problems.push(`${name}.${index.name}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

/** A delivery's video, chosen as autocannon builds its request. */
type Pick = () => string;

async function load(port: number, pick: Pick, amount: number): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount,
    // autocannon notices that the last response came only at its next sample, so a round's
    // duration is a whole number of sample intervals: at its default 1 s that added up to a
    // second to rounds of a few seconds.
    sampleInt: 20,
    requests: [
      {
        method: 'POST',
        path: '/internal/videos/success',
        setupRequest: (request) => {
          const videoId = pick();
          const body = JSON.stringify({ videoId, youtubeVideoId: `yt-${videoId.slice(-8)}` });
          const id = `msg_${new ObjectId().toHexString()}`;
          const timestamp = Math.floor(Date.now() / 1000);
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(KEY, id, timestamp, body) },
          };
        },
      },
    ],
  });
}

/** One target's figures over one scenario's rounds. */
interface Tally {
  sent: number;
  ok: number;
  errors: number;
  seconds: number;
  p50: number[];
  p99: number[];
  /** CPU ms used during its rounds by the target's process and by the database server. */
  appCpu?: number;
  dbCpu?: number;
  /** Commands sent during its rounds, by command and collection (BENCH_COMMANDS). */
  commands: Record<string, number>;
  eventsBefore: number;
  stored: number;
  statuses: Record<string, number>;
}

interface Running {
  target: Target;
  port: number;
  child: ChildProcess;
  db: Db;
  videoIds: string[];
  /** The next video no delivery has named yet. */
  fresh: number;
  /** Videos completed before the repeats start, which the repeats name in turn. */
  completed: string[];
  repeat: number;
}

interface Scenario {
  /** For BENCH_SCENARIOS. */
  key: string;
  name: string;
  pick: (run: Running) => Pick;
  /** What every delivery's event must say. */
  status: string;
}

const scenarios: Scenario[] = [
  {
    key: 'first',
    name: 'first completions (distinct videos)',
    status: 'accepted',
    pick: (run) => () => {
      if (run.fresh >= run.videoIds.length) throw new Error('the seed has too few videos');
      return run.videoIds[run.fresh++];
    },
  },
  {
    key: 'repeats',
    name: 'repeats (completed videos, fresh webhook-ids)',
    status: 'duplicate',
    pick: (run) => () => run.completed[run.repeat++ % run.completed.length],
  },
];

async function commandCounts(child: ChildProcess): Promise<{ counts: Record<string, number>; samples: Record<string, unknown> }> {
  if (!COMMANDS) return { counts: {}, samples: {} };
  child.send('bench:commands');
  const [answer] = (await once(child, 'message')) as [{ counts: Record<string, number>; samples: Record<string, unknown> }];
  return answer;
}

/** The events of deliveries that arrived since `since`, by status. */
async function eventStatuses(db: Db, since: Date): Promise<Record<string, number>> {
  const rows = await db.collection('webhookevents').aggregate<{ _id: string; n: number }>([{ $match: { createdAt: { $gte: since } } }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
  return Object.fromEntries(rows.map((row) => [row._id, row.n]));
}

/** What a first completion must have left in the database, the same for both targets. */
async function consistency(run: Running): Promise<string[]> {
  const { db } = run;
  const completed = await db.collection('aivideos').countDocuments({ status: 'completed' });
  const accepted = await db.collection('webhookevents').countDocuments({ status: 'accepted' });
  const facts: Array<[string, number, number]> = [
    ['completed videos vs accepted events', completed, accepted],
    ['videos still owing effects', await db.collection('aivideos').countDocuments({ 'metadata.owed.0': { $exists: true } }), 0],
    ['completed videos with their product copy behind', await db.collection('aivideos').countDocuments({ status: 'completed', 'metadata.productSynced': false }), 0],
    ['product entries completed', await db.collection('products').countDocuments({ 'videos.status': 'completed' }), completed],
    ['video.completed messages', await db.collection('webhookMessages').countDocuments({ eventType: 'video.completed' }), completed],
    ['delivery jobs', await db.collection('agendaJobs').countDocuments({ name: 'webhook-endpoints.deliver' }), completed],
    ['batch in-flight counts', (await db.collection('videobatches').aggregate<{ n: number }>([{ $group: { _id: null, n: { $sum: '$inFlight' } } }]).next())?.n ?? 0, VIDEOS - completed],
    ['digest jobs vs bulk requests all completed', await db.collection('agendaJobs').countDocuments({ name: 'videos.batch-digest' }), await finishedBatches(db)],
    ['remembered deliveries vs events', await db.collection('webhookdeliveries').countDocuments(), await db.collection('webhookevents').countDocuments()],
  ];
  return facts.filter(([, actual, expected]) => actual !== expected).map(([what, actual, expected]) => `${run.target.short}: ${what}: ${actual}, expected ${expected}`);
}

async function finishedBatches(db: Db): Promise<number> {
  const [row] = await db.collection('aivideos').aggregate<{ n: number }>([
    { $group: { _id: '$metadata.batchId', left: { $sum: { $cond: [{ $eq: ['$status', 'completed'] }, 0, 1] } } } },
    { $match: { left: 0 } },
    { $count: 'n' },
  ]).toArray();
  return row?.n ?? 0;
}

async function main(): Promise<number> {
  const database = await startDatabase();
  const sink = await startSink();
  const client = await new MongoClient(database.uri).connect();
  const running: Running[] = [];
  let failed = false;
  try {
    for (const target of targets) {
      const db = client.db(target.db);
      const videoIds = await seed(db, sink.url);
      const { port, child } = await target.start(database.uri);
      running.push({ target, port, child, db, videoIds, fresh: 0, completed: [], repeat: 0 });
    }
    for (const run of running) await load(run.port, scenarios[0].pick(run), WARMUP);
    const [service, baseline] = running;
    const indexProblems = await copyIndexes(service.db, baseline.db);
    if (indexProblems.length > 0) console.warn(`Indexes not copied to the minimal handler's database:\n  ${indexProblems.join('\n  ')}`);
    await sleep(1000);
    console.log(
      `${ROUNDS} alternating rounds of ${PER_ROUND} deliveries per target and scenario, ${CONNECTIONS} connections; ` +
        `${VIDEOS} videos per target in bulk requests of ${BATCH_SIZE}, one customer endpoint`,
    );

    // BENCH_SCENARIOS=first (or repeats) measures one only, e.g. to profile it.
    const chosen = process.env.BENCH_SCENARIOS?.split(',') ?? scenarios.map((scenario) => scenario.key);
    for (const scenario of scenarios.filter((candidate) => chosen.includes(candidate.key))) {
      if (scenario.status === 'duplicate') {
        for (const run of running) {
          run.completed = (await run.db.collection('aivideos').find({ status: 'completed' }, { projection: { _id: 1 } }).toArray()).map((video) => video._id.toHexString());
        }
      }
      const tallies = new Map<Running, Tally>();
      const started = new Date();
      for (const run of running) {
        tallies.set(run, { sent: 0, ok: 0, errors: 0, seconds: 0, p50: [], p99: [], commands: {}, eventsBefore: await run.db.collection('webhookevents').countDocuments(), stored: 0, statuses: {} });
      }
      let samples: Record<string, Record<string, unknown>> = {};
      // Rounds alternate between the targets, so a busy spell on this shared machine hits both.
      for (let round = 0; round < ROUNDS; round++) {
        for (const run of running) {
          const tally = tallies.get(run)!;
          const commandsBefore = await commandCounts(run.child);
          const cpuBefore = [cpuMs(run.child.pid), cpuMs(database.pid)];
          const result = await load(run.port, scenario.pick(run), PER_ROUND);
          const cpuAfter = [cpuMs(run.child.pid), cpuMs(database.pid)];
          const commandsAfter = await commandCounts(run.child);
          for (const [key, n] of Object.entries(commandsAfter.counts)) tally.commands[key] = (tally.commands[key] ?? 0) + n - (commandsBefore.counts[key] ?? 0);
          samples[run.target.short] = commandsAfter.samples;
          if (cpuBefore[0] !== undefined && cpuAfter[0] !== undefined) tally.appCpu = (tally.appCpu ?? 0) + cpuAfter[0] - cpuBefore[0];
          if (cpuBefore[1] !== undefined && cpuAfter[1] !== undefined) tally.dbCpu = (tally.dbCpu ?? 0) + cpuAfter[1] - cpuBefore[1];
          tally.sent += result.requests.sent ?? PER_ROUND;
          tally.ok += result['2xx'];
          tally.errors += result.errors + result.timeouts + result.non2xx;
          tally.seconds += result.duration;
          tally.p50.push(result.latency.p50);
          tally.p99.push(result.latency.p99);
        }
      }
      for (const run of running) {
        const tally = tallies.get(run)!;
        tally.stored = (await run.db.collection('webhookevents').countDocuments()) - tally.eventsBefore;
        tally.statuses = await eventStatuses(run.db, started);
      }
      const rows = running.map((run) => {
        const tally = tallies.get(run)!;
        return {
          target: run.target.name,
          'req/s': Math.round(tally.sent / tally.seconds),
          'p50 ms (median of rounds)': median(tally.p50),
          'p99 ms (worst round)': Math.max(...tally.p99),
          sent: tally.sent,
          '2xx': tally.ok,
          errors: tally.errors,
          'stored / sent': (tally.stored / tally.sent).toFixed(4),
          [`${scenario.status} / sent`]: ((tally.statuses[scenario.status] ?? 0) / tally.sent).toFixed(4),
          'CPU ms / delivery: target': tally.appCpu === undefined ? '-' : (tally.appCpu / tally.sent).toFixed(2),
          database: tally.dbCpu === undefined ? '-' : (tally.dbCpu / tally.sent).toFixed(2),
          ...(COMMANDS && { 'commands / delivery': (Object.values(tally.commands).reduce((a, b) => a + b, 0) / tally.sent).toFixed(2) }),
        };
      });
      console.log(`\n${scenario.name}`);
      console.table(rows);
      const [s, b] = rows;
      const rate = s['req/s'] / b['req/s'];
      const p99 = s['p99 ms (worst round)'] / b['p99 ms (worst round)'];
      console.log(
        `${scenario.name}: service / minimal handler ${rate.toFixed(2)}× the rate (aim: at least 1.0), ` +
          `p99 ${p99.toFixed(2)}× the handler's (aim: at most 1.5); events stored per delivery: service ${s['stored / sent']}, handler ${b['stored / sent']} (must be exactly 1)`,
      );
      if (COMMANDS) printCommands(running.map((run) => ({ name: run.target.short, tally: tallies.get(run)! })), COMMANDS === 'samples' ? samples : undefined);
      for (const run of running) {
        const tally = tallies.get(run)!;
        if (tally.stored !== tally.sent || tally.statuses[scenario.status] !== tally.sent || tally.errors > 0) failed = true;
      }
      if (scenario.status === 'accepted') {
        const problems = (await Promise.all(running.map(consistency))).flat();
        console.log(problems.length === 0 ? 'Both left the same state: every completion paid what it owes.' : `What a completion owes, not all paid:\n  ${problems.join('\n  ')}`);
        if (problems.length > 0) failed = true;
        samples = {};
      }
    }
    return failed ? 1 : 0;
  } finally {
    for (const { child } of running) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await client.close();
    sink.server.close();
    database.stop();
  }
}

/** Commands per delivery by command and collection, the two targets side by side. */
function printCommands(tallies: Array<{ name: string; tally: Tally }>, samples?: Record<string, Record<string, unknown>>): void {
  const keys = [...new Set(tallies.flatMap(({ tally }) => Object.keys(tally.commands)))].sort();
  const rows = keys
    .map((key) => Object.fromEntries([['command', key], ...tallies.map(({ name, tally }) => [name, Number(((tally.commands[key] ?? 0) / tally.sent).toFixed(3))])]))
    .filter((row) => tallies.some(({ name }) => row[name] > 0));
  console.table(rows);
  if (samples) for (const [name, byKey] of Object.entries(samples)) for (const [key, command] of Object.entries(byKey)) console.log(`${name} ${key}: ${JSON.stringify(command)}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
