import { describe, it } from 'node:test';
import { expect } from 'expect';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMongoWireServer, type MongoWireStatus } from '@videogen/mongo-wire-server';
import { embeddedJournalHealth, READY_MAX_JOURNAL_BACKLOG, type EmbeddedDatabase } from './embedded-database.js';

const wire = (status: () => MongoWireStatus): EmbeddedDatabase => ({ kind: 'wire', uri: 'mongodb://x/videogen', dataPath: '/x', status, stop: async () => undefined });

describe('embeddedJournalHealth (/health/ready with the embedded wire server)', () => {
  it('is up with the backlog of a running wire server with a data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'videogen-journal-health-'));
    const server = await startMongoWireServer({ port: 0, dataDir: dir });
    try {
      expect(embeddedJournalHealth(wire(() => server.status()))).toEqual({
        up: true,
        details: { pendingWrites: 0, pendingBytes: 0, dataBytes: 0 },
      });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has nothing to say without a journal: no embedded database, a mongod, a memory-only server', () => {
    expect(embeddedJournalHealth(undefined)).toBeUndefined();
    expect(embeddedJournalHealth({ kind: 'mongod', uri: 'mongodb://x/videogen', dataPath: '/x', stop: async () => undefined })).toBeUndefined();
    expect(embeddedJournalHealth(wire(() => ({ durable: false, ok: true })))).toBeUndefined();
  });

  const durable = (over: { ok?: boolean; failed?: string; pendingOps?: number }): MongoWireStatus => ({
    durable: true,
    ok: over.ok ?? true,
    ...(over.failed ? { failed: over.failed } : {}),
    journal: { pendingOps: over.pendingOps ?? 0, pendingBytes: 10, lastLsn: 5, durableLsn: 5, bytesSinceCheckpoint: 100, syncMs: { groups: 0, p50: 0, p99: 0, max: 0 } },
    checkpoint: { running: false, lsn: 0 },
    dataBytes: 1000,
    dataSizeWarnBytes: 2000,
  });

  it('is down once a journal write failed (the server then refuses writes)', () => {
    expect(embeddedJournalHealth(wire(() => durable({ ok: false, failed: 'journal write failed: ENOSPC' })))).toEqual({
      up: false,
      details: { pendingWrites: 0, pendingBytes: 10, dataBytes: 1000, message: 'journal write failed: ENOSPC' },
    });
  });

  it('is down while more writes than READY_MAX_JOURNAL_BACKLOG wait for the disk', () => {
    expect(embeddedJournalHealth(wire(() => durable({ pendingOps: READY_MAX_JOURNAL_BACKLOG })))?.up).toBe(true);
    const behind = embeddedJournalHealth(wire(() => durable({ pendingOps: READY_MAX_JOURNAL_BACKLOG + 1 })));
    expect(behind?.up).toBe(false);
    expect(behind?.details.message).toMatch(/writes wait for the journal/);
  });
});
