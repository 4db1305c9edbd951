import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Webhook } from 'standardwebhooks';
import { Role } from '../src/common/role.enum.js';
import { Clock } from '../src/common/clock.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeClock } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { BatchDigestService } from '../src/videos/batch-digest.service.js';

const APP = 'https://app.videogen.example.com';
const headersOf = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('Batch digest e-mail for the RCK flow (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let rck: FakeRck;
  let smtp: SmtpSink;
  let customer: FakeEndpoint;
  const clock = new FakeClock();
  /** Both instances' digest sweeps run, and every job they or the callbacks queued has finished (retries included). */
  const settle = async () => {
    for (const app of [a, b]) await app.app.get(BatchDigestService).sweep();
    await a.app.get(JobRunner).drain(20_000, { includeScheduled: true });
  };

  beforeAll(async () => {
    rck = await FakeRck.start();
    smtp = await SmtpSink.start();
    customer = await FakeEndpoint.start();
    const dbName = uniqueDatabaseName('digest');
    // Two instances on one database, both sweeping every 100 ms: each digest must still go out once.
    const env = videosTestEnv(rck, { SMTP_URL: smtp.url, MAIL_RETRY_BACKOFF_MS: '40', BATCH_DIGEST_AFTER_MINUTES: '30', RCK_REQUEST_TIMEOUT_MS: '5000' });
    a = await createTestApp({ env, dbName, overrides: [{ provide: Clock, useValue: clock }] });
    b = await createTestApp({ env, dbName, overrides: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.close();
    await b.close();
    await rck.stop();
    await smtp.stop();
    await customer.stop();
  });
  beforeEach(() => {
    rck.reset();
    smtp.reset();
    customer.reset();
    clock.reset();
  });

  async function givenBatch(count: number, options: { endpoint?: boolean } = {}) {
    const workspace = await a.given.workspace();
    const { user, token } = await a.given.loggedIn({ workspaceId: workspace.id });
    let secret: string | undefined;
    if (options.endpoint) {
      const producer = await a.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
      secret = (await a.http().post('/api/webhook-endpoints').set('Authorization', `Bearer ${producer.token}`)
        .send({ url: customer.url(), eventTypes: ['batch.completed'] }).expect(201)).body.data.secret;
    }
    const products = [];
    for (let i = 0; i < count; i++) products.push(await a.given.product(workspace.id));
    const response = await a.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Showcase' }).expect(201);
    // The contract's answer, unchanged (docs/contracts/rck.md#answers): no batch id in it.
    expect(Object.keys(response.body.data).sort()).toEqual(['videoIds', 'videos']);
    return { user, secret, products, ids: response.body.data.videoIds as string[] };
  }

  /** A signed RCK callback, to either instance. */
  function callback(app: TestApp, kind: 'success' | 'failure', body: object) {
    const raw = JSON.stringify(body);
    return app.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw).expect(200);
  }

  const mailsTo = (email: string) => smtp.messages.filter((message) => message.to.includes(email));

  it('sends one e-mail when the last video settles: the completed with links, the failed with reasons', async () => {
    const { user, products, ids } = await givenBatch(4);
    await callback(a, 'success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/0.mp4' });
    await callback(b, 'success', { videoId: ids[1], productId: products[1].id, youtubeVideoId: 'dQw4w9WgXcQ' });
    await callback(a, 'failure', { videoId: ids[2], productId: products[2].id, error: 'Template not found' });
    await settle();
    expect(mailsTo(user.email)).toHaveLength(0); // one video still generating

    await callback(b, 'failure', { videoId: ids[3], productId: products[3].id, error: 'Image could not be downloaded' });
    const mail = await eventually(() => smtp.to(user.email), 20_000);
    expect(mail.subject).toBe('Your videos: 2 of 4 ready, 2 failed');
    expect(mail.text).toContain('Completed: 2');
    expect(mail.text).toContain('Failed: 2');
    expect(mail.text).toContain(`- ${APP}/videos/${ids[0]} (video: https://cdn.example.com/0.mp4)`);
    expect(mail.text).toContain(`- ${APP}/videos/${ids[1]} (video: https://www.youtube.com/watch?v=dQw4w9WgXcQ)`);
    expect(mail.text).toContain(`- ${APP}/videos/${ids[2]}: Template not found`);
    expect(mail.text).toContain(`- ${APP}/videos/${ids[3]}: Image could not be downloaded`);
    expect(mail.text).not.toContain('Still generating');

    // Repeated callbacks and later sweeps on both instances send nothing more.
    await callback(a, 'success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/0.mp4' });
    await callback(b, 'failure', { videoId: ids[3], productId: products[3].id, error: 'again' });
    await settle();
    expect(mailsTo(user.email)).toHaveLength(1);
  });

  it('keeps the batch\'s in-flight count on the batch, through a retry; a count that drifted to 0 early is checked and corrected', async () => {
    const { user, products, ids } = await givenBatch(3);
    const batchOf = async () => (await a.connection.collection('videobatches').findOne({ batchId: (await a.app.get(AIVideoRepository).findById(ids[0]))!.metadata.batchId }))!;
    expect((await batchOf()).inFlight).toBe(3);
    await callback(a, 'failure', { videoId: ids[0], productId: products[0].id, error: 'Render crashed' });
    expect((await batchOf()).inFlight).toBe(2);
    await a.http().post(`/api/videos/${ids[0]}/retry`).set('Authorization', `Bearer ${(await a.given.loggedIn({ workspaceId: (await a.app.get(AIVideoRepository).findById(ids[0]))!.workspaceId })).token}`).expect(200);
    expect((await batchOf()).inFlight).toBe(3);

    // A crash paid a change twice: the count says 1 while 2 videos are in flight.
    await a.connection.collection('videobatches').updateOne({ batchId: (await batchOf()).batchId }, { $set: { inFlight: 2 } });
    await callback(b, 'success', { videoId: ids[1], productId: products[1].id });
    await callback(a, 'success', { videoId: ids[2], productId: products[2].id });
    // It reached 0 with one video still in flight: counted exactly, corrected, no digest.
    expect((await batchOf()).inFlight).toBe(1);
    await settle();
    expect(mailsTo(user.email)).toHaveLength(0);

    await callback(b, 'success', { videoId: ids[0], productId: products[0].id });
    expect((await batchOf()).inFlight).toBe(0);
    const mail = await eventually(() => smtp.to(user.email), 20_000);
    expect(mail.subject).toBe('Your 3 video(s) are ready');
  });

  it('sends the digest after BATCH_DIGEST_AFTER_MINUTES when a batch never finishes, and only then', async () => {
    const { user, products, ids } = await givenBatch(3);
    await callback(a, 'success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/a.mp4' });
    clock.advance(29 * 60_000);
    await settle();
    expect(mailsTo(user.email)).toHaveLength(0);

    clock.advance(2 * 60_000);
    const mail = await eventually(() => smtp.to(user.email), 20_000);
    expect(mail.subject).toBe('Your videos: 1 of 3 ready, 0 failed, 2 still generating');
    expect(mail.text).toContain('Still generating: 2');
    expect(mail.text).toContain(`- ${APP}/videos/${ids[0]} (video: https://cdn.example.com/a.mp4)`);

    // The rest finishing later is not reported again.
    await callback(b, 'success', { videoId: ids[1], productId: products[1].id });
    await callback(a, 'failure', { videoId: ids[2], productId: products[2].id, error: 'late' });
    await settle();
    expect(mailsTo(user.email)).toHaveLength(1);
  });

  it('publishes batch.completed once, signed, with the counts and every video', async () => {
    const { secret, products, ids } = await givenBatch(3, { endpoint: true });
    await callback(a, 'success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/x.mp4', youtubeVideoId: 'yt1' });
    await callback(b, 'failure', { videoId: ids[1], productId: products[1].id, error: 'Render crashed' });
    await callback(a, 'success', { videoId: ids[2], productId: products[2].id, videoUrl: 'https://cdn.example.com/z.mp4' });
    await eventually(() => expect(customer.received).toHaveLength(1), 20_000);
    await settle();
    expect(customer.received).toHaveLength(1);
    const event = new Webhook(secret!).verify(customer.received[0].body, headersOf(customer.received[0].headers));
    expect(event).toEqual({
      type: 'batch.completed',
      timestamp: expect.any(String),
      data: {
        batchId: expect.any(String),
        total: 3,
        completed: 2,
        failed: 1,
        stillGenerating: 0,
        videos: [
          { videoId: ids[0], productId: products[0].id, status: 'completed', videoUrl: 'https://cdn.example.com/x.mp4', youtubeVideoId: 'yt1' },
          { videoId: ids[2], productId: products[2].id, status: 'completed', videoUrl: 'https://cdn.example.com/z.mp4' },
          { videoId: ids[1], productId: products[1].id, status: 'failed', error: 'Render crashed' },
        ],
      },
    });
  });

  it('sends one e-mail per batch, never one per video, with callbacks split across two instances', async () => {
    const { user, products, ids } = await givenBatch(12);
    await Promise.all(ids.map((id, i) => callback(i % 2 ? a : b, 'success', { videoId: id, productId: products[i].id, videoUrl: `https://cdn.example.com/${i}.mp4` })));
    const mail = await eventually(() => smtp.to(user.email), 20_000);
    expect(mail.subject).toBe('Your 12 video(s) are ready');
    for (const id of ids) expect(mail.text).toContain(`${APP}/videos/${id}`);
    await settle();
    expect(mailsTo(user.email)).toHaveLength(1);
    const batch = await a.connection.collection('videobatches').findOne({ batchId: (await a.connection.collection('aivideos').findOne({}, { sort: { _id: -1 } }))!.metadata.batchId });
    expect(batch!.digestCounts).toEqual({ completed: 12, failed: 0, inFlight: 0 });
  });
});
