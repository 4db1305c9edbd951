import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { MongoClient } from 'mongodb';
import { WebhookEventRecorder } from '../src/webhook-events/webhook-event.recorder.js';
import { WebhookEventRecord, WebhookEventRepository } from '../src/webhook-events/webhook-event.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { testMongoUri, uniqueDatabaseName, withDatabase } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel } from './utils/webhook-events.js';

/**
 * The event store refusing writes: a fault injected in the recorder's repository (insertBatch
 * throws as a refused write would), so only the event log fails while the webhook's own writes go
 * on, which is the case the recorder must survive without changing any answer.
 */
function failWritesFor(t: TestApp, ms: number): { attempts: () => number } {
  const repository = t.app.get(WebhookEventRepository);
  const original = repository.insertBatch.bind(repository);
  const until = Date.now() + ms;
  let attempts = 0;
  repository.insertBatch = async (events: WebhookEventRecord[]) => {
    if (Date.now() < until) {
      attempts++;
      throw Object.assign(new Error('not primary (injected)'), { code: 10107 });
    }
    return original(events);
  };
  return { attempts: () => attempts };
}

async function inParallel<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  }));
  return results;
}

/**
 * The burst's size: 200 in the suite (the machine is shared); the measurement of 1,000 is
 * `WEBHOOK_BURST_DELIVERIES=1000 npm test -- webhook-event-store`.
 */
const BURST = Number(process.env.WEBHOOK_BURST_DELIVERIES ?? 200);

describe('Webhook event store failures (e2e)', () => {
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
  });
  afterAll(() => rck.stop());

  const givenVideos = async (t: TestApp, count: number) => (await t.given.videos(count, { monthlyVideoLimit: 1000 })).ids;

  it(`answers a burst of ${BURST} deliveries as usual while the store refuses writes for 3 s, and stores each one once it recovers`, async () => {
    const t = await createTestApp({ env: videosTestEnv(rck, { WEBHOOK_EVENT_BATCH_SIZE: '100', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '50' }) });
    try {
      const ids = await givenVideos(t, 20);
      const recorder = t.app.get(WebhookEventRecorder);
      const before = { ...recorder.counts };
      const fault = failWritesFor(t, 3000);
      const started = Date.now();
      const statuses = await inParallel(BURST, 50, async (index) => {
        const raw = JSON.stringify({ videoId: ids[index % ids.length], youtubeVideoId: `yt${index % ids.length}` });
        const response = await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw);
        return `${response.status} ${response.body.message}`;
      });
      const sentIn = Date.now() - started;
      expect(new Set(statuses)).toEqual(new Set(['200 Video status updated successfully']));

      const stored = await eventually(async () => {
        const count = await eventModel(t).countDocuments({ videoIds: { $in: ids } });
        expect(count).toBe(BURST);
        return count;
      }, 30_000, 100);
      const statusCounts = await eventModel(t).aggregate([{ $match: { videoIds: { $in: ids } } }, { $group: { _id: '$status', n: { $sum: 1 } } }]);
      expect(Object.fromEntries(statusCounts.map((s) => [s._id, s.n]))).toEqual({ accepted: 20, duplicate: BURST - 20 });
      expect(fault.attempts()).toBeGreaterThan(1);
      expect(recorder.counts.logged - before.logged).toBe(0);
      expect(recorder.pending).toBe(0);
      console.log(`  burst: ${BURST} deliveries sent in ${sentIn} ms while writes failed ${fault.attempts()} time(s); ${stored} events stored, ${recorder.counts.logged - before.logged} logged`);
    } finally {
      await t.close();
    }
  });

  it('writes what is waiting on shutdown, and logs in full what the store never takes', async () => {
    const dbName = uniqueDatabaseName('events_shutdown');
    const t = await createTestApp({ dbName, env: videosTestEnv(rck, { WEBHOOK_EVENT_BATCH_SIZE: '10000', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '60000' }) });
    const client = await new MongoClient(withDatabase(testMongoUri(), dbName)).connect();
    try {
      for (let i = 0; i < 5; i++) {
        const raw = JSON.stringify({ videoId: '65abc123def456789012abcd' });
        await t.http().post('/internal/videos/failure').set(rckHeaders(raw)).send(raw).expect(404);
      }
      const recorder = t.app.get(WebhookEventRecorder);
      expect(recorder.pending).toBe(5);
      await t.close();
      expect(await client.db(dbName).collection('webhookevents').countDocuments()).toBe(5);
      expect(recorder.counts.logged).toBe(0);

      // After shutdown nothing can write: an event recorded then goes to the log in full.
      recorder.record({ ...(await client.db(dbName).collection('webhookevents').findOne())!, id: 'x' } as unknown as WebhookEventRecord);
      expect(recorder.counts.logged).toBe(1);
    } finally {
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  });

  it('logs in full the oldest events beyond WEBHOOK_EVENT_MAX_BUFFERED while the store refuses writes', async () => {
    const t = await createTestApp({ env: videosTestEnv(rck, { WEBHOOK_EVENT_MAX_BUFFERED: '100', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '10' }) });
    try {
      const recorder = t.app.get(WebhookEventRecorder);
      failWritesFor(t, 60_000);
      await inParallel(120, 20, async () => {
        const raw = JSON.stringify({ videoId: '65abc123def456789012abcd' });
        await t.http().post('/internal/videos/failure').set(rckHeaders(raw)).send(raw).expect(404);
      });
      expect(recorder.pending).toBe(100);
      expect(recorder.counts.logged).toBe(20);
    } finally {
      // Shutdown cannot write either: the 100 go to the log too.
      await t.close();
      expect(t.app.get(WebhookEventRecorder).counts.logged).toBe(120);
    }
  });
});
