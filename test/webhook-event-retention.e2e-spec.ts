import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { startMongoWireServer } from '../tools/mongo-wire-server/src/index.js';
import { WebhookEventRepository } from '../src/webhook-events/webhook-event.repository.js';
import { RETENTION_INDEX_NAME } from '../src/webhook-events/webhook-event.schema.js';
import { eventually } from './utils/eventually.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { eventModel } from './utils/webhook-events.js';

describe('Webhook event retention (WEBHOOK_EVENT_RETENTION_DAYS)', () => {
  const retentionIndex = async (t: TestApp) =>
    (await eventModel(t).collection.listIndexes().toArray()).find((index) => index.name === RETENTION_INDEX_NAME);

  it('creates the TTL index, changes it in place when the setting changes, drops it when unset', async () => {
    const dbName = uniqueDatabaseName('retention');
    const start = (days?: string) => createTestApp({ dbName, env: { WEBHOOK_EVENT_RETENTION_DAYS: days } });

    let t = await start('30');
    expect(await retentionIndex(t)).toEqual(expect.objectContaining({ key: { createdAt: 1 }, expireAfterSeconds: 30 * 86400 }));
    await t.close();

    t = await start('7');
    expect((await retentionIndex(t))!.expireAfterSeconds).toBe(7 * 86400);
    await t.close();

    t = await start(undefined);
    expect(await retentionIndex(t)).toBeUndefined();
    await t.connection.dropDatabase();
    await t.close();
  });

  it('removes events older than the retention (wire server with a fast TTL sweep)', async () => {
    const server = await startMongoWireServer({ ttlSweepIntervalMs: 100 });
    const t = await createTestApp({ mongoServerUri: server.uri, env: { WEBHOOK_EVENT_RETENTION_DAYS: '1' } });
    try {
      const event = (ageMs: number) => ({
        id: new Types.ObjectId().toHexString(), endpoint: '/internal/videos/success', method: 'POST', payload: {}, source: 'rck',
        status: 'accepted' as const, httpStatus: 200, durationMs: 1, createdAt: new Date(Date.now() - ageMs),
      });
      const [old, recent] = [event(25 * 3600_000), event(23 * 3600_000)];
      await t.app.get(WebhookEventRepository).insertBatch([old, recent]);
      await eventually(async () => {
        expect((await eventModel(t).find({}, { _id: 1 }).lean()).map((e) => e._id.toHexString())).toEqual([recent.id]);
      });
    } finally {
      await t.close();
      await server.stop();
    }
  });
});
