import { describe, it } from 'node:test';
import { expect } from 'expect';
import { BATCH_DIGEST_JOB, BatchDigest, batchChatEvent, batchCompletedData, DIGEST_CLAIM_LEASE_MS, digestEmail } from '../../src/videos/batch-digest.service.js';
import type { AIVideoRecord } from '../../src/videos/ai-video.repository.js';
import { messageIdFor } from '../../src/outbound-webhooks/outbound-events.js';
import { FakeVideoRepository, givenBatch, givenVideo } from './fakes.js';
import { APP_URL, newBatchDigestService, NOW } from './kit.js';

/**
 * Unit tier: the batch digest's decisions (BatchDigestService) against fake repositories and a
 * frozen clock: when a batch's count reaching 0 queues its digest, when a digest goes out, to
 * whom, once; and the pure builders of its e-mail, chat message and batch.completed.
 * End to end: batch-digest.e2e-spec.ts.
 */
function givenDigestCase(options: { due?: boolean; statuses?: AIVideoRecord['status'][] } = {}) {
  const batch = givenBatch({ digestDueAt: new Date(NOW.getTime() + (options.due ? -1 : 60_000)) });
  const videos = (options.statuses ?? ['completed', 'failed']).map((status) =>
    givenVideo({ status, workspaceId: batch.workspaceId, ...(status === 'failed' && { error: 'bad images' }), metadata: { batchId: batch.batchId, ...(status === 'completed' && { videoUrl: 'https://cdn.example.com/v.mp4' }) } }),
  );
  const kit = newBatchDigestService({ videos: new FakeVideoRepository(...videos) });
  kit.batches.put(batch, videos.filter((video) => video.status === 'pending' || video.status === 'generating').length);
  const requester = kit.users.given(batch.userId, { email: 'ada@example.com', name: 'Ada' });
  return { ...kit, batch, videoList: videos, requester };
}

describe('BatchDigestService.opened / abandoned (unit)', () => {
  it('records the batch with its digest due BATCH_DIGEST_AFTER_MINUTES after now', async () => {
    const { service, batches } = newBatchDigestService({ env: { BATCH_DIGEST_AFTER_MINUTES: '15' } });
    await service.opened({ batchId: 'b1', workspaceId: 'w', userId: 'u', total: 3 });
    expect(batches.created).toEqual([{ batchId: 'b1', digestDueAt: new Date(NOW.getTime() + 15 * 60_000), now: NOW }]);
    expect(batches.get('b1').inFlight).toBe(3);
  });

  it('forgets a batch whose videos could not be written', async () => {
    const { service, batches } = newBatchDigestService();
    batches.put(givenBatch({ batchId: 'b2' }));
    await service.abandoned('b2');
    expect(batches.deleted).toEqual(['b2']);
    expect(batches.stored.has('b2')).toBe(false);
  });
});

describe('BatchDigestService.inFlightChanged (unit)', () => {
  it('queues nothing while videos are still in flight', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['generating', 'generating'] });
    await service.inFlightChanged(batch.batchId, -1);
    expect(batches.get(batch.batchId).inFlight).toBe(1);
    expect(jobs.enqueued).toEqual([]);
  });

  it('at 0, confirmed by an exact count, queues the digest job once per batch (a unique key)', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['completed', 'failed'] });
    batches.put(batch, 1);
    await service.inFlightChanged(batch.batchId, -1);
    expect(jobs.enqueued).toEqual([{ name: BATCH_DIGEST_JOB, data: { batchId: batch.batchId }, options: { uniqueKey: { batchId: batch.batchId } } }]);
    expect(batches.setCounts).toEqual([]);
  });

  it('at 0 but the exact count says otherwise (a drifted count): corrects it and queues nothing', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['completed', 'generating', 'pending'] });
    batches.put(batch, 1);
    await service.inFlightChanged(batch.batchId, -1);
    expect(batches.setCounts).toEqual([{ batchId: batch.batchId, inFlight: 2 }]);
    expect(batches.get(batch.batchId).inFlight).toBe(2);
    expect(jobs.enqueued).toEqual([]);
  });

  it('below 0 (paid twice across a crash) with nothing in flight: sets it back to 0 and queues the digest', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['completed'] });
    batches.put(batch, 0);
    await service.inFlightChanged(batch.batchId, -1);
    expect(batches.setCounts).toEqual([{ batchId: batch.batchId, inFlight: 0 }]);
    expect(jobs.enqueued.map((job) => job.name)).toEqual([BATCH_DIGEST_JOB]);
  });

  it('a retry (+1) re-entering flight queues nothing', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['pending'] });
    batches.put(batch, 0);
    await service.inFlightChanged(batch.batchId, 1);
    expect(batches.get(batch.batchId).inFlight).toBe(1);
    expect(jobs.enqueued).toEqual([]);
  });

  it('an unknown batch: nothing counted, nothing queued', async () => {
    const { service, jobs, videos } = newBatchDigestService();
    videos.failures.fail('countInFlight', new Error('must not count'));
    await service.inFlightChanged('no-such-batch', -1);
    expect(jobs.enqueued).toEqual([]);
  });

  it('throws when the count cannot be moved (the effect stays owed), but not when only the queueing fails (the sweep sends it)', async () => {
    const { service, batches, jobs, batch } = givenDigestCase({ statuses: ['completed'] });
    batches.failures.fail('addInFlight', new Error('database unreachable'));
    await expect(service.inFlightChanged(batch.batchId, -1)).rejects.toThrow('database unreachable');

    batches.failures.heal('addInFlight');
    batches.put(batch, 1);
    jobs.failures.fail('enqueue');
    await expect(service.inFlightChanged(batch.batchId, -1)).resolves.toBeUndefined();
  });
});

describe('BatchDigestService.digest (unit)', () => {
  it('every video final: claims the batch, e-mails the requester, posts to chat, publishes batch.completed, marks it sent with the counts', async () => {
    const { service, batches, notifications, outbound, batch, requester, videoList } = givenDigestCase({ statuses: ['completed', 'failed', 'completed'] });

    expect(await service.digest(batch.batchId)).toBe(true);

    expect(batches.claims).toEqual([{ batchId: batch.batchId, now: NOW, staleBefore: new Date(NOW.getTime() - DIGEST_CLAIM_LEASE_MS), won: true }]);
    expect(notifications.emails).toEqual([
      { workspaceId: batch.workspaceId, key: { batchDigest: batch.batchId }, once: true, message: expect.objectContaining({ to: requester.email, subject: 'Your videos: 2 of 3 ready, 1 failed' }) },
    ]);
    expect(notifications.chats).toEqual([expect.objectContaining({ workspaceId: batch.workspaceId, key: { batchId: batch.batchId }, once: true })]);
    expect(outbound.published).toEqual([expect.objectContaining({ workspaceId: batch.workspaceId, eventType: 'batch.completed', data: expect.objectContaining({ total: 3, completed: 2, failed: 1, stillGenerating: 0 }) })]);
    expect(outbound.published[0].messageId).toBe(messageIdFor(batch.batchId, 0, 'batch.completed'));
    expect(batches.get(batch.batchId)).toMatchObject({ digestSentAt: NOW, digestCounts: { completed: 2, failed: 1, inFlight: 0 } });
    expect(videoList).toHaveLength(3);
  });

  it('not due and videos still in flight: nothing claimed, nothing sent', async () => {
    const { service, batches, notifications, outbound, batch } = givenDigestCase({ statuses: ['completed', 'generating'] });

    expect(await service.digest(batch.batchId)).toBe(false);

    expect(batches.claims).toEqual([]);
    expect(notifications.emails).toEqual([]);
    expect(outbound.published).toEqual([]);
    expect(batches.get(batch.batchId).digestSentAt).toBeUndefined();
  });

  it('due with videos still in flight: sent, saying how many are still generating', async () => {
    const { service, batches, notifications, outbound, batch } = givenDigestCase({ due: true, statuses: ['completed', 'generating', 'pending'] });

    expect(await service.digest(batch.batchId)).toBe(true);

    expect(notifications.emails[0].message.subject).toBe('Your videos: 1 of 3 ready, 0 failed, 2 still generating');
    expect(outbound.published[0].data).toMatchObject({ stillGenerating: 2 });
    expect(batches.get(batch.batchId).digestCounts).toEqual({ completed: 1, failed: 0, inFlight: 2 });
  });

  it('sent already, or claimed by another sender within the lease: nothing sent again', async () => {
    const sent = givenDigestCase();
    sent.batches.put({ ...sent.batch, digestSentAt: NOW }, 0);
    expect(await sent.service.digest(sent.batch.batchId)).toBe(false);
    expect(sent.batches.claims).toEqual([]);

    const claimed = givenDigestCase();
    claimed.batches.put({ ...claimed.batch, digestClaimedAt: new Date(NOW.getTime() - DIGEST_CLAIM_LEASE_MS + 1) }, 0);
    expect(await claimed.service.digest(claimed.batch.batchId)).toBe(false);
    expect([claimed.notifications.emails, claimed.notifications.chats, claimed.outbound.published]).toEqual([[], [], []]);
  });

  it('a claim older than the lease (its sender died) is taken over and the digest sent', async () => {
    const { service, batches, notifications, batch } = givenDigestCase();
    batches.put({ ...batch, digestClaimedAt: new Date(NOW.getTime() - DIGEST_CLAIM_LEASE_MS - 1) }, 0);
    expect(await service.digest(batch.batchId)).toBe(true);
    expect(notifications.emails).toHaveLength(1);
  });

  it('sending fails before anything is queued: the claim is released (at its own time), the error thrown, nothing marked sent', async () => {
    const { service, batches, notifications, batch } = givenDigestCase();
    notifications.failures.fail('emailForWorkspace', new Error('queue down'));

    await expect(service.digest(batch.batchId)).rejects.toThrow('queue down');

    expect(batches.releases).toEqual([{ batchId: batch.batchId, claimedAt: NOW }]);
    const after = batches.get(batch.batchId);
    expect([after.digestClaimedAt, after.digestSentAt]).toEqual([undefined, undefined]);
    // The next try may claim it again.
    notifications.failures.heal('emailForWorkspace');
    expect(await service.digest(batch.batchId)).toBe(true);
  });

  it('a requester who no longer exists gets no e-mail; the chat and batch.completed still go, and it counts as sent', async () => {
    const { service, users, notifications, outbound, batches, batch } = givenDigestCase();
    users.users.delete(batch.userId);

    expect(await service.digest(batch.batchId)).toBe(true);

    expect(notifications.emails).toEqual([]);
    expect(notifications.chats).toHaveLength(1);
    expect(outbound.published).toHaveLength(1);
    expect(batches.get(batch.batchId).digestSentAt).toEqual(NOW);
  });

  it('batch.completed that cannot be published does not undo the digest (the e-mail is queued)', async () => {
    const { service, outbound, batches, batch, notifications } = givenDigestCase();
    outbound.failures.fail('publish');

    expect(await service.digest(batch.batchId)).toBe(true);

    expect(notifications.emails).toHaveLength(1);
    expect(batches.releases).toEqual([]);
    expect(batches.get(batch.batchId).digestSentAt).toEqual(NOW);
  });

  // A crash after the digest was queued but before the batch was marked sent: the sweep sends it
  // again once the claim's 5-minute lease has passed. What the first send queued is not queued
  // twice: the e-mail and the chat message are once-keyed by the batch, and batch.completed's
  // message id is derived from the batch (the outbox and the endpoints drop the repeat).
  it('re-sent after a crash between the send and marking it sent, it repeats nothing the first send queued', async () => {
    const { service, batches, clock, notifications, outbound, batch } = givenDigestCase();
    batches.failures.fail('markDigestSent', new Error('instance killed'));
    await expect(service.digest(batch.batchId)).rejects.toThrow('instance killed');
    batches.failures.heal('markDigestSent');
    // Within the lease nobody sends it again; past it, the sweep does.
    expect(await service.digest(batch.batchId)).toBe(false);
    clock.freeze(NOW.getTime() + DIGEST_CLAIM_LEASE_MS + 1);
    expect(await service.digest(batch.batchId)).toBe(true);

    expect(outbound.published).toHaveLength(2);
    expect(outbound.published[0].messageId).toBeDefined();
    expect(outbound.published[1].messageId).toBe(outbound.published[0].messageId);
    expect(notifications.emails.map((email) => [email.key, email.once])).toEqual([[{ batchDigest: batch.batchId }, true], [{ batchDigest: batch.batchId }, true]]);
    expect(notifications.chats.map((chat) => [chat.key, chat.once])).toEqual([[{ batchId: batch.batchId }, true], [{ batchId: batch.batchId }, true]]);
  });

  it('an unknown batch sends nothing', async () => {
    const { service, notifications } = newBatchDigestService();
    expect(await service.digest('no-such-batch')).toBe(false);
    expect(notifications.emails).toEqual([]);
  });
});

describe('BatchDigestService.sweep (unit)', () => {
  it('sends the due digests (asked at the clock’s now, at most 200), counts those sent, and goes on past one that fails', async () => {
    const videos = new FakeVideoRepository();
    const { service, batches, users, notifications } = newBatchDigestService({ videos });
    const due = [1, 2, 3].map((minutes) => batches.put(givenBatch({ batchId: `due-${minutes}`, digestDueAt: new Date(NOW.getTime() - minutes * 60_000) }), 0));
    batches.put(givenBatch({ batchId: 'later', digestDueAt: new Date(NOW.getTime() + 1) }), 1);
    for (const batch of due) {
      videos.put(givenVideo({ status: 'completed', metadata: { batchId: batch.batchId } }));
      users.given(batch.userId);
    }
    // The second-earliest fails at its e-mail.
    const emailForWorkspace = notifications.emailForWorkspace.bind(notifications);
    notifications.emailForWorkspace = async (workspaceId, ...rest) => {
      if (workspaceId === due[1].workspaceId) throw new Error('queue down');
      return emailForWorkspace(workspaceId, ...rest);
    };

    expect(await service.sweep()).toBe(2);

    expect(batches.dueQueries).toEqual([{ now: NOW, limit: 200 }]);
    expect(notifications.emails.map((email) => email.key.batchDigest)).toEqual(['due-3', 'due-1']);
    expect(batches.get('later').digestSentAt).toBeUndefined();
  });
});

describe('batch digest messages (unit, table)', () => {
  const batch = givenBatch({ batchId: 'batch-42' });
  const video = (status: AIVideoRecord['status'], extra: Parameters<typeof givenVideo>[0] = {}) => givenVideo({ status, ...extra });
  const digestOf = (completed: number, failed: number, inFlight: number): BatchDigest => ({
    batch,
    completed: Array.from({ length: completed }, () => video('completed')),
    failed: Array.from({ length: failed }, () => video('failed', { error: 'bad images' })),
    inFlight: Array.from({ length: inFlight }, () => video('generating')),
  });

  const rows: Array<{ counts: [number, number, number]; subject: string; title: string; level: string }> = [
    { counts: [3, 0, 0], subject: 'Your 3 video(s) are ready', title: 'Batch finished: 3 of 3 video(s) ready', level: 'success' },
    { counts: [2, 1, 0], subject: 'Your videos: 2 of 3 ready, 1 failed', title: 'Batch finished: 2 of 3 video(s) ready', level: 'warning' },
    { counts: [0, 2, 0], subject: 'Your videos: 0 of 2 ready, 2 failed', title: 'Batch finished: 0 of 2 video(s) ready', level: 'error' },
    { counts: [1, 0, 1], subject: 'Your videos: 1 of 2 ready, 0 failed, 1 still generating', title: 'Batch finished: 1 of 2 video(s) ready', level: 'warning' },
    { counts: [0, 0, 2], subject: 'Your videos: 0 of 2 ready, 0 failed, 2 still generating', title: 'Batch finished: 0 of 2 video(s) ready', level: 'error' },
  ];
  for (const { counts, subject, title, level } of rows) {
    it(`${counts.join('/')} completed/failed/in flight → "${subject}", chat "${title}" (${level})`, () => {
      const digest = digestOf(...counts);
      expect(digestEmail(digest, 'ada@example.com', 'Ada', APP_URL)).toMatchObject({ to: 'ada@example.com', subject });
      expect(batchChatEvent(digest, APP_URL)).toMatchObject({ title, level });
    });
  }

  it('the e-mail lists each ready video with its direct link (video URL, else YouTube) and each failure with its reason', () => {
    const withUrl = video('completed', { metadata: { videoUrl: 'https://cdn.example.com/a.mp4', youtubeVideoId: 'yt1' } });
    const withYoutube = video('completed', { metadata: { youtubeVideoId: 'yt2' } });
    const bare = video('completed');
    const failed = video('failed', { error: 'bad images' });
    const noReason = video('failed');
    const { text } = digestEmail({ batch, completed: [withUrl, withYoutube, bare], failed: [failed, noReason], inFlight: [] }, 'a@b.co', 'Ada', APP_URL);
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        'Hello Ada,',
        'Your request of 5 video(s) (batch batch-42):',
        `- ${APP_URL}/videos/${withUrl.id} (video: https://cdn.example.com/a.mp4)`,
        `- ${APP_URL}/videos/${withYoutube.id} (video: https://www.youtube.com/watch?v=yt2)`,
        `- ${APP_URL}/videos/${bare.id}`,
        `- ${APP_URL}/videos/${failed.id}: bad images`,
        `- ${APP_URL}/videos/${noReason.id}: Video generation failed`,
        `All your videos: ${APP_URL}/videos`,
      ]),
    );
    expect(text).not.toContain('Still generating');
  });

  it('the chat message names at most five failures, then how many more', () => {
    const event = batchChatEvent(digestOf(0, 7, 0), APP_URL);
    const lines = event.text.split('\n');
    expect(lines[0]).toBe('0 completed, 7 failed.');
    expect(lines.slice(1)).toHaveLength(6);
    expect(lines.at(-1)).toBe('• … and 2 more');
    expect(event.fields).toEqual([
      { name: 'Completed', value: '0' },
      { name: 'Failed', value: '7' },
      { name: 'Batch', value: 'batch-42' },
    ]);
  });

  it('batch.completed lists every video with what its state says (URL for completed, error for failed, nothing else)', () => {
    const done = video('completed', { metadata: { videoUrl: 'https://cdn.example.com/a.mp4', youtubeVideoId: 'yt1' } });
    const failed = video('failed', { error: 'bad images' });
    const running = video('generating');
    expect(batchCompletedData({ batch, completed: [done], failed: [failed], inFlight: [running] })).toEqual({
      batchId: 'batch-42',
      total: 3,
      completed: 1,
      failed: 1,
      stillGenerating: 1,
      videos: [
        { videoId: done.id, productId: done.productId, status: 'completed', videoUrl: 'https://cdn.example.com/a.mp4', youtubeVideoId: 'yt1' },
        { videoId: failed.id, productId: failed.productId, status: 'failed', error: 'bad images' },
        { videoId: running.id, productId: running.productId, status: 'generating' },
      ],
    });
  });
});
