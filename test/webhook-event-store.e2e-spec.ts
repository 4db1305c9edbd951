import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { MongoClient } from 'mongodb';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { STORE_UNAVAILABLE } from '../src/inbound-webhook-events/webhook-recording.interceptor.js';
import { WebhookEventRecord, WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { testMongoUri, uniqueDatabaseName, withDatabase } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel, newRequestId, refuseEventWrites } from './utils/webhook-events.js';

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

  it(`stores the event of each of a burst of ${BURST} deliveries before answering it 2xx, sharing the writes`, async () => {
    const t = await createTestApp({ env: videosTestEnv(rck), overrides: [hookable(WebhookEventRepository)] });
    try {
      const ids = await givenVideos(t, 20);
      const recorder = t.app.get(WebhookEventRecorder);
      let writes = 0;
      hooked(t.app.get(WebhookEventRepository)).hooks.insertEach = (next, events) => (writes++, next(events));
      const missing: string[] = [];
      const statuses = await inParallel(BURST, 50, async (index) => {
        const raw = JSON.stringify({ videoId: ids[index % ids.length], youtubeVideoId: `yt${index % ids.length}` });
        const requestId = newRequestId();
        const response = await t.http().post('/internal/videos/success').set(rckHeaders(raw)).set('x-request-id', requestId).send(raw);
        // Read as soon as the answer is in, without waiting on the recorder: a 2xx means stored.
        if (response.status < 300 && (await eventModel(t).countDocuments({ requestId })) !== 1) missing.push(requestId);
        return response.status;
      });
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(missing).toEqual([]);
      expect(recorder.pending).toBe(0);
      // Deliveries that arrived together shared their writes.
      expect(writes).toBeLessThan(BURST);
      const statusCounts = await eventModel(t).aggregate([{ $match: { videoIds: { $in: ids } } }, { $group: { _id: '$status', n: { $sum: 1 } } }]);
      expect(Object.fromEntries(statusCounts.map((s) => [s._id, s.n]))).toEqual({ accepted: 20, duplicate: BURST - 20 });
      console.log(`  burst: ${BURST} deliveries stored in ${writes} write(s)`);
    } finally {
      await t.close();
    }
  });

  it('answers 503 while the store refuses, never a 2xx without its event; the retries after it recovers are answered as the first delivery was', async () => {
    const t = await createTestApp({ env: videosTestEnv(rck, { WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' }), overrides: [hookable(WebhookEventRepository)] });
    try {
      const ids = await givenVideos(t, 10);
      let refusing = true;
      const fault = refuseEventWrites(t, () => refusing);
      const deliveries = ids.map((videoId) => ({ raw: JSON.stringify({ videoId, youtubeVideoId: `yt-${videoId}` }), id: `msg_${videoId}` }));
      const send = ({ raw, id }: { raw: string; id: string }) => t.http().post('/internal/videos/success').set(rckHeaders(raw, { id })).send(raw);

      const refused = await inParallel(deliveries.length, 10, (i) => send(deliveries[i]));
      for (const response of refused) {
        expect(response.status).toBe(503);
        expect(response.body).toEqual({ success: false, message: STORE_UNAVAILABLE });
      }
      expect(fault.attempts).toBeGreaterThan(0);
      expect(await eventModel(t).countDocuments({ videoIds: { $in: ids }, httpStatus: 200 })).toBe(0);

      refusing = false;
      // What was answered (503) is in the log once the store takes writes again.
      await eventually(async () => expect(await eventModel(t).countDocuments({ videoIds: { $in: ids }, status: 'failed', httpStatus: 503 })).toBe(ids.length), 15_000, 50);
      // The sender retries the same deliveries: the handler ran the first time (the video is
      // completed), so each is answered as it was then, and stored before the answer.
      const retried = await inParallel(deliveries.length, 10, (i) => send(deliveries[i]));
      for (const [i, response] of retried.entries()) {
        expect(response.status).toBe(200);
        expect(response.body).toEqual(expect.objectContaining({ success: true, message: 'Video status updated successfully', data: expect.objectContaining({ videoId: ids[i] }) }));
      }
      expect(await eventModel(t).countDocuments({ videoIds: { $in: ids }, status: 'duplicate', httpStatus: 200 })).toBe(ids.length);
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
    const t = await createTestApp({ env: videosTestEnv(rck, { WEBHOOK_EVENT_MAX_BUFFERED: '100', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '10' }), overrides: [hookable(WebhookEventRepository)] });
    try {
      const recorder = t.app.get(WebhookEventRecorder);
      refuseEventWrites(t);
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
