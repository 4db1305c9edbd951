import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { testMongoUri, uniqueDatabaseName, withDatabase } from './utils/mongo-uri.js';
import { COMPILED_MAIN, ServiceProcess } from './utils/service-process.js';
import { TEST_SECRETS } from './utils/test-app.js';

/** Every line the process wrote, which must each be a JSON object. */
function nonJsonLines(output: string): string[] {
  return output.split('\n').filter((line) => {
    if (line.trim() === '') return false;
    try {
      return typeof JSON.parse(line) !== 'object';
    } catch {
      return true;
    }
  });
}

/** The compiled service started as production starts it (process level). */
describe('Start-up in production (process level)', () => {
  const started: ServiceProcess[] = [];

  beforeAll(() => {
    if (!existsSync(COMPILED_MAIN)) throw new Error(`${COMPILED_MAIN} is missing: run \`npm run build\` (npm test does)`);
  });
  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop('SIGKILL')));
  });

  const start = async (env: Record<string, string>) => {
    const service = await ServiceProcess.start({ NODE_ENV: 'production', LOG_LEVEL: 'info', ...TEST_SECRETS, ...env });
    started.push(service);
    return service;
  };

  it('refuses to start without MONGODB_URI unless the embedded database is allowed, in JSON', async () => {
    const service = await start({});
    expect(await service.exited).toBe(1);
    expect(service.logs).toContain('MONGODB_URI is required when NODE_ENV=production');
    expect(nonJsonLines(service.logs)).toEqual([]);
  });

  it('writes every line as JSON, start-up and shutdown included', { timeout: 120_000 }, async () => {
    const service = await start({ MONGODB_URI: withDatabase(testMongoUri(), uniqueDatabaseName('prod')) });
    await service.waitForHealth(60_000);
    const login = await service.fetchJson('/api/auth/login?token=abc', { method: 'POST', body: JSON.stringify({ email: 'a@b.co', password: 'x' }) });
    expect(login.status).toBe(401);
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(service.logs).toMatch(/Listening on/);
    expect(service.logs).toContain('token=[REDACTED]');
    expect(nonJsonLines(service.logs)).toEqual([]);
  });

  it('stops at once, in one JSON line, when the port is taken, before the job runner starts', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = taken.address() as AddressInfo;
      const service = await start({ MONGODB_URI: withDatabase(testMongoUri(), uniqueDatabaseName('prod')), PORT: String(port) });
      expect(await service.exited).toBe(1);
      expect(service.logs).toContain(`Port ${port} on 127.0.0.1 is already in use (another instance?); set PORT to a free port`);
      expect(service.logs).not.toMatch(/Processing \d+ job type/);
      expect(nonJsonLines(service.logs)).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it('on SIGTERM fails readiness first while still answering, then finishes and logs a last line', { timeout: 120_000 }, async () => {
    const service = await start({ MONGODB_URI: withDatabase(testMongoUri(), uniqueDatabaseName('prod')), SHUTDOWN_READINESS_DELAY_MS: '3000' });
    await service.waitForHealth(60_000);
    expect((await service.fetchJson('/health/ready')).status).toBe(200);
    const from = service.logs.length;
    service.child.kill('SIGTERM');
    await service.waitForOutput(/readiness|health\/ready answers 503/, 1, from);
    const ready = await service.fetchJson('/health/ready');
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toContain('shutting down since');
    // Still serving while the load balancer notices.
    expect((await service.fetchJson('/health/live')).status).toBe(200);
    expect(await service.exited).toBe(0);
    const lines = service.logs.trim().split('\n');
    expect(JSON.parse(lines.at(-1)!).msg).toBe('Stopped');
    expect(nonJsonLines(service.logs)).toEqual([]);
  });
});
