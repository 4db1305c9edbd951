import { describe, it } from 'node:test';
import { expect } from 'expect';
import { messageIdFor } from '../../src/outbound-webhooks/outbound-events.js';
import { DEFAULT_REEL_FAILURE, reelResultProblem } from '../../src/reels/reel-events.service.js';
import type { ReelRecord } from '../../src/reels/reel.repository.js';
import { givenReel, newId } from './fakes.js';
import { APP_URL, newReelEventsService, NOW } from './kit.js';

/**
 * Unit tier: HeyGen's verdicts on a reel (ReelEventsService) against a fake ReelRepository that
 * keeps the real one's rules (a success may leave approved, processing or failed; a failure only
 * approved or processing), and what a change owes: the owner's e-mail, the chat notice and
 * reel.completed / reel.failed, each once per (reel, status). See docs/contracts/heygen.md;
 * end to end: heygen-webhooks.e2e-spec.ts, reel-events.e2e-spec.ts.
 */
const URLS = { videoUrl: 'https://resource.heygen.ai/video/abc.mp4', thumbnailUrl: 'https://resource.heygen.ai/thumb/abc.jpg' };

function given(reel: Partial<ReelRecord> = {}) {
  const kit = newReelEventsService();
  const stored = kit.reels.put(givenReel(reel));
  const owner = kit.users.given(stored.userId, { email: 'owner@example.com', name: 'Ada' });
  return { ...kit, reel: stored, owner };
}

describe('ReelEventsService.find (unit)', () => {
  it('finds by HeyGen’s video id first', async () => {
    const { service, reels, reel } = given();
    const other = reels.put(givenReel());
    expect((await service.find(reel.heygenVideoId, other.id))?.id).toBe(reel.id);
  });

  it('else by callback_id (our reel id: the webhook beat generate’s answer), when that reel has no other video', async () => {
    const { service, reel } = given({ status: 'approved', heygenVideoId: undefined });
    expect((await service.find('hg-unknown', reel.id))?.id).toBe(reel.id);
    expect((await service.find(undefined, reel.id))?.id).toBe(reel.id);
  });

  it('not by a callback_id whose reel holds another video, nor by nothing', async () => {
    const { service, reel } = given({ heygenVideoId: 'hg-mine' });
    expect(await service.find('hg-someone-else', reel.id)).toBeNull();
    expect(await service.find(undefined, undefined)).toBeNull();
    expect(await service.find('hg-unknown', newId())).toBeNull();
    expect(await service.find('hg-unknown', 'not-an-object-id')).toBeNull();
  });
});

describe('ReelEventsService.completed (unit)', () => {
  it('processing → completed with HeyGen’s URLs at the clock’s time, then the e-mail, the chat notice and reel.completed, once each', async () => {
    const { service, reels, notifications, outbound, reel, owner } = given({ status: 'processing' });

    const result = await service.completed(reel, URLS, reel.heygenVideoId);

    expect(result.outcome).toBe('accepted');
    expect(reels.requests).toEqual([{ kind: 'complete', id: reel.id, at: NOW, heygenVideoId: reel.heygenVideoId, result: URLS }]);
    expect(reels.get(reel.id)).toMatchObject({ status: 'completed', ...URLS, completedAt: NOW, notifyPending: false });
    const key = { reelId: reel.id, status: 'completed' };
    expect(notifications.emails).toEqual([
      {
        workspaceId: reel.workspaceId,
        key,
        once: true,
        message: {
          to: owner.email,
          subject: `Your reel "${reel.title}" is ready`,
          text: `Hello Ada,\n\nYour reel "${reel.title}" is ready.\n\nSee and download it: ${APP_URL}/reels/${reel.id}\nDirect link (valid for 7 days): ${URLS.videoUrl}\n`,
        },
      },
    ]);
    expect(notifications.chats).toEqual([{ workspaceId: reel.workspaceId, key, once: true, event: expect.objectContaining({ title: `Reel ready: ${reel.title}`, level: 'success' }) }]);
    expect(outbound.published).toEqual([
      {
        workspaceId: reel.workspaceId,
        eventType: 'reel.completed',
        data: { reelId: reel.id, title: reel.title, ...URLS, completedAt: NOW },
        messageId: messageIdFor(reel.id, 0, 'reel.completed'),
      },
    ]);
    expect(reels.notified).toEqual([{ id: reel.id, status: 'completed' }]);
  });

  it('a success after a failure is applied (HeyGen tried again) and owes its own notices', async () => {
    const { service, reels, outbound, reel } = given({ status: 'failed', error: 'timeout', failedAt: NOW });

    expect((await service.completed(reel, URLS)).outcome).toBe('accepted');

    expect(reels.get(reel.id)).toMatchObject({ status: 'completed' });
    expect(reels.get(reel.id).error).toBeUndefined();
    expect(outbound.published.map((message) => message.eventType)).toEqual(['reel.completed']);
  });

  it('a repeated success is a duplicate: nothing changes and nothing is sent again', async () => {
    const { service, reels, notifications, outbound, reel } = given({ status: 'completed', ...URLS, completedAt: NOW });

    const result = await service.completed(reel, { videoUrl: 'https://resource.heygen.ai/video/other.mp4' });

    expect(result).toMatchObject({ outcome: 'duplicate', reel: { status: 'completed', videoUrl: URLS.videoUrl } });
    expect([notifications.emails, notifications.chats, outbound.published, reels.notified]).toEqual([[], [], [], []]);
  });

  for (const status of ['requested', 'rejected'] as const) {
    it(`a success for a reel that is ${status} is ignored`, async () => {
      const { service, reels, outbound, reel } = given({ status, heygenVideoId: undefined });
      expect((await service.completed(reel, URLS)).outcome).toBe('ignored');
      expect(reels.get(reel.id).status).toBe(status);
      expect(outbound.published).toEqual([]);
    });
  }

  it('a success carrying another video id than the reel’s is not applied', async () => {
    const { service, reels, reel } = given({ status: 'processing', heygenVideoId: 'hg-mine' });
    expect((await service.completed(reel, URLS, 'hg-other')).outcome).toBe('ignored');
    expect(reels.get(reel.id)).toMatchObject({ status: 'processing', heygenVideoId: 'hg-mine' });
  });

  it('a success whose URL breaks the URL rule is refused: the reason noted on the reel, no change tried, nothing sent', async () => {
    const { service, reels, notifications, outbound, reel } = given({ status: 'processing' });

    const result = await service.completed(reel, { videoUrl: 'https://user:pw@resource.heygen.ai/v.mp4', thumbnailUrl: URLS.thumbnailUrl });

    expect(result).toMatchObject({ outcome: 'refused', reason: 'the video URL must not contain credentials (user:password@)' });
    expect(reels.requests).toEqual([]);
    expect(reels.get(reel.id)).toMatchObject({
      status: 'processing',
      lastEventError: "HeyGen's success was not applied: the video URL must not contain credentials (user:password@)",
    });
    expect([notifications.emails, outbound.published]).toEqual([[], []]);
  });

  it('the e-mail of a completed reel without a URL has no direct link', async () => {
    const { service, notifications, reel } = given({ status: 'processing' });
    await service.completed(reel, {});
    expect(notifications.emails[0].message.text).not.toContain('Direct link');
  });
});

describe('ReelEventsService.failed (unit)', () => {
  it('processing → failed with HeyGen’s message, then the e-mail, the chat notice and reel.failed', async () => {
    const { service, reels, notifications, outbound, reel } = given({ status: 'processing' });

    const result = await service.failed(reel, 'avatar not found', reel.heygenVideoId);

    expect(result.outcome).toBe('accepted');
    expect(reels.get(reel.id)).toMatchObject({ status: 'failed', error: 'avatar not found', failedAt: NOW });
    expect(notifications.emails[0]).toMatchObject({
      key: { reelId: reel.id, status: 'failed' },
      once: true,
      message: { subject: `Your reel "${reel.title}" could not be generated`, text: expect.stringContaining('Reason: avatar not found') },
    });
    expect(notifications.chats[0]).toMatchObject({ key: { reelId: reel.id, status: 'failed' }, event: { level: 'error', text: expect.stringContaining('avatar not found') } });
    expect(outbound.published).toEqual([
      { workspaceId: reel.workspaceId, eventType: 'reel.failed', data: { reelId: reel.id, title: reel.title, error: 'avatar not found', failedAt: NOW }, messageId: messageIdFor(reel.id, 0, 'reel.failed') },
    ]);
  });

  for (const reason of [undefined, '']) {
    it(`without a message (${JSON.stringify(reason)}) the reel fails with "${DEFAULT_REEL_FAILURE}"`, async () => {
      const { service, reels, reel } = given({ status: 'approved' });
      await service.failed(reel, reason);
      expect(reels.get(reel.id).error).toBe(DEFAULT_REEL_FAILURE);
    });
  }

  it('a failure after a success is ignored: the reel stays completed, no notice goes out', async () => {
    const { service, reels, notifications, outbound, reel } = given({ status: 'completed', ...URLS });

    const result = await service.failed(reel, 'late');

    expect(result).toMatchObject({ outcome: 'ignored', reel: { status: 'completed' } });
    expect(reels.get(reel.id)).toMatchObject({ status: 'completed', videoUrl: URLS.videoUrl });
    expect([notifications.emails, outbound.published]).toEqual([[], []]);
  });

  it('a repeated failure is a duplicate and keeps the first reason', async () => {
    const { service, reels, outbound, reel } = given({ status: 'failed', error: 'first' });
    expect((await service.failed(reel, 'second')).outcome).toBe('duplicate');
    expect(reels.get(reel.id).error).toBe('first');
    expect(outbound.published).toEqual([]);
  });
});

describe('ReelEventsService: order of arrival (unit)', () => {
  const verdicts = {
    success: (kit: ReturnType<typeof given>, reel: ReelRecord) => kit.service.completed(reel, URLS),
    failure: (kit: ReturnType<typeof given>, reel: ReelRecord) => kit.service.failed(reel, 'boom'),
  };
  const rows: Array<{ order: Array<keyof typeof verdicts>; outcomes: string[]; final: string; sent: string[] }> = [
    { order: ['success', 'failure'], outcomes: ['accepted', 'ignored'], final: 'completed', sent: ['reel.completed'] },
    { order: ['failure', 'success'], outcomes: ['accepted', 'accepted'], final: 'completed', sent: ['reel.failed', 'reel.completed'] },
    { order: ['success', 'success'], outcomes: ['accepted', 'duplicate'], final: 'completed', sent: ['reel.completed'] },
    { order: ['failure', 'failure'], outcomes: ['accepted', 'duplicate'], final: 'failed', sent: ['reel.failed'] },
    { order: ['failure', 'success', 'failure'], outcomes: ['accepted', 'accepted', 'ignored'], final: 'completed', sent: ['reel.failed', 'reel.completed'] },
  ];
  for (const { order, outcomes, final, sent } of rows) {
    it(`${order.join(' then ')} → ${outcomes.join(', ')}; ends ${final}; publishes ${sent.join(', ')}`, async () => {
      const kit = given({ status: 'processing' });
      const seen: string[] = [];
      for (const verdict of order) seen.push((await verdicts[verdict](kit, kit.reels.get(kit.reel.id))).outcome);
      expect(seen).toEqual(outcomes);
      expect(kit.reels.get(kit.reel.id).status).toBe(final);
      expect(kit.outbound.published.map((message) => message.eventType)).toEqual(sent);
      expect(kit.notifications.emails).toHaveLength(sent.length);
    });
  }
});

describe('ReelEventsService.notify (unit)', () => {
  it('an owner who no longer exists gets no e-mail; the chat notice and the message still go and the reel is marked notified', async () => {
    const { service, users, notifications, outbound, reels, reel } = given({ status: 'processing' });
    users.users.delete(reel.userId);

    await service.completed(reel, URLS);

    expect(notifications.emails).toEqual([]);
    expect(notifications.chats).toHaveLength(1);
    expect(outbound.published).toHaveLength(1);
    expect(reels.notified).toEqual([{ id: reel.id, status: 'completed' }]);
  });

  for (const failing of ['emailForWorkspace', 'chatOnce', 'publish'] as const) {
    it(`${failing} failing leaves notifyPending set for the reconciliation, and the verdict still stands (never throws)`, async () => {
      const { service, notifications, outbound, reels, reel } = given({ status: 'processing' });
      if (failing === 'publish') outbound.failures.fail('publish');
      else notifications.failures.fail(failing);

      const result = await service.completed(reel, URLS);

      expect(result.outcome).toBe('accepted');
      expect(reels.notified).toEqual([]);
      expect(reels.get(reel.id)).toMatchObject({ status: 'completed', notifyPending: true });
    });
  }

  it('paid again (the reconciliation after a crash), it uses the same keys and message id, so nothing is sent twice', async () => {
    const { service, notifications, outbound, reels, reel } = given({ status: 'processing' });
    await service.completed(reel, URLS);

    await service.notify(reels.get(reel.id));

    expect(new Set(notifications.emails.map((email) => JSON.stringify([email.key, email.once])))).toEqual(new Set([JSON.stringify([{ reelId: reel.id, status: 'completed' }, true])]));
    expect(new Set(outbound.published.map((message) => message.messageId))).toEqual(new Set([messageIdFor(reel.id, 0, 'reel.completed')]));
  });
});

describe('reelResultProblem (unit, table)', () => {
  const long = `https://resource.heygen.ai/${'a'.repeat(2048)}`;
  const rows: Array<[string, Parameters<typeof reelResultProblem>[0], string | undefined]> = [
    ['both usable', URLS, undefined],
    ['both absent', {}, undefined],
    ['only a video URL', { videoUrl: URLS.videoUrl }, undefined],
    ['a video URL that is not http(s)', { videoUrl: 'ftp://resource.heygen.ai/v.mp4' }, 'the video URL must be an http(s) URL'],
    ['a javascript: video URL', { videoUrl: 'javascript:alert(1)' }, 'the video URL must be an http(s) URL'],
    ['a relative video URL', { videoUrl: '/video/abc.mp4' }, 'the video URL must be an http(s) URL'],
    ['credentials in the thumbnail URL', { thumbnailUrl: 'https://u:p@resource.heygen.ai/t.jpg' }, 'the thumbnail URL must not contain credentials (user:password@)'],
    ['a video URL that is not a string', { videoUrl: 42 }, 'the video URL must be a string'],
    ['a line break in the video URL', { videoUrl: 'https://resource.heygen.ai/v.mp4\r\nX: y' }, 'the video URL must not contain control or invisible characters'],
    ['a zero-width space in the thumbnail URL', { thumbnailUrl: 'https://resource.heygen.ai/t\u200b.jpg' }, 'the thumbnail URL must not contain control or invisible characters'],
    ['both bad: the video URL is named first', { videoUrl: 'nope', thumbnailUrl: 'nope' }, 'the video URL must be an http(s) URL'],
  ];
  for (const [name, result, expected] of rows) {
    it(`${name} → ${expected ?? 'no problem'}`, () => {
      expect(reelResultProblem(result)).toBe(expected);
    });
  }

  it('a URL over 2048 characters is refused, and the caller’s field names are used', () => {
    expect(reelResultProblem({ videoUrl: long }, { videoUrl: 'event_data.url', thumbnailUrl: 'event_data.thumbnail_url' })).toBe('event_data.url must be at most 2048 characters');
  });
});
