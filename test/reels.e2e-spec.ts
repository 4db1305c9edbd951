import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { eventually } from './utils/eventually.js';
import { reelBody, bearer, reelsHarness } from './utils/reels-harness.js';
import { JobRunner } from '../src/jobs/job-runner.js';

describe('HeyGen reels (e2e)', () => {
  const h = reelsHarness();
  describe('the reel flow (docs/contracts/heygen.md#the-flow)', () => {
    it('request → approve → HeyGen generates → webhook completes → e-mail → download', async () => {
      const { owner, producer, reelId, created } = await h.givenRequestedReel({ aspect_ratio: '16:9' });
      expect(created).toEqual({
        success: true,
        message: 'Reel requested',
        data: expect.objectContaining({ id: reelId, _id: reelId, status: 'requested', userId: owner.user.id, aspect_ratio: '16:9', dimension: { width: 1280, height: 720 }, generateAttempts: 0 }),
      });

      const approved = await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      expect(approved.body.message).toBe('Reel approved; HeyGen is generating it');
      expect(approved.body.data).toEqual(expect.objectContaining({ status: 'approved', approvedBy: producer.user.id, approvedAt: expect.any(String) }));

      const processing = await eventually(async () => {
        const reel = (await h.reels().findById(reelId))!;
        expect(reel.status).toBe('processing');
        return reel;
      });
      expect(h.heygen.generated).toHaveLength(1);
      const call = h.heygen.generated[0];
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

      const delivered = await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: processing.heygenVideoId, url: 'https://resource.heygen.example/v.mp4', callback_id: reelId } }).expect(200);
      expect(delivered.body).toEqual({
        success: true,
        message: 'Reel updated',
        data: { event_type: 'avatar_video.success', outcome: 'accepted', video_id: processing.heygenVideoId, reel_id: reelId, status: 'completed' },
      });

      const mail = await eventually(() => {
        expect(h.smtp.messages).toHaveLength(1);
        return h.smtp.messages[0];
      });
      expect(mail.to).toEqual([owner.user.email]);
      expect(mail.from).toBe('reels@videogen.example.com');
      expect(mail.subject).toBe('Your reel "Summer teaser" is ready');
      expect(mail.text).toContain(`https://app.videogen.example.com/reels/${reelId}`);
      await eventually(async () => expect((await h.reels().findById(reelId))!.notifyPending).toBe(false));

      const redirect = await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(302);
      expect(redirect.headers.location).toBe('https://resource.heygen.example/v.mp4');
      const inEnvelope = await h.t.http().get(`/api/reels/${reelId}/download?redirect=false`).set(bearer(producer.token)).expect(200);
      expect(inEnvelope.body.data).toEqual({ url: 'https://resource.heygen.example/v.mp4', urlsFetchedAt: expect.any(String) });
      const admin = await h.t.given.loggedIn({ role: Role.SuperAdmin });
      await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(admin.token)).expect(302);
    });

    it('rejects with a reason (required); a rejected reel is never sent to HeyGen', async () => {
      const { producer, reelId } = await h.givenRequestedReel();
      expect((await h.t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({}).expect(400)).body.message).toBe('reason is required');
      expect((await h.t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({ reason: '   ' }).expect(400)).body.message).toBe('reason is required');
      const rejected = await h.t.http().post(`/api/reels/${reelId}/reject`).set(bearer(producer.token)).send({ reason: 'Names a competitor' }).expect(200);
      expect(rejected.body.data).toEqual(expect.objectContaining({ status: 'rejected', rejectionReason: 'Names a competitor', rejectedBy: producer.user.id, rejectedAt: expect.any(String) }));
      expect((await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(409)).body.message)
        .toBe('Reel is rejected; only a requested reel can be approved');
      await h.t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
      expect(h.heygen.generated).toHaveLength(0);
    });

    it('validates the request: script under 5,000 characters, known aspect ratio, required fields', async () => {
      const { token } = await h.t.given.loggedIn();
      const post = (body: object) => h.t.http().post('/api/reels').set(bearer(token)).send(body);
      expect((await post({ ...reelBody, script: 'x'.repeat(5000) }).expect(400)).body.message).toBe('script must be under 5,000 characters');
      await post({ ...reelBody, script: 'x'.repeat(4999) }).expect(201);
      expect((await post({ ...reelBody, aspect_ratio: '4:3' }).expect(400)).body.message).toBe('aspect_ratio must be one of 9:16, 16:9, 1:1');
      expect((await post({ title: 'x', script: 'y', voiceId: 'v' }).expect(400)).body.message).toBe('avatarId is required');
      expect((await post({ ...reelBody, extra: 1 }).expect(400)).body.message).toBe('property extra should not exist');
    });
  });

  describe('roles and workspaces', () => {
    it('lets only a producer of the workspace or a superadmin approve; users 403, other workspaces 404', async () => {
      const { owner, reelId } = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(owner.token)).expect(403);
      await h.t.http().post(`/api/reels/${reelId}/reject`).set(bearer(owner.token)).send({ reason: 'x' }).expect(403);
      const outsider = await h.t.given.loggedIn({ role: Role.Producer });
      expect((await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(outsider.token)).expect(404)).body.message).toBe('Reel not found');
      await h.t.http().post(`/api/reels/${reelId}/reject`).set(bearer(outsider.token)).send({ reason: 'x' }).expect(404);
      await h.t.http().get(`/api/reels/${reelId}`).set(bearer(outsider.token)).expect(404);
      const admin = await h.t.given.loggedIn({ role: Role.SuperAdmin });
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(admin.token)).expect(200);
      await h.t.http().post(`/api/reels/${new Types.ObjectId().toHexString()}/approve`).set(bearer(admin.token)).expect(404);
      expect((await h.t.http().get('/api/reels/not-an-id').set(bearer(admin.token)).expect(400)).body.message).toBe('Invalid reelId format');
    });

    it('lists a user\'s own reels, a producer\'s whole workspace, newest first, by status and page', async () => {
      const { workspace, owner, producer, reelId: first } = await h.givenRequestedReel();
      const second = (await h.t.http().post('/api/reels').set(bearer(owner.token)).send({ ...reelBody, title: 'Second' }).expect(201)).body.data._id;
      const colleague = await h.t.given.loggedIn({ workspaceId: workspace.id });
      const third = (await h.t.http().post('/api/reels').set(bearer(colleague.token)).send({ ...reelBody, title: 'Third' }).expect(201)).body.data._id;
      await h.t.http().post(`/api/reels/${first}/reject`).set(bearer(producer.token)).send({ reason: 'no' }).expect(200);

      const ids = (response: { body: { data: { reels: Array<{ _id: string }> } } }) => response.body.data.reels.map((reel) => reel._id);
      expect(ids(await h.t.http().get('/api/reels').set(bearer(owner.token)).expect(200))).toEqual([second, first]);
      expect(ids(await h.t.http().get('/api/reels').set(bearer(colleague.token)).expect(200))).toEqual([third]);
      await h.t.http().get(`/api/reels/${first}`).set(bearer(colleague.token)).expect(404);
      await h.t.http().get(`/api/reels/${first}`).set(bearer(owner.token)).expect(200);
      const all = await h.t.http().get('/api/reels?limit=2').set(bearer(producer.token)).expect(200);
      expect(ids(all)).toEqual([third, second]);
      expect(all.body.data.pagination).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2 });
      expect(ids(await h.t.http().get('/api/reels?status=rejected').set(bearer(producer.token)).expect(200))).toEqual([first]);
      expect((await h.t.http().get('/api/reels?status=done').set(bearer(producer.token)).expect(400)).body.message).toMatch(/^status must be one of/);

      const admin = await h.t.given.loggedIn({ role: Role.SuperAdmin });
      expect((await h.t.http().get('/api/reels').set(bearer(admin.token)).expect(400)).body.message).toBe('workspaceId is required');
      expect(ids(await h.t.http().get(`/api/reels?workspaceId=${workspace.id}`).set(bearer(admin.token)).expect(200))).toEqual([third, second, first]);
      await h.t.http().get(`/api/reels?workspaceId=${new Types.ObjectId().toHexString()}`).set(bearer(producer.token)).expect(403);
    });
  });

});
