import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { DEFAULT_FAILURE_MESSAGE } from '../../src/videos/video-callbacks.service.js';
import { FakeVideoRepository, givenVideo, newId } from './fakes.js';
import { newVideoCallbacksService } from './kit.js';

/**
 * Unit tier: RCK's callbacks decided against a fake AIVideoRepository (docs/contracts/rck.md,
 * "Answers" and "Retries and idempotency"). The end-to-end behaviour is in rck-webhooks.e2e-spec.ts.
 */
const RESULT = { youtubeVideoId: 'dQw4w9WgXcQ', localFilename: '/videos/p.mp4', videoUrl: 'https://cdn.example.com/v.mp4', imgS3Url: 'https://s3.example.com/t.jpg' };

function given(...videos: ReturnType<typeof givenVideo>[]) {
  return newVideoCallbacksService({ videos: new FakeVideoRepository(...videos) });
}

describe('VideoCallbacksService.succeeded (unit)', () => {
  it('completes a generating video with RCK’s result, answers what is stored and pays what the change owes', async () => {
    const video = givenVideo({ status: 'generating' });
    const { service, videos, effects, metrics } = given(video);

    const answer = await service.succeeded(video.id, RESULT);

    expect(answer).toEqual({ outcome: 'accepted', workspaceId: video.workspaceId, data: { videoId: video.id, productId: video.productId, ...RESULT } });
    expect(videos.requests).toEqual([{ kind: 'complete', id: video.id, readAtVersion: 1, result: RESULT }]);
    const stored = videos.get(video.id);
    expect(stored.status).toBe('completed');
    // The video as the change left it goes to the effects step, owing video.completed.
    expect(effects.payments).toEqual([[stored]]);
    expect(stored.metadata.owed).toEqual([expect.objectContaining({ version: 2, event: 'video.completed', inFlight: -1 })]);
    expect(metrics.entered).toEqual(['video:completed']);
  });

  it('applies a success after a failure (RCK tried again and succeeded) and clears the error', async () => {
    const video = givenVideo({ status: 'failed', error: 'insufficient image quality' });
    const { service, videos } = given(video);

    const answer = await service.succeeded(video.id, RESULT);

    expect(answer.outcome).toBe('accepted');
    expect(videos.get(video.id)).toMatchObject({ status: 'completed' });
    expect(videos.get(video.id).error).toBeUndefined();
  });

  it('answers a repeated success with the first one’s data, tries no change, and pays only what is still owed', async () => {
    const first = { ...RESULT, videoUrl: 'https://cdn.example.com/first.mp4' };
    const video = givenVideo({ status: 'completed', metadata: { ...first, version: 2 } });
    const { service, videos, effects, metrics } = given(video);

    const answer = await service.succeeded(video.id, { ...RESULT, videoUrl: 'https://cdn.example.com/second.mp4' });

    expect(answer).toEqual({ outcome: 'duplicate', workspaceId: video.workspaceId, data: { videoId: video.id, productId: video.productId, ...first } });
    expect(videos.requests).toEqual([]);
    expect(videos.get(video.id).metadata.videoUrl).toBe(first.videoUrl);
    // Paid with the video as read: the step pays what a crash may have left owed (here nothing).
    expect(effects.payments).toEqual([[videos.get(video.id)]]);
    expect(metrics.entered).toEqual([]);
  });

  it('answers a duplicate when a concurrent success completed the video between the read and the update', async () => {
    const video = givenVideo({ status: 'generating' });
    const { service, videos, effects, metrics } = given(video);
    const winner = { ...RESULT, videoUrl: 'https://cdn.example.com/winner.mp4' };
    videos.beforeNextChange(() => videos.put({ ...videos.get(video.id), status: 'completed', metadata: { ...videos.get(video.id).metadata, ...winner, version: 2 } }));

    const answer = await service.succeeded(video.id, RESULT);

    expect(answer.outcome).toBe('duplicate');
    // The winner's data, read again after the lost update, not this callback's.
    expect(answer.data.videoUrl).toBe(winner.videoUrl);
    expect(effects.payments).toEqual([[expect.objectContaining({ status: 'completed', metadata: expect.objectContaining({ version: 2 }) })]]);
    expect(metrics.entered).toEqual([]);
  });

  it('ignores a replayed success received before the video’s current attempt began, touching nothing', async () => {
    const attemptStartedAt = new Date('2026-03-01T11:00:00Z');
    const video = givenVideo({ status: 'pending', metadata: { attemptStartedAt } });
    const { service, videos, effects } = given(video);

    const answer = await service.succeeded(video.id, RESULT, new Date(attemptStartedAt.getTime() - 1));

    expect(answer).toMatchObject({ outcome: 'ignored', stale: true, data: { videoId: video.id } });
    expect(videos.requests).toEqual([]);
    expect(effects.payments).toEqual([]);
    expect(videos.get(video.id).status).toBe('pending');
  });

  it('applies a replayed success received at or after the attempt began, and one on a first attempt', async () => {
    const attemptStartedAt = new Date('2026-03-01T11:00:00Z');
    const retried = givenVideo({ metadata: { attemptStartedAt } });
    const first = givenVideo();
    const { service } = given(retried, first);

    expect((await service.succeeded(retried.id, RESULT, attemptStartedAt)).outcome).toBe('accepted');
    expect((await service.succeeded(first.id, RESULT, new Date(0))).outcome).toBe('accepted');
  });
});

describe('VideoCallbacksService.failed (unit)', () => {
  it('fails a generating video with RCK’s error and owes a chat notice with video.failed', async () => {
    const video = givenVideo({ status: 'generating' });
    const { service, videos, effects, metrics } = given(video);

    const answer = await service.failed(video.id, 'insufficient image quality');

    expect(answer).toEqual({ outcome: 'accepted', workspaceId: video.workspaceId, data: { videoId: video.id, productId: video.productId, error: 'insufficient image quality' } });
    expect(videos.requests).toEqual([{ kind: 'fail', id: video.id, readAtVersion: 1, error: 'insufficient image quality', chat: true }]);
    expect(effects.payments).toEqual([[videos.get(video.id)]]);
    expect(metrics.entered).toEqual(['video:failed']);
  });

  it(`records "${DEFAULT_FAILURE_MESSAGE}" when RCK gives no error`, async () => {
    const video = givenVideo({ status: 'pending' });
    const { service, videos } = given(video);

    const answer = await service.failed(video.id, undefined);

    expect(answer.data.error).toBe(DEFAULT_FAILURE_MESSAGE);
    expect(videos.get(video.id)).toMatchObject({ status: 'failed', error: DEFAULT_FAILURE_MESSAGE });
  });

  it('ignores a failure after a success: no change tried, the answer says completed', async () => {
    const video = givenVideo({ status: 'completed', metadata: { ...RESULT, version: 2 } });
    const { service, videos, effects, metrics } = given(video);

    const answer = await service.failed(video.id, 'late failure');

    expect(answer).toEqual({ outcome: 'ignored', workspaceId: video.workspaceId, data: { videoId: video.id, productId: video.productId, status: 'completed' } });
    expect(videos.requests).toEqual([]);
    expect(videos.get(video.id).status).toBe('completed');
    expect(effects.payments).toHaveLength(1);
    expect(metrics.entered).toEqual([]);
  });

  it('answers a repeated failure with the first error and changes nothing', async () => {
    const video = givenVideo({ status: 'failed', error: 'first error', metadata: { version: 2 } });
    const { service, videos } = given(video);

    const answer = await service.failed(video.id, 'second error');

    expect(answer).toEqual({ outcome: 'duplicate', workspaceId: video.workspaceId, data: { videoId: video.id, productId: video.productId, error: 'first error' } });
    expect(videos.requests).toEqual([]);
    expect(videos.get(video.id)).toMatchObject({ error: 'first error', metadata: expect.objectContaining({ version: 2 }) });
  });

  it('ignores a failure that lost the race to a success (read generating, completed before the update)', async () => {
    const video = givenVideo({ status: 'generating' });
    const { service, videos, metrics } = given(video);
    videos.beforeNextChange(() => videos.put({ ...videos.get(video.id), status: 'completed', metadata: { ...videos.get(video.id).metadata, version: 2 } }));

    const answer = await service.failed(video.id, 'late');

    expect(answer).toMatchObject({ outcome: 'ignored', data: { status: 'completed' } });
    expect(videos.get(video.id).status).toBe('completed');
    expect(metrics.entered).toEqual([]);
  });

  it('answers a duplicate to a failure that lost the race to another failure, with the winner’s error', async () => {
    const video = givenVideo({ status: 'generating' });
    const { service, videos } = given(video);
    videos.beforeNextChange(() => videos.put({ ...videos.get(video.id), status: 'failed', error: 'winner', metadata: { ...videos.get(video.id).metadata, version: 2 } }));

    const answer = await service.failed(video.id, 'loser');

    expect(answer).toMatchObject({ outcome: 'duplicate', data: { error: 'winner' } });
  });

  it('ignores a replayed failure older than the current attempt', async () => {
    const attemptStartedAt = new Date('2026-03-01T11:00:00Z');
    const video = givenVideo({ status: 'generating', metadata: { attemptStartedAt } });
    const { service, videos, effects } = given(video);

    const answer = await service.failed(video.id, 'from the first attempt', new Date('2026-03-01T10:59:59Z'));

    expect(answer).toMatchObject({ outcome: 'ignored', stale: true });
    expect(videos.requests).toEqual([]);
    expect(effects.payments).toEqual([]);
  });
});

describe('VideoCallbacksService: unknown and malformed ids (unit)', () => {
  for (const kind of ['succeeded', 'failed'] as const) {
    const call = (service: ReturnType<typeof given>['service'], id: string) => (kind === 'succeeded' ? service.succeeded(id, RESULT) : service.failed(id, 'x'));

    it(`${kind}: a malformed videoId is a 400 "Invalid videoId format", read from nowhere`, async () => {
      const { service, videos } = given();
      videos.failures.fail('findById', new Error('must not be read'));
      for (const id of ['65abc123def4567890ab', 'not-an-id', '65abc123def456789012abcz', '']) {
        await expect(call(service, id)).rejects.toThrow(new BadRequestException('Invalid videoId format'));
      }
    });

    it(`${kind}: an unknown videoId is a 404 "Video not found" and nothing is paid`, async () => {
      const { service, effects, videos } = given(givenVideo());
      await expect(call(service, newId())).rejects.toThrow(new NotFoundException('Video not found'));
      expect(videos.requests).toEqual([]);
      expect(effects.payments).toEqual([]);
    });
  }
});
