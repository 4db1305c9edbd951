import { describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { ReelGenerationService } from '../src/reels/reel-generation.service.js';
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

  describe('download only ever hands out an http(s) URL', () => {
    /** A completed reel whose stored URLs are then overwritten, as data stored before HeyGen's URLs were checked. */
    async function givenCompletedReelStoring(urls: { videoUrl: string; thumbnailUrl?: string }) {
      const given = await h.givenProcessingReel();
      h.heygen.finish(given.videoId, { status: 'completed' });
      await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: given.videoId, url: 'https://resource.heygen.example/x.mp4' } }).expect(200);
      await h.t.connection.collection('reels').updateOne({ _id: new Types.ObjectId(given.reelId) }, { $set: urls });
      return given;
    }
    const download = (reelId: string, token: string, query = '') => h.t.http().get(`/api/reels/${reelId}/download${query}`).set(bearer(token));

    it('refreshes a stored URL that is not http(s) from HeyGen, and never shows it', async () => {
      const { owner, reelId, videoId } = await givenCompletedReelStoring({ videoUrl: 'javascript:alert(document.domain)', thumbnailUrl: 'javascript:alert(1)' });
      const shown = (await h.t.http().get(`/api/reels/${reelId}`).set(bearer(owner.token)).expect(200)).body.data;
      expect(shown.videoUrl).toBeUndefined();
      expect(shown.thumbnailUrl).toBeUndefined();

      const redirect = await download(reelId, owner.token).expect(302);
      expect(redirect.headers.location).toMatch(new RegExp(`^https://resource.heygen.example/video/${videoId}.mp4\\?Expires=v\\d+$`));
      expect((await h.reels().findById(reelId))!.videoUrl).toBe(redirect.headers.location);
    });

    it('answers 502 in the envelope, with no Location, when neither the stored URL nor HeyGen\'s is usable', async () => {
      const { owner, reelId, videoId } = await givenCompletedReelStoring({ videoUrl: 'https://resource.heygen.example/a.mp4\r\nSet-Cookie: session=x' });
      // HeyGen's fresh URL is no better: refused, and not stored.
      h.heygen.videos.get(videoId)!.fixedUrls = { video_url: 'javascript:alert(1)' };
      for (const query of ['', '?redirect=false']) {
        const response = await download(reelId, owner.token, query).expect(502);
        expect(response.body).toEqual({ success: false, message: 'HeyGen gave no usable video link for this reel (not an http(s) URL); try again later' });
        expect(response.headers.location).toBeUndefined();
      }
      expect((await h.reels().findById(reelId))!.videoUrl).toBe('https://resource.heygen.example/a.mp4\r\nSet-Cookie: session=x');
      // HeyGen unable to answer at all.
      h.heygen.videos.delete(videoId);
      const response = await download(reelId, owner.token).expect(502);
      expect(response.body).toEqual({ success: false, message: 'The stored video link is not an http(s) URL, and HeyGen could not give a fresh one; try again later' });
      expect(response.headers.location).toBeUndefined();
    });

    it('redirects to a stored non-ASCII URL as the URL parser writes it, so the header can be sent', async () => {
      const { owner, reelId } = await givenCompletedReelStoring({ videoUrl: 'https://resource.heygen.example/vídeos/日本.mp4' });
      expect((await download(reelId, owner.token).expect(302)).headers.location).toBe('https://resource.heygen.example/v%C3%ADdeos/%E6%97%A5%E6%9C%AC.mp4');
    });
  });

  describe('reconciliation', () => {
    it('completes a reel whose success carried an unusable URL from HeyGen\'s status API; fails one whose status API has none either', async () => {
      const refusedEvent = await h.givenProcessingReel();
      const badEverywhere = await h.givenProcessingReel();
      const badThumbnail = await h.givenProcessingReel();
      h.heygen.finish(refusedEvent.videoId, { status: 'completed' });
      h.heygen.finish(badEverywhere.videoId, { status: 'completed', fixedUrls: { video_url: 'javascript:alert(1)', thumbnail_url: 'https://resource.heygen.example/t.jpg' } });
      h.heygen.finish(badThumbnail.videoId, { status: 'completed', fixedUrls: { video_url: 'https://resource.heygen.example/ok.mp4', thumbnail_url: 'javascript:alert(1)' } });
      await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: refusedEvent.videoId, url: 'javascript:alert(1)' } }).expect(400);
      expect((await h.reels().findById(refusedEvent.reelId))!).toEqual(expect.objectContaining({ status: 'processing', lastEventError: "HeyGen's success was not applied: event_data.url must be an http(s) URL" }));

      h.clock.advance(31 * 60_000);
      const completed = await eventually(async () => {
        const current = (await h.reels().findById(refusedEvent.reelId))!;
        expect(current.status).toBe('completed');
        return current;
      });
      expect(completed.videoUrl).toMatch(new RegExp(`^https://resource.heygen.example/video/${refusedEvent.videoId}.mp4`));
      expect(completed.lastEventError).toBeUndefined();
      const failed = await eventually(async () => {
        const current = (await h.reels().findById(badEverywhere.reelId))!;
        expect(current.status).toBe('failed');
        return current;
      });
      expect(failed.error).toBe('HeyGen reported the video completed, but the video URL must be an http(s) URL');
      expect(failed.videoUrl).toBeUndefined();
      // A thumbnail that is no URL is left out of a video that can be watched.
      await eventually(async () => expect((await h.reels().findById(badThumbnail.reelId))!).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://resource.heygen.example/ok.mp4', thumbnailUrl: undefined })));
      const mail = await eventually(() => h.smtp.to(badEverywhere.owner.user.email));
      expect(mail.subject).toBe('Your reel "Summer teaser" could not be generated');
    });

    it('completes a reel whose webhook was lost, from HeyGen\'s status API, and e-mails its owner', async () => {
      const { owner, reelId, videoId } = await h.givenProcessingReel();
      h.heygen.finish(videoId, { status: 'completed' });
      // Not yet HEYGEN_RECONCILE_AFTER_MINUTES old: left alone.
      h.clock.advance(29 * 60_000);
      // A reconciliation pass that starts now does not ask HeyGen about it.
      await h.t.app.get(ReelGenerationService).reconcile();
      expect(h.heygen.requests.filter((r) => r.path === '/v1/video_status.get' && r.query.get('video_id') === videoId)).toEqual([]);
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
