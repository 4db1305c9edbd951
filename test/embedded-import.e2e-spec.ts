import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { testMongoUri, uniqueDatabaseName, withDatabase } from './utils/mongo-uri.js';
import { ownServerOnly } from './utils/own-server.js';
import { REPO_ROOT } from './utils/paths.js';
import { COMPILED_MAIN, ServiceProcess } from './utils/service-process.js';
import { TEST_SECRETS } from './utils/test-app.js';

/**
 * The wire server package is the embedded default's, and only its: src/database loads it with a
 * dynamic import when no MONGODB_URI is set, so a production start on MongoDB never loads it.
 * Proven on the compiled service started as production starts it, with a module-load trace
 * (`node --import test/utils/module-trace.js`): every module the ES loader loads, static or
 * dynamic. A static import of the package anywhere in the service puts it in the first trace.
 */
describe('Loading the wire server package (process level)', () => {
  let dir: string;
  const started: ServiceProcess[] = [];
  // Where the package's modules are loaded from (node_modules links to packages/; Node follows the link).
  const packageDir = new URL('.', import.meta.resolve('@videogen/mongo-wire-server')).href;
  const tracer = join(REPO_ROOT, 'dist-test', 'test', 'utils', 'module-trace.js');

  beforeAll(() => {
    if (!existsSync(COMPILED_MAIN)) throw new Error(`${COMPILED_MAIN} is missing: run \`npm run build\` (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'videogen-embedded-import-'));
  });
  afterAll(async () => {
    await Promise.all(started.map((service) => service.stop('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the service with the trace, waits until it answers, stops it; the URLs it loaded. */
  const loadedBy = async (name: string, env: Record<string, string>): Promise<string[]> => {
    const trace = join(dir, `${name}.trace`);
    const service = await ServiceProcess.start({ LOG_LEVEL: 'warn', DATA_DIR: join(dir, name), MODULE_TRACE_FILE: trace, ...env }, ['--import', pathToFileURL(tracer).href]);
    started.push(service);
    await service.waitForHealth(90_000);
    expect(await service.stop('SIGTERM')).toBe(0);
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  };

  it('a production start on MONGODB_URI never loads it', { timeout: 120_000 }, async () => {
    const loaded = await loadedBy('production', {
      NODE_ENV: 'production',
      ...TEST_SECRETS,
      MONGODB_URI: withDatabase(testMongoUri(), uniqueDatabaseName('noembedded')),
    });
    // The trace saw the service, down to the module that would import the package.
    expect(loaded).toContain(pathToFileURL(COMPILED_MAIN).href);
    expect(loaded).toContain(pathToFileURL(join(REPO_ROOT, 'dist', 'src', 'database', 'embedded-database.js')).href);
    expect(loaded.filter((url) => url.startsWith(packageDir))).toEqual([]);
  });

  it('a start without MONGODB_URI loads it, for its embedded database (the trace sees it)', { timeout: 120_000, skip: ownServerOnly('runs on the embedded database') }, async () => {
    const loaded = await loadedBy('embedded', { NODE_ENV: 'development', EMBEDDED_DB: 'wire' });
    expect(loaded).toContain(new URL('index.js', packageDir).href);
  });
});
