import { after as afterAll, afterEach, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Webhook } from 'standardwebhooks';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { Clock } from '../src/common/clock.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import type { ResolvedAddress } from '../src/outbound-url/outbound-url.js';
import { RETRY_SCHEDULE_MS } from '../src/outbound-webhooks/outbound-delivery.service.js';
import { eventually } from './utils/eventually.js';
import { FakeClock } from './utils/fake-clock.js';
import { FakeDns } from './utils/fake-dns.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { createTestApp, TestApp } from './utils/test-app.js';

const BASE = '/api/webhook-endpoints';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const headersOf = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('Webhook deliveries to customer endpoints (e2e)', () => {
  let t: TestApp;
  let fake: FakeEndpoint;
  const clock = new FakeClock();

  beforeAll(async () => {
    fake = await FakeEndpoint.start();
    t = await createTestApp({ env: { OUTBOUND_TIMEOUT_MS: '300' }, overrides: [{ provide: Clock, useValue: clock }] });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());
  afterEach(() => clock.reset());

  async function givenEndpoint(body: object = {}) {
    const workspace = await t.given.workspace();
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id })).token);
    const created = await t.http().post(BASE).set(producer)
      .send({ url: fake.url(), eventTypes: ['video.completed', 'video.failed'], ...body }).expect(201);
    return { workspaceId: workspace.id, producer, endpoint: created.body.data as { id: string; secret: string } };
  }

  const publish = (workspaceId: string, data: Record<string, unknown> = { videoId: 'v1' }) =>
    t.app.get(OutboundEvents).publish(workspaceId, 'video.completed', data);
  /** What the fake received of one message (other tests' late deliveries may arrive too). */
  const deliveriesOf = (messageId: string | undefined) => fake.received.filter((r) => r.headers['webhook-id'] === messageId);
  const messages = () => t.connection.collection('webhookMessages');
  const jobs = () => t.connection.collection('agendaJobs');
  const message = (messageId: string) => messages().findOne({ messageId });
  /** Makes the message's next scheduled attempt due now instead of in minutes or hours. */
  async function runNextAttemptNow(messageId: string) {
    await eventually(async () => {
      const result = await jobs().updateOne(
        { name: 'webhook-endpoints.deliver', 'data.messageId': messageId, lockedAt: null, nextRunAt: { $gt: new Date() } },
        { $set: { nextRunAt: new Date() } },
      );
      expect(result.modifiedCount).toBe(1);
    });
  }

  it('signs each delivery the Standard Webhooks way, checked with the standardwebhooks package', async () => {
    const { workspaceId, endpoint } = await givenEndpoint();
    const messageId = await publish(workspaceId, { videoId: 'v1', videoUrl: 'https://cdn.example.com/v1.mp4' });
    expect(messageId).toMatch(/^msg_[0-9a-f]{32}$/);
    await eventually(() => expect(deliveriesOf(messageId)).toHaveLength(1));
    const [delivery] = deliveriesOf(messageId);
    expect(delivery.headers['content-type']).toBe('application/json');
    const verified = new Webhook(endpoint.secret).verify(delivery.body, headersOf(delivery.headers));
    expect(verified).toEqual({ type: 'video.completed', timestamp: expect.any(String), data: { videoId: 'v1', videoUrl: 'https://cdn.example.com/v1.mp4' } });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(delivery.body, headersOf(delivery.headers))).toThrow();
    await eventually(async () => expect((await message(messageId!))!.status).toBe('succeeded'));
  });

  it('sends only to enabled endpoints of the workspace that take the event', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    await t.http().post(BASE).set(producer).send({ url: fake.url('/reels'), eventTypes: ['reel.completed'] }).expect(201);
    const disabled = (await t.http().post(BASE).set(producer).send({ url: fake.url('/off'), eventTypes: ['video.completed'] }).expect(201)).body.data;
    await t.http().patch(`${BASE}/${disabled.id}`).set(producer).send({ enabled: false }).expect(200);
    const other = await givenEndpoint();
    const completed = await publish(workspaceId);
    const failed = await t.app.get(OutboundEvents).publish(workspaceId, 'video.failed', { videoId: 'v2' });
    await eventually(() => expect([...deliveriesOf(completed), ...deliveriesOf(failed)]).toHaveLength(2));
    await t.app.get(JobRunner).drain(5000);
    // One each, to the one endpoint that takes both events.
    expect(fake.received.map((r) => r.headers['webhook-id']).sort()).toEqual([completed, failed].sort());
    for (const r of fake.received) {
      expect(r.headers['user-agent']).toBe('videogen-webhooks');
      expect(() => new Webhook(endpoint.secret).verify(r.body, headersOf(r.headers))).not.toThrow();
    }
    const toOther = await publish(other.workspaceId);
    await eventually(() => expect(deliveriesOf(toOther)).toHaveLength(1));
    expect(await t.app.get(OutboundEvents).publish(workspaceId, 'batch.completed', {})).toBeUndefined();
  });

  it('signs with both secrets for 24 hours after a rotation, then only with the new one', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    const rotated = (await t.http().post(`${BASE}/${endpoint.id}/rotate-secret`).set(producer).expect(200)).body.data;
    const first = await publish(workspaceId);
    await eventually(() => expect(deliveriesOf(first)).toHaveLength(1));
    const during = deliveriesOf(first)[0];
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.secret]) {
      expect(new Webhook(secret).verify(during.body, headersOf(during.headers))).toEqual(expect.objectContaining({ type: 'video.completed' }));
    }

    // A day later the old secret no longer signs (the signature is then 24 h old for the
    // package's tolerance too, so it is checked with our own verifier's rule: one signature).
    const later = Date.now() + 24 * 3600_000 + 1000;
    clock.freeze(later);
    const second = await publish(workspaceId);
    await eventually(() => expect(deliveriesOf(second)).toHaveLength(1));
    const after = deliveriesOf(second)[0];
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(after.headers['webhook-timestamp']).toBe(String(Math.floor(later / 1000)));
    expect(() => new Webhook(rotated.secret).verify(after.body, headersOf(after.headers))).toThrow(/timestamp/i);
  });

  it('retries a failing endpoint on the schedule with jitter, the same webhook-id each time, then gives up', async () => {
    const { workspaceId, endpoint } = await givenEndpoint();
    fake.mode = { status: 500, body: 'x'.repeat(3000) };
    const messageId = (await publish(workspaceId))!;
    for (let attempt = 1; attempt <= RETRY_SCHEDULE_MS.length; attempt++) {
      if (attempt > 1) await runNextAttemptNow(messageId);
      const stored = await eventually(async () => {
        const found = await message(messageId);
        expect(found!.attempts).toBe(attempt);
        return found!;
      });
      if (attempt < RETRY_SCHEDULE_MS.length) {
        expect(stored.status).toBe('pending');
        const delay = stored.nextAttemptAt.getTime() - stored.lastAttemptAt.getTime();
        expect(delay).toBeGreaterThanOrEqual(RETRY_SCHEDULE_MS[attempt] * 0.9 - 1);
        expect(delay).toBeLessThanOrEqual(RETRY_SCHEDULE_MS[attempt] * 1.1 + 1);
        const job = await eventually(async () => {
          const found = await jobs().findOne({ name: 'webhook-endpoints.deliver', 'data.messageId': messageId, nextRunAt: { $gt: new Date() } });
          expect(found).not.toBeNull();
          return found!;
        });
        expect(job.nextRunAt.getTime()).toBe(stored.nextAttemptAt.getTime());
      } else {
        expect(stored.status).toBe('failed');
        expect(stored.nextAttemptAt).toBeUndefined();
      }
    }
    // Every attempt carried the same webhook-id.
    expect(deliveriesOf(messageId)).toHaveLength(RETRY_SCHEDULE_MS.length);
    expect(await jobs().countDocuments({ 'data.messageId': messageId, nextRunAt: { $gt: new Date() } })).toBe(0);
    const endpointNow = await t.connection.collection('webhookEndpoints').findOne({ _id: new (await import('mongoose')).Types.ObjectId(endpoint.id) });
    expect(endpointNow!.enabled).toBe(true);
    expect(endpointNow!.failingSince).toEqual(expect.any(Date));
  });

  it('honours Retry-After on 429 and 503', async () => {
    const { workspaceId } = await givenEndpoint();
    fake.script.push({ status: 429, headers: { 'retry-after': '120' } }, { status: 503, headers: { 'retry-after': new Date(Date.now() + 3600_000).toUTCString() } });
    const messageId = (await publish(workspaceId))!;
    const first = await eventually(async () => {
      const found = await message(messageId);
      expect(found!.attempts).toBe(1);
      return found!;
    });
    expect(first.nextAttemptAt.getTime() - first.lastAttemptAt.getTime()).toBe(120_000);
    await runNextAttemptNow(messageId);
    const second = await eventually(async () => {
      const found = await message(messageId);
      expect(found!.attempts).toBe(2);
      return found!;
    });
    const wait = second.nextAttemptAt.getTime() - second.lastAttemptAt.getTime();
    expect(wait).toBeGreaterThan(3600_000 - 5000);
    expect(wait).toBeLessThanOrEqual(3600_000);
    await runNextAttemptNow(messageId);
    await eventually(async () => expect((await message(messageId))!.status).toBe('succeeded'));
  });

  it('disables the endpoint when it answers 410, without retrying', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    fake.mode = { status: 410 };
    const messageId = (await publish(workspaceId))!;
    await eventually(async () => expect((await message(messageId))!.status).toBe('failed'));
    const read = await t.http().get(`${BASE}/${endpoint.id}`).set(producer).expect(200);
    expect(read.body.data).toEqual(expect.objectContaining({ enabled: false, disabledReason: 'The endpoint answered 410 Gone' }));
    expect(await publish(workspaceId)).toBeUndefined();
    expect(deliveriesOf(messageId)).toHaveLength(1);
  });

  it('gives up on an endpoint that hangs after OUTBOUND_TIMEOUT_MS and retries later', async () => {
    const { workspaceId } = await givenEndpoint();
    fake.mode = 'hang';
    const started = Date.now();
    const messageId = (await publish(workspaceId))!;
    const stored = await eventually(async () => {
      const found = await message(messageId);
      expect(found!.attempts).toBe(1);
      return found!;
    });
    expect(stored.status).toBe('pending');
    expect(Date.now() - started).toBeLessThan(5000);
    const attempt = await t.connection.collection('webhookAttempts').findOne({ messageId });
    expect(attempt).toEqual(expect.objectContaining({ status: 'failed', error: 'No answer within 300 ms', attempt: 1 }));
    expect(attempt!.latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('disables an endpoint that has failed for OUTBOUND_DISABLE_AFTER_DAYS', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    fake.mode = { status: 500 };
    const messageId = (await publish(workspaceId))!;
    await eventually(async () => expect((await message(messageId))!.attempts).toBe(1));
    // Still failing five days later: the next failure disables it.
    clock.advance(5 * 24 * 3600_000 + 1000);
    await runNextAttemptNow(messageId);
    await eventually(async () => {
      const read = await t.http().get(`${BASE}/${endpoint.id}`).set(producer).expect(200);
      expect(read.body.data).toEqual(expect.objectContaining({ enabled: false, disabledReason: 'Deliveries have failed for 5 day(s) without a success' }));
    });
    // Enabling it again starts the failure clock afresh.
    const enabled = await t.http().patch(`${BASE}/${endpoint.id}`).set(producer).send({ enabled: true }).expect(200);
    expect(enabled.body.data.failingSince).toBeUndefined();
  });
  it('keeps every attempt in a log per endpoint, newest first, filtered by status, and redelivers a message', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    const reader = bearer((await t.given.loggedIn({ role: Role.User, workspaceId })).token);
    fake.mode = { status: 500, body: 'x'.repeat(3000) };
    const messageId = (await publish(workspaceId))!;
    await eventually(async () => expect((await message(messageId))!.attempts).toBe(1));

    const log = async (query: object = {}) =>
      (await t.http().get(`${BASE}/${endpoint.id}/attempts`).query(query).set(reader).expect(200)).body.data;
    const first = await log();
    expect(first.attempts).toEqual([expect.objectContaining({
      messageId, eventType: 'video.completed', attempt: 1, trigger: 'scheduled', status: 'failed', responseStatus: 500,
      latencyMs: expect.any(Number), error: 'The endpoint answered 500', nextAttemptAt: expect.any(String),
    })]);
    expect(first.attempts[0].responseBody).toBe('x'.repeat(1024));

    fake.mode = 'ok';
    await t.http().post(`${BASE}/${endpoint.id}/messages/${messageId}/redeliver`).set(reader).expect(403);
    const queued = await t.http().post(`${BASE}/${endpoint.id}/messages/${messageId}/redeliver`).set(producer).expect(202);
    expect(queued.body.data).toEqual({ messageIds: [messageId] });
    await eventually(async () => expect((await message(messageId))!.status).toBe('succeeded'));
    // The scheduled retry stands down: the message was delivered.
    expect((await message(messageId))!.nextAttemptAt).toBeUndefined();

    const both = await log();
    expect(both.attempts.map((a: { trigger: string; status: string }) => [a.trigger, a.status])).toEqual([['manual', 'succeeded'], ['scheduled', 'failed']]);
    expect(both.attempts[0].responseStatus).toBe(204);
    expect((await log({ status: 'failed' })).attempts).toHaveLength(1);
    expect((await log({ status: 'succeeded', limit: 1 })).pagination).toEqual({ page: 1, limit: 1, total: 1, totalPages: 1 });
    expect(deliveriesOf(messageId)).toHaveLength(2);
    for (const d of deliveriesOf(messageId)) expect(d.body).toBe(deliveriesOf(messageId)[0].body);

    await t.http().get(`${BASE}/${endpoint.id}/attempts`).query({ status: 'maybe' }).set(reader).expect(400);
    await t.http().post(`${BASE}/${endpoint.id}/messages/msg_${'0'.repeat(32)}/redeliver`).set(producer).expect(404);
    await t.http().post(`${BASE}/${endpoint.id}/messages/nope/redeliver`).set(producer).expect(400);
    const stranger = bearer((await t.given.loggedIn({ role: Role.Producer })).token);
    await t.http().get(`${BASE}/${endpoint.id}/attempts`).set(stranger).expect(404);
    await t.http().post(`${BASE}/${endpoint.id}/messages/${messageId}/redeliver`).set(stranger).expect(404);
  });

  it('recovers every message that failed since a time, once the endpoint is enabled again', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    const before = new Date(Date.now() - 1000).toISOString();
    fake.mode = { status: 410 };
    const messageId = (await publish(workspaceId))!;
    await eventually(async () => expect((await message(messageId))!.status).toBe('failed'));
    const recover = (since: string) => t.http().post(`${BASE}/${endpoint.id}/recover`).set(producer).send({ since });

    expect((await recover(before).expect(409)).body.message).toBe('The endpoint is disabled: enable it first');
    await t.http().patch(`${BASE}/${endpoint.id}`).set(producer).send({ enabled: true }).expect(200);
    fake.mode = 'ok';
    expect((await recover(new Date(Date.now() + 60_000).toISOString()).expect(400)).body.message).toBe('since must not be in the future');
    expect((await recover('yesterday').expect(400)).body.message).toBe('since must be an ISO 8601 date-time');
    expect((await recover(new Date().toISOString()).expect(202)).body.data).toEqual({ messageIds: [] });
    expect((await recover(before).expect(202)).body.data).toEqual({ messageIds: [messageId] });
    await eventually(async () => expect((await message(messageId))!.status).toBe('succeeded'));
    expect(deliveriesOf(messageId)).toHaveLength(2);
  });

  it('forgets the messages and the log of a deleted endpoint', async () => {
    const { workspaceId, producer, endpoint } = await givenEndpoint();
    const messageId = (await publish(workspaceId))!;
    await eventually(async () => expect((await message(messageId))!.status).toBe('succeeded'));
    await t.http().delete(`${BASE}/${endpoint.id}`).set(producer).expect(200);
    expect(await message(messageId)).toBeNull();
    expect(await t.connection.collection('webhookAttempts').countDocuments({ messageId })).toBe(0);
  });
});

describe('Webhook deliveries where local addresses are refused (e2e)', () => {
  let t: TestApp;
  let fake: FakeEndpoint;
  let answers: ResolvedAddress[][] = [];
  const dns = new FakeDns();

  beforeAll(async () => {
    fake = await FakeEndpoint.start();
    // hooks.customer.test answers what the test says, one answer per lookup, the last one after.
    dns.answer = () => (answers.length > 1 ? answers.shift()! : answers[0]);
    t = await createTestApp({ env: { OUTBOUND_ALLOW_PRIVATE_URLS: 'false', OUTBOUND_TIMEOUT_MS: '300' }, overrides: [dns.provider()] });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  async function delivered(firstAnswers: ResolvedAddress[][]) {
    const producer = await t.given.loggedIn({ role: Role.Producer });
    answers = [[{ address: '93.184.216.34', family: 4 }]];
    const created = await t.http().post(BASE).set(bearer(producer.token))
      .send({ url: `http://hooks.customer.test:${fake.port}/hook`, eventTypes: ['video.failed'] }).expect(201);
    answers = firstAnswers;
    const messageId = await t.app.get(OutboundEvents).publish(producer.user.workspaceId!, 'video.failed', { videoId: 'v' });
    return eventually(async () => {
      const attempt = await t.connection.collection('webhookAttempts').findOne({ messageId });
      expect(attempt).not.toBeNull();
      return { attempt: attempt!, endpointId: created.body.data.id as string };
    });
  }

  it('checks the address again at delivery: a name that now resolves to a private address is not called', async () => {
    const { attempt } = await delivered([[{ address: '127.0.0.1', family: 4 }]]);
    expect(attempt).toEqual(expect.objectContaining({ status: 'failed', error: 'url resolves to a loopback, private or link-local address' }));
    expect(fake.received).toHaveLength(0);
  });

  it('checks where the connection goes too: a name that changes its address after the check is not called', async () => {
    const { attempt } = await delivered([[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]]);
    expect(attempt).toEqual(expect.objectContaining({ status: 'failed', error: 'url resolves to a loopback, private or link-local address' }));
    expect(fake.received).toHaveLength(0);
  });
});
