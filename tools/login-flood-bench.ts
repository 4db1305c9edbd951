/**
 * `npm run bench:login-flood`: RCK callback latency while a flood of logins arrives from many
 * addresses (issue 23). Every login runs argon2 (a core for tens of milliseconds); the
 * per-address limits do not stop a flood from many addresses, so the password checks run in their
 * own process at the lowest CPU priority (nice 19), at most PASSWORD_CHECK_CONCURRENCY at once
 * (by default one fewer than the cores) with PASSWORD_CHECK_QUEUE waiting, the rest refused 503.
 *
 * For each configuration of the service (bounded, the default; unbounded: every login checked),
 * in its own process on one wire-protocol server (a child process; MONGODB_URI for a real
 * MongoDB): BENCH_ROUNDS rounds of signed RCK success callbacks at CONNECTIONS connections,
 * first alone, then while LOGINS logins with unknown emails (each checked against the decoy
 * hash, so each runs argon2) arrive from ADDRESSES addresses (TRUST_PROXY and X-Forwarded-For),
 * LOGIN_CONCURRENCY at a time. Prints each round's callback p50 / p99, the ratio of p99 under the
 * flood to p99 alone, what the logins were answered, and the median ratio (the aim: below 2).
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, ObjectId } from 'mongodb';
import { standardWebhookKey } from '../src/common/standard-webhook-key.js';
import { signStandardWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';

const CONNECTIONS = 10;
const CALLBACKS = Number(process.env.BENCH_CALLBACKS ?? 3000);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 500);
/** Alone-then-flood rounds per configuration; the median ratio is printed (p99 of one round is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ADDRESSES = 50;
const LOGIN_CONCURRENCY = 50;
const VIDEOS = 500;
const SECRET = 'whsec_YmVuY2gtcmNrLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3ODk=';
const KEY = standardWebhookKey(SECRET)!;

const CONFIGURATIONS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'bounded (default)', env: {} },
  { name: 'unbounded (before)', env: { PASSWORD_CHECK_CONCURRENCY: '256', PASSWORD_CHECK_QUEUE: '100000' } },
];

async function startDatabase(): Promise<{ uri: string; stop: () => void }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: () => undefined };
  const child = spawn(process.execPath, [fileURLToPath(import.meta.resolve('@videogen/mongo-wire-server/cli')), '--port', '0', '--memory'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { uri: chunk.toString().trim(), stop: () => child.kill('SIGTERM') };
}

function withDb(uri: string, db: string): string {
  const [head, query] = uri.split('?');
  return `${head.replace(/\/[^/]*$/, '')}/${db}${query ? `?${query}` : ''}`;
}

async function seedVideos(client: MongoClient, db: string): Promise<string[]> {
  const database = client.db(db);
  await database.dropDatabase();
  const now = new Date();
  const workspaceId = new ObjectId();
  const ids = Array.from({ length: VIDEOS }, () => new ObjectId());
  await database.collection('aivideos').insertMany(ids.map((_id) => ({
    _id, userId: new ObjectId(), workspaceId, productId: new ObjectId(), template: 'Showcase', status: 'generating', createdAt: now, updatedAt: now,
    metadata: { templateId: 't', queuedAt: now, aspect_ratio: '9:16', batchId: 'bench', dispatchAttempts: 1, retryCount: 0, quotaPeriod: '2025-01', quotaHeld: true, productSynced: true, version: 0, dispatchedAt: now },
  })));
  return ids.map((id) => id.toHexString());
}

async function startService(uri: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.js')], {
    env: {
      ...process.env, ...env, NODE_ENV: 'test', MONGODB_URI: uri, RCK_WEBHOOK_SECRET: SECRET, LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1',
      JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789', TRUST_PROXY: 'true', VIDEO_MAINTENANCE_INTERVAL_MS: '3600000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return child;
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('the service did not start');
}

function callbacks(port: number, videoIds: string[]): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount: CALLBACKS,
    sampleInt: 20,
    requests: [{
      method: 'POST',
      path: '/internal/videos/success',
      setupRequest: (request) => {
        const body = JSON.stringify({ videoId: videoIds[n % videoIds.length] });
        const id = `msg_${n++}_${Math.random().toString(36).slice(2)}`;
        const timestamp = Math.floor(Date.now() / 1000);
        return { ...request, body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signStandardWebhook(KEY, id, timestamp, body) } };
      },
    }],
  });
}

/** LOGINS logins with unknown emails from ADDRESSES addresses; answers how many got each status. */
async function flood(port: number, round: number): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let next = 0;
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, async () => {
    while (next < LOGINS) {
      const i = next++;
      const response = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.${round}.${(i % ADDRESSES) + 1}` },
        body: JSON.stringify({ email: `flood-${round}-${i}@example.com`, password: 'not-the-password' }),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    }
  }));
  return statuses;
}

async function main(): Promise<void> {
  const database = await startDatabase();
  const client = await new MongoClient(database.uri).connect();
  try {
    console.log(`RCK callbacks (${CALLBACKS} at ${CONNECTIONS} connections) alone and under ${LOGINS} logins from ${ADDRESSES} addresses (${LOGIN_CONCURRENCY} at a time)`);
    for (const [index, configuration] of CONFIGURATIONS.entries()) {
      const db = `login_flood_${index}`;
      const videoIds = await seedVideos(client, db);
      const port = 5711 + index;
      const child = await startService(withDb(database.uri, db), port, configuration.env);
      try {
        await callbacks(port, videoIds); // warm-up
        const ratios: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Alone, then under the flood, back to back: each round's ratio has its own baseline.
          const alone = await callbacks(port, videoIds);
          const [loaded, answered] = await Promise.all([callbacks(port, videoIds), flood(port, index * ROUNDS + round + 1)]);
          const ratio = loaded.latency.p99 / Math.max(1, alone.latency.p99);
          ratios.push(ratio);
          console.log(
            `${configuration.name.padEnd(20)} round ${round + 1}: alone p50 ${alone.latency.p50} ms p99 ${alone.latency.p99} ms | flood p50 ${loaded.latency.p50} ms p99 ${loaded.latency.p99} ms | ` +
              `p99 ratio ${ratio.toFixed(2)} | callbacks 2xx ${alone['2xx'] + loaded['2xx']}/${2 * CALLBACKS} | logins ${JSON.stringify(answered)}`,
          );
        }
        const sorted = [...ratios].sort((a, b) => a - b);
        console.log(`${configuration.name.padEnd(20)} median p99 ratio over ${ROUNDS} rounds: ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (min ${sorted[0].toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)})`);
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
  } finally {
    await client.close();
    database.stop();
  }
}

await main();
