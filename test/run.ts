/**
 * `npm test`: one database server for the whole run (the real MongoDB in MONGODB_URI when set,
 * otherwise our wire-protocol server in memory), then Node's test runner over every compiled
 * spec: unit specs beside the code, e2e specs in test/, the wire server's conformance suite.
 * Arguments filter the spec files by substring, e.g. `npm test -- products auth`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startMongoWireServer } from '../tools/mongo-wire-server/src/index.js';

const COMPILED = join(import.meta.dirname, '..');
const SPEC = /\.(spec|e2e-spec)\.js$/;

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : specFiles(path);
    return SPEC.test(name) ? [path] : [];
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = ['src', 'test', 'tools']
    .flatMap((dir) => specFiles(join(COMPILED, dir)))
    .filter((file) => filters.length === 0 || filters.some((filter) => relative(COMPILED, file).includes(filter)))
    .sort();
  if (files.length === 0) {
    console.error(`no spec file matches ${filters.join(' ')}`);
    return 1;
  }

  const server = process.env.MONGODB_URI ? undefined : await startMongoWireServer();
  try {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files],
      { stdio: 'inherit', env: { ...process.env, TEST_MONGODB_URI: process.env.MONGODB_URI ?? server!.uri } },
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
