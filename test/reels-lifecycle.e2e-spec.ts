import { describe, it } from 'node:test';
import { expect } from 'expect';
import { eventually } from './utils/eventually.js';
import { bearer, reelsHarness } from './utils/reels-harness.js';

const DAY = 24 * 3600_000;

describe('HeyGen reels: download and reconciliation (e2e)', () => {
  const h = reelsHarness();
  describe('download', () => {
    it('refreshes HeyGen\'s URL once it is 7 days old (a controllable clock), not before', async () => {
      const { owner, reelId, videoId } = await h.givenProcessingReel();
      h.heygen.finish(videoId, { status: 'completed' });
      await h.webhook({ event_type: 'video.completed', event_data: { video_id: videoId, status: 'completed', video_url: 'https://resource.heygen.example/first.mp4', thumbnail_url: 'https://resource.heygen.example/first.jpg' } }).expect(200);
      const get = () => h.t.http().get(`/api/reels/${reelId}/download?redirect=false`).set(bearer(owner.token)).expect(200);
      const statusCalls = () => h.heygen.requests.filter((r) => r.path === '/v1/video_status.get' && r.query.get('video_id') === videoId).length;

      expect((await get()).body.data.url).toBe('https://resource.heygen.example/first.mp4');
      h.clock.advance(6 * DAY);
      expect((await get()).body.data.url).toBe('https://resource.heygen.example/first.mp4');
      expect(statusCalls()).toBe(0);

      h.clock.advance(DAY);
      const refreshed = (await get()).body.data;
      expect(refreshed.url).toMatch(new RegExp(`^https://resource.heygen.example/video/${videoId}.mp4\\?Expires=v\\d+$`));
      expect(refreshed.thumbnailUrl).toMatch(/thumbnail/);
      expect(new Date(refreshed.urlsFetchedAt).getTime()).toBeGreaterThan(Date.now() + 7 * DAY - 60_000);
      expect(statusCalls()).toBe(1);
      // The fresh URL is kept: asking again does not call HeyGen.
      expect((await get()).body.data.url).toBe(refreshed.url);
      expect(statusCalls()).toBe(1);

      const redirect = await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(302);
      expect(redirect.headers.location).toBe(refreshed.url);
    });

    it('answers 409 before completion, 404 to strangers, 502 when HeyGen cannot refresh', async () => {
      const { owner, reelId, videoId } = await h.givenProcessingReel();
      expect((await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(409)).body.message)
        .toBe('Reel is processing; only a completed reel can be downloaded');
      const stranger = await h.t.given.loggedIn();
      await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(stranger.token)).expect(404);
      await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/x.mp4' } }).expect(200);
      h.heygen.videos.delete(videoId);
      h.clock.advance(8 * DAY);
      expect((await h.t.http().get(`/api/reels/${reelId}/download`).set(bearer(owner.token)).expect(502)).body.message)
        .toBe('Could not get a fresh video link from HeyGen; try again later');
    });
  });

  describe('reconciliation', () => {
    it('completes a reel whose webhook was lost, from HeyGen\'s status API, and e-mails its owner', async () => {
      const { owner, reelId, videoId } = await h.givenProcessingReel();
      h.heygen.finish(videoId, { status: 'completed' });
      // Not yet HEYGEN_RECONCILE_AFTER_MINUTES old: left alone.
      h.clock.advance(29 * 60_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await h.reels().findById(reelId))!.status).toBe('processing');

      h.clock.advance(2 * 60_000);
      const reel = await eventually(async () => {
        const current = (await h.reels().findById(reelId))!;
        expect(current.status).toBe('completed');
        return current;
      });
      expect(reel.videoUrl).toMatch(new RegExp(`/video/${videoId}.mp4`));
      const mail = await eventually(() => h.smtp.to(owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" is ready');
    });

    it('fails a reel HeyGen failed, and leaves one still rendering as it is', async () => {
      const failing = await h.givenProcessingReel();
      const rendering = await h.givenProcessingReel();
      h.heygen.finish(failing.videoId, { status: 'failed', error: 'Avatar not found' });
      h.clock.advance(31 * 60_000);
      await eventually(async () => expect((await h.reels().findById(failing.reelId))!).toEqual(expect.objectContaining({ status: 'failed', error: 'Avatar not found' })));
      await eventually(async () => expect((await h.reels().findById(rendering.reelId))!.lastCheckedAt).toBeDefined());
      expect((await h.reels().findById(rendering.reelId))!.status).toBe('processing');
    });

    it('fails a reel HeyGen still reports as rendering after HEYGEN_MAX_PROCESSING_HOURS, and a late success still wins', async () => {
      const { owner, reelId, videoId } = await h.givenProcessingReel();
      h.clock.advance(23 * 3600_000);
      await eventually(async () => expect((await h.reels().findById(reelId))!.lastCheckedAt).toBeDefined());
      expect((await h.reels().findById(reelId))!.status).toBe('processing');

      h.clock.advance(2 * 3600_000);
      const failed = await eventually(async () => {
        const current = (await h.reels().findById(reelId))!;
        expect(current.status).toBe('failed');
        return current;
      });
      expect(failed.error).toBe('HeyGen still reported the video as processing after 24 hour(s)');
      const mail = await eventually(() => h.smtp.to(owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" could not be generated');

      h.heygen.finish(videoId, { status: 'completed' });
      await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/late.mp4', callback_id: reelId } }).expect(200);
      expect((await h.reels().findById(reelId))!.status).toBe('completed');
    });
  });

});
