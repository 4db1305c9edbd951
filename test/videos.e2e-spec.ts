import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { ProductRepository } from '../src/products/product.repository.js';
import { WorkspaceRepository } from '../src/workspaces/workspace.repository.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { VideoEffectsService } from '../src/videos/video-effects.service.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

describe('Bulk video generation through RCK (e2e)', () => {
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
  beforeEach(() => rck.reset());

  /** A user of a new workspace (with `limit` videos a month) and `count` products of it. */
  async function givenCatalogue(count: number, limit = 100) {
    const workspace = await t.given.workspace({ monthlyVideoLimit: limit });
    const { user, token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const products = [];
    for (let i = 0; i < count; i++) {
      products.push(await t.given.product(workspace.id, { title: `Producto ${i}`, sku: `SKU-${i}`, imageUrls: [`https://example.com/${i}.jpg`] }));
    }
    return { workspace, user, token, products, auth: { Authorization: `Bearer ${token}` } };
  }

  const usage = async (workspaceId: string) => (await t.app.get(WorkspaceRepository).findById(workspaceId))!.usage.videosGenerated;
  const video = (id: string) => t.app.get(AIVideoRepository).findById(id);
  const product = (workspaceId: string, id: string) => t.app.get(ProductRepository).findInWorkspace(workspaceId, id);

  it('creates one AIVideo per product before calling RCK, sends the contract\'s items, and stores the job ids', async () => {
    const { workspace, user, auth, products } = await givenCatalogue(2);
    const response = await t.http().post('/api/videos/bulk-generate').set(auth).set('Host', 'evil.example.net')
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Product Showcase', aspect_ratio: '16:9' })
      .expect(201);

    const { videoIds, videos } = response.body.data;
    expect(response.body.success).toBe(true);
    expect(videoIds).toHaveLength(2);
    expect(videos).toEqual(products.map((p, i) => ({ videoId: videoIds[i], productId: p.id, status: 'generating' })));

    expect(rck.requests).toHaveLength(1);
    expect(rck.requests[0].body).toEqual({
      items: products.map((p, i) => ({
        id_product: p.rckId,
        title: `Producto ${i}`,
        img_urls: [`https://example.com/${i}.jpg`],
        user_id: user.id,
        sku: `SKU-${i}`,
        template_name: 'Product Showcase',
        videoId: videoIds[i],
        aspect_ratio: '16:9',
      })),
      // From SERVER_URL, never from the request's Host header.
      success_callback_url: 'https://videogen.example.com/internal/videos/success',
      failure_callback_url: 'https://videogen.example.com/internal/videos/failure',
    });

    const stored = await video(videoIds[0]);
    expect(stored).toEqual(expect.objectContaining({
      userId: user.id, workspaceId: workspace.id, productId: products[0].id, template: 'Product Showcase', status: 'generating',
    }));
    expect(stored!.metadata).toEqual(expect.objectContaining({
      templateId: 'template_001', externalJobId: `job_${videoIds[0]}`, aspect_ratio: '16:9', queuedAt: expect.any(Date),
    }));
    expect((await product(workspace.id, products[1].id))!.videos).toEqual([
      expect.objectContaining({ videoId: videoIds[1], templateId: 'template_001', templateName: 'Product Showcase', status: 'generating' }),
    ]);
    expect(await usage(workspace.id)).toBe(2);
  });

  it('sends more than RCK_BATCH_SIZE products as several batch requests, in order', async () => {
    const { auth, products } = await givenCatalogue(7);
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(201);
    expect(rck.requests.map((r) => r.body.items.length).sort()).toEqual([1, 3, 3]);
    expect(rck.items.map((item) => item.videoId).sort()).toEqual([...response.body.data.videoIds].sort());
    expect(rck.items.every((item) => item.aspect_ratio === '9:16')).toBe(true);
    for (const id of response.body.data.videoIds) expect((await video(id))!.metadata.externalJobId).toBe(`job_${id}`);
  });

  describe('id_product', () => {
    const isRckId = (value: unknown) => Number.isInteger(value) && (value as number) > 0 && (value as number) <= 2 ** 31 - 1;
    const storedRckId = async (id: string) =>
      (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(id) }, { projection: { rckId: 1 } }))?.rckId;

    it('is unique: 50 products created at once go to RCK with 50 distinct ids, each the one stored on its product', async () => {
      const workspace = await t.given.workspace();
      const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
      const auth = { Authorization: `Bearer ${token}` };
      // Created within the same second or two: the ObjectId's creation second could not tell them apart.
      const created = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        t.http().post('/api/products').set(auth).send({ title: `Import ${i}`, sku: `IMPORT-${i}`, imageUrls: [] }).expect(201)));
      const ids: string[] = created.map((response) => response.body.data.id);
      expect(created[0].body.data).not.toHaveProperty('rckId');
      for (let i = 0; i < ids.length; i += 20) {
        await t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: ids.slice(i, i + 20), templateId: 't', templateName: 'T' }).expect(201);
      }
      const sent = rck.items.map((item) => item.id_product);
      expect(sent).toHaveLength(50);
      expect(sent.every(isRckId)).toBe(true);
      expect(new Set(sent).size).toBe(50);
      const bySku = new Map(rck.items.map((item) => [item.sku, item.id_product]));
      for (let i = 0; i < ids.length; i++) expect(bySku.get(`IMPORT-${i}`)).toBe(await storedRckId(ids[i]));
      // The unique index holds it even against a write that bypasses the counter.
      await expect(t.connection.collection('products').insertOne({ workspaceId: new Types.ObjectId(workspace.id), title: 'Copy', sku: 'COPY-1', rckId: sent[0] }))
        .rejects.toThrow(/duplicate key/);
    });

    it('is given to a product created before products were numbered on its first dispatch, and kept, even by two dispatches at once', async () => {
      const { workspace, auth } = await givenCatalogue(0);
      const { insertedId } = await t.connection.collection('products').insertOne({
        workspaceId: new Types.ObjectId(workspace.id), title: 'Antiguo', sku: 'OLD-1', imageUrls: [], videos: [], createdAt: new Date(), updatedAt: new Date(),
      });
      const old = insertedId.toHexString();
      const send = () => t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: [old], templateId: 't', templateName: 'T' }).expect(201);
      await Promise.all([send(), send()]);
      // RCK refuses the third send: the job runner's later send goes out with the same id.
      rck.script.push({ status: 503 });
      const refused = await send();
      expect(refused.body.data.videos[0].status).toBe('pending');
      await eventually(async () => expect((await video(refused.body.data.videoIds[0]))!.status).toBe('generating'));

      const sent = rck.items.map((item) => item.id_product);
      expect(sent).toHaveLength(4);
      expect(isRckId(sent[0])).toBe(true);
      expect(new Set(sent)).toEqual(new Set([await storedRckId(old)]));
      // A product created later gets a number of its own.
      expect((await t.given.product(workspace.id)).rckId).not.toBe(sent[0]);
    });
  });

  it('validates the body: ids, duplicates, template fields, aspect ratio, batch size', async () => {
    const { auth, products } = await givenCatalogue(1);
    const base = { productIds: [products[0].id], templateId: 't', templateName: 'T' };
    const cases: Array<[object, string]> = [
      [{ ...base, productIds: [] }, 'productIds must contain at least 1 product id'],
      [{ ...base, productIds: 'x' }, 'productIds must be an array of product ids'],
      [{ ...base, productIds: [products[0].id, products[0].id] }, 'productIds must not contain the same id twice'],
      [{ ...base, productIds: [products[0].id, products[0].id.toUpperCase()] }, 'productIds must not contain the same id twice'],
      [{ ...base, productIds: ['65abc123def456789012'] }, 'each productIds entry must be a valid ObjectId'],
      [{ ...base, templateId: '  ' }, 'templateId is required'],
      [{ productIds: base.productIds, templateId: 't' }, 'templateName is required'],
      [{ ...base, aspect_ratio: '21:9' }, 'aspect_ratio must be one of 9:16, 16:9, 1:1, 4:5'],
      [{ ...base, productIds: Array.from({ length: 21 }, (_, i) => `507f1f77bcf86cd7994390${String(i).padStart(2, '0')}`) }, 'productIds must contain at most 20 product ids'],
    ];
    for (const [body, message] of cases) {
      const response = await t.http().post('/api/videos/bulk-generate').set(auth).send(body).expect(400);
      expect(response.body.message).toBe(message);
    }
    expect(rck.requests).toHaveLength(0);
  });

  it('answers 404 naming the missing ids, counting another workspace\'s product as missing; nothing happens', async () => {
    const { workspace, auth, products } = await givenCatalogue(1);
    const theirs = await t.given.product((await t.given.workspace()).id);
    const unknown = '507f1f77bcf86cd799439099';
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: [products[0].id, theirs.id, unknown], templateId: 't', templateName: 'T' }).expect(404);
    expect(response.body).toEqual({ success: false, message: `Products not found: ${theirs.id}, ${unknown}` });
    expect(rck.requests).toHaveLength(0);
    expect(await usage(workspace.id)).toBe(0);
    expect((await product(workspace.id, products[0].id))!.videos).toEqual([]);
    const list = await t.http().get('/api/videos').set(auth).expect(200);
    expect(list.body.data.pagination.total).toBe(0);
  });

  it('refuses a batch that does not fit the month with 402 saying how many remain', async () => {
    const { workspace, auth, products } = await givenCatalogue(4, 5);
    await t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: [products[0].id, products[1].id], templateId: 't', templateName: 'T' }).expect(201);
    rck.reset();
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(402);
    expect(response.body).toEqual({ success: false, message: 'Monthly video limit reached: 3 of 5 videos remain this month, 4 requested' });
    expect(rck.requests).toHaveLength(0);
    expect(await usage(workspace.id)).toBe(2);
  });

  it('never lets two concurrent batches exceed the limit together', async () => {
    const { workspace, auth, products } = await givenCatalogue(12, 10);
    const send = (ids: string[]) => t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: ids, templateId: 't', templateName: 'T' });
    const [a, b] = await Promise.all([send(products.slice(0, 6).map((p) => p.id)), send(products.slice(6).map((p) => p.id))]);
    expect([a.status, b.status].sort()).toEqual([201, 402]);
    expect(await usage(workspace.id)).toBe(6);
    expect(rck.items).toHaveLength(6);
  });

  it('keeps videos pending while RCK is down and sends them once it is back, charging once', async () => {
    const { workspace, auth, products } = await givenCatalogue(4);
    rck.script.push({ status: 503 }, { status: 503 }, 'reset');
    rck.mode = 'ok';
    // 4 products in chunks of 3: both chunks are refused on the first send.
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(201);
    const ids: string[] = response.body.data.videoIds;
    expect(response.body.data.videos.map((v: { status: string }) => v.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    const waiting = await video(ids[0]);
    expect(waiting!.status).toBe('pending');
    expect(waiting!.metadata.lastDispatchError).toMatch(/^RCK answered 503|^RCK unreachable/);
    expect((await product(workspace.id, products[0].id))!.videos[0].status).toBe('pending');

    await eventually(async () => {
      for (const id of ids) expect((await video(id))!.status).toBe('generating');
    });
    const sent = await video(ids[3]);
    expect(sent!.metadata).toEqual(expect.objectContaining({ externalJobId: `job_${ids[3]}` }));
    expect(sent!.metadata.lastDispatchError).toBeUndefined();
    await eventually(async () => expect((await product(workspace.id, products[3].id))!.videos[0].status).toBe('generating'));
    // Each video reached RCK's job list exactly once after it came back.
    const accepted = rck.requests.slice(3).flatMap((r) => r.body.items.map((item) => item.videoId));
    expect(accepted.sort()).toEqual([...ids].sort());
    expect(await usage(workspace.id)).toBe(4);
  });

  it('fails the videos with the reason and gives the quota back when RCK never takes them', async () => {
    const { workspace, auth, products } = await givenCatalogue(2);
    rck.mode = { status: 500 };
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(201);
    const ids: string[] = response.body.data.videoIds;
    await eventually(async () => {
      for (const id of ids) expect((await video(id))!.status).toBe('failed');
    });
    expect(rck.requests).toHaveLength(3);
    const failed = await video(ids[0]);
    expect(failed!.error).toBe('RCK did not accept the video after 3 attempt(s): RCK answered 500');
    // Given back by the step that pays what the failure owes, just after the change.
    await eventually(async () => expect(await usage(workspace.id)).toBe(0));
    await eventually(async () => expect((await product(workspace.id, products[1].id))!.videos[0]).toEqual(
      expect.objectContaining({ status: 'failed', error: failed!.error }),
    ));
  });

  it('gives an abandoned video\'s quota unit back once, even when a crash left the release owed', async () => {
    const { workspace, auth, products } = await givenCatalogue(1);
    rck.mode = { status: 500 };
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: [products[0].id], templateId: 't', templateName: 'T' }).expect(201);
    const [id] = response.body.data.videoIds;
    await eventually(async () => expect((await video(id))!.metadata.owed).toEqual([]));
    const failed = (await video(id))!;
    expect(failed.status).toBe('failed');
    expect(await usage(workspace.id)).toBe(0);
    // Another unit is taken meanwhile, so a second release would show.
    await t.app.get(WorkspaceRepository).reserveVideoQuota(workspace.id, 1);
    // The state a crash leaves between giving the unit back and recording it paid: the entry is still owed.
    const owedAgain = { version: failed.metadata.version, event: 'video.failed', data: { videoId: id, productId: products[0].id, error: failed.error },
      quotaPeriod: failed.metadata.quotaPeriod, at: new Date(Date.now() - 60_000) };
    await t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name)).updateOne({ _id: new Types.ObjectId(id) }, { $push: { 'metadata.owed': owedAgain } }).exec();
    expect(await t.app.get(VideoEffectsService).sweep()).toBeGreaterThanOrEqual(1);
    expect((await video(id))!.metadata.owed).toEqual([]);
    expect(await usage(workspace.id)).toBe(1);
  });

  it('does not wait for a slow RCK: the send times out, the videos wait and go later', async () => {
    const { auth, products } = await givenCatalogue(1);
    rck.script.push('hang');
    const started = Date.now();
    const response = await t.http().post('/api/videos/bulk-generate').set(auth)
      .send({ productIds: [products[0].id], templateId: 't', templateName: 'T' }).expect(201);
    expect(Date.now() - started).toBeLessThan(3000);
    const [id] = response.body.data.videoIds;
    expect((await video(id))!.metadata.lastDispatchError).toBe('RCK did not answer in time');
    await eventually(async () => expect((await video(id))!.status).toBe('generating'));
  });

  describe('reading videos', () => {
    it('answers the AIVideo shape; another workspace\'s video is 404, a malformed id 400', async () => {
      const { auth, products, user, workspace } = await givenCatalogue(1);
      const created = await t.http().post('/api/videos/bulk-generate').set(auth)
        .send({ productIds: [products[0].id], templateId: 'template_001', templateName: 'Product Showcase' }).expect(201);
      const [id] = created.body.data.videoIds;
      const response = await t.http().get(`/api/videos/${id}`).set(auth).expect(200);
      expect(response.body.data).toEqual(expect.objectContaining({
        _id: id, userId: user.id, workspaceId: workspace.id, productId: products[0].id, template: 'Product Showcase', status: 'generating',
        createdAt: expect.any(String), updatedAt: expect.any(String),
        metadata: expect.objectContaining({ templateId: 'template_001', externalJobId: `job_${id}`, queuedAt: expect.any(String), aspect_ratio: '9:16' }),
      }));
      expect(response.body.data.metadata).not.toHaveProperty('quotaHeld');

      const stranger = await t.given.loggedIn();
      expect((await t.http().get(`/api/videos/${id}`).set('Authorization', `Bearer ${stranger.token}`).expect(404)).body)
        .toEqual({ success: false, message: 'Video not found' });
      expect((await t.http().get('/api/videos/65abc123def456789012').set(auth).expect(400)).body)
        .toEqual({ success: false, message: 'Invalid videoId format' });
      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      await t.http().get(`/api/videos/${id}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
      await t.http().get(`/api/videos/${id}`).expect(401);
    });

    it('lists the workspace\'s videos newest first, paginated, filtered by status and product', async () => {
      const { auth, products, workspace } = await givenCatalogue(3);
      const first = await t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: [products[0].id, products[1].id], templateId: 't', templateName: 'T' }).expect(201);
      const second = await t.http().post('/api/videos/bulk-generate').set(auth).send({ productIds: [products[2].id], templateId: 't', templateName: 'T' }).expect(201);
      const videos = t.app.get(AIVideoRepository);
      await videos.complete((await videos.findById(second.body.data.videoIds[0] as string))!, {});
      await t.given.product(workspace.id); // products without videos do not show up
      const other = await givenCatalogue(1);
      await t.http().post('/api/videos/bulk-generate').set(other.auth).send({ productIds: [other.products[0].id], templateId: 't', templateName: 'T' }).expect(201);

      const all = await t.http().get('/api/videos?limit=2').set(auth).expect(200);
      expect(all.body.data.pagination).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2 });
      expect(all.body.data.videos[0]._id).toBe(second.body.data.videoIds[0]);
      // `id` is the name every DTO uses; `_id` keeps the first API's name for the same value.
      expect(all.body.data.videos.every((video: { id: string; _id: string }) => video.id === video._id)).toBe(true);
      const page2 = await t.http().get('/api/videos?limit=2&page=2').set(auth).expect(200);
      expect(page2.body.data.videos.map((v: { _id: string }) => v._id)).toHaveLength(1);

      const generating = await t.http().get('/api/videos?status=generating').set(auth).expect(200);
      expect(generating.body.data.videos.map((v: { _id: string }) => v._id).sort()).toEqual([...first.body.data.videoIds].sort());
      const completed = await t.http().get('/api/videos?status=completed').set(auth).expect(200);
      expect(completed.body.data.videos.map((v: { _id: string }) => v._id)).toEqual(second.body.data.videoIds);
      const byProduct = await t.http().get(`/api/videos?productId=${products[1].id}`).set(auth).expect(200);
      expect(byProduct.body.data.videos.map((v: { _id: string }) => v._id)).toEqual([first.body.data.videoIds[1]]);

      expect((await t.http().get('/api/videos?status=done').set(auth).expect(400)).body.message).toBe('status must be one of pending, generating, completed, failed');
      expect((await t.http().get(`/api/videos?workspaceId=${other.workspace.id}`).set(auth).expect(403)).body.message).toBe('Only a superadmin may choose the workspace');

      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      const theirs = await t.http().get(`/api/videos?workspaceId=${other.workspace.id}`).set('Authorization', `Bearer ${admin.token}`).expect(200);
      expect(theirs.body.data.pagination.total).toBe(1);
      expect((await t.http().get('/api/videos').set('Authorization', `Bearer ${admin.token}`).expect(400)).body.message).toBe('workspaceId is required');
    });
  });
});
