/**
 * Writes (`--write`) or checks (`--check`) the committed OpenAPI document and the TypeScript
 * client generated from it. Runs on the compiled app (dist/), because the @nestjs/swagger CLI
 * plugin derives the schemas at build time: `npm run openapi` / `npm run openapi:check`.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/app.config.js';
import { buildOpenApiDocument } from '../src/openapi.js';
import { startMongoWireServer } from '@videogen/mongo-wire-server';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DOCUMENT = join(ROOT, 'openapi', 'openapi.json');
const CLIENT = join(ROOT, 'openapi', 'client');

async function renderDocument(): Promise<string> {
  // The app needs a database connection to start; an in-memory wire server is enough for that.
  const server = await startMongoWireServer();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'openapi-generation-only-secret-0123456789',
    RCK_WEBHOOK_SECRET: 'whsec_b3BlbmFwaS1nZW5lcmF0aW9uLW9ubHktMDEyMzQ1Njc4OQ==',
    HEYGEN_WEBHOOK_SECRET: 'openapi-generation-only',
  });
  const app = await createApp(config, `${server.uri}openapi`);
  try {
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
    await server.stop();
  }
}

function generateClient(documentPath: string, outputDir: string): void {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', '@hey-api', 'openapi-ts', 'bin', 'run.js'), '-i', documentPath, '-o', outputDir, '-c', '@hey-api/client-fetch'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

/**
 * Files of openapi/client/ written by hand around the generated ones (it is a package the React
 * app depends on): --write keeps them, --check does not compare them.
 */
const HAND_WRITTEN = new Set(['package.json', 'README.md', 'result.ts']);

function removeGenerated(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (!HAND_WRITTEN.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
}

function staleFiles(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const names = new Set([...expected.keys(), ...actual.keys()].filter((name) => !HAND_WRITTEN.has(name)));
  return [...names].filter((name) => expected.get(name) !== actual.get(name)).sort();
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const documentPath = resolve(process.argv[3] ?? DOCUMENT);
  const clientDir = resolve(process.argv[4] ?? CLIENT);
  const document = await renderDocument();

  if (mode === '--write') {
    writeFileSync(documentPath, document);
    // The generator empties its output folder: generate apart, then replace the generated files only.
    const scratch = mkdtempSync(join(tmpdir(), 'openapi-write-'));
    try {
      generateClient(documentPath, join(scratch, 'client'));
      removeGenerated(clientDir);
      cpSync(join(scratch, 'client'), clientDir, { recursive: true });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    console.log(`Wrote ${relative(ROOT, documentPath)} and ${relative(ROOT, clientDir)}/`);
    return;
  }
  if (mode !== '--check') throw new Error('usage: openapi.js --write|--check [document] [clientDir]');

  const problems: string[] = [];
  let committed = '';
  try {
    committed = readFileSync(documentPath, 'utf8');
  } catch {
    problems.push(`${relative(ROOT, documentPath)} is missing`);
  }
  if (committed && committed !== document) problems.push(`${relative(ROOT, documentPath)} differs from the code`);

  const scratch = mkdtempSync(join(tmpdir(), 'openapi-check-'));
  try {
    writeFileSync(join(scratch, 'openapi.json'), document);
    generateClient(join(scratch, 'openapi.json'), join(scratch, 'client'));
    let committedClient = new Map<string, string>();
    try {
      committedClient = readTree(clientDir);
    } catch {
      problems.push(`${relative(ROOT, clientDir)}/ is missing`);
    }
    for (const file of staleFiles(readTree(join(scratch, 'client')), committedClient)) {
      problems.push(`${relative(ROOT, join(clientDir, file))} differs from the generated client`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  if (problems.length > 0) {
    console.error(`The OpenAPI document or client is stale; run \`npm run openapi\` and commit:\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  console.log('openapi: the committed document and client match the code');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
