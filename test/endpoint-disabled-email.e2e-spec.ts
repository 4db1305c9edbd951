import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { ObjectId } from 'mongodb';
import { Role } from '../src/common/role.enum.js';
import { Clock } from '../src/common/clock.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import { eventually } from './utils/eventually.js';
import { FakeClock } from './utils/fake-clock.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { NotificationsService } from '../src/notifications/notifications.service.js';
import { OutboundDeliveryService } from '../src/outbound-webhooks/outbound-delivery.service.js';
import { Hookable, hookable } from './utils/hookable.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('E-mail to the producers when a webhook endpoint is disabled (e2e)', () => {
  let t: TestApp;
  let fake: FakeEndpoint;
  let smtp: SmtpSink;
  const clock = new FakeClock();

  beforeAll(async () => {
    [fake, smtp] = await Promise.all([FakeEndpoint.start(), SmtpSink.start()]);
    t = await createTestApp({
      env: { SMTP_URL: smtp.url, MAIL_RETRY_BACKOFF_MS: '40', OUTBOUND_TIMEOUT_MS: '3000' },
      overrides: [{ provide: Clock, useValue: clock }, hookable(NotificationsService)],
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([fake.stop(), smtp.stop()]);
  });
  beforeEach(() => {
    fake.reset();
    smtp.reset();
    clock.reset();
    (t.app.get(NotificationsService) as Hookable<NotificationsService>).hooks = {};
  });

  async function givenEndpoint() {
    const workspace = await t.given.workspace();
    const first = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const second = await t.given.user({ role: Role.Producer, workspaceId: workspace.id });
    const reader = await t.given.user({ role: Role.User, workspaceId: workspace.id });
    const stranger = await t.given.user({ role: Role.Producer });
    const endpoint = (await t.http().post('/api/webhook-endpoints').set(bearer(first.token))
      .send({ url: fake.url('/hooks/secret-path-9Zq4'), eventTypes: ['video.completed'], description: 'Our Zapier hook' }).expect(201)).body.data;
    return { workspaceId: workspace.id, producers: [first.user, second], token: first.token, reader, stranger, endpoint };
  }

  it('tells every producer of the workspace once when the endpoint answers 410, and nobody else', async () => {
    const { workspaceId, producers, reader, stranger, endpoint } = await givenEndpoint();
    fake.mode = { status: 410 };
    await t.app.get(OutboundEvents).publish(workspaceId, 'video.completed', { videoId: 'v1' });
    const mails = await eventually(() => producers.map((producer) => smtp.to(producer.email)), 20_000);
    for (const mail of mails) {
      expect(mail.subject).toBe(`Webhook endpoint disabled: http://127.0.0.1:${fake.port}/…9Zq4`);
      expect(mail.text).toContain('(Our Zapier hook)');
      expect(mail.text).toContain('Reason: The endpoint answered 410 Gone');
      expect(mail.text).toContain(`https://app.videogen.example.com/webhook-endpoints/${endpoint.id}`);
      expect(mail.text).not.toContain('secret-path');
    }
    // Another message to the disabled endpoint sends nothing and tells nobody again.
    await t.app.get(OutboundEvents).publish(workspaceId, 'video.completed', { videoId: 'v2' });
    await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(producers.map((p) => p.email).sort());
    expect(smtp.messages.some((m) => m.to.includes(reader.email) || m.to.includes(stranger.email))).toBe(false);
  });

  it('tells the producers when the endpoint has failed for OUTBOUND_DISABLE_AFTER_DAYS', async () => {
    const { workspaceId, producers } = await givenEndpoint();
    fake.mode = { status: 500 };
    const messageId = (await t.app.get(OutboundEvents).publish(workspaceId, 'video.completed', { videoId: 'v1' }))!;
    await eventually(async () => expect((await t.connection.collection('webhookMessages').findOne({ messageId }))!.attempts).toBe(1), 20_000);
    expect(smtp.messages).toHaveLength(0);
    clock.advance(5 * 24 * 3600_000 + 1000);
    await eventually(async () => {
      const result = await t.connection.collection('agendaJobs').updateOne(
        { name: 'webhook-endpoints.deliver', 'data.messageId': messageId, lockedAt: null, nextRunAt: { $gt: new Date() } },
        { $set: { nextRunAt: new Date() } },
      );
      expect(result.modifiedCount).toBe(1);
    }, 20_000);
    const mail = await eventually(() => smtp.to(producers[1].email), 20_000);
    expect(mail.text).toContain('Reason: Deliveries have failed for 5 day(s) without a success');
  });

  it('owes the e-mail with the disable: queued by the sweep when the first try failed (a crash, a queue down), once for good', async () => {
    const { workspaceId, producers, token, endpoint } = await givenEndpoint();
    const notifications = t.app.get(NotificationsService) as Hookable<NotificationsService>;
    let refused = 0;
    notifications.hooks.emailProducers = async () => {
      refused++;
      throw new Error('mail queue down');
    };
    fake.mode = { status: 410 };
    await t.app.get(OutboundEvents).publish(workspaceId, 'video.completed', { videoId: 'v1' });
    const endpoints = t.connection.collection('webhookEndpoints');
    const disabled = await eventually(async () => {
      const stored = await endpoints.findOne({ _id: new ObjectId(endpoint.id) });
      expect(stored).toMatchObject({ enabled: false, disabledNoticeOwed: true });
      return stored!;
    }, 20_000);
    expect(refused).toBe(1);
    notifications.hooks = {};
    // Disabling it by hand now (a form sending the state it shows) keeps the reason and time the e-mail is owed for.
    const patched = await t.http().patch(`/api/webhook-endpoints/${endpoint.id}`).set(bearer(token)).send({ enabled: false }).expect(200);
    expect(patched.body.data).toMatchObject({ enabled: false, disabledReason: 'The endpoint answered 410 Gone', disabledAt: disabled.disabledAt.toISOString() });

    const sweeper = t.app.get(OutboundDeliveryService);
    // Within the disabling run's time the sweep leaves it be; past it, it pays what is owed.
    await sweeper.sweep();
    await t.app.get(JobRunner).drain(20_000);
    expect(smtp.messages).toHaveLength(0);
    clock.advance(10 * 60_000);
    await sweeper.sweep();
    const mails = await eventually(() => producers.map((producer) => smtp.to(producer.email)), 20_000);
    expect(mails.map((mail) => mail.text)).toEqual([expect.stringContaining('Reason: The endpoint answered 410 Gone'), expect.stringContaining('Reason: The endpoint answered 410 Gone')]);
    expect(await endpoints.findOne({ _id: disabled._id })).not.toHaveProperty('disabledNoticeOwed');

    // Paid: another sweep, and a repeat of the same e-mail (as a sweep racing the run would queue), send nothing more.
    await sweeper.sweep();
    await sweeper.onEndpointDisabled({ ...endpoint, workspaceId }, 'The endpoint answered 410 Gone', disabled.disabledAt);
    await t.app.get(JobRunner).drain(20_000);
    expect(smtp.messages).toHaveLength(producers.length);
  });
});
