/**
 * `npm run bench:hostile`: how long each kind of hostile request body blocks the service's event
 * loop, beside normal requests in the same run. The service runs in this process (as `npm start`
 * builds it) on a wire-protocol server in a child process (or MONGODB_URI), so the figures are the
 * service's own; bodies are built before each measurement. Block per request is the largest
 * event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) seen while the request was
 * in flight, after a warm-up run and with garbage from building the bodies collected first
 * (`--expose-gc`). On a machine other processes load, the worst of several runs includes time the
 * process was not scheduled at all, which the normal requests show too. Exits 1 when the worst
 * hostile request blocks for 50 ms or more.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApp } from '../src/app.factory.js';
import { JSON_SHAPE_LIMITS, LOGIN_BODY_LIMIT_BYTES } from '../src/common/http-body.js';
import { loadConfig } from '../src/app.config.js';

const BUDGET_MS = 50;
const RUNS = 10;

interface Case {
  kind: string;
  hostile: boolean;
  path: string;
  body: string;
  contentType?: string;
  auth?: boolean;
}

const keys = (count: number, prefix = 'k') => `{${Array.from({ length: count }, (_, i) => `"${prefix}${i}":0`).join(',')}}`;
const fit = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit - 4)}0}`);

function cases(limit: number): Case[] {
  const hostile = (kind: string, path: string, body: string, extra: Partial<Case> = {}): Case => ({ kind, hostile: true, path, body, ...extra });
  const product = { auth: true };
  return [
    { kind: 'normal login (argon2 runs off the loop)', hostile: false, path: '/api/auth/login', body: '' },
    { kind: 'normal product create', hostile: false, path: '/api/products', body: '', auth: true },
    hostile('login: unknown keys to 4 KB', '/api/auth/login', fit(keys(1000), LOGIN_BODY_LIMIT_BYTES)),
    hostile('login: deep nesting to 4 KB', '/api/auth/login', '['.repeat(2048) + ']'.repeat(2048)),
    hostile('login: form-encoded', '/api/auth/login', 'email=a%40b.co&password=x', { contentType: 'application/x-www-form-urlencoded' }),
    hostile('product: 100k unknown keys, 1 MB', '/api/products', fit(keys(100_000), limit), product),
    hostile('product: deep nesting, 1 MB', '/api/products', '['.repeat(limit / 2) + ']'.repeat(limit / 2), product),
    hostile('product: long array, 1 MB', '/api/products', `{"imageUrls":[${'0,'.repeat(limit / 2 - 20)}0]}`, product),
    hostile('product: 15k keys in small objects', '/api/products', `[${Array.from({ length: 100 }, () => keys(150)).join(',')}]`, product),
    hostile(
      `product: largest shape let through (~${JSON_SHAPE_LIMITS.maxTotalEntries} keys to validation)`,
      '/api/products',
      `{"title":"t","sku":"s","x":[${Array.from({ length: Math.floor((JSON_SHAPE_LIMITS.maxTotalEntries - 3) / 150) }, () => keys(150)).join(',')}]}`,
      product,
    ),
    hostile('product: 200 unknown keys, 120-byte names', '/api/products', keys(200, 'x'.repeat(120 - 3)), product),
    hostile('product: 200 keys with 4 KB names, 800 KB', '/api/products', keys(200, 'x'.repeat(4000)), product),
    hostile('product: one 1 MB string', '/api/products', `{"title":"${'x'.repeat(limit - 40)}","sku":"s"}`, product),
    hostile('product: malformed JSON, 1 MB', '/api/products', `{"title":"${'x'.repeat(limit - 20)}`, product),
    hostile('product: form-encoded, 1 MB', '/api/products', `title=${'x'.repeat(limit - 10)}`, { ...product, contentType: 'application/x-www-form-urlencoded' }),
    hostile('product: over the limit (2 MB)', '/api/products', `{"title":"${'x'.repeat(2 * limit)}"}`, product),
  ];
}

async function startDatabase(): Promise<{ uri: string; stop: () => void }> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, stop: () => undefined };
  const cli = fileURLToPath(import.meta.resolve('@videogen/mongo-wire-server/cli'));
  const child = spawn(process.execPath, [cli, '--port', '0', '--memory'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { uri: `${chunk.toString().trim()}hostilebench`, stop: () => child.kill('SIGTERM') };
}

async function main(): Promise<number> {
  const database = await startDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'bench-jwt-secret-that-is-long-enough-0123456789',
    RCK_WEBHOOK_SECRET: 'whsec_YmVuY2gtcmNrLXdlYmhvb2stc2VjcmV0LTAxMjM0',
    HEYGEN_WEBHOOK_SECRET: 'bench-heygen-secret',
    SUPERADMIN_EMAIL: 'bench-admin@example.com',
    SUPERADMIN_PASSWORD: 'bench-admin-password',
    LOGIN_RATE_LIMIT_MAX: '100000',
    LOGIN_MAX_FAILURES: '1000',
  });
  const app = await createApp(config, database.uri);
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const send = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const collectGarbage = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    const login = async (email: string, password: string) =>
      ((await (await send('/api/auth/login', JSON.stringify({ email, password }))).json()) as { data: { accessToken: string } }).data.accessToken;

    // A workspace user, made through the API as a superadmin would.
    const admin = { authorization: `Bearer ${await login('bench-admin@example.com', 'bench-admin-password')}` };
    const workspace = (await (await send('/api/workspaces', JSON.stringify({ name: 'Bench', plan: { name: 'pro', monthlyVideoLimit: 10 } }), admin)).json()) as { data: { id: string } };
    const user = { email: 'bench-user@example.com', password: 'bench-user-password' };
    await send('/api/users', JSON.stringify({ ...user, name: 'Bench', role: 'user', workspaceId: workspace.data.id }), admin);
    const auth = { authorization: `Bearer ${await login(user.email, user.password)}` };

    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const rows: Array<{ kind: string; hostile: boolean; status: number; bytes: number; worstMs: number; medianMs: number; wallMs: number }> = [];
    let sku = 0;
    for (const item of cases(config.http.bodyLimitBytes)) {
      const blocks: number[] = [];
      let status = 0;
      let wall = 0;
      // One warm-up run (first use of a code path compiles it), then the measured ones.
      for (let run = -1; run < RUNS; run++) {
        const body = new TextEncoder().encode(
          item.kind.startsWith('normal login') ? JSON.stringify(user)
          : item.kind.startsWith('normal product') ? JSON.stringify({ title: 'Bench product', sku: `SKU-${sku++}`, imageUrls: ['https://example.com/a.jpg'] })
          : item.body,
        );
        // Garbage left by building bodies is collected now, not while the request is measured.
        collectGarbage();
        await new Promise((resolve) => setTimeout(resolve, 20));
        histogram.reset();
        const started = performance.now();
        const response = await send(item.path, body, { ...(item.auth ? auth : {}), ...(item.contentType ? { 'content-type': item.contentType } : {}) });
        await response.arrayBuffer();
        if (run < 0) continue;
        wall = Math.max(wall, performance.now() - started);
        status = response.status;
        blocks.push(histogram.max / 1e6);
      }
      blocks.sort((a, b) => a - b);
      rows.push({ kind: item.kind, hostile: item.hostile, status, bytes: Buffer.byteLength(item.body), worstMs: blocks.at(-1)!, medianMs: blocks[Math.floor(blocks.length / 2)], wallMs: wall });
    }
    histogram.disable();

    console.log(`Event-loop block per request (max delay while in flight, ${RUNS} runs each; body limit ${config.http.bodyLimitBytes} B):\n`);
    console.log(`${'request'.padEnd(66)} ${'status'.padStart(6)} ${'body B'.padStart(9)} ${'median ms'.padStart(10)} ${'worst ms'.padStart(9)} ${'wall ms'.padStart(8)}`);
    for (const row of rows) {
      console.log(
        `${`${row.hostile ? 'hostile' : 'normal '}  ${row.kind}`.padEnd(66)} ${String(row.status).padStart(6)} ${String(row.bytes).padStart(9)} ` +
          `${row.medianMs.toFixed(1).padStart(10)} ${row.worstMs.toFixed(1).padStart(9)} ${row.wallMs.toFixed(1).padStart(8)}`,
      );
    }
    const worst = Math.max(...rows.filter((row) => row.hostile).map((row) => row.worstMs));
    const verdict = worst < BUDGET_MS ? 'within' : 'OVER';
    console.log(`\nWorst hostile request blocked the event loop for ${worst.toFixed(1)} ms: ${verdict} the ${BUDGET_MS} ms budget.`);
    return worst < BUDGET_MS ? 0 : 1;
  } finally {
    await app.close();
    database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
