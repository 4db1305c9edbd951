import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobRunner } from '../src/jobs/job-runner.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { refuseEventWrites } from './utils/webhook-events.js';
import { eventually } from './utils/eventually.js';
import { hookable } from './utils/hookable.js';
import { FakeRck } from './utils/fake-rck.js';
import { testMongoUri } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { bearer, reelsHarness } from './utils/reels-harness.js';

/** The value of one sample of `name` whose labels include `labels` (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

/** A test-only job that fails on its first two runs and may retry once: one retry, one final failure. */
@Injectable()
class FailingJob implements OnModuleInit {
  constructor(private readonly jobs: JobRunner) {}

  onModuleInit(): void {
    this.jobs.define('test.metrics-fail', async () => {
      throw new Error('always fails');
    }, { backoff: { delayMs: 20, factor: 1, maxRetries: 1 } });
  }
}

/** Scrapes /metrics, and the change of one sample since a scrape taken before. */
async function scrapeOf(t: TestApp): Promise<string> {
  return (await t.http().get('/metrics').expect(200)).text;
}
const deltaOf = (before: string, after: string) => (name: string, labels: Record<string, string> = {}) =>
  sample(after, name, labels) - sample(before, name, labels);

describe('Prometheus metrics (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({ env: videosTestEnv(rck, { WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' }), providers: [FailingJob], overrides: [hookable(WebhookEventRepository)] });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });

  const scrape = async () => (await t.http().get('/metrics').expect(200).expect('content-type', /text\/plain/)).text;

  it('serves the process metrics and ours, and they move as deliveries and jobs happen', async () => {
    const workspace = await t.given.workspace();
    const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const product = await t.given.product(workspace.id);
    const before = await scrape();
    expect(sample(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    const created = await t.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: [product.id], templateId: 't', templateName: 'T' }).expect(201);
    const raw = JSON.stringify({ videoId: created.body.data.videoIds[0] });
    const first = rckHeaders(raw);
    await t.http().post('/internal/videos/success').set(first).send(raw).expect(200);
    await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
    // The first one's webhook-id with another body: a sender's bug, counted apart.
    const other = JSON.stringify({ videoId: created.body.data.videoIds[0], youtubeVideoId: 'other' });
    await t.http().post('/internal/videos/success').set(rckHeaders(other, { id: first['webhook-id'] })).send(other).expect(200);
    await t.http().post('/internal/videos/failure').set({ 'content-type': 'application/json' }).send(raw).expect(401);
    await t.http().post('/internal/videos/failure').set({ 'content-type': 'application/json' }).send('{"videoId":').expect(400);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'success', outcome: 'accepted' })).toBe(1);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'success', outcome: 'duplicate' })).toBe(1);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'success', outcome: 'conflict' })).toBe(1);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'failure', outcome: 'rejected' })).toBe(2);
    expect(delta('videogen_video_status_transitions_total', { status: 'generating' })).toBe(1);
    expect(delta('videogen_video_status_transitions_total', { status: 'completed' })).toBe(1);
    expect(delta('videogen_video_generation_seconds_count')).toBe(1);
    expect(delta('videogen_http_request_duration_seconds_count', { route: '/api/videos/bulk-generate', status: '201' })).toBe(1);
    // The maintenance job runs every 100 ms here; the queue gauge is read at scrape time.
    expect(delta('videogen_job_runs_total', { job: 'videos.maintenance', result: 'succeeded' })).toBeGreaterThan(0);
    expect(after).toMatch(/^videogen_jobs\{state="waiting"\} \d+$/m);
  });

  it('counts job runs that will be retried and jobs that failed for good', async () => {
    const before = await scrape();
    await t.app.get(JobRunner).enqueue('test.metrics-fail', {});
    await eventually(async () => {
      const delta = deltaOf(before, await scrape());
      expect(delta('videogen_job_runs_total', { job: 'test.metrics-fail', result: 'retried' })).toBe(1);
      expect(delta('videogen_job_runs_total', { job: 'test.metrics-fail', result: 'failed' })).toBe(1);
    }, 10_000, 50);
    await eventually(async () => expect(sample(await scrape(), 'videogen_jobs', { state: 'failed' })).toBeGreaterThanOrEqual(1));
  });

  it('shows the event recorder\'s backlog growing while the store refuses writes, and draining after', async () => {
    let refusing = true;
    const fault = refuseEventWrites(t, () => refusing);
    try {
      expect(sample(await scrape(), 'videogen_webhook_event_backlog')).toBe(0);
      for (let i = 0; i < 5; i++) {
        await t.http().post('/internal/videos/failure').set('content-type', 'application/json').send('{"videoId":"x"}').expect(401);
      }
      await eventually(() => expect(t.app.get(WebhookEventRecorder).counts.failedWrites).toBeGreaterThan(0));
      await eventually(async () => expect(sample(await scrape(), 'videogen_webhook_event_backlog')).toBe(5));
      refusing = false;
      await eventually(async () => expect(sample(await scrape(), 'videogen_webhook_event_backlog')).toBe(0), 15_000, 100);
    } finally {
      fault.restore();
    }
  });
});

describe('Prometheus metrics of reels (e2e)', () => {
  const h = reelsHarness();

  it('counts reel status transitions as reels are requested, decided, generated and finished', async () => {
    const before = await scrapeOf(h.t);
    const completed = await h.givenProcessingReel();
    await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: completed.videoId, url: 'https://resource.heygen.example/a.mp4' } }).expect(200);
    // A repeated webhook changes nothing and is not counted again.
    await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: completed.videoId, url: 'https://resource.heygen.example/a.mp4' } }).expect(200);
    const failed = await h.givenProcessingReel();
    await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: failed.videoId, msg: 'Voice not found' } }).expect(200);
    const rejected = await h.givenRequestedReel();
    await h.t.http().post(`/api/reels/${rejected.reelId}/reject`).set(bearer(rejected.producer.token)).send({ reason: 'Off brand' }).expect(200);

    const delta = deltaOf(before, await scrapeOf(h.t));
    expect(['requested', 'approved', 'rejected', 'processing', 'completed', 'failed']
      .map((status) => [status, delta('videogen_reel_status_transitions_total', { status })])).toEqual([
      ['requested', 3], ['approved', 2], ['rejected', 1], ['processing', 2], ['completed', 1], ['failed', 1],
    ]);
  });
});

describe('Prometheus metrics in production (e2e)', () => {
  const production = (extra: Record<string, string | undefined>) =>
    createTestApp({ env: { NODE_ENV: 'production', MONGODB_URI: testMongoUri(), ...extra } });

  it('needs the bearer METRICS_TOKEN', async () => {
    const t = await production({ METRICS_TOKEN: 'metrics-token-0123456789' });
    try {
      expect((await t.http().get('/metrics').expect(401)).body).toEqual({ success: false, message: 'Invalid or missing metrics token' });
      await t.http().get('/metrics').set('Authorization', 'Bearer metrics-token-wrong-012345').expect(401);
      await t.http().get('/metrics').set('Authorization', 'Bearer metrics-token-0123456789').expect(200);
    } finally {
      await t.close();
    }
  });

  it('is closed when no token is set', async () => {
    const t = await production({ METRICS_TOKEN: undefined });
    try {
      await t.http().get('/metrics').set('Authorization', 'Bearer anything-at-all-here').expect(401);
    } finally {
      await t.close();
    }
  });
});
