import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import { MonitoringStreamService } from '../src/monitoring/monitoring-stream.service.js';
import { MAX_CURSOR_IDS, StreamCursor } from '../src/monitoring/stream-cursor.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { WebhookEventRepository } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeRck } from './utils/fake-rck.js';
import { hookable, hooked } from './utils/hookable.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { SseClient } from './utils/sse-client.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

/**
 * GET /api/monitoring/stream on two instances sharing one database: what each stream sends is
 * read from the database, so a delivery to A shows up on a stream from B.
 */
describe('Monitoring stream (e2e, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  let rck: FakeRck;
  let urlA: string;
  let urlB: string;
  let token: string;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    rck = await FakeRck.start();
    const dbName = uniqueDatabaseName('stream');
    const env = videosTestEnv(rck, { MONITORING_STREAM_POLL_MS: '100', MONITORING_STREAM_HEARTBEAT_MS: '300' });
    a = await createTestApp({ env, dbName });
    b = await createTestApp({ env, dbName, overrides: [hookable(WebhookEventRepository)] });
    await a.app.listen({ port: 0, host: '127.0.0.1' });
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    urlA = await a.app.getUrl();
    urlB = await b.app.getUrl();
    token = (await a.given.loggedIn({ role: Role.SuperAdmin })).token;
  });
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await a.connection.dropDatabase();
    await a.close();
    await b.close();
    await rck.stop();
  });

  async function open(baseUrl: string, options: { query?: string; lastEventId?: string; token?: string | null } = {}) {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
    const stream = await SseClient.open(`${baseUrl}/api/monitoring/stream${options.query ?? ''}`, headers);
    streams.push(stream);
    return stream;
  }

  /**
   * Until the instance's poller has run `count` more polls. The poll under way when this starts
   * may have read before it, so `count` ≥ 2 means at least one full poll read what is stored now.
   */
  async function pollsOf(instance: TestApp, count: number): Promise<void> {
    const service = instance.app.get(MonitoringStreamService);
    const start = service.stats.polls;
    await eventually(() => expect(service.stats.polls - start).toBeGreaterThanOrEqual(count), 5000);
  }

  /** Videos of a new workspace, through the real bulk-generate. */
  async function givenVideos(count: number) {
    const workspace = await a.given.workspace();
    const { token: userToken } = await a.given.loggedIn({ workspaceId: workspace.id });
    const products = [];
    for (let i = 0; i < count; i++) products.push(await a.given.product(workspace.id));
    const response = await a.http().post('/api/videos/bulk-generate').set('Authorization', `Bearer ${userToken}`)
      .send({ productIds: products.map((p) => p.id), templateId: 't', templateName: 'T' }).expect(201);
    return { workspace, ids: response.body.data.videoIds as string[] };
  }

  /** A signed RCK callback to one instance. */
  async function deliver(app: TestApp, kind: 'success' | 'failure', videoId: string) {
    const raw = JSON.stringify(kind === 'success' ? { videoId, youtubeVideoId: 'yt' } : { videoId, error: 'render failed' });
    await app.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw).expect(200);
  }

  /** An event stored as another instance's late batch would be: arrived `agoMs` before now. */
  async function storeLate(agoMs: number, videoId = 'late-video') {
    const id = new Types.ObjectId().toHexString();
    await a.app.get(WebhookEventRepository).insertBatch([{
      id, endpoint: '/internal/videos/success', method: 'POST', payload: { videoId }, source: 'rck', eventType: 'success',
      videoId, status: 'rejected', httpStatus: 404, durationMs: 3, createdAt: new Date(Date.now() - agoMs),
    }]);
    return id;
  }

  it('refuses a missing token (401), other roles (403) and a malformed Last-Event-ID (400)', async () => {
    expect((await open(urlA, { token: null })).status).toBe(401);
    const { token: producer } = await a.given.loggedIn({ role: Role.Producer });
    const { token: user } = await a.given.loggedIn({ role: Role.User });
    const refused = await open(urlA, { token: producer });
    expect(refused.status).toBe(403);
    expect(refused.messages[0].data).toEqual({ success: false, message: expect.any(String) });
    expect((await open(urlA, { token: user })).status).toBe(403);
    const bad = await open(urlA, { lastEventId: 'v1.zz.not-base64!' });
    expect(bad.status).toBe(400);
    expect(bad.messages[0].data).toEqual({ success: false, message: 'Invalid Last-Event-ID' });
    expect((await open(urlA, { query: '?workspaceId=nope' })).status).toBe(400);
  });

  it('starts with ready and the counters, then sends deliveries in the order they arrived', async () => {
    const { ids } = await givenVideos(5);
    const stream = await open(urlA);
    expect(stream.status).toBe(200);
    expect(stream.headers!.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await stream.waitFor('ready');
    const [counters] = await stream.waitFor('counters');
    expect(counters.data).toEqual({
      videos: expect.objectContaining({ generating: expect.any(Number), pending: expect.any(Number) }),
      reels: expect.objectContaining({ requested: expect.any(Number), processing: expect.any(Number) }),
      jobs: { waiting: expect.any(Number), running: expect.any(Number), failed: expect.any(Number) },
    });
    for (const [i, id] of ids.entries()) await deliver(i % 2 ? b : a, i % 2 ? 'failure' : 'success', id);
    const deliveries = await stream.waitFor('delivery', 5);
    expect(deliveries.map((m) => m.data.videoId)).toEqual(ids);
    expect(deliveries[1].data).toEqual(expect.objectContaining({
      source: 'rck', eventType: 'failure', endpoint: '/internal/videos/failure', status: 'accepted', httpStatus: 200,
      durationMs: expect.any(Number), createdAt: expect.any(String),
    }));
    // Each carries its stored event, and an SSE id.
    const stored = await a.http().get(`/api/webhook-events/${deliveries[0].data.id}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(stored.body.data.videoId).toBe(ids[0]);
    expect(deliveries.every((m) => m.id?.startsWith('v1.'))).toBe(true);
    // The status changes moved the counters too (sent when they change).
    await eventually(() => expect(stream.of('counters').length).toBeGreaterThan(1));
    expect(new Set(deliveries.map((m) => m.data.id)).size).toBe(5);
  });

  it('shows a delivery made to instance A on a stream from instance B', async () => {
    const { ids } = await givenVideos(1);
    const stream = await open(urlB);
    await stream.waitFor('ready');
    await deliver(a, 'success', ids[0]);
    const [delivery] = await stream.waitFor('delivery');
    expect(delivery.data).toEqual(expect.objectContaining({ videoId: ids[0], recordId: ids[0], status: 'accepted' }));
  });

  it('streams an event written late (an earlier createdAt than ones already sent) once', async () => {
    const { ids } = await givenVideos(1);
    const stream = await open(urlB);
    await stream.waitFor('ready');
    await deliver(a, 'success', ids[0]);
    await stream.waitFor('delivery');
    const late = await storeLate(5000);
    const deliveries = await stream.waitFor('delivery', 2);
    expect(deliveries[1].data.id).toBe(late);
    expect(Date.parse(deliveries[1].data.createdAt)).toBeLessThan(Date.parse(deliveries[0].data.createdAt));
    // Polls go on reading the overlap window: still sent once, after several more polls.
    await pollsOf(b, 3);
    expect(stream.of('delivery').map((m) => m.data.id)).toEqual([deliveries[0].data.id, late]);
  });

  it('resumes from Last-Event-ID on the other instance without gaps or repeats, late writes included', async () => {
    const { ids } = await givenVideos(5);
    const first = await open(urlA);
    await first.waitFor('ready');
    await deliver(a, 'success', ids[0]);
    await deliver(b, 'success', ids[1]);
    const received = await first.waitFor('delivery', 2);
    const lastEventId = first.lastEventId!;
    expect(lastEventId).toBe(received[1].id);
    await first.close();

    // Missed while disconnected: two deliveries, and a batch written late, older than both received.
    await deliver(b, 'failure', ids[2]);
    await deliver(a, 'success', ids[3]);
    const late = await storeLate(Date.now() - Date.parse(received[0].data.createdAt) + 2000);
    // Stored before the reconnect (the recorders write in batches), so they count as missed.
    await Promise.all([a, b].map((app) => app.app.get(WebhookEventRecorder).flush()));

    const resumed = await open(urlB, { lastEventId });
    const [ready] = await resumed.waitFor('ready');
    expect(ready.data).toEqual({ resumed: true });
    const missed = resumed.of('delivery');
    // Everything missed, oldest arrival first, before `ready`; nothing received before.
    expect(missed.map((m) => m.data.videoId)).toEqual(['late-video', ids[2], ids[3]]);
    expect(missed[0].data.id).toBe(late);
    expect(resumed.messages.findIndex((m) => m.event === 'ready')).toBeGreaterThan(resumed.messages.findIndex((m) => m.event === 'delivery'));

    // And it goes on live after that.
    await deliver(a, 'success', ids[4]);
    const all = await resumed.waitFor('delivery', 4);
    expect(all[3].data.videoId).toBe(ids[4]);
    const seen = [...received, ...all].map((m) => m.data.id);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by workspace: its deliveries and counters only', async () => {
    const one = await givenVideos(1);
    const two = await givenVideos(2);
    const stream = await open(urlB, { query: `?workspaceId=${two.workspace.id}` });
    await stream.waitFor('ready');
    const [counters] = await stream.waitFor('counters');
    expect(counters.data.videos).toEqual({ pending: 0, generating: 2, completed: 0, failed: 0 });
    await deliver(a, 'success', one.ids[0]);
    // Refused before its handler, so stored without a workspace (as the event log lists it): not sent.
    const refused = JSON.stringify({ videoId: two.ids[1], youtubeVideoId: 'yt' });
    await a.http().post('/internal/videos/success').set({ ...rckHeaders(refused), 'webhook-signature': 'v1,AAAA' }).send(refused).expect(401);
    await deliver(a, 'success', two.ids[0]);
    const [delivery] = await stream.waitFor('delivery');
    expect(delivery.data).toEqual(expect.objectContaining({ videoId: two.ids[0], workspaceId: two.workspace.id }));
    // (Job counts change too, and also send counters.)
    await eventually(() => expect(stream.of('counters').at(-1)!.data.videos).toEqual({ pending: 0, generating: 1, completed: 1, failed: 0 }));
    // The refused delivery's event is buffered: once it is stored, polls that read it send nothing.
    await a.app.get(WebhookEventRecorder).flush();
    await pollsOf(b, 3);
    expect(stream.of('delivery').map((m) => m.data.videoId)).toEqual([two.ids[0]]);
  });

  it('sends heartbeat comments and serves all clients of an instance from one poller', async () => {
    const service = b.app.get(MonitoringStreamService);
    const before = service.clients;
    const one = await open(urlB);
    const two = await open(urlB);
    await one.waitFor('ready');
    await two.waitFor('ready');
    expect(service.clients).toBe(before + 2);
    await eventually(() => expect(one.comments).toContain('heartbeat'), 3000);
    // Each poll reads the event log once, however many clients listen.
    const repository = hooked(b.app.get(WebhookEventRepository));
    let reads = 0;
    repository.hooks.findReceivedSince = (next, ...args) => {
      reads++;
      return next(...args);
    };
    let polls = 0;
    try {
      const start = service.stats.polls;
      await eventually(() => expect(service.stats.polls - start).toBeGreaterThanOrEqual(4), 5000);
      polls = service.stats.polls - start;
    } finally {
      delete repository.hooks.findReceivedSince;
    }
    // A poll counted may not have read yet, and one under way at the start may read after it.
    expect(reads).toBeLessThanOrEqual(polls + 1);
    expect(reads).toBeGreaterThanOrEqual(polls - 1);
    await one.close();
    await two.close();
    await eventually(() => expect(service.clients).toBe(before));
  });

  it('encodes at most MAX_CURSOR_IDS ids, keeping the newest, and decodes what it encodes', () => {
    const cursor = new StreamCursor(1_000_000, 30_000);
    const ids = Array.from({ length: MAX_CURSOR_IDS + 5 }, (_, i) => new Types.ObjectId().toHexString());
    ids.forEach((id, i) => cursor.accept(id, 1_000_000 + i));
    const encoded = cursor.encode();
    expect(encoded.length).toBeLessThan(4096);
    const decoded = StreamCursor.decode(encoded, 30_000);
    expect(decoded.seenIds.sort()).toEqual(ids.slice(5).sort());
    expect(decoded.since.getTime()).toBe(1_000_000 + ids.length - 1 - 30_000);
    expect(decoded.accept(ids[MAX_CURSOR_IDS], 0)).toBe(false);
  });

  it('a client that replaces another during its set-up (the dashboard changing workspace) misses nothing stored once it is ready', async () => {
    // Its own instance with a long poll interval, so nothing else is watching and the event below
    // is stored before the first poll.
    const rckC = await FakeRck.start();
    const c = await createTestApp({ env: videosTestEnv(rckC, { MONITORING_STREAM_POLL_MS: '700' }), overrides: [hookable(WebhookEventRepository)] });
    try {
      const service = c.app.get(MonitoringStreamService);
      const sink = () => {
        const chunks: string[] = [];
        return { chunks, backlog: 0, write: (chunk: string) => chunks.push(chunk) > 0, end: () => undefined };
      };
      const first = sink();
      const leaveFirst = service.subscribe(first, {});
      await eventually(() => expect(first.chunks.join('')).toContain('event: ready'));
      // The first leaves while the second's set-up reads the event log, as the browser's aborted
      // request does (the read is watched for that moment, and goes on unchanged).
      const repository = hooked(c.app.get(WebhookEventRepository));
      repository.hooks.findReceivedSince = (next, ...args) => {
        delete repository.hooks.findReceivedSince;
        leaveFirst();
        return next(...args);
      };
      const second = sink();
      service.subscribe(second, {});
      await eventually(() => expect(second.chunks.join('')).toContain('event: ready'));
      expect(repository.hooks.findReceivedSince).toBeUndefined();
      expect(service.clients).toBe(1);
      const id = new Types.ObjectId().toHexString();
      await repository.insertBatch([{
        id, endpoint: '/internal/videos/success', method: 'POST', payload: {}, source: 'rck', eventType: 'success',
        videoId: 'switch-video', status: 'accepted', httpStatus: 200, durationMs: 2, createdAt: new Date(),
      }]);
      await eventually(() => expect(second.chunks.filter((chunk) => chunk.includes('event: delivery')).join('')).toContain(`"id":"${id}"`), 3000);
    } finally {
      await c.close();
      await rckC.stop();
    }
  });

  it('ends open streams when the application closes, so they do not hold shutdown', async () => {
    const rckC = await FakeRck.start();
    const c = await createTestApp({ env: videosTestEnv(rckC, { MONITORING_STREAM_POLL_MS: '100' }) });
    await c.app.listen({ port: 0, host: '127.0.0.1' });
    const { token: admin } = await c.given.loggedIn({ role: Role.SuperAdmin });
    const stream = await open(await c.app.getUrl(), { token: admin });
    await stream.waitFor('ready');
    // Fastify's close waits for open requests: a stream still held would hang here.
    await c.close();
    await rckC.stop();
    await eventually(() => expect(stream.ended).toBe(true), 2000);
  });
});
