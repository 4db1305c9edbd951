import { describe, it } from 'node:test';
import { expect } from 'expect';
import { HeygenApiError } from '../../src/reels/heygen.client.js';
import type { ReelRecord } from '../../src/reels/reel.repository.js';
import { givenReel } from './fakes.js';
import { newReelGenerationService, NOW } from './kit.js';

/**
 * Unit tier: the reels' generate call and the reconciliation that asks HeyGen about reels whose
 * webhook never came (ReelGenerationService), over the real ReelEventsService, with the
 * repository, HeyGen's API and the clock faked. End to end: reels-generation.e2e-spec.ts.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const URLS = { videoUrl: 'https://resource.heygen.ai/video/abc.mp4', thumbnailUrl: 'https://resource.heygen.ai/thumb/abc.jpg' };

function given(reel: Partial<ReelRecord> = {}) {
  const kit = newReelGenerationService({ env: { HEYGEN_RECONCILE_AFTER_MINUTES: '30', HEYGEN_MAX_PROCESSING_HOURS: '24', HEYGEN_GENERATE_MAX_ATTEMPTS: '3' } });
  const stored = kit.reels.put(givenReel(reel));
  kit.users.given(stored.userId);
  return { ...kit, reel: stored };
}

/** A reel processing for `minutes`, as HeyGen's webhook never told us otherwise. */
const processingFor = (minutes: number): Partial<ReelRecord> => ({ status: 'processing', processingAt: new Date(NOW.getTime() - minutes * MINUTE), heygenVideoId: 'hg-1' });

describe('ReelGenerationService.reconcile (unit)', () => {
  it('asks about reels processing longer than HEYGEN_RECONCILE_AFTER_MINUTES, at most 100 a run', async () => {
    const { service, reels } = given(processingFor(31));
    await service.reconcile();
    expect(reels.staleQueries).toEqual([{ cutoff: new Date(NOW.getTime() - 30 * MINUTE), limit: 100 }]);
  });

  it('HeyGen says completed: the reel completes as by its webhook, notices and all', async () => {
    const { service, reels, heygen, outbound, reel } = given(processingFor(31));
    heygen.statuses.set('hg-1', { status: 'completed', ...URLS });

    expect(await service.reconcile()).toEqual({ checked: 1, completed: 1, failed: 0 });

    expect(reels.get(reel.id)).toMatchObject({ status: 'completed', ...URLS, completedAt: NOW });
    expect(outbound.published.map((message) => message.eventType)).toEqual(['reel.completed']);
  });

  it('completed with an unusable thumbnail: completed without it, rather than failing a video that can be watched', async () => {
    const { service, reels, heygen, reel } = given(processingFor(31));
    heygen.statuses.set('hg-1', { status: 'completed', videoUrl: URLS.videoUrl, thumbnailUrl: 'javascript:alert(1)' });

    await service.reconcile();

    expect(reels.get(reel.id)).toMatchObject({ status: 'completed', videoUrl: URLS.videoUrl });
    expect(reels.get(reel.id).thumbnailUrl).toBeUndefined();
  });

  it('completed with an unusable video URL: the reel fails (asking again would give the same), saying why', async () => {
    const { service, reels, heygen, reel } = given(processingFor(31));
    heygen.statuses.set('hg-1', { status: 'completed', videoUrl: 'https://u:p@resource.heygen.ai/v.mp4' });

    expect(await service.reconcile()).toEqual({ checked: 1, completed: 0, failed: 1 });

    expect(reels.get(reel.id)).toMatchObject({
      status: 'failed',
      error: 'HeyGen reported the video completed, but the video URL must not contain credentials (user:password@)',
    });
  });

  it('HeyGen says failed: the reel fails with HeyGen’s reason, or the default without one', async () => {
    const { service, reels, heygen, reel } = given(processingFor(31));
    const other = reels.put(givenReel({ ...processingFor(45), heygenVideoId: 'hg-2' }));
    heygen.statuses.set('hg-1', { status: 'failed', error: 'avatar not found' });
    heygen.statuses.set('hg-2', { status: 'failed' });

    expect(await service.reconcile()).toEqual({ checked: 2, completed: 0, failed: 2 });

    expect(reels.get(reel.id).error).toBe('avatar not found');
    expect(reels.get(other.id).error).toBe('HeyGen could not generate the video');
  });

  it('still processing within HEYGEN_MAX_PROCESSING_HOURS: only marked checked (not asked again before the next cutoff)', async () => {
    const { service, reels, reel } = given(processingFor(24 * 60));

    expect(await service.reconcile()).toEqual({ checked: 1, completed: 0, failed: 0 });

    expect(reels.checked).toEqual([{ id: reel.id, at: NOW }]);
    expect(reels.get(reel.id).status).toBe('processing');
  });

  it('still processing beyond HEYGEN_MAX_PROCESSING_HOURS: the reel fails, saying for how long', async () => {
    const { service, reels, heygen, reel } = given(processingFor(24 * 60 + 1));
    heygen.statuses.set('hg-1', { status: 'waiting' });

    expect(await service.reconcile()).toEqual({ checked: 1, completed: 0, failed: 1 });

    expect(reels.get(reel.id)).toMatchObject({ status: 'failed', error: 'HeyGen still reported the video as waiting after 24 hour(s)' });
  });

  it('a reel HeyGen cannot be asked about is left for the next run; the others are still decided', async () => {
    const { service, reels, heygen, reel } = given(processingFor(40));
    const other = reels.put(givenReel({ ...processingFor(35), heygenVideoId: 'hg-2' }));
    heygen.statuses.set('hg-1', new HeygenApiError('HeyGen answered 502'));
    heygen.statuses.set('hg-2', { status: 'completed', ...URLS });

    expect(await service.reconcile()).toEqual({ checked: 2, completed: 1, failed: 0 });

    expect(reels.get(reel.id)).toMatchObject({ status: 'processing' });
    expect(reels.checked).toEqual([]);
    expect(reels.get(other.id).status).toBe('completed');
  });

  it('pays the notices a crash left pending on reels changed over a minute ago', async () => {
    const { service, notifications, outbound, reels, reel } = given({ status: 'failed', error: 'boom', notifyPending: true, updatedAt: new Date(Date.now() - 2 * MINUTE) });
    reels.put(givenReel({ status: 'completed', notifyPending: true, updatedAt: new Date() }));

    await service.reconcile();

    expect(outbound.published).toEqual([expect.objectContaining({ eventType: 'reel.failed', data: expect.objectContaining({ reelId: reel.id }) })]);
    expect(notifications.chats.map((chat) => chat.key)).toEqual([{ reelId: reel.id, status: 'failed' }]);
    expect(reels.notified).toEqual([{ id: reel.id, status: 'failed' }]);
  });
});

describe('ReelGenerationService.generate (unit)', () => {
  const approved: Partial<ReelRecord> = { status: 'approved', heygenVideoId: undefined, generateAttempts: 0 };

  it('sends an approved reel to HeyGen with our reel id as callback_id, and records its video id: processing', async () => {
    const { service, heygen, reels, reel } = given(approved);

    await service.generate(reel.id);

    expect(heygen.generated).toEqual([{ title: reel.title, script: reel.script, avatarId: reel.avatarId, voiceId: reel.voiceId, dimension: reel.dimension, callbackId: reel.id }]);
    expect(reels.processing).toEqual([{ id: reel.id, heygenVideoId: 'hg-new', at: NOW, countAttempt: true }]);
    expect(reels.get(reel.id)).toMatchObject({ status: 'processing', heygenVideoId: 'hg-new', processingAt: NOW });
  });

  for (const [name, reel] of [
    ['not approved (requested)', { status: 'requested', heygenVideoId: undefined }],
    ['already processing', { status: 'processing', heygenVideoId: 'hg-1' }],
    ['approved, but a webhook already gave it a video', { status: 'approved', heygenVideoId: 'hg-early' }],
  ] as Array<[string, Partial<ReelRecord>]>) {
    it(`sends nothing for a reel ${name} (a job run twice, a webhook first)`, async () => {
      const kit = given(reel);
      await kit.service.generate(kit.reel.id);
      expect(kit.heygen.generated).toEqual([]);
    });
  }

  it('a failed call: the error noted on the reel, which stays approved, and thrown so the job retries', async () => {
    const { service, heygen, reels, reel } = given(approved);
    heygen.failures.fail('generateVideo', new HeygenApiError('HeyGen answered 500: internal'));

    await expect(service.generate(reel.id)).rejects.toThrow(new HeygenApiError('HeyGen answered 500: internal'));

    expect(reels.generateFailures).toEqual([{ id: reel.id, reason: 'HeyGen answered 500: internal', countAttempt: true }]);
    expect(reels.get(reel.id)).toMatchObject({ status: 'approved', lastGenerateError: 'HeyGen answered 500: internal' });
  });

  it('after an earlier call whose answer was lost: HeyGen’s video for this reel is adopted, and no second video is made', async () => {
    const generateStartedAt = new Date(NOW.getTime() - HOUR);
    const { service, heygen, reels, reel } = given({ ...approved, generateStartedAt });
    heygen.earlierVideo = 'hg-earlier';

    await service.generate(reel.id);

    // Searched from the first call's time, less five minutes of clock skew.
    expect(heygen.lookups).toEqual([{ callbackId: reel.id, since: new Date(generateStartedAt.getTime() - 5 * MINUTE) }]);
    expect(heygen.generated).toEqual([]);
    expect(reels.processing).toEqual([{ id: reel.id, heygenVideoId: 'hg-earlier', at: NOW, countAttempt: false }]);
  });

  it('after an earlier call, with no video of it at HeyGen: a new call is made', async () => {
    const { service, heygen, reel } = given({ ...approved, generateStartedAt: new Date(NOW.getTime() - HOUR) });
    await service.generate(reel.id);
    expect(heygen.generated).toHaveLength(1);
  });

  it('after an earlier call, when HeyGen cannot be asked: nothing is sent (a blind send could make a second video), the job retries', async () => {
    const { service, heygen, reels, reel } = given({ ...approved, generateStartedAt: new Date(NOW.getTime() - HOUR) });
    heygen.failures.fail('findVideoByCallbackId', new Error('socket hang up'));

    await expect(service.generate(reel.id)).rejects.toThrow(HeygenApiError);

    expect(heygen.generated).toEqual([]);
    expect(reels.generateFailures).toEqual([{ id: reel.id, reason: 'Could not ask HeyGen whether an earlier attempt created the video: socket hang up', countAttempt: false }]);
  });
});
