import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Webhook } from 'standardwebhooks';
import { Role } from '../src/common/role.enum.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { NotificationSettingsRepository } from '../src/notifications/notification-settings.repository.js';
import { ProductRepository } from '../src/products/product.repository.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

const headersOf = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('Video events to customer webhook endpoints (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let customer: FakeEndpoint;

  beforeAll(async () => {
    rck = await FakeRck.start();
    customer = await FakeEndpoint.start();
    t = await createTestApp({ env: videosTestEnv(rck), overrides: [hookable(OutboundEvents), hookable(AIVideoRepository)] });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
    await customer.stop();
  });
  beforeEach(() => {
    rck.reset();
    customer.reset();
  });

  /** A workspace with an endpoint for both video events, and `count` videos generating. */
  async function givenVideos(count: number) {
    const workspace = await t.given.workspace();
    const { token } = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const auth = { Authorization: `Bearer ${token}` };
    const endpoint = (await t.http().post('/api/webhook-endpoints').set(auth)
      .send({ url: customer.url(), eventTypes: ['video.completed', 'video.failed'] }).expect(201)).body.data;
    const products = [];
    for (let i = 0; i < count; i++) products.push(await t.given.product(workspace.id));
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Showcase' }).expect(201);
    return { secret: endpoint.secret as string, products, ids: response.body.data.videoIds as string[] };
  }

  function callback(kind: 'success' | 'failure', body: object) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw);
  }

  const events = (secret: string) => customer.received.map((r) => new Webhook(secret).verify(r.body, headersOf(r.headers)) as { type: string; data: Record<string, unknown> });

  it('sends video.completed once when a callback completes a video, and video.failed when one fails', async () => {
    const { secret, products, ids } = await givenVideos(2);
    const success = { videoId: ids[0], productId: products[0].id, youtubeVideoId: 'dQw4w9WgXcQ', videoUrl: 'https://cdn.example.com/a.mp4', imgS3Url: 'https://s3.example.com/a.jpg' };
    await callback('success', success).expect(200);
    await callback('success', success).expect(200);
    await callback('failure', { videoId: ids[1], productId: products[1].id, error: 'Render crashed' }).expect(200);
    await eventually(() => expect(customer.received).toHaveLength(2));
    await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });

    const completedAt = (await t.app.get(AIVideoRepository).findById(ids[0]))!.metadata.completedAt!.toISOString();
    expect(events(secret).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'video.completed', timestamp: expect.any(String), data: { videoId: ids[0], productId: products[0].id, videoUrl: success.videoUrl, youtubeVideoId: 'dQw4w9WgXcQ', imgS3Url: success.imgS3Url, completedAt } },
      { type: 'video.failed', timestamp: expect.any(String), data: { videoId: ids[1], productId: products[1].id, error: 'Render crashed' } },
    ]);
  });

  it('never fails the callback when publishing fails, and the maintenance job sends the message later, once', async () => {
    const { secret, products, ids } = await givenVideos(1);
    const outbound = hooked(t.app.get(OutboundEvents));
    outbound.hooks.publish = async () => {
      throw new Error('database unavailable');
    };
    try {
      const response = await callback('success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/b.mp4' }).expect(200);
      expect(response.body.success).toBe(true);
    } finally {
      delete outbound.hooks.publish;
    }
    const video = (await t.app.get(AIVideoRepository).findById(ids[0]))!;
    expect(video.status).toBe('completed');
    expect(video.metadata.owed).toEqual([expect.objectContaining({ version: video.metadata.version, event: 'video.completed' })]);
    expect(customer.received).toHaveLength(0);

    // Nothing else arrives for this video: the maintenance job finds what is owed and pays it.
    await eventually(() => expect(events(secret).map((event) => event.type)).toEqual(['video.completed']), 20_000, 100);
    await eventually(async () => expect((await t.app.get(AIVideoRepository).findById(ids[0]))!.metadata.owed).toEqual([]));
    await callback('success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/b.mp4' }).expect(200);
    await t.app.get(JobRunner).drain(10_000);
    expect(customer.received).toHaveLength(1);
  });

  it('pays each effect once when the step dies half-way: the message, the chat notice and the product copy', async () => {
    const { products, ids } = await givenVideos(1);
    const workspaceId = (await t.app.get(AIVideoRepository).findById(ids[0]))!.workspaceId;
    await t.app.get(NotificationSettingsRepository).update(workspaceId, { slackWebhookUrl: customer.url('/slack') });
    const repository = hooked(t.app.get(AIVideoRepository));
    // The step dies after the message and the chat notice were queued, before it records them paid.
    repository.hooks.settleOwed = async () => {
      throw new Error('killed (injected)');
    };
    try {
      await callback('failure', { videoId: ids[0], productId: products[0].id, error: 'Render crashed' }).expect(200);
    } finally {
      delete repository.hooks.settleOwed;
    }
    expect((await repository.findById(ids[0]))!.metadata.owed).toHaveLength(1);
    // The notice and the message went out before the step died.
    await eventually(() => expect(customer.received.filter((r) => r.path === '/slack' && r.body.includes('Video failed'))).toHaveLength(1));
    await eventually(() => expect(customer.received.filter((r) => r.path === '/hook')).toHaveLength(1));
    // A repeat of the callback pays what is owed again, and so does the maintenance job.
    await callback('failure', { videoId: ids[0], productId: products[0].id, error: 'Render crashed' }).expect(200);
    await eventually(async () => expect((await repository.findById(ids[0]))!.metadata.owed).toEqual([]));
    await t.app.get(JobRunner).drain(10_000);
    expect(customer.received.filter((r) => r.path === '/hook')).toHaveLength(1);
    // Slack gets the video's notice once (beside the batch's digest, now that its only video is over).
    expect(customer.received.filter((r) => r.path === '/slack' && r.body.includes('Video failed'))).toHaveLength(1);
    expect(customer.received.filter((r) => r.path === '/slack' && r.body.includes('Batch finished'))).toHaveLength(1);
    const product = await t.app.get(ProductRepository).findInWorkspace(workspaceId, products[0].id);
    expect(product!.videos).toEqual([expect.objectContaining({ videoId: ids[0], status: 'failed', error: 'Render crashed' })]);
  });
});
