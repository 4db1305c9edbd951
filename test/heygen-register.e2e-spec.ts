import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runRegister } from '../tools/heygen-register.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { TEST_SECRETS } from './utils/test-app.js';

const run = promisify(execFile);

describe('npm run heygen:register (against the fake HeyGen)', () => {
  let heygen: FakeHeygen;
  const env = () => ({ HEYGEN_API_URL: heygen.url, HEYGEN_API_KEY: TEST_SECRETS.HEYGEN_API_KEY });

  beforeAll(async () => {
    heygen = await FakeHeygen.start();
  });
  afterAll(() => heygen.stop());

  function capture() {
    const lines: string[] = [];
    const errors: string[] = [];
    return { lines, errors, out: { log: (line: string) => lines.push(line), error: (line: string) => errors.push(line) } };
  }

  it('registers the URL for avatar_video.success and avatar_video.fail and prints the endpoint id and secret', async () => {
    // The compiled script, as `npm run heygen:register` runs it (without the build step).
    const script = join(import.meta.dirname, '..', 'tools', 'heygen-register.js');
    const { stdout } = await run(process.execPath, [script, '--url', 'https://videogen.example.com/api/webhook/heygen'], { env: { ...process.env, ...env() } });
    const registered = heygen.requests.find((r) => r.path === '/v1/webhook/endpoint.add')!;
    expect(registered.headers['x-api-key']).toBe(TEST_SECRETS.HEYGEN_API_KEY);
    expect(registered.body).toEqual({ url: 'https://videogen.example.com/api/webhook/heygen', events: ['avatar_video.success', 'avatar_video.fail'] });
    const [endpoint] = heygen.endpoints.values();
    expect(stdout).toContain(`endpoint_id: ${endpoint.endpoint_id}`);
    expect(stdout).toContain(`Set HEYGEN_WEBHOOK_SECRET=${endpoint.secret} in the service's environment`);
  });

  it('lists and deletes endpoints', async () => {
    const listed = capture();
    expect(await runRegister(['--list'], env(), listed.out)).toBe(0);
    const [endpoint] = heygen.endpoints.values();
    expect(listed.lines).toEqual([`${endpoint.endpoint_id}  enabled  ${endpoint.url}  avatar_video.success,avatar_video.fail`]);

    const deleted = capture();
    expect(await runRegister(['--delete', endpoint.endpoint_id], env(), deleted.out)).toBe(0);
    expect(deleted.lines).toEqual([`Deleted webhook endpoint ${endpoint.endpoint_id}`]);
    const empty = capture();
    await runRegister(['--list'], env(), empty.out);
    expect(empty.lines).toEqual(['No webhook endpoints registered.']);

    const missing = capture();
    expect(await runRegister(['--delete', 'ep_nope'], env(), missing.out)).toBe(1);
    expect(missing.errors).toEqual(['HeyGen answered 404: endpoint not found']);
  });

  it('explains what is missing: the key, the arguments, a reachable HeyGen', async () => {
    const noKey = capture();
    expect(await runRegister(['--list'], { HEYGEN_API_URL: heygen.url }, noKey.out)).toBe(1);
    expect(noKey.errors[0]).toMatch(/^HEYGEN_API_KEY is not set/);
    const noArgs = capture();
    expect(await runRegister([], env(), noArgs.out)).toBe(2);
    expect(noArgs.errors[0]).toMatch(/^usage: npm run heygen:register/);
    const badUrl = capture();
    expect(await runRegister(['--url', 'not a url'], env(), badUrl.out)).toBe(1);
    const wrongKey = capture();
    expect(await runRegister(['--list'], { ...env(), HEYGEN_API_KEY: 'wrong-key-123' }, wrongKey.out)).toBe(1);
    expect(wrongKey.errors).toEqual(['HeyGen answered 401: Invalid API key']);
    const down = capture();
    expect(await runRegister(['--list'], { ...env(), HEYGEN_API_URL: 'http://127.0.0.1:1' }, down.out)).toBe(1);
    expect(down.errors[0]).toMatch(/^HeyGen unreachable/);
  });
});
