import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/auth/role.enum.js';
import { Clock } from '../src/common/clock.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/webhooks/signature-verifiers.js';
import { eventually } from './utils/eventually.js';
import { FakeClock, FakeHeygen } from './utils/fake-heygen.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';

const DAY = 24 * 3600_000;

describe('HeyGen reels (e2e)', () => {
  let t: TestApp;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  const clock = new FakeClock();

  beforeAll(async () => {
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({ env: reelsTestEnv(heygen, smtp), overrides: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await t.close();
    await heygen.stop();
    await smtp.stop();
  });
  beforeEach(() => {
    heygen.reset();
    smtp.reset();
    clock.reset();
  });

  const reels = () => t.app.get(ReelRepository);
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const reelBody = { title: 'Summer teaser', script: 'Hi! Meet our summer collection.', avatarId: 'Daisy-inskirt-20220818', voiceId: 'voice_123' };

  /** A workspace with a user and a producer, and a reel the user requested. */
  async function givenRequestedReel(overrides: Record<string, unknown> = {}) {
    const workspace = await t.given.workspace();
    const owner = await t.given.loggedIn({ workspaceId: workspace.id });
    const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const created = await t.http().post('/api/reels').set(bearer(owner.token)).send({ ...reelBody, ...overrides }).expect(201);
    return { workspace, owner, producer, reelId: created.body.data._id as string, created: created.body };
  }

  async function givenProcessingReel() {
    const given = await givenRequestedReel();
    await t.http().post(`/api/reels/${given.reelId}/approve`).set(bearer(given.producer.token)).expect(200);
    const reel = await eventually(async () => {
      const current = (await reels().findById(given.reelId))!;
      expect(current.status).toBe('processing');
      return current;
    });
    return { ...given, videoId: reel.heygenVideoId! };
  }

  function webhook(body: object) {
    const raw = JSON.stringify(body);
    return t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw);
  }

  describe('the seed\'s flow', () => {
    it('request → approve → HeyGen generates → webhook completes → e-mail → download', async () => {
      const { owner, producer, reelId, created } = await givenRequestedReel({ aspect_ratio: '16:9' });
      expect(created).toEqual({
        success: true,
        message: 'Reel requested',
        data: expect.objectContaining({ _id: reelId, status: 'requested', userId: owner.user.id, aspect_ratio: '16:9', dimension: { width: 1280, height: 720 }, generateAttempts: 0 }),
      });

      const approved = await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      expect(approved.body.message).toBe('Reel approved; HeyGen is generating it');
      expect(approved.body.data).toEqual(expect.objectContaining({ status: 'approved', approvedBy: producer.user.id, approvedAt: expect.any(String) }));

      const processing = await eventually(async () => {
        const reel = (await reels().findById(reelId))!;
        expect(reel.status).toBe('processing');
        return reel;
      });
      expect(heygen.generated).toHaveLength(1);
      const call = heygen.generated[0];
      expect(call.headers['x-api-key']).toBe('test-heygen-api-key-0123456789');
      expect(call.body).toEqual({
        title: 'Summer teaser',
        callback_id: reelId,
        dimension: { width: 1280, height: 720 },
        video_inputs: [{
          character: { type: 'avatar', avatar_id: 'Daisy-inskirt-20220818', avatar_style: 'normal' },
          voice: { type: 'text', input_text: 'Hi! Meet our summer collection.', voice_id: 'voice_123' },
        }],
      });
      expect(processing.heygenVideoId).toMatch(/^vid_/);
      expect(processing.generateAttempts).toBe(1);

      const delivered = await webhook({ event_type: 'avatar_video.success', event_data: { video_id: processing.heygenVideoId, url: 'https://resource.heygen.example/v.mp4', callback_id: reelId } }).expect(200);
      expect(delivered.body).toEqual({
        success: true,
        message: 'Reel updated',
        data: { event_type: 'avatar_video.success', outcome: 'accepted', video_id: processing.heygenVideoId, reel_id: reelId, status: 'completed' },
      });

      const mail = await eventually(() => {
        expect(smtp.messages).toHaveLength(1);
        return smtp.messages[0];
      });
      expect(mail.to).toEqual([owner.user.email]);
      expect(mail.from).toBe('reels@videogen.example.com');
      expect(mail.subject).toBe('Your reel "Summer teaser" is ready');
      expect(mail.text).toContain(`https://videogen.example.com/api/reels/${reelId}/download`);
      await eventually(async () => expect((await reels().findById(reelId))!.notifyPending).toBe(false));

      const redirect = await t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(302);
      expect(redirect.headers.location).toBe('https://resource.heygen.example/v.mp4');
      const inEnvelope = await t.http().get(`/api/reels/${reelId}/download?redirect=false`).set(bearer(producer.token)).expect(200);
      expect(inEnvelope.body.data).toEqual({ url: 'https://resource.heygen.example/v.mp4', urlsFetchedAt: expect.any(String) });
      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      await t.http().get(`/api/reels/${reelId}/download`).set(bearer(admin.token)).expect(302);
    });

    it('rejects with a reason (required); a rejected reel is never sent to HeyGen', async () => {
      const { producer, reelId } = await givenRequestedReel();
      expect((await t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({}).expect(400)).body.message).toBe('reason is required');
      expect((await t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({ reason: '   ' }).expect(400)).body.message).toBe('reason is required');
      const rejected = await t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({ reason: 'Names a competitor' }).expect(200);
      expect(rejected.body.data).toEqual(expect.objectContaining({ status: 'rejected', rejectionReason: 'Names a competitor', rejectedBy: producer.user.id, rejectedAt: expect.any(String) }));
      expect((await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(409)).body.message)
        .toBe('Reel is rejected; only a requested reel can be approved');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(heygen.generated).toHaveLength(0);
    });

    it('validates the request: script under 5,000 characters, known aspect ratio, required fields', async () => {
      const { token } = await t.given.loggedIn();
      const post = (body: object) => t.http().post('/api/reels').set(bearer(token)).send(body);
      expect((await post({ ...reelBody, script: 'x'.repeat(5000) }).expect(400)).body.message).toBe('script must be under 5,000 characters');
      await post({ ...reelBody, script: 'x'.repeat(4999) }).expect(201);
      expect((await post({ ...reelBody, aspect_ratio: '4:3' }).expect(400)).body.message).toBe('aspect_ratio must be one of 9:16, 16:9, 1:1');
      expect((await post({ title: 'x', script: 'y', voiceId: 'v' }).expect(400)).body.message).toBe('avatarId is required');
      expect((await post({ ...reelBody, extra: 1 }).expect(400)).body.message).toBe('property extra should not exist');
    });
  });

  describe('roles and workspaces', () => {
    it('lets only a producer of the workspace or a superadmin approve; users 403, other workspaces 404', async () => {
      const { owner, reelId } = await givenRequestedReel();
      await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(owner.token)).expect(403);
      await t.http().post(`/api/reels/${reelId}/reject`).set(bearer(owner.token)).send({ reason: 'x' }).expect(403);
      const outsider = await t.given.loggedIn({ role: Role.Producer });
      expect((await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(outsider.token)).expect(404)).body.message).toBe('Reel not found');
      await t.http().post(`/api/reels/${reelId}/reject`).set(bearer(outsider.token)).send({ reason: 'x' }).expect(404);
      await t.http().get(`/api/reels/${reelId}`).set(bearer(outsider.token)).expect(404);
      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(admin.token)).expect(200);
      await t.http().post(`/api/reels/${new Types.ObjectId().toHexString()}/approve`).set(bearer(admin.token)).expect(404);
      expect((await t.http().get('/api/reels/not-an-id').set(bearer(admin.token)).expect(400)).body.message).toBe('Invalid reelId format');
    });

    it('lists a user\'s own reels, a producer\'s whole workspace, newest first, by status and page', async () => {
      const { workspace, owner, producer, reelId: first } = await givenRequestedReel();
      const second = (await t.http().post('/api/reels').set(bearer(owner.token)).send({ ...reelBody, title: 'Second' }).expect(201)).body.data._id;
      const colleague = await t.given.loggedIn({ workspaceId: workspace.id });
      const third = (await t.http().post('/api/reels').set(bearer(colleague.token)).send({ ...reelBody, title: 'Third' }).expect(201)).body.data._id;
      await t.http().post(`/api/reels/${first}/reject`).set(bearer(producer.token)).send({ reason: 'no' }).expect(200);

      const ids = (response: { body: { data: { reels: Array<{ _id: string }> } } }) => response.body.data.reels.map((reel) => reel._id);
      expect(ids(await t.http().get('/api/reels').set(bearer(owner.token)).expect(200))).toEqual([second, first]);
      expect(ids(await t.http().get('/api/reels').set(bearer(colleague.token)).expect(200))).toEqual([third]);
      await t.http().get(`/api/reels/${first}`).set(bearer(colleague.token)).expect(404);
      await t.http().get(`/api/reels/${first}`).set(bearer(owner.token)).expect(200);
      const all = await t.http().get('/api/reels?limit=2').set(bearer(producer.token)).expect(200);
      expect(ids(all)).toEqual([third, second]);
      expect(all.body.data.pagination).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2 });
      expect(ids(await t.http().get('/api/reels?status=rejected').set(bearer(producer.token)).expect(200))).toEqual([first]);
      expect((await t.http().get('/api/reels?status=done').set(bearer(producer.token)).expect(400)).body.message).toMatch(/^status must be one of/);

      const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
      expect((await t.http().get('/api/reels').set(bearer(admin.token)).expect(400)).body.message).toBe('workspaceId is required');
      expect(ids(await t.http().get(`/api/reels?workspaceId=${workspace.id}`).set(bearer(admin.token)).expect(200))).toEqual([third, second, first]);
      await t.http().get(`/api/reels?workspaceId=${new Types.ObjectId().toHexString()}`).set(bearer(producer.token)).expect(403);
    });
  });

  describe('generation through the job runner', () => {
    it('creates one HeyGen video for a double click (concurrent approvals)', async () => {
      const { producer, reelId } = await givenRequestedReel();
      const responses = await Promise.all([1, 2, 3].map(() => t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token))));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(responses.filter((r) => r.body.message === 'Reel approved; HeyGen is generating it')).toHaveLength(1);
      await eventually(async () => expect((await reels().findById(reelId))!.status).toBe('processing'));
      await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heygen.generated).toHaveLength(1);
      expect(heygen.videos.size).toBeGreaterThan(0);
    });

    it('keeps the reel approved with the error visible while HeyGen is down, and retries until it answers', async () => {
      heygen.script.push({ status: 500 }, 'reset', 'hang');
      const { producer, owner, reelId } = await givenRequestedReel();
      await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const waiting = await eventually(async () => {
        const reel = (await t.http().get(`/api/reels/${reelId}`).set(bearer(owner.token)).expect(200)).body.data;
        expect(reel.lastGenerateError).toBeDefined();
        return reel;
      });
      expect(waiting.status).toBe('approved');
      expect(waiting.lastGenerateError).toMatch(/^HeyGen answered 500: boom|^HeyGen unreachable|^HeyGen did not answer in time/);
      const done = await eventually(async () => {
        const reel = (await reels().findById(reelId))!;
        expect(reel.status).toBe('processing');
        return reel;
      }, 10_000);
      expect(heygen.generated).toHaveLength(4);
      expect(done.generateAttempts).toBe(4);
      expect(done.lastGenerateError).toBeUndefined();
    });

    it('fails the reel (and tells its owner) after HEYGEN_GENERATE_MAX_ATTEMPTS refused calls', async () => {
      heygen.mode = { status: 503 };
      const { producer, owner, reelId } = await givenRequestedReel();
      await t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const failed = await eventually(async () => {
        const reel = (await reels().findById(reelId))!;
        expect(reel.status).toBe('failed');
        return reel;
      }, 10_000);
      expect(failed.error).toBe('HeyGen did not accept the video after 4 attempt(s): HeyGen answered 503: boom');
      expect(heygen.generated).toHaveLength(4);
      const mail = await eventually(() => smtp.to(owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" could not be generated');
      expect(mail.text).toContain('Reason: HeyGen did not accept the video after 4 attempt(s)');
    });
  });

  describe('download', () => {
    it('refreshes HeyGen\'s URL once it is 7 days old (a controllable clock), not before', async () => {
      const { owner, reelId, videoId } = await givenProcessingReel();
      heygen.finish(videoId, { status: 'completed' });
      await webhook({ event_type: 'video.completed', event_data: { video_id: videoId, status: 'completed', video_url: 'https://resource.heygen.example/first.mp4', thumbnail_url: 'https://resource.heygen.example/first.jpg' } }).expect(200);
      const get = () => t.http().get(`/api/reels/${reelId}/download?redirect=false`).set(bearer(owner.token)).expect(200);
      const statusCalls = () => heygen.requests.filter((r) => r.path === '/v1/video_status.get' && r.query.get('video_id') === videoId).length;

      expect((await get()).body.data.url).toBe('https://resource.heygen.example/first.mp4');
      clock.advance(6 * DAY);
      expect((await get()).body.data.url).toBe('https://resource.heygen.example/first.mp4');
      expect(statusCalls()).toBe(0);

      clock.advance(DAY);
      const refreshed = (await get()).body.data;
      expect(refreshed.url).toMatch(new RegExp(`^https://resource.heygen.example/video/${videoId}.mp4\\?Expires=v\\d+$`));
      expect(refreshed.thumbnailUrl).toMatch(/thumbnail/);
      expect(new Date(refreshed.urlsFetchedAt).getTime()).toBeGreaterThan(Date.now() + 7 * DAY - 60_000);
      expect(statusCalls()).toBe(1);
      // The fresh URL is kept: asking again does not call HeyGen.
      expect((await get()).body.data.url).toBe(refreshed.url);
      expect(statusCalls()).toBe(1);

      const redirect = await t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(302);
      expect(redirect.headers.location).toBe(refreshed.url);
    });

    it('answers 409 before completion, 404 to strangers, 502 when HeyGen cannot refresh', async () => {
      const { owner, reelId, videoId } = await givenProcessingReel();
      expect((await t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(409)).body.message)
        .toBe('Reel is processing; only a completed reel can be downloaded');
      const stranger = await t.given.loggedIn();
      await t.http().get(`/api/reels/${reelId}/download`).set(bearer(stranger.token)).expect(404);
      await webhook({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/x.mp4' } }).expect(200);
      heygen.videos.delete(videoId);
      clock.advance(8 * DAY);
      expect((await t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(502)).body.message)
        .toBe('Could not get a fresh video link from HeyGen; try again later');
    });
  });

  describe('reconciliation', () => {
    it('completes a reel whose webhook was lost, from HeyGen\'s status API, and e-mails its owner', async () => {
      const { owner, reelId, videoId } = await givenProcessingReel();
      heygen.finish(videoId, { status: 'completed' });
      // Not yet HEYGEN_RECONCILE_AFTER_MINUTES old: left alone.
      clock.advance(29 * 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await reels().findById(reelId))!.status).toBe('processing');

      clock.advance(2 * 60_000);
      const reel = await eventually(async () => {
        const current = (await reels().findById(reelId))!;
        expect(current.status).toBe('completed');
        return current;
      });
      expect(reel.videoUrl).toMatch(new RegExp(`/video/${videoId}.mp4`));
      const mail = await eventually(() => smtp.to(owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" is ready');
    });

    it('fails a reel HeyGen failed, and leaves one still rendering as it is', async () => {
      const failing = await givenProcessingReel();
      const rendering = await givenProcessingReel();
      heygen.finish(failing.videoId, { status: 'failed', error: 'Avatar not found' });
      clock.advance(31 * 60_000);
      await eventually(async () => expect((await reels().findById(failing.reelId))!).toEqual(expect.objectContaining({ status: 'failed', error: 'Avatar not found' })));
      await eventually(async () => expect((await reels().findById(rendering.reelId))!.lastCheckedAt).toBeDefined());
      expect((await reels().findById(rendering.reelId))!.status).toBe('processing');
    });
  });

  describe('e-mail', () => {
    it('retries a send the SMTP server refused, without failing the webhook', async () => {
      const { owner, videoId } = await givenProcessingReel();
      smtp.refuseNext = 2;
      await webhook({ event_type: 'avatar_video.fail', event_data: { video_id: videoId, msg: 'Voice not found' } }).expect(200);
      const mail = await eventually(() => smtp.to(owner.user.email));
      expect(mail.text).toContain('Reason: Voice not found');
      expect(smtp.refuseNext).toBe(0);
    });

    it('queues the e-mail a crash left unqueued (notifyPending) on the next reconciliation', async () => {
      const { owner, reelId } = await givenProcessingReel();
      await reels().complete(reelId, { videoUrl: 'https://resource.heygen.example/crash.mp4' }, new Date());
      await t.connection.collection('reels').updateOne({ _id: new Types.ObjectId(reelId) }, { $set: { updatedAt: new Date(Date.now() - 120_000) } });
      const mail = await eventually(() => smtp.to(owner.user.email));
      expect(mail.text).toContain('https://resource.heygen.example/crash.mp4');
      await eventually(async () => expect((await reels().findById(reelId))!.notifyPending).toBe(false));
    });
  });
});
