import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Webhook } from 'standardwebhooks';
import { Role } from '../src/auth/role.enum.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { OutboundEvents } from '../src/webhook-endpoints/outbound-events.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeRck } from './utils/fake-rck.js';
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
    t = await createTestApp({ env: videosTestEnv(rck) });
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
    await new Promise((resolve) => setTimeout(resolve, 300));

    const completedAt = (await t.app.get(AIVideoRepository).findById(ids[0]))!.metadata.completedAt!.toISOString();
    expect(events(secret).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { type: 'video.completed', timestamp: expect.any(String), data: { videoId: ids[0], productId: products[0].id, videoUrl: success.videoUrl, youtubeVideoId: 'dQw4w9WgXcQ', imgS3Url: success.imgS3Url, completedAt } },
      { type: 'video.failed', timestamp: expect.any(String), data: { videoId: ids[1], productId: products[1].id, error: 'Render crashed' } },
    ]);
  });

  it('never fails the callback when publishing fails', async () => {
    const { products, ids } = await givenVideos(1);
    const outbound = t.app.get(OutboundEvents);
    const publish = outbound.publish;
    outbound.publish = async () => {
      throw new Error('database unavailable');
    };
    try {
      const response = await callback('success', { videoId: ids[0], productId: products[0].id, videoUrl: 'https://cdn.example.com/b.mp4' }).expect(200);
      expect(response.body.success).toBe(true);
    } finally {
      outbound.publish = publish;
    }
    expect((await t.app.get(AIVideoRepository).findById(ids[0]))!.status).toBe('completed');
    expect(customer.received).toHaveLength(0);
  });
});
