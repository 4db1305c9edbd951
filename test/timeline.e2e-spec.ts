import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Types } from 'mongoose';
import { Role } from '../src/common/role.enum.js';
import type { Document } from 'mongodb';
import { JOBS_COLLECTION, jobsAboutQuery } from '../src/jobs/job.collection.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { attemptsAtQuery, messagesAboutQuery } from '../src/outbound-webhooks/outbound-message.repository.js';
import { aboutQuery, WEBHOOK_EVENT_LIST_SORT } from '../src/inbound-webhook-events/webhook-event.repository.js';
import { WEBHOOK_EVENT_INDEX_NAMES } from '../src/inbound-webhook-events/webhook-event.schema.js';
import { assertUsesIndex } from '@videogen/mongo-wire-server/explain-plan';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';

interface Entry {
  at: string;
  kind: string;
  summary: string;
  outcome?: string;
  batch?: boolean;
  version?: number;
  eventType?: string;
  eventId?: string;
  httpStatus?: number;
  channel?: string;
  to?: string;
  endpointUrl?: string;
  responseStatus?: number;
  target?: string;
  externalId?: string;
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * A video's and a reel's timeline in one call, across both directions, through the real flows:
 * RCK and HeyGen (local fakes), the customers' endpoint, Slack, and the SMTP server.
 */
describe('Timelines of videos and reels (e2e)', () => {
  let t: TestApp;
  let rck: FakeRck;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  let customer: FakeEndpoint;
  let slack: FakeEndpoint;
  let admin: Record<string, string>;

  beforeAll(async () => {
    [rck, heygen, smtp, customer, slack] = await Promise.all([FakeRck.start(), FakeHeygen.start(), SmtpSink.start(), FakeEndpoint.start(), FakeEndpoint.start()]);
    t = await createTestApp({ env: { ...videosTestEnv(rck), ...reelsTestEnv(heygen, smtp), WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20' } });
    admin = bearer((await t.given.loggedIn({ role: Role.SuperAdmin })).token);
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([rck.stop(), heygen.stop(), smtp.stop(), customer.stop(), slack.stop()]);
  });

  /** A workspace with an endpoint for every event and a Slack channel, as its producer sets them. */
  async function givenWorkspace() {
    const workspace = await t.given.workspace();
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id })).token);
    await t.http().post('/api/webhook-endpoints').set(producer)
      .send({ url: customer.url(`/in/${workspace.id}`), eventTypes: ['video.completed', 'video.failed', 'batch.completed', 'reel.completed', 'reel.failed'] }).expect(201);
    await t.http().patch(`/api/workspaces/${workspace.id}/notification-settings`).set(producer).send({ slackWebhookUrl: slack.url(`/services/${workspace.id}`) }).expect(200);
    return { workspace, producer };
  }

  function callback(kind: 'success' | 'failure', body: object, headers?: Record<string, string>) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(headers ?? rckHeaders(raw)).send(raw);
  }

  async function timeline(kind: 'videos' | 'reels', id: string) {
    return (await t.http().get(`/api/${kind}/${id}/timeline`).set(admin).expect(200)).body.data as { subject: Record<string, unknown>; entries: Entry[]; truncated: boolean };
  }

  /** Index of the first entry matching, after `from`; fails when there is none. */
  function indexOf(entries: Entry[], match: (entry: Entry) => boolean, what: string, from = -1): number {
    const index = entries.findIndex((entry, i) => i > from && match(entry));
    if (index === -1) throw new Error(`no ${what} after entry ${from} in:\n${entries.map((e) => `${e.at} ${e.kind} ${e.summary}`).join('\n')}`);
    return index;
  }

  it('puts an RCK callback flow in order: dispatch, callback, state change, outbound message, its attempt; with the batch\'s digest and notices', async () => {
    const { workspace } = await givenWorkspace();
    const { user, token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const products = [await t.given.product(workspace.id), await t.given.product(workspace.id)];
    const [a, b] = (await t.http().post('/api/videos/bulk-generate').set(bearer(token))
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Showcase' }).expect(201)).body.data.videoIds as string[];
    // A forged delivery naming the video (refused before any handler: no workspace) belongs to its story too.
    const forged = JSON.stringify({ videoId: a });
    await callback('failure', { videoId: a }, { ...rckHeaders(forged), 'webhook-signature': 'v1,AAAA' }).expect(401);
    await callback('success', { videoId: a, youtubeVideoId: 'yt_a' }).expect(200);
    await callback('failure', { videoId: b, error: 'Template not found' }).expect(200);
    await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    await eventually(() => expect(smtp.messages.some((m) => m.to.includes(user.email))).toBe(true), 10_000);

    const { subject, entries, truncated } = await timeline('videos', a);
    expect(subject).toEqual(expect.objectContaining({ kind: 'video', id: a, workspaceId: workspace.id, status: 'completed', version: 1, title: 'Showcase', externalId: `job_${a}` }));
    expect(truncated).toBe(false);
    const times = entries.map((entry) => Date.parse(entry.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);

    // Created, then each step caused by the one before it.
    expect(entries[0]).toEqual(expect.objectContaining({ kind: 'state', version: 0, outcome: 'generating', summary: 'Video created generating (version 0)' }));
    const dispatch = indexOf(entries, (e) => e.kind === 'dispatch' && e.outcome === 'succeeded' && e.target === 'rck' && e.externalId === `job_${a}`, 'dispatch');
    const refused = indexOf(entries, (e) => e.kind === 'delivery' && e.httpStatus === 401, 'the forged delivery', dispatch);
    const delivery = indexOf(entries, (e) => e.kind === 'delivery' && e.eventType === 'success' && e.outcome === 'accepted', 'the callback', refused);
    const change = indexOf(entries, (e) => e.kind === 'state' && e.version === 1 && e.outcome === 'completed', 'the state change', delivery);
    const message = indexOf(entries, (e) => e.kind === 'message' && e.eventType === 'video.completed' && e.outcome === 'succeeded', 'the outbound message', change);
    const attempt = indexOf(entries, (e) => e.kind === 'attempt' && e.eventType === 'video.completed' && e.responseStatus === 204, 'its attempt', message);
    expect(entries[delivery].summary).toBe('RCK success: accepted (HTTP 200)');
    expect(entries[refused].summary).toBe('RCK failure: rejected (HTTP 401): Invalid signature');
    expect(entries[message].endpointUrl).toBe(customer.url(`/in/${workspace.id}`));
    expect(entries[attempt].summary).toMatch(new RegExp(`^Attempt 1 of video\\.completed to ${customer.url(`/in/${workspace.id}`).replace(/[.]/g, '\\.')}: answered 204 in \\d+ ms$`));
    // The delivery links to its event in the log.
    const event = (await t.http().get(`/api/webhook-events/${entries[delivery].eventId}`).set(admin).expect(200)).body.data;
    expect(event).toEqual(expect.objectContaining({ videoId: a, status: 'accepted' }));

    // Its batch ended with the other video: the digest e-mail, the chat message and batch.completed, marked as the batch's.
    const batchMessage = indexOf(entries, (e) => e.kind === 'message' && e.eventType === 'batch.completed', 'batch.completed', change);
    expect(entries[batchMessage].batch).toBe(true);
    indexOf(entries, (e) => e.kind === 'attempt' && e.eventType === 'batch.completed' && e.outcome === 'succeeded', 'its attempt', batchMessage);
    const digest = entries.find((e) => e.kind === 'email')!;
    expect(digest).toEqual(expect.objectContaining({ channel: 'email', to: user.email, outcome: 'sent', batch: true }));
    expect(entries.find((e) => e.kind === 'chat')).toEqual(expect.objectContaining({ channel: 'slack', outcome: 'sent', batch: true }));
    // Nothing of the other video's own (its failure notice, its video.failed message).
    expect(entries.filter((e) => e.eventType === 'video.failed' || e.summary.includes('Video failed'))).toEqual([]);

    const other = await timeline('videos', b);
    expect(other.entries.filter((e) => e.kind === 'state').map((e) => `${e.version} ${e.outcome}`)).toEqual(['0 generating', '1 failed']);
    expect(other.entries.find((e) => e.kind === 'state' && e.version === 1)!.summary).toBe('Video became failed (version 1): Template not found');
    expect(other.entries.find((e) => e.kind === 'chat' && !e.batch)).toEqual(expect.objectContaining({ channel: 'slack', outcome: 'sent', summary: 'Slack message "Video failed": sent' }));
    expect(other.entries.some((e) => e.kind === 'attempt' && e.eventType === 'video.failed' && e.outcome === 'succeeded')).toBe(true);
  });

  it('shows each send to RCK, refused ones too, and the changes they made', async () => {
    const { workspace } = await givenWorkspace();
    const { token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const product = await t.given.product(workspace.id);
    rck.script.push({ status: 502 });
    const [id] = (await t.http().post('/api/videos/bulk-generate').set(bearer(token))
      .send({ productIds: [product.id], templateId: 't', templateName: 'T' }).expect(201)).body.data.videoIds as string[];
    await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    const { entries } = await timeline('videos', id);
    expect(entries.filter((e) => e.kind === 'dispatch' || e.kind === 'state').map((e) => e.summary)).toEqual([
      'Video created generating (version 0)',
      'Sent to RCK: refused (RCK answered 502)',
      'Video became pending (version 1): RCK answered 502',
      `Sent to RCK: taken as job job_${id}`,
      'Video became generating (version 2)',
    ]);
  });

  it('puts a reel\'s story in order: requested, approved, sent to HeyGen, processing, HeyGen\'s webhook, completed, message, attempt, e-mail', async () => {
    const { workspace, producer } = await givenWorkspace();
    const owner = await t.given.loggedIn({ workspaceId: workspace.id });
    const reelId = (await t.http().post('/api/reels').set(bearer(owner.token)).send({ title: 'Teaser', script: 'Hello there', avatarId: 'a', voiceId: 'v' }).expect(201)).body.data._id as string;
    await t.http().post(`/api/reels/${reelId}/approve`).set(producer).expect(200);
    await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
    const heygenVideoId = (await timeline('reels', reelId)).subject.externalId as string;
    expect(heygen.requests.filter((r) => r.path === '/v2/video/generate' && r.body?.callback_id === reelId)).toHaveLength(1);
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: heygenVideoId, url: 'https://cdn.example.com/r.mp4' } });
    await t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) }).send(raw).expect(200);
    await t.app.get(JobRunner).drain(30_000, { includeScheduled: true });

    const { subject, entries } = await timeline('reels', reelId);
    expect(subject).toEqual(expect.objectContaining({ kind: 'reel', id: reelId, status: 'completed', version: 3, title: 'Teaser', externalId: heygenVideoId }));
    expect(entries.slice(0, 6).map((e) => `${e.kind} ${e.outcome}`)).toEqual([
      'state requested',
      'state approved',
      'dispatch succeeded',
      'state processing',
      'delivery accepted',
      'state completed',
    ]);
    expect(entries[2].summary).toBe(`Sent to HeyGen: taken as video ${heygenVideoId}`);
    expect(entries[4].summary).toBe('HeyGen avatar_video.success: accepted (HTTP 200)');
    // What the completion owed, in the order it was paid (the e-mail and chat queued, then the message), and the message's attempt after it.
    const owed = entries.slice(6);
    expect(owed.map((e) => `${e.kind} ${e.outcome}`).sort()).toEqual(['attempt succeeded', 'chat sent', 'email sent', 'message succeeded']);
    expect(owed.findIndex((e) => e.kind === 'message')).toBeLessThan(owed.findIndex((e) => e.kind === 'attempt'));
    expect(owed.find((e) => e.kind === 'message')!.eventType).toBe('reel.completed');
    expect(entries.find((e) => e.kind === 'email')!.to).toBe(owner.user.email);
  });

  it('is for superadmins: 401 without a token, 403 for others; 400 for a bad id and 404 for an unknown one', async () => {
    const { ids } = await t.given.videos(1);
    for (const role of [Role.User, Role.Producer]) {
      const { token } = await t.given.loggedIn({ role });
      await t.http().get(`/api/videos/${ids[0]}/timeline`).set(bearer(token)).expect(403);
      await t.http().get(`/api/reels/${new Types.ObjectId().toHexString()}/timeline`).set(bearer(token)).expect(403);
    }
    await t.http().get(`/api/videos/${ids[0]}/timeline`).expect(401);
    expect((await t.http().get('/api/videos/nope/timeline').set(admin).expect(400)).body).toEqual({ success: false, message: 'Invalid videoId format' });
    expect((await t.http().get('/api/reels/nope/timeline').set(admin).expect(400)).body).toEqual({ success: false, message: 'Invalid reelId format' });
    expect((await t.http().get(`/api/videos/${new Types.ObjectId().toHexString()}/timeline`).set(admin).expect(404)).body).toEqual({ success: false, message: 'Video not found' });
    expect((await t.http().get(`/api/reels/${new Types.ObjectId().toHexString()}/timeline`).set(admin).expect(404)).body).toEqual({ success: false, message: 'Reel not found' });
  });

  it('reads each source through an index (explain)', async () => {
    const workspaceId = new Types.ObjectId().toHexString();
    const ids = [new Types.ObjectId().toHexString(), 'batch_1'];
    const explain = (collection: string, query: object, sort: Record<string, 1 | -1>) =>
      t.connection.collection(collection).find(query).sort(sort).limit(100).explain('queryPlanner') as Promise<Document>;
    assertUsesIndex(await explain('webhookevents', aboutQuery(workspaceId, ids), WEBHOOK_EVENT_LIST_SORT), WEBHOOK_EVENT_INDEX_NAMES.byVideo);
    assertUsesIndex(await explain('webhookMessages', messagesAboutQuery(workspaceId, ids), { createdAt: -1 }), 'workspaceId_1_subjectId_1_createdAt_1');
    assertUsesIndex(await explain('webhookAttempts', attemptsAtQuery(workspaceId, ['msg_1']), { attemptedAt: -1 }), 'workspaceId_1_messageId_1_attemptedAt_1');
    assertUsesIndex(await explain(JOBS_COLLECTION, jobsAboutQuery(['notifications.email', 'notifications.chat'], ids), { _id: -1 }), 'about');
  });
});
