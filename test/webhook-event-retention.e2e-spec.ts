import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { startMongoWireServer } from '@videogen/mongo-wire-server';
import { WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { REFUSED_RETENTION_INDEX_NAME, RETENTION_INDEX_NAME } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { eventually } from './utils/eventually.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { eventModel } from './utils/webhook-events.js';
import { ownServerOnly } from './utils/own-server.js';

describe('Webhook event retention (WEBHOOK_EVENT_RETENTION_DAYS, WEBHOOK_EVENT_REFUSED_RETENTION_DAYS)', () => {
  const indexNamed = async (t: TestApp, name: string) =>
    (await eventModel(t).collection.listIndexes().toArray()).find((index) => index.name === name);

  it('creates both TTL indexes by default, changes them in place when the settings change, drops them at 0', async () => {
    const dbName = uniqueDatabaseName('retention');
    const start = (env: Record<string, string | undefined>) => createTestApp({ dbName, env });

    let t = await start({});
    expect(await indexNamed(t, RETENTION_INDEX_NAME)).toEqual(expect.objectContaining({ key: { createdAt: 1 }, expireAfterSeconds: 90 * 86400 }));
    expect(await indexNamed(t, RETENTION_INDEX_NAME)).not.toHaveProperty('partialFilterExpression');
    expect(await indexNamed(t, REFUSED_RETENTION_INDEX_NAME)).toEqual(expect.objectContaining({
      key: { createdAt: 1 }, expireAfterSeconds: 7 * 86400, partialFilterExpression: { status: 'rejected' },
    }));
    await t.close();

    t = await start({ WEBHOOK_EVENT_RETENTION_DAYS: '30', WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '3' });
    expect((await indexNamed(t, RETENTION_INDEX_NAME))!.expireAfterSeconds).toBe(30 * 86400);
    expect(await indexNamed(t, REFUSED_RETENTION_INDEX_NAME)).toEqual(expect.objectContaining({ expireAfterSeconds: 3 * 86400, partialFilterExpression: { status: 'rejected' } }));
    await t.close();

    // Refused events kept as long as the others: their own index goes.
    t = await start({ WEBHOOK_EVENT_RETENTION_DAYS: '30', WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '0' });
    expect((await indexNamed(t, RETENTION_INDEX_NAME))!.expireAfterSeconds).toBe(30 * 86400);
    expect(await indexNamed(t, REFUSED_RETENTION_INDEX_NAME)).toBeUndefined();
    await t.close();

    t = await start({ WEBHOOK_EVENT_RETENTION_DAYS: '0', WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '0' });
    expect(await indexNamed(t, RETENTION_INDEX_NAME)).toBeUndefined();
    expect(await indexNamed(t, REFUSED_RETENTION_INDEX_NAME)).toBeUndefined();
    await t.connection.dropDatabase();
    await t.close();
  });

  it('removes events older than their retention: refused ones sooner (wire server with a fast TTL sweep)', { skip: ownServerOnly('needs the TTL sweep of its own wire server (mongod sweeps every 60 s)') }, async () => {
    const server = await startMongoWireServer({ ttlSweepIntervalMs: 100 });
    const t = await createTestApp({ mongoServerUri: server.uri, env: { WEBHOOK_EVENT_RETENTION_DAYS: '2', WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '1' } });
    try {
      const event = (status: 'accepted' | 'rejected', ageHours: number) => ({
        id: new Types.ObjectId().toHexString(), endpoint: '/internal/videos/success', method: 'POST', payload: {}, source: 'rck',
        status, httpStatus: status === 'accepted' ? 200 : 401, durationMs: 1, createdAt: new Date(Date.now() - ageHours * 3600_000),
      });
      const events = {
        acceptedDayOld: event('accepted', 25),
        acceptedTwoDaysOld: event('accepted', 49),
        rejectedDayOld: event('rejected', 25),
        rejectedRecent: event('rejected', 23),
      };
      await t.app.get(WebhookEventRepository).insertBatch(Object.values(events));
      await eventually(async () => {
        const left = (await eventModel(t).find({}, { _id: 1 }).lean()).map((e) => e._id.toHexString()).sort();
        expect(left).toEqual([events.acceptedDayOld.id, events.rejectedRecent.id].sort());
      });
    } finally {
      await t.close();
      await server.stop();
    }
  });
});
