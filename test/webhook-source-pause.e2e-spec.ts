import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { AIVideoRepository } from '../src/videos/ai-video.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { heldMessage } from '../src/inbound-webhook-contract/webhook-holds.js';
import { WEBHOOK_SOURCE_TIMING } from '../src/inbound-webhook-sources/webhook-source-states.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

/** Instances read the pause states again every 100 ms; a release looks for stragglers 200 ms after it ends. */
const FAST_TIMING = { provide: WEBHOOK_SOURCE_TIMING, useValue: { refreshMs: 100, settleMs: 200 } };

type Sent = { headers: Record<string, string>; raw: string };

/** The helpers every test here uses, on one instance. */
function helpers(t: TestApp) {
  const events = () => t.connection.collection('webhookevents');
  return {
    events,
    /** A signed RCK callback; `again` resends one exactly (a sender's retry). */
    rck(kind: 'success' | 'failure', body: object, again?: Sent) {
      const raw = again?.raw ?? JSON.stringify(body);
      const headers = again?.headers ?? rckHeaders(raw);
      return Object.assign(t.http().post(`/internal/videos/${kind}`).set(headers).send(raw), { sent: { headers, raw } });
    },
    async video(id: string) {
      return (await t.app.get(AIVideoRepository).findById(id))!;
    },
    async eventsOf(deliveryId: string) {
      return events().find({ deliveryId }).sort({ createdAt: 1, _id: 1 }).toArray();
    },
    async drain() {
      await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    },
  };
}

describe('Pausing and resuming a webhook source (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  let admin: { Authorization: string };
  let adminEmail: string;
  let h: ReturnType<typeof helpers>;

  beforeAll(async () => {
    rck = await FakeRck.start();
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({ env: { ...videosTestEnv(rck), ...reelsTestEnv(heygen, smtp) }, overrides: [FAST_TIMING] });
    const { user, token } = await t.given.loggedIn({ role: Role.SuperAdmin });
    admin = { Authorization: `Bearer ${token}` };
    adminEmail = user.email;
    h = helpers(t);
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
    await heygen.stop();
    await smtp.stop();
  });

  const sources = async () => (await t.http().get('/api/webhook-sources').set(admin).expect(200)).body.data as Array<Record<string, unknown>>;
  const sourceOf = async (source: string) => (await sources()).find((s) => s.source === source)!;

  it('holds RCK deliveries while paused (verified, stored, 200) and applies them in arrival order on resume', async () => {
    const { ids: [a, b] } = await t.given.videos(2);
    const versionA = (await h.video(a)).metadata.version;

    const paused = await t.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    expect(paused.body).toEqual({
      success: true,
      message: 'rck paused: its deliveries are verified, stored and answered, and held until it is resumed',
      data: { source: 'rck', state: 'paused', pausedAt: expect.any(String), pausedBy: adminEmail, waiting: 0 },
    });

    // A failure, then a success, for the same video: only in this order are both applied.
    const failure = h.rck('failure', { videoId: a, error: 'first render failed' });
    expect((await failure.expect(200)).body).toEqual({ success: true, message: heldMessage('rck'), data: { videoId: a, held: true } });
    const success = h.rck('success', { videoId: a, youtubeVideoId: 'yt-a', video_url: 'https://cdn.example.com/a.mp4' });
    await success.expect(200);
    await h.rck('success', { videoId: b, youtubeVideoId: 'yt-b' }).expect(200);
    // A bad signature is still refused while paused, and held nothing.
    await t.http().post('/internal/videos/success').set({ ...rckHeaders('{}'), 'webhook-signature': 'v1,AAAA' }).send(JSON.stringify({ videoId: a })).expect(401);
    // An invalid body is still refused (validation runs before the hold).
    await h.rck('success', { youtubeVideoId: 'no video id' }).expect(400);
    expect((await h.rck('failure', { videoId: 'nope' }).expect(400)).body).toEqual({ success: false, message: 'Invalid videoId format' });

    // The sender retries the success: answered as held, recorded as a duplicate, not held twice.
    const retry = await h.rck('success', {}, success.sent).expect(200);
    expect(retry.body).toEqual({ success: true, message: heldMessage('rck'), data: { videoId: a, held: true } });
    const successId = success.sent.headers['webhook-id'];
    expect((await h.eventsOf(successId)).map((e) => e.status)).toEqual(['held', 'duplicate']);

    // Nothing applied: the videos are as they were.
    expect((await h.video(a)).status).toBe('generating');
    expect((await h.video(a)).metadata.version).toBe(versionA);
    expect((await h.video(b)).status).toBe('generating');
    expect(await sourceOf('rck')).toEqual({ source: 'rck', state: 'paused', pausedAt: paused.body.data.pausedAt, pausedBy: adminEmail, waiting: 3 });
    expect(await sourceOf('heygen')).toEqual({ source: 'heygen', state: 'active', pausedAt: null, pausedBy: null, waiting: 0 });
    // The event log shows them, and a held event is not replayed on its own.
    const held = (await t.http().get('/api/webhook-events?status=held&source=rck').set(admin).expect(200)).body.data;
    expect(held.pagination.total).toBe(3);
    expect(held.events[0]).toEqual(expect.objectContaining({ replayable: false, notReplayableReason: 'It is held while its source is paused: resuming the source applies it, in arrival order' }));
    const replay = await t.http().post(`/api/webhook-events/${held.events[0]._id}/replay`).set(admin).expect(409);
    expect(replay.body).toEqual({ success: false, message: 'This delivery is held while its source is paused; resume the source to apply it' });
    expect((await t.http().get('/api/webhook-events/replayable?status=held').set(admin).expect(200)).body.data.replayable).toBe(0);
    // The metrics and the stats count them.
    const metrics = (await t.http().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/videogen_webhook_deliveries_total\{source="rck",event_type="failure",outcome="held"\} 1\b/);
    const stats = (await t.http().get('/api/webhook-events/stats').set(admin).expect(200)).body.data;
    expect(stats.bySource.find((s: { source: string }) => s.source === 'rck').held).toBeGreaterThanOrEqual(3);

    // Pausing again changes nothing.
    const again = await t.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    expect(again.body.message).toBe(`rck was already paused (since ${paused.body.data.pausedAt}); nothing changed`);
    expect(again.body.data.pausedAt).toBe(paused.body.data.pausedAt);

    const resumed = await t.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    expect(resumed.body.data).toEqual(expect.objectContaining({ source: 'rck', state: 'resuming', waiting: 3 }));
    expect(resumed.body.message).toBe('rck resuming: 3 held deliveries are being applied in arrival order');
    await h.drain();

    const videoA = await h.video(a);
    expect(videoA.status).toBe('completed');
    expect(videoA.metadata.history!.slice(-2).map((entry) => entry.status)).toEqual(['failed', 'completed']);
    expect(videoA.metadata.version).toBe(versionA + 2);
    expect((await h.video(b)).status).toBe('completed');
    // Each held event released once, its release recorded as the replay path records it.
    for (const sent of [failure.sent, success.sent]) {
      const [heldEvent, ...rest] = await h.eventsOf(sent.headers['webhook-id']);
      expect(heldEvent.status).toBe('released');
      expect(heldEvent.releasedAt).toEqual(expect.any(Date));
      const releases = rest.filter((e) => e.replayOf?.equals(heldEvent._id));
      expect(releases.map((e) => e.status)).toEqual(['accepted']);
    }
    expect(await sourceOf('rck')).toEqual({ source: 'rck', state: 'active', pausedAt: null, pausedBy: null, waiting: 0 });

    // A retry after the release gets the release's answer and applies nothing.
    const late = await h.rck('success', {}, success.sent).expect(200);
    expect(late.body.message).toBe('Video status updated successfully');
    expect((await h.video(a)).metadata.version).toBe(versionA + 2);
    // Resuming an active source changes nothing; live deliveries are handled at once again.
    expect((await t.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200)).body.message).toBe('rck is not paused; nothing changed');
    const { ids: [c] } = await t.given.videos(1);
    expect((await h.rck('success', { videoId: c }).expect(200)).body.message).toBe('Video status updated successfully');
  });

  it('does not apply a held delivery twice when a crash left its release unmarked', async () => {
    const { ids: [a, b] } = await t.given.videos(2);
    await t.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    const first = h.rck('success', { videoId: a, youtubeVideoId: 'yt-a' });
    await first.expect(200);
    const second = h.rck('success', { videoId: b, youtubeVideoId: 'yt-b' });
    await second.expect(200);
    await t.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    await h.drain();
    const versions = [(await h.video(a)).metadata.version, (await h.video(b)).metadata.version];

    // As if the release had crashed: of the first, after the handler ran but before anything was
    // recorded (its replay is lost); of the second, after its replay was recorded but before the mark.
    const [heldA, releaseA] = await h.eventsOf(first.sent.headers['webhook-id']);
    const [heldB] = await h.eventsOf(second.sent.headers['webhook-id']);
    await h.events().deleteOne({ _id: releaseA._id });
    await h.events().updateMany({ _id: { $in: [heldA._id, heldB._id] } }, { $set: { status: 'held' }, $unset: { releasedAt: '' } });
    for (const [sent, heldEvent] of [[first.sent, heldA], [second.sent, heldB]] as const) {
      await t.connection.collection('webhookdeliveries').updateOne(
        { source: 'rck', deliveryId: sent.headers['webhook-id'] },
        { $set: { held: true, eventId: heldEvent._id.toHexString(), httpStatus: 200, response: { success: true, message: heldMessage('rck') } } },
      );
    }
    await t.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    expect((await sourceOf('rck')).waiting).toBe(2);
    await t.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    await h.drain();

    expect([(await h.video(a)).metadata.version, (await h.video(b)).metadata.version]).toEqual(versions);
    const afterA = await h.eventsOf(first.sent.headers['webhook-id']);
    expect(afterA[0].status).toBe('released');
    // Run again: the handler's idempotency makes it a duplicate that changed nothing.
    expect(afterA.slice(1).map((e) => e.status)).toEqual(['duplicate']);
    const afterB = await h.eventsOf(second.sent.headers['webhook-id']);
    expect(afterB[0].status).toBe('released');
    // Recorded already: not run again, only marked.
    expect(afterB.slice(1).map((e) => e.status)).toEqual(['accepted']);
    expect((await sourceOf('rck')).state).toBe('active');
  });

  it('holds HeyGen events the same way, and leaves RCK alone', async () => {
    const workspace = await t.given.workspace();
    const owner = await t.given.user({ workspaceId: workspace.id });
    const reels = t.app.get(ReelRepository);
    const reel = await reels.create({ userId: owner.id, workspaceId: workspace.id, title: 'Teaser', script: 'Hello', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16' });
    const videoId = `vid_${new Types.ObjectId().toHexString()}`;
    await t.connection.collection('reels').updateOne({ _id: new Types.ObjectId(reel.id) }, { $set: { status: 'processing', heygenVideoId: videoId, processingAt: new Date() } });
    const raw = JSON.stringify({
      event_id: `evt_${new Types.ObjectId().toHexString()}`,
      event_type: 'avatar_video.success',
      event_data: { video_id: videoId, url: 'https://resource.heygen.ai/video/teaser.mp4', callback_id: reel.id },
    });
    const post = () => t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw);

    await t.http().post('/api/webhook-sources/heygen/pause').set(admin).expect(200);
    const answer = await post().expect(200);
    expect(answer.body).toEqual({ success: true, message: heldMessage('heygen'), data: { event_type: 'avatar_video.success', outcome: 'held', video_id: videoId } });
    expect((await post().expect(200)).body).toEqual(answer.body);
    expect((await reels.findById(reel.id))!.status).toBe('processing');
    const eventId = JSON.parse(raw).event_id;
    expect((await h.eventsOf(eventId)).map((e) => e.status)).toEqual(['held', 'duplicate']);
    expect(await sourceOf('heygen')).toEqual(expect.objectContaining({ state: 'paused', waiting: 1 }));

    // RCK is not paused: its callbacks are applied at once.
    const { ids: [v] } = await t.given.videos(1);
    expect((await h.rck('success', { videoId: v }).expect(200)).body.message).toBe('Video status updated successfully');
    expect((await h.video(v)).status).toBe('completed');

    await t.http().post('/api/webhook-sources/heygen/resume').set(admin).expect(200);
    await h.drain();
    expect((await reels.findById(reel.id))!.status).toBe('completed');
    const [heldEvent, duplicate, release] = await h.eventsOf(eventId);
    expect([heldEvent.status, duplicate.status, release.status]).toEqual(['released', 'duplicate', 'accepted']);
    expect(release.replayOf).toEqual(heldEvent._id);
    expect(await sourceOf('heygen')).toEqual(expect.objectContaining({ state: 'active', waiting: 0 }));
  });

  it('is for superadmins only, and names the sources when one is unknown', async () => {
    const { token: userToken } = await t.given.loggedIn();
    const { token: producerToken } = await t.given.loggedIn({ role: Role.Producer });
    for (const token of [userToken, producerToken]) {
      await t.http().get('/api/webhook-sources').set({ Authorization: `Bearer ${token}` }).expect(403);
      await t.http().post('/api/webhook-sources/rck/pause').set({ Authorization: `Bearer ${token}` }).expect(403);
      await t.http().post('/api/webhook-sources/rck/resume').set({ Authorization: `Bearer ${token}` }).expect(403);
    }
    await t.http().get('/api/webhook-sources').expect(401);
    await t.http().post('/api/webhook-sources/rck/pause').expect(401);
    const unknown = await t.http().post('/api/webhook-sources/stripe/pause').set(admin).expect(404);
    expect(unknown.body).toEqual({ success: false, message: 'Unknown webhook source; the sources are rck and heygen' });
    await t.http().post('/api/webhook-sources/stripe/resume').set(admin).expect(404);
    // Nothing was paused by any of these.
    expect((await sources()).map((s) => s.state)).toEqual(['active', 'active']);
  });
});

describe('Resuming a webhook source across instances (e2e)', () => {
  let a: TestApp;
  let b: TestApp | undefined;
  let rck: FakeRck;
  const dbName = uniqueDatabaseName('pause');

  beforeAll(async () => {
    rck = await FakeRck.start();
    a = await createTestApp({ env: videosTestEnv(rck), dbName, overrides: [FAST_TIMING] });
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.close();
    await b?.close();
    await rck.stop();
  });

  it('holds deliveries that arrive while resuming behind the backlog, and another instance finishes the release', async () => {
    const h = helpers(a);
    const { token } = await a.given.loggedIn({ role: Role.SuperAdmin });
    const admin = { Authorization: `Bearer ${token}` };
    const { ids: [video] } = await a.given.videos(1);
    const version = (await h.video(video)).metadata.version;
    await a.app.get(JobRunner).drain(30_000);

    await a.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    const failure = h.rck('failure', { videoId: video, error: 'render failed' });
    await failure.expect(200);
    // This instance stops running jobs (as if it were shutting down): the release waits in the database.
    await a.app.get(JobRunner).onModuleDestroy();
    await a.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);

    // Arriving while the held failure waits: held behind it, so the failure still comes first.
    const success = h.rck('success', { videoId: video, youtubeVideoId: 'yt-late' });
    expect((await success.expect(200)).body.data).toEqual({ videoId: video, held: true });
    const state = (await a.http().get('/api/webhook-sources').set(admin).expect(200)).body.data.find((s: { source: string }) => s.source === 'rck');
    expect(state).toEqual(expect.objectContaining({ state: 'resuming', waiting: 2 }));
    expect((await h.video(video)).status).toBe('generating');

    // A second instance starts, takes the release job and applies both, in arrival order.
    b = await createTestApp({ env: videosTestEnv(rck), dbName, overrides: [FAST_TIMING] });
    await b.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    const after = await h.video(video);
    expect(after.status).toBe('completed');
    expect(after.metadata.version).toBe(version + 2);
    expect(after.metadata.history!.slice(-2).map((entry) => entry.status)).toEqual(['failed', 'completed']);
    for (const sent of [failure.sent, success.sent]) {
      expect((await h.eventsOf(sent.headers['webhook-id'])).map((e) => e.status)).toEqual(['released', 'accepted']);
    }
    const rckState = (await a.http().get('/api/webhook-sources').set(admin).expect(200)).body.data.find((s: { source: string }) => s.source === 'rck');
    expect(rckState).toEqual(expect.objectContaining({ state: 'active', waiting: 0 }));
  });
});

describe('Releasing a long backlog (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;

  beforeAll(async () => {
    rck = await FakeRck.start();
    // A short job lock: a release stops after a third of it (100 ms) and queues its next part.
    t = await createTestApp({ env: videosTestEnv(rck, { JOBS_LOCK_LIFETIME_MS: '300' }), overrides: [FAST_TIMING] });
  });
  afterAll(async () => {
    await t.close();
    await rck.stop();
  });

  it('releases it in parts that each finish within the job lock, still in arrival order', async () => {
    const h = helpers(t);
    const { token } = await t.given.loggedIn({ role: Role.SuperAdmin });
    const admin = { Authorization: `Bearer ${token}` };
    const { ids } = await t.given.videos(16);
    const [first, ...rest] = ids;
    await h.drain();

    await t.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    // The first video's failure opens the backlog and its success closes it.
    await h.rck('failure', { videoId: first, error: 'render failed' }).expect(200);
    for (const id of rest) await h.rck('success', { videoId: id, youtubeVideoId: `yt-${id}` }).expect(200);
    await h.rck('success', { videoId: first, youtubeVideoId: 'yt-first' }).expect(200);
    await t.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    await h.drain();

    for (const id of rest) expect((await h.video(id)).status).toBe('completed');
    expect((await h.video(first)).metadata.history!.slice(-2).map((entry) => entry.status)).toEqual(['failed', 'completed']);
    expect(await h.events().countDocuments({ status: 'held' })).toBe(0);
    expect(await h.events().countDocuments({ status: 'released' })).toBe(17);
    // More than one run of the release (besides the look for stragglers): it went on in parts.
    const runs = await t.connection.collection('agendaJobs').countDocuments({ name: 'webhook-sources.release', 'data.settle': { $exists: false } });
    expect(runs).toBeGreaterThan(1);
    const state = (await t.http().get('/api/webhook-sources').set(admin).expect(200)).body.data[0];
    expect(state).toEqual(expect.objectContaining({ source: 'rck', state: 'active', waiting: 0 }));
  });
});

describe('Deliveries held on a stale copy of the state (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let rck: FakeRck;
  const dbName = uniqueDatabaseName('stale');

  beforeAll(async () => {
    rck = await FakeRck.start();
    // A looks for stragglers 1.5 s after a release; B does not read the states again during the test.
    a = await createTestApp({ env: videosTestEnv(rck), dbName, overrides: [{ provide: WEBHOOK_SOURCE_TIMING, useValue: { refreshMs: 100, settleMs: 1500 } }] });
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.close();
    await b?.close();
    await rck.stop();
  });

  it('releases what another instance held after the source became active, and a resume releases any left', async () => {
    const h = helpers(a);
    const { token } = await a.given.loggedIn({ role: Role.SuperAdmin });
    const admin = { Authorization: `Bearer ${token}` };
    const { ids: [early, late] } = await a.given.videos(2);
    await h.drain();
    await a.http().post('/api/webhook-sources/rck/pause').set(admin).expect(200);
    // B starts while RCK is paused and keeps that copy.
    b = await createTestApp({ env: videosTestEnv(rck), dbName, overrides: [{ provide: WEBHOOK_SOURCE_TIMING, useValue: { refreshMs: 600_000, settleMs: 1500 } }] });
    // B runs no jobs: the instance that runs the release updates its own copy at once.
    await b.app.get(JobRunner).onModuleDestroy();
    const onB = helpers(b);

    await a.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    await a.app.get(JobRunner).drain(30_000);
    expect((await a.http().get('/api/webhook-sources').set(admin).expect(200)).body.data[0].state).toBe('active');
    // B, on its stale copy, still holds: the look for stragglers releases it.
    expect((await onB.rck('success', { videoId: early }).expect(200)).body.data).toEqual({ videoId: early, held: true });
    await h.drain();
    expect((await h.video(early)).status).toBe('completed');

    // Held after that look too (B's copy is older than any instance's would be): the dashboard
    // shows it waiting, and resuming the active source applies it.
    expect((await onB.rck('success', { videoId: late }).expect(200)).body.data).toEqual({ videoId: late, held: true });
    const listed = (await a.http().get('/api/webhook-sources').set(admin).expect(200)).body.data[0];
    expect(listed).toEqual(expect.objectContaining({ state: 'active', waiting: 1 }));
    const resumed = await a.http().post('/api/webhook-sources/rck/resume').set(admin).expect(200);
    expect(resumed.body.message).toBe('rck is active; 1 delivery still held is being applied in arrival order');
    await h.drain();
    expect((await h.video(late)).status).toBe('completed');
    expect((await a.http().get('/api/webhook-sources').set(admin).expect(200)).body.data[0]).toEqual(expect.objectContaining({ state: 'active', waiting: 0 }));
  });
});
