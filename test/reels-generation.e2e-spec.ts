import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { eventually } from './utils/eventually.js';
import { bearer, reelsHarness } from './utils/reels-harness.js';
import { JobRunner } from '../src/jobs/job-runner.js';

describe('HeyGen reels: generation and e-mail through the job runner (e2e)', () => {
  const h = reelsHarness();
  describe('generation through the job runner', () => {
    it('creates one HeyGen video for a double click (concurrent approvals)', async () => {
      const { producer, reelId } = await h.givenRequestedReel();
      const responses = await Promise.all([1, 2, 3].map(() => h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token))));
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(responses.filter((r) => r.body.message === 'Reel approved; HeyGen is generating it')).toHaveLength(1);
      await eventually(async () => expect((await h.reels().findById(reelId))!.status).toBe('processing'));
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      await h.t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
      expect(h.heygen.generated).toHaveLength(1);
      expect(h.heygen.videos.size).toBeGreaterThan(0);
    });

    it('keeps the reel approved with the error visible while HeyGen is down, and retries until it answers', async () => {
      h.heygen.script.push({ status: 500 }, 'reset', 'hang');
      const { producer, owner, reelId } = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const waiting = await eventually(async () => {
        const reel = (await h.t.http().get(`/api/reels/${reelId}`).set(bearer(owner.token)).expect(200)).body.data;
        expect(reel.lastGenerateError).toBeDefined();
        return reel;
      });
      expect(waiting.status).toBe('approved');
      expect(waiting.lastGenerateError).toMatch(/^HeyGen answered 500: boom|^HeyGen unreachable|^HeyGen did not answer in time/);
      const done = await eventually(async () => {
        const reel = (await h.reels().findById(reelId))!;
        expect(reel.status).toBe('processing');
        return reel;
      }, 10_000);
      expect(h.heygen.generated).toHaveLength(4);
      expect(done.generateAttempts).toBe(4);
      expect(done.lastGenerateError).toBeUndefined();
    });

    it('takes the video an unanswered generate call created instead of making a second one', async () => {
      h.heygen.script.push('create-then-hang');
      const { producer, reelId } = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const made = await eventually(() => {
        const video = [...h.heygen.videos.values()].find((candidate) => candidate.callback_id === reelId);
        expect(video).toBeDefined();
        return video!;
      });
      // Meanwhile another video with the same title reaches HeyGen: newer in its list, another callback_id.
      const other = { video_id: 'vid_same_title', callback_id: new Types.ObjectId().toHexString(), video_title: made.video_title, created_at: made.created_at + 1, status: 'processing' as const };
      h.heygen.videos.set(other.video_id, other);
      const reel = await eventually(async () => {
        const current = (await h.reels().findById(reelId))!;
        expect(current.status).toBe('processing');
        return current;
      }, 15_000);
      expect(h.heygen.generated).toHaveLength(1);
      expect(reel.heygenVideoId).toBe(made.video_id);
      expect(reel.generateAttempts).toBe(1); // the call that timed out; taking its video is no call
      expect(reel.lastGenerateError).toBeUndefined();
      // It asked before sending again: the list, then the status of each same-titled candidate.
      expect(h.heygen.requests.filter((r) => r.path === '/v1/video.list').length).toBeGreaterThan(0);
      expect(h.heygen.requests.some((r) => r.path === '/v1/video_status.get' && r.query.get('video_id') === other.video_id)).toBe(true);
    });

    it('sends nothing more while HeyGen cannot say whether an unanswered call created the video', async () => {
      h.heygen.script.push('create-then-hang');
      h.heygen.listMode = { status: 500 };
      const { producer, owner, reelId } = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const waiting = await eventually(async () => {
        const current = (await h.t.http().get(`/api/reels/${reelId}`).set(bearer(owner.token)).expect(200)).body.data;
        expect(current.lastGenerateError).toMatch(/^Could not ask HeyGen whether an earlier attempt created the video: HeyGen answered 500/);
        return current;
      }, 15_000);
      expect(waiting.status).toBe('approved');
      expect(h.heygen.generated).toHaveLength(1);
      h.heygen.listMode = 'ok';
      const reel = await eventually(async () => {
        const current = (await h.reels().findById(reelId))!;
        expect(current.status).toBe('processing');
        return current;
      }, 15_000);
      expect(h.heygen.generated).toHaveLength(1);
      expect(reel.heygenVideoId).toBe([...h.heygen.videos.values()].find((video) => video.callback_id === reelId)!.video_id);
    });

    it('fails the reel (and tells its owner) after HEYGEN_GENERATE_MAX_ATTEMPTS refused calls', async () => {
      h.heygen.mode = { status: 503 };
      const { producer, owner, reelId } = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${reelId}/approve`).set(bearer(producer.token)).expect(200);
      const failed = await eventually(async () => {
        const reel = (await h.reels().findById(reelId))!;
        expect(reel.status).toBe('failed');
        return reel;
      }, 10_000);
      expect(failed.error).toBe('HeyGen did not accept the video after 4 attempt(s): HeyGen answered 503: boom');
      expect(h.heygen.generated).toHaveLength(4);
      const mail = await eventually(() => h.smtp.to(owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" could not be generated');
      expect(mail.text).toContain('Reason: HeyGen did not accept the video after 4 attempt(s)');
    });
  });


  describe('e-mail', () => {
    it('retries a send the SMTP server refused, without failing the webhook', async () => {
      const { owner, videoId } = await h.givenProcessingReel();
      h.smtp.refuseNext = 2;
      await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: videoId, msg: 'Voice not found' } }).expect(200);
      const mail = await eventually(() => h.smtp.to(owner.user.email));
      expect(mail.text).toContain('Reason: Voice not found');
      expect(h.smtp.refuseNext).toBe(0);
    });

    it('queues the e-mail a crash left unqueued (notifyPending) on the next reconciliation', async () => {
      const { owner, reelId } = await h.givenProcessingReel();
      await h.reels().complete(reelId, { videoUrl: 'https://resource.heygen.example/crash.mp4' }, new Date());
      await h.t.connection.collection('reels').updateOne({ _id: new Types.ObjectId(reelId) }, { $set: { updatedAt: new Date(Date.now() - 120_000) } });
      const mail = await eventually(() => h.smtp.to(owner.user.email));
      expect(mail.text).toContain('https://resource.heygen.example/crash.mp4');
      await eventually(async () => expect((await h.reels().findById(reelId))!.notifyPending).toBe(false));
    });
  });
});
