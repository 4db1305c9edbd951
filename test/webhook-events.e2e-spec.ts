import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { VideoCallbacksService } from '../src/videos/video-callbacks.service.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { rckHeaders } from './utils/rck-signing.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel, eventsOfRequest, newRequestId, TestProviderWebhookController } from './utils/webhook-events.js';

describe('Webhook event log (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let admin: { Authorization: string };

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({
      env: videosTestEnv(rck, { WEBHOOK_BODY_LIMIT_BYTES: '1024', WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' }),
      controllers: [TestProviderWebhookController],
      overrides: [hookable(VideoCallbacksService)],
    });
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });

  const givenVideos = (count = 1) => t.given.videos(count);

  /** A delivery as RCK sends it (signed unless headers are given), tagged with its own request id. */
  async function deliver(kind: 'success' | 'failure', body: object | string, headers?: Record<string, string>) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const requestId = newRequestId();
    const response = await t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).set('x-request-id', requestId).send(raw);
    return { response, requestId, raw };
  }

  /** The one event a request left (fails if there are more). */
  async function onlyEvent(requestId: string) {
    const events = await eventsOfRequest(t, requestId);
    expect(events).toHaveLength(1);
    return events[0];
  }

  describe('recording: every kind of delivery leaves exactly one event', () => {
    it('accepted: the record\'s fields and what debugging needs, never the signature', async () => {
      const { ids } = await givenVideos(1);
      const body = { videoId: ids[0], youtubeVideoId: 'dQw4w9WgXcQ', video_url: 'https://cdn.example.com/video.mp4' };
      const raw = JSON.stringify(body);
      const headers = rckHeaders(raw);
      const { response, requestId } = await deliver('success', body, headers);
      expect(response.status).toBe(200);
      const event = await onlyEvent(requestId);
      expect(event).toEqual(expect.objectContaining({
        endpoint: '/internal/videos/success', method: 'POST', payload: body, source: 'rck', eventType: 'success',
        deliveryId: headers['webhook-id'], videoId: ids[0], recordId: ids[0], status: 'accepted', httpStatus: 200,
        signatureValid: true, durationMs: expect.any(Number), createdAt: expect.any(Date), requestId,
      }));
      expect(event.headers).toEqual(expect.objectContaining({ 'webhook-id': headers['webhook-id'], 'webhook-timestamp': headers['webhook-timestamp'], 'content-type': 'application/json' }));
      expect(JSON.stringify(event)).not.toContain(headers['webhook-signature'].slice(3));
      expect(event.error).toBeUndefined();
    });

    it('duplicate delivery id: answered 200 like the first, recorded as duplicate, the handler not run again', async () => {
      const { ids } = await givenVideos(1);
      const raw = JSON.stringify({ videoId: ids[0], youtubeVideoId: 'first' });
      const headers = rckHeaders(raw);
      const first = await deliver('success', raw, headers);
      expect(first.response.status).toBe(200);
      await eventsOfRequest(t, first.requestId);

      const callbacks = hooked(t.app.get(VideoCallbacksService));
      let calls = 0;
      callbacks.hooks.succeeded = (next, ...args) => {
        calls++;
        return next(...args);
      };
      try {
        // RCK's retry: same webhook-id, signed again with a new timestamp.
        const retry = await deliver('success', raw, rckHeaders(raw, { id: headers['webhook-id'], timestamp: Math.floor(Date.now() / 1000) + 1 }));
        expect(retry.response.status).toBe(200);
        expect(retry.response.body).toEqual(first.response.body);
        expect(calls).toBe(0);
        const event = await onlyEvent(retry.requestId);
        expect(event).toEqual(expect.objectContaining({ status: 'duplicate', httpStatus: 200, deliveryId: headers['webhook-id'], videoId: ids[0], signatureValid: true }));
      } finally {
        delete callbacks.hooks.succeeded;
      }
    });

    it('conflict: a delivery id reused with another body is answered like the first, not applied, recorded as conflict with its body\'s hash', async () => {
      const [a, b] = (await givenVideos(2)).ids;
      const raw = JSON.stringify({ videoId: a, youtubeVideoId: 'first' });
      const headers = rckHeaders(raw);
      const first = await deliver('success', raw, headers);
      expect(first.response.status).toBe(200);
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      // The id's memory keeps the first body's hash.
      expect(await t.connection.collection('webhookdeliveries').findOne({ source: 'rck', deliveryId: headers['webhook-id'] }))
        .toEqual(expect.objectContaining({ bodySha256: sha256(raw) }));

      // Another video's callback under the same webhook-id, correctly signed.
      const other = JSON.stringify({ videoId: b, youtubeVideoId: 'second' });
      const reused = await deliver('success', other, rckHeaders(other, { id: headers['webhook-id'] }));
      expect(reused.response.status).toBe(200);
      expect(reused.response.body).toEqual(first.response.body);
      expect((await t.app.get(AIVideoRepository).findById(b))!.status).toBe('generating');
      const event = await onlyEvent(reused.requestId);
      expect(event).toEqual(expect.objectContaining({
        status: 'conflict', httpStatus: 200, deliveryId: headers['webhook-id'], payload: JSON.parse(other), payloadSha256: sha256(other), signatureValid: true,
      }));

      // The same body again is still a plain duplicate.
      const retry = await deliver('success', raw, rckHeaders(raw, { id: headers['webhook-id'] }));
      expect((await onlyEvent(retry.requestId)).status).toBe('duplicate');

      // The list filters on it.
      const listed = await t.http().get('/api/webhook-events').query({ status: 'conflict', videoId: b }).set(admin).expect(200);
      expect(listed.body.data.events.map((e: { _id: string }) => e._id)).toEqual([event._id.toHexString()]);
      expect(listed.body.data.events.map((e: { id: string }) => e.id)).toEqual([event._id.toHexString()]);
    });

    it('duplicate callback under a new delivery id: the handler says so, and the event too', async () => {
      const { ids } = await givenVideos(1);
      await deliver('success', { videoId: ids[0] });
      const again = await deliver('success', { videoId: ids[0] });
      expect(again.response.status).toBe(200);
      expect((await onlyEvent(again.requestId)).status).toBe('duplicate');
    });

    it('ignored: a failure after a success', async () => {
      const { ids } = await givenVideos(1);
      await deliver('success', { videoId: ids[0] });
      const late = await deliver('failure', { videoId: ids[0], error: 'late' });
      expect(late.response.status).toBe(200);
      expect(await onlyEvent(late.requestId)).toEqual(expect.objectContaining({ status: 'ignored', eventType: 'failure', endpoint: '/internal/videos/failure', recordId: ids[0] }));
    });

    it('bad signature (refused by the guard, before any interceptor): rejected, 401, signatureValid false, the body as text', async () => {
      const { ids } = await givenVideos(1);
      const raw = JSON.stringify({ videoId: ids[0] });
      const headers: Record<string, string> = { ...rckHeaders(raw), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` };
      const { response, requestId } = await deliver('success', raw, headers);
      expect(response.status).toBe(401);
      const event = await onlyEvent(requestId);
      expect(event).toEqual(expect.objectContaining({
        status: 'rejected', httpStatus: 401, signatureValid: false, error: 'Invalid signature', deliveryId: headers['webhook-id'],
        payload: raw, payloadBytes: Buffer.byteLength(raw), payloadSha256: createHash('sha256').update(raw).digest('hex'),
        videoId: ids[0], source: 'rck', endpoint: '/internal/videos/success',
      }));
      expect(event.payloadTruncated).toBeUndefined();
    });

    it('stale timestamp: rejected, 401, signatureValid false', async () => {
      const raw = JSON.stringify({ videoId: new Types.ObjectId().toHexString() });
      const { response, requestId } = await deliver('failure', raw, rckHeaders(raw, { timestamp: Math.floor(Date.now() / 1000) - 600 }));
      expect(response.status).toBe(401);
      expect(await onlyEvent(requestId)).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 401, signatureValid: false, error: 'Invalid signature', eventType: 'failure' }));
    });

    it('invalid payload (refused by the validation pipe): rejected, 400, with the message', async () => {
      const { response, requestId } = await deliver('success', { youtubeVideoId: 'x' });
      expect(response.status).toBe(400);
      expect(await onlyEvent(requestId)).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 400, signatureValid: true, error: 'videoId is required', payload: { youtubeVideoId: 'x' } }));
    });

    it('unknown video (refused by the handler): rejected, 404', async () => {
      const videoId = new Types.ObjectId().toHexString();
      const { response, requestId } = await deliver('success', { videoId });
      expect(response.status).toBe(404);
      expect(await onlyEvent(requestId)).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 404, error: 'Video not found', videoId }));
    });

    it('malformed JSON (refused by Fastify, before Nest): rejected, 400, the raw text kept', async () => {
      const raw = '{"videoId": "65abc123def456789012abcd",';
      const { response, requestId } = await deliver('success', raw);
      expect(response.status).toBe(400);
      const event = await onlyEvent(requestId);
      expect(event).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 400, payload: raw, source: 'rck', endpoint: '/internal/videos/success', error: expect.any(String) }));
      expect(event.signatureValid).toBeUndefined();
    });

    it('oversized body (refused by Fastify): rejected, 413, nothing of the body kept', async () => {
      const raw = JSON.stringify({ videoId: new Types.ObjectId().toHexString(), localFilename: 'x'.repeat(2000) });
      const { response, requestId } = await deliver('success', raw);
      expect(response.status).toBe(413);
      const event = await onlyEvent(requestId);
      expect(event).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 413, payload: null, source: 'rck' }));
      // Refused on its Content-Length, before a byte of it was read.
      expect(event.payloadBytes).toBeUndefined();
      expect(event.payloadSha256).toBeUndefined();
    });

    it('wrong content type (refused by Fastify): rejected, 415', async () => {
      const requestId = newRequestId();
      const response = await t.http().post('/internal/videos/failure').set('content-type', 'text/plain').set('x-request-id', requestId).send('videoId=1');
      expect(response.status).toBe(415);
      expect(await onlyEvent(requestId)).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 415, endpoint: '/internal/videos/failure', headers: expect.objectContaining({ 'content-type': 'text/plain' }) }));
    });

    it('records a newly marked controller with no change to the recorder, and never its OPTIONS ping', async () => {
      const requestId = newRequestId();
      const body = { event_id: `evt_${requestId}`, event_type: 'avatar_video.success', event_data: { video_id: 'hg_123', callback_id: 'cb_456', url: 'https://x/y.mp4' } };
      const raw = JSON.stringify(body);
      // Marked 'heygen', so HeyGen's signature scheme guards it like the real controller.
      await t.http().post('/api/webhook/test-provider').set('x-request-id', requestId)
        .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw).expect(200);
      expect(await onlyEvent(requestId)).toEqual(expect.objectContaining({
        source: 'heygen', endpoint: '/api/webhook/test-provider', eventType: 'avatar_video.success', deliveryId: `evt_${requestId}`,
        videoId: 'hg_123', callbackId: 'cb_456', status: 'accepted', httpStatus: 200,
      }));

      const before = await eventModel(t).countDocuments();
      const ping = newRequestId();
      await t.http().options('/api/webhook/test-provider').set('x-request-id', ping).expect(200);
      // A webhook's 2xx is sent only once its event is stored, and anything else is buffered: after the flush, it would be there.
      await t.app.get(WebhookEventRecorder).flush();
      expect(await eventModel(t).countDocuments({ requestId: ping })).toBe(0);
      expect(await eventModel(t).countDocuments()).toBe(before);
    });
  });

  describe('GET /api/webhook-events', () => {
    it('answers the contract\'s shape, newest first, and one event by id', async () => {
      const { ids } = await givenVideos(1);
      const { requestId } = await deliver('success', { videoId: ids[0], youtubeVideoId: 'abc' });
      await eventsOfRequest(t, requestId);
      const response = await t.http().get('/api/webhook-events').query({ videoId: ids[0] }).set(admin).expect(200);
      expect(response.body).toEqual({
        success: true,
        data: {
          events: [expect.objectContaining({ _id: expect.any(String), endpoint: '/internal/videos/success', payload: { videoId: ids[0], youtubeVideoId: 'abc' }, createdAt: expect.any(String) })],
          pagination: { page: 1, limit: 20, total: 1, totalPages: 1 },
        },
      });
      const event = response.body.data.events[0];
      const one = await t.http().get(`/api/webhook-events/${event._id}`).set(admin).expect(200);
      expect(one.body).toEqual({ success: true, data: event });

      expect((await t.http().get(`/api/webhook-events/${new Types.ObjectId().toHexString()}`).set(admin).expect(404)).body)
        .toEqual({ success: false, message: 'Webhook event not found' });
      expect((await t.http().get('/api/webhook-events/not-an-id').set(admin).expect(400)).body.message).toBe('Invalid webhook event id format');
    });

    it('pages: the last page, a page past the end, limits 0 and 101 refused', async () => {
      const { ids } = await givenVideos(1);
      for (let i = 0; i < 5; i++) await deliver('failure', { videoId: ids[0], error: `attempt ${i}` });
      await eventually(async () => {
        await t.app.get(WebhookEventRecorder).flush();
        expect(await eventModel(t).countDocuments({ videoIds: ids[0] })).toBe(5);
      });
      const page = (query: Record<string, unknown>) => t.http().get('/api/webhook-events').query({ videoId: ids[0], ...query }).set(admin);
      const all = (await page({ limit: 5 }).expect(200)).body.data.events.map((e: { payload: { error: string } }) => e.payload.error);
      expect(all).toEqual(['attempt 4', 'attempt 3', 'attempt 2', 'attempt 1', 'attempt 0']);
      const last = (await page({ page: 3, limit: 2 }).expect(200)).body.data;
      expect(last.events.map((e: { payload: { error: string } }) => e.payload.error)).toEqual(['attempt 0']);
      expect(last.pagination).toEqual({ page: 3, limit: 2, total: 5, totalPages: 3 });
      const past = (await page({ page: 4, limit: 2 }).expect(200)).body.data;
      expect(past).toEqual({ events: [], pagination: { page: 4, limit: 2, total: 5, totalPages: 3 } });
      expect((await page({ limit: 0 }).expect(400)).body.message).toBe('limit must not be less than 1');
      expect((await page({ limit: 101 }).expect(400)).body.message).toBe('limit must not be greater than 100');
      await page({ limit: 100 }).expect(200);
    });

    it('filters by endpoint (full and the short form), videoId, source, status, eventType, from / to', async () => {
      const { ids } = await givenVideos(2);
      const start = new Date();
      await deliver('success', { videoId: ids[0] });
      await deliver('failure', { videoId: ids[1], error: 'boom' });
      await deliver('success', { videoId: ids[1] });
      const bad = JSON.stringify({ videoId: ids[1] });
      await deliver('failure', bad, { ...rckHeaders(bad), 'webhook-signature': 'v1,AAAA' });
      await eventually(async () => {
        await t.app.get(WebhookEventRecorder).flush();
        expect(await eventModel(t).countDocuments({ videoIds: { $in: ids } })).toBe(4);
      });
      const list = async (query: Record<string, unknown>) => {
        const response = await t.http().get('/api/webhook-events').query({ from: start.toISOString(), limit: 100, ...query }).set(admin).expect(200);
        // The event's videoId: a refused delivery keeps its body as text only.
        return (response.body.data.events as Array<{ endpoint: string; status: string; videoId: string }>)
          .filter((e) => ids.includes(e.videoId))
          .map((e) => `${e.endpoint} ${e.status} ${e.videoId === ids[0] ? 0 : 1}`);
      };
      expect(await list({ endpoint: '/videos/success' })).toEqual(['/internal/videos/success accepted 1', '/internal/videos/success accepted 0']);
      expect(await list({ endpoint: '/internal/videos/success' })).toEqual(await list({ endpoint: '/videos/success' }));
      expect(await list({ endpoint: '/videos/failure' })).toEqual(['/internal/videos/failure rejected 1', '/internal/videos/failure accepted 1']);
      expect(await list({ videoId: ids[1] })).toHaveLength(3);
      expect(await list({ source: 'rck' })).toHaveLength(4);
      expect(await list({ source: 'heygen' })).toEqual([]);
      expect(await list({ status: 'rejected' })).toEqual(['/internal/videos/failure rejected 1']);
      expect(await list({ eventType: 'failure' })).toHaveLength(2);
      expect(await list({ from: new Date(start.getTime() - 60_000).toISOString(), to: start.toISOString() })).toEqual([]);
      expect((await t.http().get('/api/webhook-events').query({ from: start.toISOString(), to: start.toISOString() }).set(admin).expect(400)).body.message).toBe('from must be before to');
      expect(await list({ from: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
      expect((await t.http().get('/api/webhook-events').query({ status: 'lost' }).set(admin).expect(400)).body.message)
        .toBe('status must be one of accepted, duplicate, conflict, ignored, held, released, rejected, failed');
      expect((await t.http().get('/api/webhook-events').query({ from: 'yesterday' }).set(admin).expect(400)).body.message).toBe('from must be a date (ISO 8601)');
      expect((await t.http().get('/api/webhook-events').query({ foo: 1 }).set(admin).expect(400)).body.message).toBe('property foo should not exist');
    });

    it('is for superadmins only: 401 without a token, 403 for any other role', async () => {
      await t.http().get('/api/webhook-events').expect(401);
      const id = new Types.ObjectId().toHexString();
      for (const role of [Role.User, Role.Producer]) {
        const { token } = await t.given.loggedIn({ role });
        const auth = { Authorization: `Bearer ${token}` };
        await t.http().get('/api/webhook-events').set(auth).expect(403);
        await t.http().get(`/api/webhook-events/${id}`).set(auth).expect(403);
        await t.http().get('/api/webhook-events/stats').set(auth).expect(403);
        await t.http().post(`/api/webhook-events/${id}/replay`).set(auth).expect(403);
        await t.http().post('/api/webhook-events/replay').set(auth).send({}).expect(403);
      }
      await t.http().get('/api/webhook-events/stats').expect(401);
      await t.http().post(`/api/webhook-events/${id}/replay`).expect(401);
    });
  });
});
