import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { InternalServerErrorException } from '@nestjs/common';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { VideoCallbacksService } from '../src/videos/video-callbacks.service.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { rckHeaders } from './utils/rck-signing.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel, eventsOfRequest, newRequestId } from './utils/webhook-events.js';

describe('Replaying webhook events (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let admin: { Authorization: string };

  beforeAll(async () => {
    rck = await FakeRck.start();
    t = await createTestApp({
      env: videosTestEnv(rck, { WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20', WEBHOOK_REPLAY_MAX_EVENTS: '3' }),
      overrides: [hookable(VideoCallbacksService)],
    });
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });

  const givenVideos = async (count = 1) => (await t.given.videos(count)).ids;

  /** Delivers and answers the id of the event it left. */
  async function deliver(kind: 'success' | 'failure', body: object | string, headers?: Record<string, string>): Promise<string> {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const requestId = newRequestId();
    await t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).set('x-request-id', requestId).send(raw);
    const [event] = await eventsOfRequest(t, requestId);
    return event._id.toHexString();
  }

  /** Deliveries that hit a broken service (500, `failed`), as after an outage. */
  async function withBrokenCallbacks<T>(work: () => Promise<T>, kind: 'succeeded' | 'failed' = 'succeeded'): Promise<T> {
    const callbacks = hooked(t.app.get(VideoCallbacksService));
    callbacks.hooks[kind] = async () => {
      throw new InternalServerErrorException('database unavailable (injected)');
    };
    try {
      return await work();
    } finally {
      delete callbacks.hooks[kind];
    }
  }

  const replay = (id: string) => t.http().post(`/api/webhook-events/${id}/replay`).set(admin);

  it('replays a failed delivery through the same handler, recording the run with replayOf', async () => {
    const [videoId] = await givenVideos(1);
    const failedId = await withBrokenCallbacks(() => deliver('success', { videoId, youtubeVideoId: 'abc', video_url: 'https://cdn.example.com/v.mp4' }));
    expect((await eventModel(t).findById(failedId).lean())!).toEqual(expect.objectContaining({ status: 'failed', httpStatus: 500 }));
    expect((await t.app.get(AIVideoRepository).findById(videoId))!.status).toBe('generating');

    const response = await replay(failedId).expect(200);
    expect(response.body.message).toBe('Webhook event replayed: accepted');
    expect(response.body.data.response).toEqual(expect.objectContaining({ success: true, message: 'Video status updated successfully' }));
    expect(response.body.data.event).toEqual(expect.objectContaining({
      replayOf: failedId, status: 'accepted', httpStatus: 200, endpoint: '/internal/videos/success', source: 'rck', videoId, recordId: videoId,
      payload: { videoId, youtubeVideoId: 'abc', video_url: 'https://cdn.example.com/v.mp4' },
    }));
    expect((await t.app.get(AIVideoRepository).findById(videoId))!.metadata).toEqual(expect.objectContaining({ youtubeVideoId: 'abc', videoUrl: 'https://cdn.example.com/v.mp4' }));
    // The replay is an event like any other.
    const stored = await t.http().get(`/api/webhook-events/${response.body.data.event._id}`).set(admin).expect(200);
    expect(stored.body.data.replayOf).toBe(failedId);

    // Idempotency still applies: replaying again changes nothing and says so.
    const version = (await t.app.get(AIVideoRepository).findById(videoId))!.metadata.version;
    const again = await replay(failedId).expect(200);
    expect(again.body.data.event.status).toBe('duplicate');
    expect((await t.app.get(AIVideoRepository).findById(videoId))!.metadata.version).toBe(version);
  });

  it('replays a HeyGen delivery through the HeyGen controller\'s own handler', async () => {
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: `unknown_${newRequestId()}`, url: 'https://cdn.example.com/h.mp4' } });
    const requestId = newRequestId();
    await t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) })
      .set('x-request-id', requestId).send(raw).expect(200);
    const [event] = await eventsOfRequest(t, requestId);
    expect(event).toEqual(expect.objectContaining({ source: 'heygen', eventType: 'avatar_video.success', status: 'ignored' }));
    const response = await replay(event._id.toHexString()).expect(200);
    expect(response.body.data.event).toEqual(expect.objectContaining({ replayOf: event._id.toHexString(), endpoint: '/api/webhook/heygen', status: 'ignored', httpStatus: 200 }));
    expect(response.body.data.response).toEqual(expect.objectContaining({ success: true, data: expect.objectContaining({ outcome: 'ignored' }) }));
  });

  it('records a replay the handler refuses, and answers what it said', async () => {
    const unknown = new Types.ObjectId().toHexString();
    const id = await deliver('failure', { videoId: unknown, error: 'x' });
    const response = await replay(id).expect(200);
    expect(response.body.data.event).toEqual(expect.objectContaining({ status: 'rejected', httpStatus: 404, error: 'Video not found', replayOf: id }));
    expect(response.body.data.response).toEqual({ success: false, message: 'Video not found' });
  });

  it('never replays a delivery whose signature failed, or whose body was not JSON', async () => {
    const [videoId] = await givenVideos(1);
    const raw = JSON.stringify({ videoId });
    const forged = await deliver('success', raw, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' });
    expect((await replay(forged).expect(409)).body.message).toBe('A delivery whose signature did not verify cannot be replayed');
    const malformed = await deliver('success', '{"videoId":');
    expect((await replay(malformed).expect(409)).body.message).toBe('Only a delivery whose body was a JSON object can be replayed');
    expect((await t.app.get(AIVideoRepository).findById(videoId))!.status).toBe('generating');
    expect((await replay(new Types.ObjectId().toHexString()).expect(404)).body).toEqual({ success: false, message: 'Webhook event not found' });
    await replay('nope').expect(400);
  });

  it('replays every failed delivery since T in the background, through the job runner', async () => {
    const ids = await givenVideos(3);
    const since = new Date();
    const failed = await withBrokenCallbacks(async () => {
      const out = [];
      for (const videoId of ids) out.push(await deliver('success', { videoId }));
      return out;
    });
    // A bad signature in the same window is never replayed, even when it matches.
    const raw = JSON.stringify({ videoId: ids[0] });
    await deliver('success', raw, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' });

    const response = await t.http().post('/api/webhook-events/replay').set(admin).send({ status: 'failed', from: since.toISOString() }).expect(202);
    expect(response.body).toEqual({ success: true, message: '3 webhook event(s) queued for replay', data: { queued: 3 } });
    await t.app.get(JobRunner).drain(10_000);
    await eventually(async () => {
      for (const videoId of ids) expect((await t.app.get(AIVideoRepository).findById(videoId))!.status).toBe('completed');
      const replays = await eventModel(t).find({ replayOf: { $in: failed.map((id) => new Types.ObjectId(id)) } }).lean();
      expect(replays.map((e) => e.status)).toEqual(['accepted', 'accepted', 'accepted']);
    });

    // Nothing left to replay with a filter that matches nothing; too many is refused, not cut short.
    expect((await t.http().post('/api/webhook-events/replay').set(admin).send({ status: 'failed', from: new Date().toISOString() }).expect(202)).body.data.queued).toBe(0);
    expect((await t.http().post('/api/webhook-events/replay').set(admin).send({}).expect(400)).body.message)
      .toBe('More than 3 events match; narrow the filters (from / to) and replay in parts');
    expect((await t.http().post('/api/webhook-events/replay').set(admin).send({ status: 'lost' }).expect(400)).body.message)
      .toBe('status must be one of accepted, duplicate, conflict, ignored, held, released, rejected, failed');
  });

  it('says which events a replay could change something for, and why not for the others', async () => {
    const [video, other] = await givenVideos(2);
    const raw = JSON.stringify({ videoId: video, youtubeVideoId: 'r1' });
    const headers = rckHeaders(raw);
    const failed = await withBrokenCallbacks(() => deliver('success', { videoId: other }));
    const accepted = await deliver('success', raw, headers);
    const duplicate = await deliver('success', raw, headers);
    const forged = await deliver('failure', raw, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' });
    const malformed = await deliver('failure', '{"videoId":');
    const unknownVideo = await deliver('failure', { videoId: new Types.ObjectId().toHexString(), error: 'x' });
    const shown = async (id: string) => {
      const { replayable, notReplayableReason } = (await t.http().get(`/api/webhook-events/${id}`).set(admin).expect(200)).body.data;
      return { replayable, notReplayableReason };
    };
    expect(await shown(failed)).toEqual({ replayable: true });
    expect(await shown(unknownVideo)).toEqual({ replayable: true });
    expect(await shown(accepted)).toEqual({ replayable: false, notReplayableReason: 'It was applied already: a replay would change nothing' });
    expect(await shown(duplicate)).toEqual({ replayable: false, notReplayableReason: 'It repeated a delivery handled before: a replay is answered as that one was' });
    expect(await shown(forged)).toEqual({ replayable: false, notReplayableReason: 'Its signature did not verify: its body was never proven to come from the sender' });
    expect(await shown(malformed)).toEqual({ replayable: false, notReplayableReason: 'Its body was not a JSON object' });
    // The list says the same, row by row.
    const listed = (await t.http().get('/api/webhook-events').query({ videoId: other }).set(admin).expect(200)).body.data.events;
    expect(listed).toEqual([expect.objectContaining({ _id: failed, replayable: true })]);

    // Once a replay of it was applied, another would change nothing.
    await replay(failed).expect(200);
    expect(await shown(failed)).toEqual({ replayable: false, notReplayableReason: 'A replay of it was applied already: another would change nothing' });
  });

  it('counts what a bulk replay of the filters would queue before it is asked, the same number it then queues', async () => {
    const ids = await givenVideos(2);
    const since = new Date();
    await withBrokenCallbacks(async () => {
      for (const videoId of ids) await deliver('success', { videoId });
    });
    const raw = JSON.stringify({ videoId: ids[0] });
    await deliver('success', raw, { ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' });
    const preview = (query: Record<string, unknown>) => t.http().get('/api/webhook-events/replayable').query(query).set(admin);

    const filters = { status: 'failed', from: since.toISOString() };
    expect((await preview(filters).expect(200)).body).toEqual({ success: true, data: { replayable: 2, max: 3 } });
    expect((await preview({ httpStatus: 500, from: since.toISOString() }).expect(200)).body.data.replayable).toBe(2);
    // The refused one (signature) is never counted, whatever the filter.
    expect((await preview({ from: since.toISOString() }).expect(200)).body.data.replayable).toBe(2);
    expect((await preview({ status: 'duplicate' }).expect(200)).body.data.replayable).toBe(0);
    expect((await preview({}).expect(200)).body.data.replayable).toBeGreaterThan(3);
    expect((await preview({ httpStatus: 'x' }).expect(400)).body.message).toBe('httpStatus must be an integer');
    expect((await preview({ page: 2 }).expect(400)).body.message).toBe('property page should not exist');

    expect((await t.http().post('/api/webhook-events/replay').set(admin).send(filters).expect(202)).body.data.queued).toBe(2);
    await t.app.get(JobRunner).drain(10_000);
  });

  it('never applies a body that was answered as a conflict: another video\'s callback reusing a handled webhook-id', async () => {
    const [a, b] = await givenVideos(2);
    const webhookId = `msg_${new Types.ObjectId().toHexString()}`;
    const success = JSON.stringify({ videoId: a });
    await deliver('success', success, rckHeaders(success, { id: webhookId }));
    const failure = JSON.stringify({ videoId: b, error: 'Render crashed' });
    const reused = await deliver('failure', failure, rckHeaders(failure, { id: webhookId }));
    expect((await eventModel(t).findById(reused).lean())!).toEqual(expect.objectContaining({ status: 'conflict', httpStatus: 200 }));
    expect((await t.app.get(AIVideoRepository).findById(b))!.status).toBe('generating');

    // One by one, and in bulk (filters that match it: the bulk replay leaves conflicts out).
    const response = await replay(reused).expect(200);
    expect(response.body.message).toBe('Webhook event replayed: conflict');
    expect(response.body.data.event).toEqual(expect.objectContaining({ replayOf: reused, status: 'conflict', httpStatus: 200 }));
    expect(response.body.data.response).toEqual(expect.objectContaining({ success: true, message: 'Video status updated successfully', data: expect.objectContaining({ videoId: a }) }));
    for (const filter of [{ videoId: b }, { videoId: b, status: 'conflict' }]) {
      const bulk = await t.http().post('/api/webhook-events/replay').set(admin).send(filter).expect(202);
      expect(bulk.body.data.queued).toBe(0);
    }
    // Once the id is forgotten (its memory lasts 7 days), the event's own status still says not to apply it.
    await t.connection.collection('webhookdeliveries').deleteOne({ source: 'rck', deliveryId: webhookId });
    const late = await replay(reused).expect(200);
    expect(late.body.data.event).toEqual(expect.objectContaining({ replayOf: reused, status: 'conflict' }));
    expect(late.body.data.response).toEqual({ success: true, message: 'Not applied: this delivery repeated one handled before' });
    await t.app.get(JobRunner).drain(10_000);
    const video = (await t.app.get(AIVideoRepository).findById(b))!;
    expect(video.status).toBe('generating');
    expect(video.metadata.owed ?? []).toEqual([]);
  });

  it('never lets a callback received before a retry touch the new attempt', async () => {
    const [videoId] = await givenVideos(1);
    // RCK's failure hit an outage (500, not applied); the video was failed by hand and retried since.
    const failure = await withBrokenCallbacks(() => deliver('failure', { videoId, error: 'First attempt crashed' }), 'failed');
    await t.http().post(`/api/videos/${videoId}/fail`).set(admin).send({ reason: 'Stuck' }).expect(200);
    const { token } = await t.given.loggedIn({ workspaceId: (await t.app.get(AIVideoRepository).findById(videoId))!.workspaceId });
    await t.http().post(`/api/videos/${videoId}/retry`).set({ Authorization: `Bearer ${token}` }).expect(200);
    await eventually(async () => expect((await t.app.get(AIVideoRepository).findById(videoId))!.status).toBe('generating'));
    const before = (await t.app.get(AIVideoRepository).findById(videoId))!;

    const response = await replay(failure).expect(200);
    expect(response.body.data.event).toEqual(expect.objectContaining({ replayOf: failure, status: 'ignored', httpStatus: 200 }));
    expect(response.body.data.response).toEqual(expect.objectContaining({ success: true, message: "Callback received before the video's current attempt began; ignored" }));
    const after = (await t.app.get(AIVideoRepository).findById(videoId))!;
    expect(after.status).toBe('generating');
    expect(after.metadata.version).toBe(before.metadata.version);
    expect(after.metadata.owed ?? []).toEqual([]);

    // The new attempt's own callbacks still apply.
    await deliver('success', { videoId });
    expect((await t.app.get(AIVideoRepository).findById(videoId))!.status).toBe('completed');
  });
});
