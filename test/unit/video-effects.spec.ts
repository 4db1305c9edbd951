import { describe, it } from 'node:test';
import { expect } from 'expect';
import { messageIdFor } from '../../src/outbound-webhooks/outbound-events.js';
import type { OwedEffects } from '../../src/videos/ai-video.schema.js';
import { FakeVideoRepository, givenVideo } from './fakes.js';
import { APP_URL, newVideoEffectsService, NOW } from './kit.js';

/**
 * Unit tier: the one step that pays what a video's state changes owe (VideoEffectsService), with
 * its collaborators faked: what is published, queued, counted and given back, under which keys,
 * in which order, and what stays owed when a part fails.
 */
const AT = new Date('2026-03-01T11:00:00Z');

function owing(owed: OwedEffects[], overrides: Parameters<typeof givenVideo>[0] = {}) {
  return givenVideo({ ...overrides, metadata: { productSynced: false, version: Math.max(...owed.map((entry) => entry.version)), owed, ...overrides.metadata } });
}

const completedOwed = (version: number): OwedEffects => ({ version, at: AT, event: 'video.completed', data: { videoId: 'v', videoUrl: 'https://cdn.example.com/v.mp4' }, inFlight: -1 });

describe('VideoEffectsService.pay (unit)', () => {
  it('a completion: the product copy, video.completed under the id of (video, version), the batch count, then settles that version', async () => {
    const video = owing([completedOwed(2)], { status: 'completed' });
    const { service, videos, sync, outbound, notifications, digests, workspaces } = newVideoEffectsService({ videos: new FakeVideoRepository() });
    videos.put(video);

    await service.pay([video]);

    expect(sync.synced).toEqual([{ id: video.id, version: 2 }]);
    expect(outbound.published).toEqual([
      { workspaceId: video.workspaceId, eventType: 'video.completed', data: completedOwed(2).data, messageId: messageIdFor(video.id, 2, 'video.completed') },
    ]);
    expect(digests.moves).toEqual([{ batchId: video.metadata.batchId, delta: -1 }]);
    expect(notifications.chats).toEqual([]);
    expect(workspaces.asked).toEqual([]);
    expect(videos.settled).toEqual([{ id: video.id, version: 2 }]);
    expect(videos.get(video.id).metadata.owed).toEqual([]);
  });

  it('a failure that owes chat: one notice queued once for good under (video, failed, version), with the reason and a link', async () => {
    const owed: OwedEffects = { version: 3, at: AT, event: 'video.failed', data: { error: 'bad images' }, chat: true, inFlight: -1 };
    const video = owing([owed], { status: 'failed', error: 'bad images' });
    const { service, notifications, outbound } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });

    await service.pay([video]);

    expect(outbound.published.map((message) => message.eventType)).toEqual(['video.failed']);
    expect(notifications.chats).toEqual([
      {
        workspaceId: video.workspaceId,
        once: true,
        key: { videoId: video.id, status: 'failed', version: 3 },
        event: expect.objectContaining({
          title: 'Video failed',
          level: 'error',
          text: `Video ${video.id} (product ${video.productId}) failed: bad images`,
          link: { label: 'Open the video', url: `${APP_URL}/videos/${video.id}` },
        }),
      },
    ]);
  });

  it('a failure without chat (a superadmin’s, the orphan sweep’s) queues no notice; one without a reason says "Video generation failed"', async () => {
    const quiet = owing([{ version: 2, at: AT, event: 'video.failed', data: {}, inFlight: -1 }], { status: 'failed' });
    const loud = owing([{ version: 2, at: AT, event: 'video.failed', data: {}, chat: true, inFlight: -1 }], { status: 'failed' });
    const { service, notifications } = newVideoEffectsService({ videos: new FakeVideoRepository(quiet, loud) });

    await service.pay([quiet, loud]);

    expect(notifications.chats.map((chat) => chat.key.videoId)).toEqual([loud.id]);
    expect(notifications.chats[0].event.text).toMatch(/failed: Video generation failed$/);
  });

  it('a video RCK never took gives its quota unit back, keyed by (video, version) so a second payment gives nothing', async () => {
    const owed: OwedEffects = { version: 4, at: AT, event: 'video.failed', data: {}, inFlight: -1, quotaPeriod: '2026-02' };
    const video = owing([owed], { status: 'failed' });
    const { service, workspaces } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });

    await service.pay([video]);
    // Paid again with the same read (two payers at once, or a crash before settling).
    await service.pay([video]);

    expect(workspaces.asked).toEqual([`${video.id}:4`, `${video.id}:4`]);
    expect(workspaces.released).toEqual([{ workspaceId: video.workspaceId, period: '2026-02', key: `${video.id}:4` }]);
  });

  it('pays a second payment of the same read under the same message id (the outbox keeps the first) and a re-read pays nothing', async () => {
    const video = owing([completedOwed(2)], { status: 'completed' });
    const { service, videos, outbound, digests } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });

    await service.pay([video]);
    await service.pay([video]);
    expect(new Set(outbound.published.map((message) => message.messageId))).toEqual(new Set([messageIdFor(video.id, 2, 'video.completed')]));

    const before = { published: outbound.published.length, moves: digests.moves.length };
    await service.pay([videos.get(video.id)]);
    expect({ published: outbound.published.length, moves: digests.moves.length }).toEqual(before);
  });

  it('pays several owed versions in version order, whatever order they were stored in', async () => {
    const retry: OwedEffects = { version: 3, at: AT, inFlight: 1 };
    const failed: OwedEffects = { version: 2, at: AT, event: 'video.failed', data: {}, inFlight: -1 };
    const done = completedOwed(4);
    const video = owing([done, failed, retry], { status: 'completed' });
    const { service, videos, digests, outbound } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });

    await service.pay([video]);

    expect(videos.settled.map((entry) => entry.version)).toEqual([2, 3, 4]);
    expect(digests.moves.map((move) => move.delta)).toEqual([-1, 1, -1]);
    expect(outbound.published.map((message) => message.messageId)).toEqual([messageIdFor(video.id, 2, 'video.failed'), messageIdFor(video.id, 4, 'video.completed')]);
  });

  it('a part that fails stops that video at that version: it and later versions stay owed, other videos are paid, nothing throws', async () => {
    const stuck = owing([{ version: 2, at: AT, event: 'video.failed', data: {}, inFlight: -1 }, completedOwed(3)], { status: 'completed' });
    const fine = owing([completedOwed(2)], { status: 'completed' });
    const { service, videos, digests } = newVideoEffectsService({ videos: new FakeVideoRepository(stuck, fine) });
    let calls = 0;
    const real = digests.inFlightChanged.bind(digests);
    digests.inFlightChanged = async (batchId, delta) => {
      if (calls++ === 0) throw new Error('database unreachable');
      return real(batchId, delta);
    };

    await expect(service.pay([stuck, fine])).resolves.toBeUndefined();

    expect(videos.settled).toEqual([{ id: fine.id, version: 2 }]);
    expect(videos.get(stuck.id).metadata.owed?.map((entry) => entry.version)).toEqual([2, 3]);
  });

  it('a product copy that cannot be written does not hold up the rest (the maintenance job repairs it)', async () => {
    const video = owing([completedOwed(2)], { status: 'completed' });
    const { service, sync, outbound, videos } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });
    sync.failures.fail('syncProductCopies');

    await service.pay([video]);

    expect(outbound.published).toHaveLength(1);
    expect(videos.settled).toEqual([{ id: video.id, version: 2 }]);
  });

  it('a video that owes nothing is only brought in step with its product', async () => {
    const video = givenVideo({ status: 'completed', metadata: { productSynced: false, version: 5 } });
    const { service, sync, outbound, digests, videos } = newVideoEffectsService({ videos: new FakeVideoRepository(video) });

    await service.pay([video]);

    expect(sync.synced).toEqual([{ id: video.id, version: 5 }]);
    expect(outbound.published).toEqual([]);
    expect(digests.moves).toEqual([]);
    expect(videos.settled).toEqual([]);
  });
});

describe('VideoEffectsService.sweep (unit)', () => {
  it('pays what was owed more than 5 s before now, at most 500 videos, and answers how many', async () => {
    const old = owing([completedOwed(2)], { status: 'completed' });
    const { service, videos, outbound } = newVideoEffectsService({ videos: new FakeVideoRepository(old) });

    expect(await service.sweep(NOW)).toBe(1);

    expect(videos.owedQueries).toEqual([{ before: new Date(NOW.getTime() - 5000), limit: 500 }]);
    expect(outbound.published).toHaveLength(1);
    expect(videos.settled).toEqual([{ id: old.id, version: 2 }]);
  });

  it('leaves effects younger than 5 s to the request that recorded them', async () => {
    const fresh = owing([{ ...completedOwed(2), at: new Date(NOW.getTime() - 4999) }], { status: 'completed' });
    const { service, outbound, videos } = newVideoEffectsService({ videos: new FakeVideoRepository(fresh) });

    expect(await service.sweep(NOW)).toBe(0);

    expect(outbound.published).toEqual([]);
    expect(videos.settled).toEqual([]);
  });
});
