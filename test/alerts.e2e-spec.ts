import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { Clock } from '../src/common/clock.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { NotificationsService } from '../src/notifications/notifications.service.js';
import { AlertRepository } from '../src/alerts/alert.repository.js';
import { Hookable, hookable } from './utils/hookable.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeClock } from './utils/fake-heygen.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { eventModel } from './utils/webhook-events.js';

/**
 * Alerts for superadmins, on two instances sharing one database (as two replicas behind a load
 * balancer), with the real SMTP test server and a local Slack: an incident opens once and
 * resolves once however many instances evaluate, with one message each way per channel.
 */
describe('Alerts (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  let smtp: SmtpSink;
  let slack: FakeEndpoint;
  let admin: { Authorization: string };
  const clock = new FakeClock();

  beforeAll(async () => {
    smtp = await SmtpSink.start();
    slack = await FakeEndpoint.start();
    const dbName = uniqueDatabaseName('alerts');
    const env = { SMTP_URL: smtp.url, MAIL_RETRY_BACKOFF_MS: '40', CHAT_RETRY_BACKOFF_MS: '40' };
    a = await createTestApp({ env, dbName, overrides: [{ provide: Clock, useValue: clock }, hookable(NotificationsService)] });
    b = await createTestApp({ env, dbName, overrides: [{ provide: Clock, useValue: clock }] });
    admin = { Authorization: `Bearer ${(await a.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(async () => {
    await a.connection.dropDatabase();
    await a.close();
    await b.close();
    await smtp.stop();
    await slack.stop();
  });

  /** Both instances evaluate at once, as their job runners may. */
  const evaluateOnBoth = async () => {
    const answers = await Promise.all([a, b].map((app) => app.http().post('/api/alerts/evaluate').set(admin).expect(200)));
    return answers.flatMap((answer) => answer.body.data.evaluations as Array<{ ruleId: string; opened?: string; resolved?: string; value: number; breached: boolean }>);
  };
  /** A delivery with a bad signature, once its refusal is in the event log (recorded after the answer). */
  const refusedDelivery = async (app: TestApp) => {
    const raw = JSON.stringify({ videoId: '65abc123def456789012abcd', youtubeVideoId: 'yt' });
    const before = await eventModel(a).countDocuments({ status: 'rejected' });
    await app.http().post('/internal/videos/success').set({ ...rckHeaders(raw), 'webhook-signature': 'v1,AAAA' }).send(raw).expect(401);
    await eventually(async () => {
      await app.app.get(WebhookEventRecorder).flush();
      expect(await eventModel(a).countDocuments({ status: 'rejected' })).toBe(before + 1);
    });
  };
  const settle = () => a.app.get(JobRunner).drain(20_000, { includeScheduled: true });

  it('opens one incident for refused deliveries and sends one message per channel, then resolves it once', async () => {
    const created = await a.http().post('/api/alerts/rules').set(admin).send({
      name: 'RCK refusals', kind: 'refused_deliveries', source: 'rck', threshold: 3, windowMinutes: 10,
      channels: { emails: ['oncall@example.com'], slackWebhookUrl: slack.url('/slack') },
    }).expect(201);
    const rule = created.body.data;
    // The Slack URL is a secret: shown masked.
    expect(rule.channels).toEqual({ emails: ['oncall@example.com'], slackWebhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/…lack$/) });

    await refusedDelivery(a);
    await refusedDelivery(b);
    // Two refusals: below the threshold, nothing opens.
    expect((await evaluateOnBoth()).filter((e) => e.ruleId === rule.id)).toEqual([
      expect.objectContaining({ value: 2, breached: false }),
      expect.objectContaining({ value: 2, breached: false }),
    ]);

    await refusedDelivery(a);
    const opened = (await evaluateOnBoth()).filter((e) => e.ruleId === rule.id && e.opened);
    expect(opened).toHaveLength(1);
    // Evaluated again while it lasts: still one incident, no more messages.
    expect((await evaluateOnBoth()).filter((e) => e.opened)).toEqual([]);
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes('oncall@example.com')).map((m) => m.subject)).toEqual(['[videogen] Alert: RCK refusals']);
    expect(smtp.to('oncall@example.com').text).toContain('3 rck deliveries refused in the last 10 min (threshold 3)');
    expect(slack.received.filter((r) => r.path === '/slack')).toHaveLength(1);
    expect(slack.received[0].body).toContain('Alert: RCK refusals');

    const open = await a.http().get('/api/alerts/incidents?status=open').set(admin).expect(200);
    expect(open.body.data.incidents).toEqual([expect.objectContaining({ id: opened[0].opened, ruleId: rule.id, status: 'open', openedValue: 3, threshold: 3 })]);

    // The refusals leave the window: one evaluation resolves it, one message each way.
    clock.advance(11 * 60_000);
    const resolved = (await evaluateOnBoth()).filter((e) => e.ruleId === rule.id && e.resolved);
    expect(resolved).toEqual([expect.objectContaining({ resolved: opened[0].opened, value: 0 })]);
    expect((await evaluateOnBoth()).filter((e) => e.resolved || e.opened)).toEqual([]);
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes('oncall@example.com')).map((m) => m.subject).sort())
      .toEqual(['[videogen] Alert: RCK refusals', '[videogen] Resolved: RCK refusals']);
    expect(slack.received.filter((r) => r.path === '/slack')).toHaveLength(2);
    const all = await a.http().get('/api/alerts/incidents').set(admin).expect(200);
    expect(all.body.data.incidents).toEqual([expect.objectContaining({ status: 'resolved', resolvedValue: 0, resolvedAt: expect.any(String) })]);
    expect(all.body.data.pagination).toEqual(expect.objectContaining({ total: 1 }));
    await a.http().delete(`/api/alerts/rules/${rule.id}`).set(admin).expect(200);
  });

  it('measures a failure rate only once enough deliveries arrived', async () => {
    const rule = (await a.http().post('/api/alerts/rules').set(admin).send({
      name: 'All failures', kind: 'failure_rate', threshold: 50, windowMinutes: 60, minDeliveries: 2, channels: {},
    }).expect(201)).body.data;
    const before = (await evaluateOnBoth()).filter((e) => e.ruleId === rule.id);
    // Every delivery in this window so far was refused (the test above): 100 %, over the minimum; one instance opened it.
    expect(before.map((e) => [e.value, e.breached])).toEqual([[100, true], [100, true]]);
    const opened = before.filter((e) => e.opened);
    expect(opened).toHaveLength(1);
    await a.http().patch(`/api/alerts/rules/${rule.id}`).set(admin).send({ minDeliveries: 1000 }).expect(200);
    const after = (await evaluateOnBoth()).filter((e) => e.ruleId === rule.id);
    expect(after.map((e) => e.breached)).toEqual([false, false]);
    expect(after.filter((e) => e.resolved).map((e) => e.resolved)).toEqual([opened[0].opened]);
    await a.http().delete(`/api/alerts/rules/${rule.id}`).set(admin).expect(200);
  });

  it('announces an incident whose announcement a crash left owed at the next evaluation, once, whichever instance pays it', async () => {
    const rule = (await a.http().post('/api/alerts/rules').set(admin).send({
      name: 'Owed failures', kind: 'failure_rate', threshold: 50, windowMinutes: 60, minDeliveries: 2,
      channels: { emails: ['owed@example.com'], slackWebhookUrl: slack.url('/slack-owed') },
    }).expect(201)).body.data;
    const notifications = a.app.get(NotificationsService) as Hookable<NotificationsService>;
    notifications.hooks.email = async () => {
      throw new Error('mail queue down');
    };
    try {
      // The incident opens, and its announcement fails on its way out (as a crash would cut it).
      await a.http().post('/api/alerts/evaluate').set(admin).expect(200);
    } finally {
      notifications.hooks = {};
    }
    const incidents = a.connection.collection('alertincidents');
    expect(await incidents.findOne({ ruleName: 'Owed failures', status: 'open' })).toMatchObject({ owedAnnouncements: ['opened'] });
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes('owed@example.com'))).toEqual([]);

    // The next evaluations, on both instances at once, open nothing new and pay what is owed: once.
    expect((await evaluateOnBoth()).filter((e) => e.ruleId === rule.id && e.opened)).toEqual([]);
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes('owed@example.com')).map((m) => m.subject)).toEqual(['[videogen] Alert: Owed failures']);
    expect(slack.received.filter((r) => r.path === '/slack-owed')).toHaveLength(1);
    expect(await incidents.findOne({ ruleName: 'Owed failures', status: 'open' })).not.toHaveProperty('owedAnnouncements');
    // The incidents answer does not show the bookkeeping.
    const listed = await a.http().get('/api/alerts/incidents?status=open').set(admin).expect(200);
    expect(listed.body.data.incidents.every((incident: object) => !('owedAnnouncements' in incident))).toBe(true);

    // A crash between a payment's two writes leaves an empty list: owed nothing, never picked again.
    await incidents.updateOne({ ruleName: 'Owed failures', status: 'open' }, { $set: { owedAnnouncements: [] } });
    expect((await a.app.get(AlertRepository).findOwedAnnouncements(100)).filter((incident) => incident.ruleName === 'Owed failures')).toEqual([]);

    await evaluateOnBoth();
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes('owed@example.com'))).toHaveLength(1);
    expect(slack.received.filter((r) => r.path === '/slack-owed')).toHaveLength(1);
    await a.http().delete(`/api/alerts/rules/${rule.id}`).set(admin).expect(200);
  });

  it('is for superadmins only, and refuses a bad rule naming the field', async () => {
    const producer = await a.given.loggedIn({ role: Role.Producer });
    await a.http().get('/api/alerts/rules').set('Authorization', `Bearer ${producer.token}`).expect(403);
    await a.http().get('/api/alerts/incidents').expect(401);
    const bad = await a.http().post('/api/alerts/rules').set(admin).send({ name: 'x', kind: 'nonsense', threshold: 1, windowMinutes: 5, channels: {} }).expect(400);
    expect(bad.body.message).toContain('kind must be one of failure_rate, refused_deliveries, stuck_videos, stuck_reels, failing_endpoint, recorder_backlog');
    const badUrl = await a.http().post('/api/alerts/rules').set(admin)
      .send({ name: 'x', kind: 'stuck_videos', threshold: 1, windowMinutes: 5, channels: { slackWebhookUrl: 'javascript:alert(1)' } }).expect(400);
    expect(badUrl.body.message).toContain('channels.slackWebhookUrl must be an https URL');
    await a.http().patch('/api/alerts/rules/65abc123def456789012abcd').set(admin).send({ threshold: 2 }).expect(404);
    expect((await a.http().delete('/api/alerts/rules/nope').set(admin).expect(400)).body.message).toBe('Invalid alert rule id format');
  });
});
