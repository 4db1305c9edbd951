/**
 * `npm test`: one database server for the whole run, then Node's test runner over every compiled
 * spec: unit specs beside the code, e2e specs in test/, the wire server package's own suite
 * (packages/mongo-wire-server, compiled into its dist-test/).
 *
 * - Without MONGODB_URI: our wire-protocol server, in this process.
 * - With MONGODB_URI: that MongoDB, checked first (one line and exit 1 when it cannot be reached,
 *   within seconds); the wire server package is then never loaded here. The specs are told with
 *   TEST_MONGODB_EXTERNAL and skip, with a printed reason, what needs our own server (the wire
 *   server's suite; tests that stop or restart their own wire server; the embedded default).
 *
 * Arguments filter the spec files by substring of their path, e.g. `npm test -- products auth`
 * (`npm test -- mongo-wire-server` for the package's suite).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MongoClient } from 'mongodb';
import { redactUri } from './utils/mongo-uri.js';

const COMPILED = join(import.meta.dirname, '..');
const REPO = join(COMPILED, '..');
const PACKAGE_SPECS = join(REPO, 'packages', 'mongo-wire-server', 'dist-test', 'test');
const SPEC = /\.(spec|e2e-spec)\.js$/;
/** How long the check of MONGODB_URI waits for a server before it says the URI is wrong. */
const EXTERNAL_CHECK_MS = 5000;

function specFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : specFiles(path);
    return SPEC.test(name) ? [path] : [];
  });
}

/** Every compiled spec, with the path filters match: relative to dist-test/, or to the repository for the package's. */
function collectSpecs(filters: string[]): string[] {
  const app = ['src', 'test', 'tools'].flatMap((dir) => specFiles(join(COMPILED, dir))).map((file) => ({ file, shown: relative(COMPILED, file) }));
  const wire = specFiles(PACKAGE_SPECS).map((file) => ({ file, shown: relative(REPO, file) }));
  return [...app, ...wire]
    .filter(({ shown }) => filters.length === 0 || filters.some((filter) => shown.includes(filter)))
    .map(({ file }) => file)
    .sort();
}

/** Connects to the user's MongoDB once, so a wrong URI fails here in seconds, not in every spec. */
async function checkExternal(uri: string): Promise<string | undefined> {
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(uri, { serverSelectionTimeoutMS: EXTERNAL_CHECK_MS, connectTimeoutMS: EXTERNAL_CHECK_MS });
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return undefined;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    // The driver's message may quote the URI it was given: never print its credentials.
    return `MONGODB_URI=${redactUri(uri)} cannot be used for the tests: ${reason.split(uri).join(redactUri(uri))}`;
  } finally {
    await client?.close().catch(() => undefined);
  }
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = collectSpecs(filters);
  if (files.length === 0) {
    console.error(`no spec file matches ${filters.join(' ')}`);
    return 1;
  }

  const external = process.env.MONGODB_URI || undefined;
  if (external) {
    const problem = await checkExternal(external);
    if (problem) {
      console.error(problem);
      return 1;
    }
    console.error(`Running the tests on the MongoDB at ${redactUri(external)} (MONGODB_URI); what needs our own wire server is skipped.`);
  }
  // Imported only when needed: with MONGODB_URI the run never loads the wire server.
  const server = external ? undefined : await (await import('@videogen/mongo-wire-server')).startMongoWireServer();
  try {
    // MONGODB_URI itself is not passed on: specs read TEST_MONGODB_URI, and the wire server's own
    // suite would otherwise take MONGODB_URI as the real mongod to check its conformance against.
    const { MONGODB_URI: _unused, ...env } = process.env;
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
      { stdio: 'inherit', env: { ...env, TEST_MONGODB_URI: external ?? server!.uri, ...(external ? { TEST_MONGODB_EXTERNAL: '1' } : {}) } },
    );
    return await new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
  } finally {
    await server?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
