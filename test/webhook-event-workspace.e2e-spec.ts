import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { eventually } from './utils/eventually.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel, eventsOfRequest, newRequestId } from './utils/webhook-events.js';

/**
 * Each webhook event stores the workspace its handler found (RCK: the video's, HeyGen: the reel's),
 * and the event log's list and stats filter by it. Every test uses a workspace of its own, so the
 * numbers are exact whatever else the file stores.
 */
describe('Webhook events by workspace (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  let admin: { Authorization: string };

  beforeAll(async () => {
    rck = await FakeRck.start();
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({ env: { ...videosTestEnv(rck), ...reelsTestEnv(heygen, smtp), WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' } });
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
    await heygen.stop();
    await smtp.stop();
  });

  /** A workspace with one video sent to RCK (through the real bulk-generate). */
  async function givenVideo(): Promise<{ workspaceId: string; videoId: string }> {
    const workspace = await t.given.workspace({ monthlyVideoLimit: 100 });
    const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const product = await t.given.product(workspace.id);
    const response = await t.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${token}`)
      .send({ productIds: [product.id], templateId: 'template_001', templateName: 'Product Showcase' }).expect(201);
    return { workspaceId: workspace.id, videoId: response.body.data.videoIds[0] };
  }

  /** A reel of a new workspace, moved straight to `processing` with HeyGen's video id. */
  async function givenReel(): Promise<{ workspaceId: string; reelId: string; heygenVideoId: string }> {
    const workspace = await t.given.workspace();
    const owner = await t.given.user({ workspaceId: workspace.id });
    const reel = await t.app.get(ReelRepository).create({
      userId: owner.id, workspaceId: workspace.id, title: 'Teaser', script: 'Hello', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16',
    });
    const heygenVideoId = `vid_${new Types.ObjectId().toHexString()}`;
    await t.connection.collection('reels').updateOne(
      { _id: new Types.ObjectId(reel.id) },
      { $set: { status: 'processing', heygenVideoId, processingAt: new Date() } },
    );
    return { workspaceId: workspace.id, reelId: reel.id, heygenVideoId };
  }

  /** Sends an RCK callback and answers the event it left. */
  async function rckDelivery(kind: 'success' | 'failure', body: object, headers?: Record<string, string>) {
    const raw = JSON.stringify(body);
    const requestId = newRequestId();
    await t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).set('x-request-id', requestId).send(raw);
    const [event] = await eventsOfRequest(t, requestId);
    return event;
  }

  async function heygenDelivery(body: object) {
    const raw = JSON.stringify(body);
    const requestId = newRequestId();
    await t.http().post('/api/webhook/heygen')
      .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw), 'x-request-id': requestId })
      .send(raw).expect(200);
    const [event] = await eventsOfRequest(t, requestId);
    return event;
  }

  const list = (query: Record<string, string | number>) => t.http().get('/api/webhook-events').query(query).set(admin);
  const stats = (query: Record<string, string>) => t.http().get('/api/webhook-events/stats').query(query).set(admin);
  const counts = (c: Record<string, number>) => ({ total: 0, accepted: 0, duplicate: 0, conflict: 0, ignored: 0, rejected: 0, failed: 0, held: 0, released: 0, ...c });

  it('stores the video\'s workspace on an RCK delivery its handler took, and on a repeat of it; none on refused ones', async () => {
    const { workspaceId, videoId } = await givenVideo();
    const raw = JSON.stringify({ videoId, youtubeVideoId: 'abc' });
    const headers = rckHeaders(raw);
    const accepted = await rckDelivery('success', { videoId, youtubeVideoId: 'abc' }, headers);
    expect(accepted).toEqual(expect.objectContaining({ status: 'accepted', videoId, workspaceId: new Types.ObjectId(workspaceId) }));
    expect(accepted.workspaceId).toBeInstanceOf(Types.ObjectId);

    // The same webhook-id again: answered from the delivery memory without the handler, same workspace.
    const repeat = await rckDelivery('success', { videoId, youtubeVideoId: 'abc' }, headers);
    expect(repeat).toEqual(expect.objectContaining({ status: 'duplicate', workspaceId: new Types.ObjectId(workspaceId) }));
    const ignored = await rckDelivery('failure', { videoId, error: 'late' });
    expect(ignored).toEqual(expect.objectContaining({ status: 'ignored', workspaceId: new Types.ObjectId(workspaceId) }));

    const badSignature = await rckDelivery('success', { videoId }, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' });
    expect(badSignature).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 401 }));
    expect(badSignature.workspaceId).toBeUndefined();
    const unknownVideo = await rckDelivery('success', { videoId: new Types.ObjectId().toHexString() });
    expect(unknownVideo).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 404 }));
    expect(unknownVideo.workspaceId).toBeUndefined();

    // The HTTP answer keeps the contract's shape (docs/contracts/rck.md#answers): no workspace in it.
    const answer = await t.http().post('/internal/videos/success').set(rckHeaders(raw)).send(raw).expect(200);
    expect(Object.keys(answer.body.data).sort()).toEqual(['productId', 'videoId', 'youtubeVideoId']);
  });

  it('stores the reel\'s workspace on a HeyGen delivery; none when no reel matches', async () => {
    const { workspaceId, reelId, heygenVideoId } = await givenReel();
    const event = await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: heygenVideoId, url: 'https://cdn.example.com/r.mp4' } });
    expect(event).toEqual(expect.objectContaining({ status: 'accepted', recordId: reelId, workspaceId: new Types.ObjectId(workspaceId) }));
    const unknown = await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: `vid_${newRequestId()}` } });
    expect(unknown.status).toBe('ignored');
    expect(unknown.workspaceId).toBeUndefined();
  });

  it('lists and counts one workspace\'s deliveries only, with exact numbers', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const one = await givenVideo();
    const two = await givenReel();
    await rckDelivery('success', { videoId: one.videoId, youtubeVideoId: 'x' });
    await rckDelivery('success', { videoId: one.videoId, youtubeVideoId: 'x' });
    await rckDelivery('failure', { videoId: one.videoId, error: 'late' });
    await rckDelivery('success', { videoId: one.videoId }, { ...rckHeaders('{}'), 'webhook-signature': 'v1,AAAA' });
    await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: two.heygenVideoId, url: 'https://cdn.example.com/r.mp4' } });
    const to = new Date(Date.now() + 1000).toISOString();

    const first = await list({ workspaceId: one.workspaceId, limit: 50 }).expect(200);
    expect(first.body.data.pagination.total).toBe(3);
    expect(first.body.data.events.map((e: { status: string }) => e.status)).toEqual(['ignored', 'duplicate', 'accepted']);
    for (const e of first.body.data.events) expect(e).toEqual(expect.objectContaining({ workspaceId: one.workspaceId, videoId: one.videoId }));
    const second = await list({ workspaceId: two.workspaceId }).expect(200);
    expect(second.body.data.pagination.total).toBe(1);
    expect(second.body.data.events[0]).toEqual(expect.objectContaining({ source: 'heygen', status: 'accepted', workspaceId: two.workspaceId }));
    // With other filters too.
    expect((await list({ workspaceId: one.workspaceId, status: 'accepted' }).expect(200)).body.data.pagination.total).toBe(1);
    expect((await list({ workspaceId: new Types.ObjectId().toHexString() }).expect(200)).body.data.pagination.total).toBe(0);

    const s = (await stats({ from, to, groupBy: 'day', workspaceId: one.workspaceId }).expect(200)).body.data;
    expect(s).toEqual(expect.objectContaining({
      total: 3,
      bySource: [{ source: 'rck', ...counts({ total: 3, accepted: 1, duplicate: 1, ignored: 1 }) }],
      outcomes: { succeeded: 1, failed: 0, successRate: 1, failureRate: 0 },
      // The refused delivery about this video has no workspace.
      refused: [],
    }));
    expect(s.generationTime.videos).toBe(1);
    expect(s.volume.reduce((sum: number, p: { total: number }) => sum + p.total, 0)).toBe(3);
    const s2 = (await stats({ from, to, workspaceId: two.workspaceId }).expect(200)).body.data;
    expect(s2).toEqual(expect.objectContaining({
      total: 1,
      bySource: [{ source: 'heygen', ...counts({ total: 1, accepted: 1 }) }],
      outcomes: { succeeded: 1, failed: 0, successRate: 1, failureRate: 0 },
      generationTime: { videos: 0, averageMs: null, p95Ms: null },
      refused: [],
    }));
    // Without the filter the refused one is counted.
    const all = (await stats({ from, to }).expect(200)).body.data;
    expect(all.total).toBeGreaterThanOrEqual(5);
    expect(all.refused.find((r: { source: string }) => r.source === 'rck').total).toBeGreaterThanOrEqual(1);
  });

  it('a replay records the workspace its handler found', async () => {
    const { workspaceId, videoId } = await givenVideo();
    const event = await rckDelivery('success', { videoId, youtubeVideoId: 'r' });
    const replay = await t.http().post(`/api/webhook-events/${event._id.toHexString()}/replay`).set(admin).expect(200);
    expect(replay.body.data.event).toEqual(expect.objectContaining({ status: 'duplicate', replayOf: event._id.toHexString(), workspaceId }));
    const stored = await eventModel(t).findById(replay.body.data.event._id).lean().exec();
    expect(stored!.workspaceId).toEqual(new Types.ObjectId(workspaceId));

    const reel = await givenReel();
    const heygenEvent = await heygenDelivery({ event_type: 'avatar_video.success', event_data: { video_id: reel.heygenVideoId, url: 'https://cdn.example.com/r.mp4' } });
    const heygenReplay = await t.http().post(`/api/webhook-events/${heygenEvent._id.toHexString()}/replay`).set(admin).expect(200);
    expect(heygenReplay.body.data.event).toEqual(expect.objectContaining({ replayOf: heygenEvent._id.toHexString(), workspaceId: reel.workspaceId }));
    const byWorkspace = await list({ workspaceId: reel.workspaceId }).expect(200);
    expect(byWorkspace.body.data.pagination.total).toBe(2);
  });

  it('bulk replay with a workspaceId replays that workspace\'s deliveries only', async () => {
    const since = new Date();
    const one = await givenVideo();
    const two = await givenVideo();
    const ofOne = await rckDelivery('success', { videoId: one.videoId, youtubeVideoId: 'b1' });
    const ofTwo = await rckDelivery('success', { videoId: two.videoId, youtubeVideoId: 'b2' });
    const response = await t.http().post('/api/webhook-events/replay').set(admin).send({ workspaceId: one.workspaceId, from: since.toISOString() }).expect(202);
    expect(response.body.data).toEqual({ queued: 1 });
    await t.app.get(JobRunner).drain(10_000);
    await eventually(async () => expect(await eventModel(t).countDocuments({ replayOf: ofOne._id })).toBe(1));
    const replayed = await eventModel(t).findOne({ replayOf: ofOne._id }).lean().exec();
    expect(replayed!.workspaceId).toEqual(new Types.ObjectId(one.workspaceId));
    expect(await eventModel(t).countDocuments({ replayOf: ofTwo._id })).toBe(0);
    expect((await t.http().post('/api/webhook-events/replay').set(admin).send({ workspaceId: 'nope' }).expect(400)).body.message)
      .toBe('workspaceId must be a valid ObjectId');
  });

  it('refuses a workspaceId that is not an ObjectId (400), on the list and the stats', async () => {
    for (const request of [list({ workspaceId: 'nope' }), stats({ workspaceId: 'nope' })]) {
      const response = await request.expect(400);
      expect(response.body).toEqual(expect.objectContaining({ success: false, message: 'workspaceId must be a valid ObjectId' }));
    }
  });
});
