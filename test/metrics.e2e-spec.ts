import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { FakeRck } from './utils/fake-rck.js';
import { testMongoUri } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

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

describe('Prometheus metrics (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({ env: videosTestEnv(rck) });
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
    await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
    await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
    await t.http().post('/internal/videos/failure').set({ 'content-type': 'application/json' }).send(raw).expect(401);
    await t.http().post('/internal/videos/failure').set({ 'content-type': 'application/json' }).send('{"videoId":').expect(400);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'success', outcome: 'accepted' })).toBe(1);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'success', outcome: 'duplicate' })).toBe(1);
    expect(delta('videogen_webhook_deliveries_total', { source: 'rck', event_type: 'failure', outcome: 'rejected' })).toBe(2);
    expect(delta('videogen_video_status_transitions_total', { status: 'generating' })).toBe(1);
    expect(delta('videogen_video_status_transitions_total', { status: 'completed' })).toBe(1);
    expect(delta('videogen_video_generation_seconds_count')).toBe(1);
    expect(delta('videogen_http_request_duration_seconds_count', { route: '/api/videos/bulk-generate', status: '201' })).toBe(1);
    // The maintenance job runs every 100 ms here; the queue gauge is read at scrape time.
    expect(delta('videogen_job_runs_total', { job: 'videos.maintenance', result: 'succeeded' })).toBeGreaterThan(0);
    expect(after).toMatch(/^videogen_jobs\{state="waiting"\} \d+$/m);
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
