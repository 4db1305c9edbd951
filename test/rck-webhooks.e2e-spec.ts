import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { getModelToken } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { ProductRepository } from '../src/products/product.repository.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { AIVideo } from '../src/videos/ai-video.schema.js';
import { WorkspaceRepository } from '../src/workspaces/workspace.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

describe('RCK callbacks (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({ env: videosTestEnv(rck, { VIDEO_MAX_RETRIES: '1' }) });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });
  beforeEach(() => rck.reset());

  const videos = () => t.app.get(AIVideoRepository);
  const videoModel = () => t.app.get<Model<AIVideo>>(getModelToken(AIVideo.name));
  const entriesOf = async (workspaceId: string, productId: string) => (await t.app.get(ProductRepository).findInWorkspace(workspaceId, productId))!.videos;

  /** Videos for `count` new products, through the real bulk-generate. */
  const givenVideos = (count = 1, limit = 100) => t.given.videos(count, { monthlyVideoLimit: limit });

  /** A callback as RCK sends it: JSON, signed with the test secret unless told otherwise. */
  function callback(kind: 'success' | 'failure', body: object | string, headers?: Record<string, string>) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).send(raw);
  }

  describe('success', () => {
    it('completes the AIVideo and the product entry of this very video, with the contract\'s answer', async () => {
      const { workspace, products, ids } = await givenVideos(1);
      // A second video of the same product: its entry must stay as it is.
      const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
      const again = await t.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
        .send({ productIds: [products[0].id], templateId: 'template_002', templateName: 'Other' }).expect(201);

      const response = await callback('success', {
        videoId: ids[0], youtubeVideoId: 'dQw4w9WgXcQ', localFilename: '/videos/product_123.mp4',
        video_url: 'https://cdn.example.com/video.mp4', img_s3_url: 'https://s3.amazonaws.com/thumbnail.jpg',
      }).expect(200);
      expect(response.body).toEqual({
        success: true,
        message: 'Video status updated successfully',
        data: {
          videoId: ids[0], youtubeVideoId: 'dQw4w9WgXcQ', localFilename: '/videos/product_123.mp4',
          videoUrl: 'https://cdn.example.com/video.mp4', imgS3Url: 'https://s3.amazonaws.com/thumbnail.jpg', productId: products[0].id,
        },
      });
      const stored = await videos().findById(ids[0]);
      expect(stored!.status).toBe('completed');
      expect(stored!.metadata).toEqual(expect.objectContaining({
        youtubeVideoId: 'dQw4w9WgXcQ', localFilename: '/videos/product_123.mp4', videoUrl: 'https://cdn.example.com/video.mp4',
        imgS3Url: 'https://s3.amazonaws.com/thumbnail.jpg', completedAt: expect.any(Date), productSynced: true,
      }));
      const entries = await entriesOf(workspace.id, products[0].id);
      expect(entries).toEqual([
        expect.objectContaining({
          videoId: ids[0], status: 'completed', videoUrl: 'https://cdn.example.com/video.mp4',
          youtubeUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', imgS3Url: 'https://s3.amazonaws.com/thumbnail.jpg', completedAt: expect.any(Date),
        }),
        expect.objectContaining({ videoId: again.body.data.videoIds[0], status: 'generating', templateId: 'template_002' }),
      ]);
    });

    it('answers a repeated success with the same body and changes nothing', async () => {
      const { ids } = await givenVideos(1);
      const body = { videoId: ids[0], youtubeVideoId: 'abc', video_url: 'https://cdn.example.com/1.mp4' };
      const first = await callback('success', body).expect(200);
      const before = await videos().findById(ids[0]);
      const second = await callback('success', { ...body, video_url: 'https://cdn.example.com/other.mp4' }).expect(200);
      expect(second.body).toEqual(first.body);
      expect(await videos().findById(ids[0])).toEqual(before);
    });

    it('makes one state change for fifty concurrent identical callbacks, and fifty 200s', async () => {
      const { ids } = await givenVideos(1);
      const raw = JSON.stringify({ videoId: ids[0], youtubeVideoId: 'same' });
      const headers = rckHeaders(raw);
      const responses = await Promise.all(Array.from({ length: 50 }, () => t.http().post('/internal/videos/success').set(headers).send(raw)));
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
      expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
      // version 0 at creation; one change to completed.
      expect((await videos().findById(ids[0]))!.metadata.version).toBe(1);
    });

    it('accepts a success after a failure (RCK tried again and succeeded)', async () => {
      const { workspace, products, ids } = await givenVideos(1);
      await callback('failure', { videoId: ids[0], error: 'first try failed' }).expect(200);
      await callback('success', { videoId: ids[0], video_url: 'https://cdn.example.com/2.mp4' }).expect(200);
      const stored = await videos().findById(ids[0]);
      expect(stored!.status).toBe('completed');
      expect(stored!.error).toBeUndefined();
      expect((await entriesOf(workspace.id, products[0].id))[0]).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://cdn.example.com/2.mp4' }));
      expect((await entriesOf(workspace.id, products[0].id))[0].error).toBeUndefined();
    });
  });

  describe('failure', () => {
    it('fails the AIVideo and its product entry with the message, answering the contract\'s body', async () => {
      const { workspace, products, ids } = await givenVideos(1);
      const response = await callback('failure', { videoId: ids[0], error: 'Failed to process video: insufficient image quality' }).expect(200);
      expect(response.body).toEqual({
        success: true,
        message: 'Video failure recorded successfully',
        data: { videoId: ids[0], productId: products[0].id, error: 'Failed to process video: insufficient image quality' },
      });
      const stored = await videos().findById(ids[0]);
      expect(stored).toEqual(expect.objectContaining({ status: 'failed', error: 'Failed to process video: insufficient image quality' }));
      expect(stored!.metadata.failedAt).toEqual(expect.any(Date));
      expect((await entriesOf(workspace.id, products[0].id))[0]).toEqual(expect.objectContaining({
        status: 'failed', error: 'Failed to process video: insufficient image quality', failedAt: expect.any(Date),
      }));
    });

    it('uses a default message when RCK sends none, and answers a repeat the same', async () => {
      const { ids } = await givenVideos(1);
      const first = await callback('failure', { videoId: ids[0] }).expect(200);
      expect(first.body.data.error).toBe('Video generation failed');
      const again = await callback('failure', { videoId: ids[0], error: 'another reason' }).expect(200);
      expect(again.body).toEqual(first.body);
      expect((await videos().findById(ids[0]))!.metadata.version).toBe(1);
    });

    it('ignores a failure after a success (200, saying so) and keeps the video completed', async () => {
      const { ids, products } = await givenVideos(1);
      await callback('success', { videoId: ids[0], video_url: 'https://cdn.example.com/3.mp4' }).expect(200);
      const response = await callback('failure', { videoId: ids[0], error: 'late failure' }).expect(200);
      expect(response.body).toEqual({
        success: true,
        message: 'Video already completed; failure ignored',
        data: { videoId: ids[0], productId: products[0].id, status: 'completed' },
      });
      expect((await videos().findById(ids[0]))!.status).toBe('completed');
    });
  });

  describe('bad input changes nothing', () => {
    it('checks in the contract\'s order (docs/contracts/rck.md#errors): videoId is required, Invalid videoId format, Video not found', async () => {
      for (const kind of ['success', 'failure'] as const) {
        expect((await callback(kind, { youtubeVideoId: 'x' }).expect(400)).body.message).toBe('videoId is required');
        expect((await callback(kind, {}).expect(400)).body.message).toBe('videoId is required');
        // The specification's own curl example carries a 20-hex-digit id
        // (docs/contracts/rck.md#trying-it-by-hand).
        expect((await callback(kind, { videoId: '65abc123def456789012' }).expect(400)).body)
          .toEqual({ success: false, message: 'Invalid videoId format' });
        expect((await callback(kind, { videoId: 12345 }).expect(400)).body.message).toBe('Invalid videoId format');
        expect((await callback(kind, { videoId: new Types.ObjectId().toHexString() }).expect(404)).body)
          .toEqual({ success: false, message: 'Video not found' });
      }
    });

    it('refuses wrongly typed optional fields and ignores unknown ones', async () => {
      const { ids } = await givenVideos(1);
      expect((await callback('success', { videoId: ids[0], video_url: 'not a url' }).expect(400)).body.message).toBe('video_url must be an http(s) URL');
      // The same rule as HeyGen's URLs (IsHttpUrl): stored, then handed to browsers.
      for (const [video_url, message] of [
        ['javascript:alert(document.domain)', 'video_url must be an http(s) URL'],
        ['https://cdn.example.com/a.mp4\r\nSet-Cookie: x=1', 'video_url must not contain control or invisible characters'],
        ['https://cdn.example.com/a\u0000.mp4', 'video_url must not contain control or invisible characters'],
        ['https://rck:secret@cdn.example.com/a.mp4', 'video_url must not contain credentials (user:password@)'],
        [`https://cdn.example.com/${'a'.repeat(2030)}.mp4`, 'video_url must be at most 2048 characters'],
        [42, 'video_url must be a string'],
      ] as const) {
        expect({ video_url, message: (await callback('success', { videoId: ids[0], video_url }).expect(400)).body.message }).toEqual({ video_url, message });
      }
      expect((await callback('success', { videoId: ids[0], imgS3Url: 'data:image/png;base64,AAAA' }).expect(400)).body.message).toBe('imgS3Url must be an http(s) URL');
      expect((await callback('failure', { videoId: ids[0], error: 42 }).expect(400)).body.message).toBe('error must be a string');
      expect((await videos().findById(ids[0]))!.status).toBe('generating');
      await callback('success', { videoId: ids[0], rendered_by: 'gpu-7' }).expect(200);
    });
  });

  describe('signatures (Standard Webhooks)', () => {
    it('refuses a missing, wrong, stale or tampered signature with 401 and changes nothing', async () => {
      const { ids } = await givenVideos(1);
      const raw = JSON.stringify({ videoId: ids[0] });
      const good = rckHeaders(raw);
      const attempts: Array<Record<string, string>> = [
        { 'content-type': 'application/json' },
        { ...good, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') },
        rckHeaders(raw, { key: Buffer.from('another-secret-of-enough-length!') }),
        rckHeaders(raw, { timestamp: Math.floor(Date.now() / 1000) - 310 }),
        rckHeaders(raw, { timestamp: Math.floor(Date.now() / 1000) + 310 }),
        { ...good, 'webhook-id': 'msg_other' },
        { ...good, 'webhook-timestamp': 'yesterday' },
      ];
      for (const [index, headers] of attempts.entries()) {
        const response = await t.http().post('/internal/videos/success').set(headers).send(raw);
        expect({ index, status: response.status, body: response.body }).toEqual({ index, status: 401, body: { success: false, message: 'Invalid signature' } });
      }
      // The signature covers the raw bytes: the same JSON re-spaced is another body.
      await t.http().post('/internal/videos/success').set(good).send(JSON.stringify({ videoId: ids[0] }, null, 2)).expect(401);
      expect((await videos().findById(ids[0]))!.status).toBe('generating');
      await t.http().post('/internal/videos/success').set(good).send(raw).expect(200);
    });

    it('refuses a right signature spelt in another base64 (no padding, trailing data): only the canonical one verifies', async () => {
      const { ids } = await givenVideos(1);
      const raw = JSON.stringify({ videoId: ids[0] });
      const good = rckHeaders(raw);
      const base64 = good['webhook-signature'].slice('v1,'.length);
      for (const spelling of [base64.slice(0, -1), `${base64}=AAAA`, `${base64}AAAA`]) {
        const response = await t.http().post('/internal/videos/success').set({ ...good, 'webhook-signature': `v1,${spelling}` }).send(raw);
        expect({ spelling, status: response.status, body: response.body }).toEqual({ spelling, status: 401, body: { success: false, message: 'Invalid signature' } });
      }
      expect((await videos().findById(ids[0]))!.status).toBe('generating');
      await t.http().post('/internal/videos/success').set(good).send(raw).expect(200);
    });

    it('accepts any of several signatures in the header, and a timestamp within five minutes', async () => {
      const { ids } = await givenVideos(2);
      const raw = JSON.stringify({ videoId: ids[0] });
      const good = rckHeaders(raw, { timestamp: Math.floor(Date.now() / 1000) - 290 });
      const wrong = 'v1,' + Buffer.alloc(32, 1).toString('base64');
      await t.http().post('/internal/videos/success').set({ ...good, 'webhook-signature': `${wrong} v2,xyz ${good['webhook-signature']}` }).send(raw).expect(200);
    });
  });

  describe('crash between the two writes', () => {
    it('is repaired by the next delivery of the same callback', async () => {
      const { workspace, products, ids } = await givenVideos(1);
      // The AIVideo was completed, then the process died before the product write.
      await videos().complete((await videos().findById(ids[0]))!, { videoUrl: 'https://cdn.example.com/crash.mp4' });
      expect((await entriesOf(workspace.id, products[0].id))[0].status).toBe('generating');
      await callback('success', { videoId: ids[0], video_url: 'https://cdn.example.com/crash.mp4' }).expect(200);
      expect((await entriesOf(workspace.id, products[0].id))[0]).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://cdn.example.com/crash.mp4' }));
      expect((await videos().findById(ids[0]))!.metadata.productSynced).toBe(true);
    });

    it('is repaired by the periodic check when no delivery comes again, even if the entry is missing', async () => {
      const { workspace, products, ids } = await givenVideos(2);
      await videos().fail((await videos().findById(ids[0]))!, 'crashed mid-way');
      await t.app.get(ProductRepository); // the entry of the second video is lost altogether
      const productModel = t.connection.model('Product');
      await productModel.updateOne({ _id: products[1].id }, { $set: { videos: [] } });
      await videoModel().updateMany({ _id: { $in: ids } }, { $set: { 'metadata.productSynced': false, updatedAt: new Date(Date.now() - 60_000) } }, { timestamps: false });
      await eventually(async () => {
        expect((await entriesOf(workspace.id, products[0].id))[0]).toEqual(expect.objectContaining({ status: 'failed', error: 'crashed mid-way' }));
        expect(await entriesOf(workspace.id, products[1].id)).toEqual([expect.objectContaining({ videoId: ids[1], status: 'generating' })]);
      });
      await eventually(async () => expect((await videos().findById(ids[0]))!.metadata.productSynced).toBe(true));
    });

    it('never lets an older state overwrite a newer one on the product', async () => {
      const { workspace, products, ids } = await givenVideos(1);
      const generating = (await videos().findById(ids[0]))!;
      await callback('success', { videoId: ids[0] }).expect(200);
      // A late writer still holding the old state (a repair that read before the callback).
      await t.app.get(ProductRepository).syncVideoEntries([{
        productId: products[0].id, videoId: ids[0], version: generating.metadata.version,
        entry: { status: 'generating', createdAt: generating.createdAt },
      }]);
      expect((await entriesOf(workspace.id, products[0].id))).toEqual([expect.objectContaining({ status: 'completed' })]);
    });
  });

  describe('orphans, manual failure and retries', () => {
    it('marks videos generating longer than VIDEO_ORPHAN_TIMEOUT_MINUTES as failed, saying why', async () => {
      const { workspace, products, ids } = await givenVideos(2);
      await videoModel().updateOne({ _id: ids[0] }, { $set: { 'metadata.dispatchedAt': new Date(Date.now() - 121 * 60_000) } });
      await eventually(async () => expect((await videos().findById(ids[0]))!.status).toBe('failed'));
      expect((await videos().findById(ids[0]))!.error).toBe('Orphaned: no callback from RCK within 120 minutes of dispatch');
      expect((await videos().findById(ids[1]))!.status).toBe('generating');
      await eventually(async () => expect((await entriesOf(workspace.id, products[0].id))[0].status).toBe('failed'));
    });

    it('also fails a video whose send was never recorded, and one left pending with nothing to send it', async () => {
      const { workspace, ids } = await givenVideos(2, 2);
      const old = new Date(Date.now() - 121 * 60_000);
      // A crash after RCK's answer but before we recorded it; a crash before the retry job.
      // (Through the driver: Mongoose treats createdAt as immutable.)
      await videoModel().collection.updateOne({ _id: new Types.ObjectId(ids[0]) }, { $unset: { 'metadata.dispatchedAt': 1 }, $set: { createdAt: old } });
      await videoModel().updateOne({ _id: ids[1] }, { $set: { status: 'pending', updatedAt: old } }, { timestamps: false });
      await eventually(async () => {
        expect((await videos().findById(ids[0]))!.error).toBe('Orphaned: no callback from RCK within 120 minutes of dispatch');
        expect((await videos().findById(ids[1]))!.error).toBe('Orphaned: waiting to be sent to RCK for 120 minutes');
      });
      // RCK never had the pending one: its unit is given back (by the step that pays the failure's effects); the other keeps its unit.
      await eventually(async () => expect((await t.app.get(WorkspaceRepository).findById(workspace.id))!.usage.videosGenerated).toBe(1));
    });

    it('lets a superadmin mark a video failed with a reason; others get 403', async () => {
      const { token, ids } = await givenVideos(1);
      await t.http().post(`/api/videos/${ids[0]}/fail`).set('Authorization', `Bearer ${token}`).send({ reason: 'x' }).expect(403);
      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      const auth = { Authorization: `Bearer ${admin.token}` };
      expect((await t.http().post(`/api/videos/${ids[0]}/fail`).set(auth).send({}).expect(400)).body.message).toBe('reason is required');
      const response = await t.http().post(`/api/videos/${ids[0]}/fail`).set(auth).send({ reason: 'Stuck since the outage' }).expect(200);
      expect(response.body.data).toEqual(expect.objectContaining({ status: 'failed', error: 'Stuck since the outage' }));
      expect(response.body.data.metadata.failedBy).toBe(admin.user.id);
      expect((await t.http().post(`/api/videos/${ids[0]}/fail`).set(auth).send({ reason: 'again' }).expect(409)).body.message).toBe('Video is already failed');
      await t.http().post(`/api/videos/${new Types.ObjectId().toHexString()}/fail`).set(auth).send({ reason: 'r' }).expect(404);
    });

    it('retries a failed video as a new attempt, up to VIDEO_MAX_RETRIES, without charging it twice', async () => {
      const { workspace, token, ids } = await givenVideos(1, 1);
      const auth = { Authorization: `Bearer ${token}` };
      expect((await t.http().post(`/api/videos/${ids[0]}/retry`).set(auth).expect(409)).body.message).toBe('Only a failed video can be retried; this one is generating');
      await callback('failure', { videoId: ids[0], error: 'render crashed' }).expect(200);
      rck.reset();
      const retried = await t.http().post(`/api/videos/${ids[0]}/retry`).set(auth).expect(200);
      expect(retried.body.data).toEqual(expect.objectContaining({ status: 'generating' }));
      expect(retried.body.data.metadata.retryCount).toBe(1);
      expect(retried.body.data.error).toBeUndefined();
      expect(rck.items.map((item) => item.videoId)).toEqual([ids[0]]);
      // The plan allows 1 video a month: the retry reused the unit the video already held.
      expect((await t.app.get(WorkspaceRepository).findById(workspace.id))!.usage.videosGenerated).toBe(1);

      await callback('failure', { videoId: ids[0], error: 'again' }).expect(200);
      expect((await t.http().post(`/api/videos/${ids[0]}/retry`).set(auth).expect(409)).body.message).toBe('Video has reached the retry limit (1)');
      const stranger = await t.given.loggedIn();
      await t.http().post(`/api/videos/${ids[0]}/retry`).set('Authorization', `Bearer ${stranger.token}`).expect(404);
    });

    it('pays a failure\'s owed quota unit before a retry takes one, so a crash in between does not block the retry', async () => {
      const { workspace, token, ids } = await givenVideos(1, 1);
      await videoModel().updateOne({ _id: ids[0] }, { $set: { status: 'pending' } });
      // The dispatcher gives up on it and the process dies before paying: the unit is still counted, and owed back.
      expect(await videos().abandonPending([ids[0]], 'RCK did not accept the video')).toHaveLength(1);
      const usage = async () => (await t.app.get(WorkspaceRepository).findById(workspace.id))!.usage.videosGenerated;
      expect(await usage()).toBe(1);
      const retried = await t.http().post(`/api/videos/${ids[0]}/retry`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(retried.body.data.status).toBe('generating');
      expect(await usage()).toBe(1);
      expect((await videos().findById(ids[0]))!.metadata.owed).toEqual([]);
    });

    it('takes a quota unit for a retry only when a terminal dispatch failure gave it back', async () => {
      rck.mode = { status: 500 };
      const { workspace, token, ids } = await givenVideos(1, 1);
      await eventually(async () => expect((await videos().findById(ids[0]))!.status).toBe('failed'));
      const usage = async () => (await t.app.get(WorkspaceRepository).findById(workspace.id))!.usage.videosGenerated;
      await eventually(async () => expect(await usage()).toBe(0));
      rck.mode = 'ok';
      await t.http().post(`/api/videos/${ids[0]}/retry`).set('Authorization', `Bearer ${token}`).expect(200);
      expect(await usage()).toBe(1);
    });
  });
});

describe('RCK callbacks in development without a secret (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { NODE_ENV: 'development', RCK_WEBHOOK_SECRET: undefined } });
  });
  afterAll(() => t.close());

  it('accepts the specification\'s curl examples unsigned, byte for byte', async () => {
    const success = `{
    "videoId": "65abc123def456789012",
    "youtubeVideoId": "dQw4w9WgXcQ",
    "video_url": "https://example.com/video.mp4"
  }`;
    // The example's id has 20 hex digits: "Invalid videoId format" (docs/contracts/rck.md#trying-it-by-hand).
    const response = await t.http().post('/internal/videos/success').set('Content-Type', 'application/json').send(success).expect(400);
    expect(response.body).toEqual({ success: false, message: 'Invalid videoId format' });
    const fixed = success.replace('65abc123def456789012', '65abc123def456789012abcd');
    expect((await t.http().post('/internal/videos/success').set('Content-Type', 'application/json').send(fixed).expect(404)).body.message).toBe('Video not found');
  });
});

describe('RCK callbacks while the secret is rotated (e2e)', () => {
  const oldKey = Buffer.from('the-previous-rck-secret-key-bytes');
  const newKey = Buffer.from('the-next-rck-secret-key-bytes-xyz');
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { RCK_WEBHOOK_SECRET: `whsec_${oldKey.toString('base64')} whsec_${newKey.toString('base64')}` } });
  });
  afterAll(() => t.close());

  it('accepts a callback signed with either configured secret, and no other', async () => {
    const raw = JSON.stringify({ videoId: new Types.ObjectId().toHexString() });
    // Past the guard, an unknown video is a 404: the signature was accepted.
    await t.http().post('/internal/videos/success').set(rckHeaders(raw, { key: oldKey })).send(raw).expect(404);
    await t.http().post('/internal/videos/success').set(rckHeaders(raw, { key: newKey })).send(raw).expect(404);
    await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(401);
  });
});
