#!/usr/bin/env node
/**
 * Standalone runner: `mongo-wire-server` (`node dist/cli.js`; from the repository root `npm run db:dev --`) [--port N] [--host H] [--data-dir DIR] [--memory]
 * [--journal-checkpoint-bytes N] [--data-size-warn-bytes N]`.
 * Prints the connection URI on stdout; diagnostics go to stderr. Stops cleanly on SIGINT/SIGTERM.
 */
import * as path from 'node:path';
import { startMongoWireServer } from './index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const port = Number(arg('port') ?? process.env.PORT ?? 27017);
  const memory = process.argv.includes('--memory');
  const dataDir = memory ? undefined : path.resolve(arg('data-dir') ?? './.data/mongo-wire');
  const verbose = process.argv.includes('--verbose');
  const server = await startMongoWireServer({
    port,
    host: arg('host') ?? '127.0.0.1',
    dataDir,
    journalCheckpointBytes: arg('journal-checkpoint-bytes') ? Number(arg('journal-checkpoint-bytes')) : undefined,
    dataSizeWarnBytes: arg('data-size-warn-bytes') ? Number(arg('data-size-warn-bytes')) : undefined,
    log: verbose ? (m) => process.stderr.write(`[mongo-wire] ${m}\n`) : undefined,
  });
  process.stdout.write(`${server.uri}\n`);
  process.stderr.write(`[mongo-wire] ${dataDir ? `data directory ${dataDir}` : 'memory only'}; Ctrl-C to stop\n`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[mongo-wire] ${signal}: stopping\n`);
    server.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`[mongo-wire] stop failed: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`[mongo-wire] failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
