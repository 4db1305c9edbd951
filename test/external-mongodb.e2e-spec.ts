import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './utils/paths.js';

/**
 * `MONGODB_URI=… npm test`: the suite on a MongoDB the user points it at. No MongoDB can be had
 * here, so the path is proven with our wire server started as a separate process (its CLI) and
 * given as MONGODB_URI to the compiled runner (dist-test/test/run.js, what `npm test` runs after
 * building): it connects, runs the specs asked for, and skips, saying why and counting them, what
 * needs our own server. A wrong URI fails at once, in one line that names it without credentials.
 */
describe('npm test on the MongoDB in MONGODB_URI (process level)', () => {
  const runner = join(REPO_ROOT, 'dist-test', 'test', 'run.js');
  let server: ChildProcess;
  let serverUri: string;

  beforeAll(async () => {
    const cli = fileURLToPath(import.meta.resolve('@videogen/mongo-wire-server/cli'));
    server = spawn(process.execPath, [cli, '--port', '0', '--memory'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const [chunk] = (await once(server.stdout!, 'data')) as [Buffer];
    serverUri = chunk.toString().trim();
  });
  afterAll(() => {
    server?.kill('SIGTERM');
  });

  /** Runs the compiled runner with MONGODB_URI and the spec filters; its exit code, output and duration. */
  const runTests = async (uri: string, filters: string[]) => {
    // Not this run's database, nor node:test's marker that would make the inner runner report to us.
    const { TEST_MONGODB_URI: _ours, TEST_MONGODB_EXTERNAL: _flag, NODE_TEST_CONTEXT: _child, ...env } = process.env;
    const child = spawn(process.execPath, [runner, ...filters], { env: { ...env, MONGODB_URI: uri }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = Date.now();
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, output, ms: Date.now() - started };
  };

  it('runs the specs on it, and skips what needs our own server with the reason, counted', { timeout: 120_000 }, async () => {
    // The wire server's own suite (every test skipped on another MongoDB), and a health spec whose
    // stop-and-restart test is skipped while the others run on MONGODB_URI.
    const { code, output } = await runTests(`${serverUri}x`, ['mongo-wire-server/dist-test/test/handshake', 'test/health.e2e']);
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining(`Running the tests on the MongoDB at ${serverUri}x (MONGODB_URI)`) });
    expect(output).toContain("# the wire server's own suite: skipped while npm test runs on the MongoDB in MONGODB_URI");
    expect(output).toContain('# stops and restarts its own wire server; skipped on the MongoDB in MONGODB_URI');
    expect(output).toMatch(/says live without asking anything, and ready when the database answers/);
    const skipped = Number(/ℹ skipped (\d+)/.exec(output)?.[1]);
    const passed = Number(/ℹ pass (\d+)/.exec(output)?.[1]);
    expect(skipped).toBeGreaterThan(1);
    expect(passed).toBeGreaterThan(0);
    expect(output).toMatch(/ℹ fail 0/);
  });

  it('fails within seconds on a MongoDB it cannot reach, in one line naming the URI without its password', { timeout: 60_000 }, async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));

    const { code, output, ms } = await runTests(`mongodb://ops:s3cret-pass@127.0.0.1:${port}/videogen?authSource=admin`, ['products']);
    expect(code).toBe(1);
    expect(output).not.toContain('s3cret-pass');
    expect(output.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^MONGODB_URI=mongodb://\\*\\*\\*@127\\.0\\.0\\.1:${port}/videogen\\?authSource=admin cannot be used for the tests: .+`)),
    ]);
    expect(ms).toBeLessThan(15_000);
  });

  it('fails at once on a URI that is no MongoDB URI', async () => {
    const { code, output } = await runTests('postgres://ops:s3cret-pass@db.example.com/videogen', ['products']);
    expect(code).toBe(1);
    expect(output).not.toContain('s3cret-pass');
    expect(output.trim().split('\n')).toEqual([expect.stringMatching(/^MONGODB_URI=postgres:\/\/\*\*\*@db\.example\.com\/videogen cannot be used for the tests: .+/)]);
  });
});
