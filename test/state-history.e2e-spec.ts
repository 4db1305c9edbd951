import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

/**
 * Every state change of a video or a reel is kept with the version it made, pushed by the same
 * conditional update that makes it, and every call to RCK or HeyGen with its outcome: what the
 * timeline shows. The same update, so a change that loses a race leaves no entry.
 */
describe('State history of videos and reels (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;

  beforeAll(async () => {
    rck = await FakeRck.start();
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({ env: { ...videosTestEnv(rck), ...reelsTestEnv(heygen, smtp) } });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
    await heygen.stop();
    await smtp.stop();
  });

  const video = async (id: string) => (await t.app.get(AIVideoRepository).findById(id))!;
  const changes = (history: Array<{ version: number; status: string }> | undefined) => (history ?? []).map((h) => `${h.version} ${h.status}`);

  function callback(kind: 'success' | 'failure', body: object) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw);
  }

  it('keeps a video\'s every change with its version: created, refused by RCK (pending), taken on a later send, completed', async () => {
    rck.script.push({ status: 503 });
    const { ids } = await t.given.videos(1);
    await eventually(async () => expect((await video(ids[0])).status).toBe('generating'), 10_000);
    await callback('success', { videoId: ids[0], youtubeVideoId: 'yt' }).expect(200);
    const done = await video(ids[0]);
    expect(changes(done.metadata.history)).toEqual(['0 generating', '1 pending', '2 generating', '3 completed']);
    expect(done.metadata.version).toBe(3);
    expect(done.metadata.history![1]).toEqual(expect.objectContaining({ reason: 'RCK answered 503', at: expect.any(Date) }));
    // Each send, with RCK's answer: refused, then taken with its job id.
    expect(done.metadata.dispatches).toEqual([
      expect.objectContaining({ ok: false, error: 'RCK answered 503' }),
      expect.objectContaining({ ok: true, externalJobId: `job_${ids[0]}` }),
    ]);
    const times = done.metadata.history!.map((h) => h.at.getTime());
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('keeps one entry for fifty concurrent identical callbacks: only the update that won writes one', async () => {
    const { ids } = await t.given.videos(1);
    const responses = await Promise.all(Array.from({ length: 50 }, () => callback('success', { videoId: ids[0], youtubeVideoId: 'same' })));
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(changes((await video(ids[0])).metadata.history)).toEqual(['0 generating', '1 completed']);
  });

  it('says who failed a video by hand and why, and a retry after it', async () => {
    const { ids } = await t.given.videos(1);
    const admin = await t.given.loggedIn({ role: Role.SuperAdmin });
    await t.http().post(`/api/videos/${ids[0]}/fail`).set('Authorization', `Bearer ${admin.token}`).send({ reason: 'Wrong template' }).expect(200);
    const failed = await video(ids[0]);
    expect(failed.metadata.history!.at(-1)).toEqual(expect.objectContaining({ version: 1, status: 'failed', reason: 'Wrong template', by: admin.user.id }));
    const owner = await t.given.loggedIn({ workspaceId: failed.workspaceId });
    await t.http().post(`/api/videos/${ids[0]}/retry`).set('Authorization', `Bearer ${owner.token}`).expect(200);
    await t.app.get(JobRunner).drain(10_000);
    expect(changes((await video(ids[0])).metadata.history)).toEqual(['0 generating', '1 failed', '2 pending', '3 generating']);
  });

  it('keeps a reel\'s every change with its version, and each call to HeyGen', async () => {
    const workspace = await t.given.workspace();
    const owner = await t.given.loggedIn({ workspaceId: workspace.id });
    const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const created = await t.http().post('/api/reels').set('Authorization', `Bearer ${owner.token}`)
      .send({ title: 'Teaser', script: 'Hello there', avatarId: 'a', voiceId: 'v' }).expect(201);
    const reelId = created.body.data._id as string;
    heygen.script.push({ status: 500 });
    await t.http().post(`/api/reels/${reelId}/approve`).set('Authorization', `Bearer ${producer.token}`).expect(200);
    const reels = t.app.get(ReelRepository);
    const processing = await eventually(async () => {
      const reel = (await reels.findById(reelId))!;
      expect(reel.status).toBe('processing');
      return reel;
    }, 10_000);
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: processing.heygenVideoId, url: 'https://cdn.example.com/r.mp4' } });
    await t.http().post('/api/webhook/heygen')
      .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw).expect(200);
    const reel = (await reels.findById(reelId))!;
    expect(changes(reel.history)).toEqual(['0 requested', '1 approved', '2 processing', '3 completed']);
    expect(reel.version).toBe(3);
    expect(reel.history[0].by).toBe(owner.user.id);
    expect(reel.history[1].by).toBe(producer.user.id);
    expect(reel.generateCalls).toEqual([
      expect.objectContaining({ kind: 'generate', ok: false, error: expect.stringContaining('500') }),
      // The retry asks first whether the failed call made a video after all (it did not), then sends.
      expect.objectContaining({ kind: 'generate', ok: true, heygenVideoId: processing.heygenVideoId }),
    ]);
  });
});
