import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Controller, HttpCode, Post } from '@nestjs/common';
import { Role } from '../src/common/role.enum.js';
import { WebhookReceiver } from '../src/inbound-webhook-contract/webhook-receiver.decorator.js';
import { handled } from '../src/inbound-webhook-contract/webhook-handled.js';
import { RESPONSE_BODY_LIMIT } from '../src/inbound-webhook-events/delivery-facts.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { eventually } from './utils/eventually.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel, eventsOfRequest, newRequestId } from './utils/webhook-events.js';

/** A webhook route whose answer is longer than an event keeps. */
@Controller('api/webhook/test-long-answer')
@WebhookReceiver('heygen')
class LongAnswerWebhookController {
  @Post()
  @HttpCode(200)
  receive() {
    return handled({ outcome: 'accepted', response: { success: true, data: { note: 'é'.repeat(3000) } } });
  }
}

/**
 * What the dashboard's event explorer asks of the event log beyond the list (docs/contracts/webhook-events.md#listing-events): the HTTP code
 * and reel filters. Every test uses videos and reels of its own, so the answers are exact.
 */
describe('Webhook event explorer API (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  let admin: { Authorization: string };

  beforeAll(async () => {
    rck = await FakeRck.start();
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({
      env: { ...videosTestEnv(rck), ...reelsTestEnv(heygen, smtp), WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' },
      controllers: [LongAnswerWebhookController],
    });
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
    await heygen.stop();
    await smtp.stop();
  });

  function rckDelivery(kind: 'success' | 'failure', body: object, headers?: Record<string, string>) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).send(raw);
  }

  function heygenDelivery(body: object) {
    const raw = JSON.stringify(body);
    return t.http().post('/api/webhook/heygen')
      .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw);
  }

  /** A reel of a new workspace, moved straight to `processing` with HeyGen's video id. */
  async function givenReel() {
    const workspace = await t.given.workspace();
    const owner = await t.given.user({ workspaceId: workspace.id });
    const reels = t.app.get(ReelRepository);
    const reel = await reels.create({ userId: owner.id, workspaceId: workspace.id, title: 'Teaser', script: 'Hello', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16' });
    await reels.approve(reel.id, owner.id, new Date());
    const heygenVideoId = `hg_${reel.id}`;
    await reels.markProcessing(reel.id, heygenVideoId, new Date());
    return { workspaceId: workspace.id, reelId: reel.id, heygenVideoId };
  }

  /** Waits until `count` events about `ids` are stored (refusals are written in batches). */
  async function stored(ids: string[], count: number) {
    await eventually(async () => {
      await t.app.get(WebhookEventRecorder).flush();
      expect(await eventModel(t).countDocuments({ videoIds: { $in: ids } })).toBe(count);
    });
  }

  const list = (query: Record<string, unknown>) => t.http().get('/api/webhook-events').query({ limit: 100, ...query }).set(admin);

  describe('filters', () => {
    it('by the HTTP code we answered, alone or with a status', async () => {
      const { ids } = await t.given.videos(2);
      await rckDelivery('success', { videoId: ids[0] }).expect(200);
      await rckDelivery('failure', { videoId: ids[1], error: 'x'.repeat(3) }).expect(200);
      await rckDelivery('success', { videoId: '65abc123def456789012abcd' }).expect(404);
      await rckDelivery('failure', { videoId: ids[1] }, { ...rckHeaders('{}'), 'webhook-signature': 'v1,AAAA' }).expect(401);
      await stored(ids, 3);
      const codes = async (query: Record<string, unknown>) =>
        ((await list(query).expect(200)).body.data.events as Array<{ videoId?: string; httpStatus: number; status: string }>)
          .filter((e) => e.videoId && ids.includes(e.videoId))
          .map((e) => `${e.httpStatus} ${e.status} ${ids.indexOf(e.videoId!)}`);
      expect(await codes({ httpStatus: 200, videoId: ids[0] })).toEqual(['200 accepted 0']);
      const ofBoth = async (query: Record<string, unknown>) => [
        ...(await codes({ ...query, videoId: ids[0] })),
        ...(await codes({ ...query, videoId: ids[1] })),
      ];
      expect(await ofBoth({ httpStatus: 200 })).toEqual(['200 accepted 0', '200 accepted 1']);
      expect(await ofBoth({ httpStatus: 401 })).toEqual(['401 rejected 1']);
      expect(await ofBoth({ httpStatus: 401, status: 'rejected' })).toEqual(['401 rejected 1']);
      expect(await ofBoth({ httpStatus: 401, status: 'accepted' })).toEqual([]);
      expect(await ofBoth({ httpStatus: 503 })).toEqual([]);
      // The unknown video's refusal: found by its code among every delivery.
      const notFound = (await list({ httpStatus: 404 }).expect(200)).body.data.events as Array<{ videoId: string; status: string }>;
      expect(notFound.map((e) => `${e.videoId} ${e.status}`)).toContain('65abc123def456789012abcd rejected');
    });

    it('by reel: HeyGen\'s deliveries about it, by callback_id or by the reel its handler found', async () => {
      const one = await givenReel();
      const two = await givenReel();
      await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: one.heygenVideoId, url: 'https://cdn.example.com/1.mp4' } }).expect(200);
      await heygenDelivery({ event_type: 'avatar_video.fail', event_data: { video_id: 'hg_unknown', callback_id: one.reelId, msg: 'late' } }).expect(200);
      await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: two.heygenVideoId, url: 'https://cdn.example.com/2.mp4' } }).expect(200);
      await stored([one.reelId, two.reelId], 3);
      const ofReel = async (reelId: string, query: Record<string, unknown> = {}) =>
        ((await list({ reelId, ...query }).expect(200)).body.data.events as Array<{ eventType: string; status: string; recordId?: string; callbackId?: string }>)
          .map((e) => `${e.eventType} ${e.status}`);
      expect(await ofReel(one.reelId)).toEqual(['avatar_video.fail ignored', 'avatar_video.success accepted']);
      expect(await ofReel(two.reelId)).toEqual(['avatar_video.success accepted']);
      expect(await ofReel(one.reelId, { status: 'accepted' })).toEqual(['avatar_video.success accepted']);
      expect(await ofReel(one.reelId, { workspaceId: two.workspaceId })).toEqual([]);
      expect(await ofReel(one.reelId, { source: 'rck' })).toEqual([]);
    });

    it('refuses what is not a code or a reel id, in the list and in a bulk replay, with the field named', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ httpStatus: 'teapot' }, 'httpStatus must be an integer'],
        [{ httpStatus: '4.5' }, 'httpStatus must be an integer'],
        [{ httpStatus: 99 }, 'httpStatus must be an HTTP status code (100 to 599)'],
        [{ httpStatus: 600 }, 'httpStatus must be an HTTP status code (100 to 599)'],
        [{ reelId: 'nope' }, 'reelId must be a valid ObjectId'],
      ];
      for (const [query, message] of cases) {
        const response = await list(query).expect(400);
        expect(response.body).toEqual({ success: false, message, errors: [{ field: Object.keys(query)[0], messages: [message] }] });
        expect((await t.http().post('/api/webhook-events/replay').set(admin).send(query).expect(400)).body.message).toBe(message);
      }
    });
  });

  describe('our answer, stored with each event', () => {
    /** Sends one delivery tagged with a request id; answers the HTTP answer and the event the API shows for it. */
    async function answered(send: (requestId: string) => Promise<{ status: number; body: unknown }>) {
      const requestId = newRequestId();
      const response = await send(requestId);
      const [stored] = await eventsOfRequest(t, requestId);
      const event = (await t.http().get(`/api/webhook-events/${String(stored._id)}`).set(admin).expect(200)).body.data;
      return { response, event };
    }
    const rck = (kind: 'success' | 'failure', raw: string, headers: Record<string, string>) => (requestId: string) =>
      t.http().post(`/internal/videos/${kind}`).set(headers).set('x-request-id', requestId).send(raw);

    it('keeps the body we answered, whatever the delivery came to: accepted, duplicate, refused by the pipe, the handler or the guard, or by Fastify', async () => {
      const { ids } = await t.given.videos(1);
      const raw = JSON.stringify({ videoId: ids[0], youtubeVideoId: 'yt' });
      const headers = rckHeaders(raw);
      const cases = [
        ['accepted', rck('success', raw, headers), 200],
        ['duplicate', rck('success', raw, headers), 200],
        ['rejected', rck('failure', JSON.stringify({ videoId: 42 }), rckHeaders(JSON.stringify({ videoId: 42 }))), 400],
        ['rejected', rck('failure', JSON.stringify({ videoId: '65abc123def456789012abcd' }), rckHeaders(JSON.stringify({ videoId: '65abc123def456789012abcd' }))), 404],
        ['rejected', rck('failure', raw, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' }), 401],
        ['rejected', rck('failure', '{"videoId":', rckHeaders('{"videoId":')), 400],
      ] as const;
      const first = await answered(cases[0][1]);
      for (const [status, send, code] of cases) {
        const { response, event } = status === 'accepted' ? first : await answered(send);
        expect(response.status).toBe(code);
        expect(event).toEqual(expect.objectContaining({ status, httpStatus: code, responseBody: response.body }));
        expect(event.responseBodyTruncated).toBeUndefined();
      }
      // A repeat is answered as the first was, and says so in its event.
      expect((await answered(cases[1][1])).event.responseBody).toEqual(first.response.body);
      expect((first.response.body as { message: string }).message).toBe('Video status updated successfully');
    });

    it('keeps a replay\'s answer on the replay\'s event', async () => {
      const { ids } = await t.given.videos(1);
      const raw = JSON.stringify({ videoId: ids[0], error: 'Template not found' });
      const { event } = await answered(rck('failure', raw, { 'content-type': 'application/json', ...rckHeaders(raw) }));
      const replay = (await t.http().post(`/api/webhook-events/${event._id}/replay`).set(admin).expect(200)).body.data;
      expect(replay.event.responseBody).toEqual(replay.response);
      const stored = (await t.http().get(`/api/webhook-events/${replay.event._id}`).set(admin).expect(200)).body.data;
      expect(stored).toEqual(expect.objectContaining({ replayOf: event._id, status: 'duplicate', responseBody: replay.response }));
    });

    it('bounds it: an answer longer than the limit is kept as its text, cut, and says so', async () => {
      const { response, event } = await answered((requestId) =>
        t.http().post('/api/webhook/test-long-answer')
          .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, '{}'), 'x-request-id': requestId })
          .send('{}'));
      expect(response.status).toBe(200);
      const text = JSON.stringify(response.body);
      expect(text.length).toBeGreaterThan(RESPONSE_BODY_LIMIT);
      expect(event.responseBodyTruncated).toBe(true);
      expect(event.responseBody).toBe(text.slice(0, RESPONSE_BODY_LIMIT));
    });
  });
});
