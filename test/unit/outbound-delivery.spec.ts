import { describe, it } from 'node:test';
import { expect } from 'expect';
import { standardWebhookKey } from '../../src/common/standard-webhook-key.js';
import { signStandardWebhook } from '../../src/inbound-webhook-contract/signature-verifiers.js';
import { DELIVER_JOB } from '../../src/outbound-webhooks/outbound-events.js';
import { AttemptNotRecordedYet, RETRY_JITTER, RETRY_SCHEDULE_MS } from '../../src/outbound-webhooks/outbound-delivery.service.js';
import { givenEndpoint, givenMessage } from './fakes.js';
import { newOutboundDeliveryService, NOW } from './kit.js';

/**
 * Unit tier: one attempt at a message to a customer's endpoint (OutboundDeliveryService.deliver)
 * against fake repositories, a fake HTTP client and a frozen clock: what is sent and signed, what
 * the outcome records, when the next attempt is due, and when the endpoint is disabled.
 * End to end: webhook-endpoints.e2e-spec.ts, webhook-deliveries.e2e-spec.ts.
 */
const SECRET = 'whsec_dGVzdC1vdXRib3VuZC1zZWNyZXQtMDEyMzQ1Njc4OQ==';
const OLD_SECRET = 'whsec_b2xkLW91dGJvdW5kLXNlY3JldC0wMTIzNDU2Nzg5MA==';

function given(options: { attempts?: number; status?: 'pending' | 'succeeded' | 'failed'; failingSince?: Date; enabled?: boolean; env?: Record<string, string> } = {}) {
  const kit = newOutboundDeliveryService({ env: options.env });
  const endpoint = kit.endpoints.put(givenEndpoint({ enabled: options.enabled ?? true, ...(options.failingSince && { failingSince: options.failingSince }) }), [SECRET]);
  const message = kit.messages.put(givenMessage(endpoint, { attempts: options.attempts ?? 0, status: options.status ?? 'pending' }));
  // As queued: by the publication (attempt 1), by the attempt before, or by the sweep.
  const job = { workspaceId: endpoint.workspaceId, endpointId: endpoint.id, messageId: message.messageId, attempt: (options.attempts ?? 0) + 1 };
  return { ...kit, endpoint, message, job };
}

describe('OutboundDeliveryService.deliver (unit)', () => {
  it('a 2xx: sent signed under the message id at the clock’s second, recorded succeeded, the endpoint healthy, nothing more queued', async () => {
    const { service, http, messages, endpoints, jobs, metrics, endpoint, message, job } = given();
    endpoints.put(endpoint, [SECRET, OLD_SECRET]);

    await service.deliver(job);

    const timestamp = Math.floor(NOW.getTime() / 1000);
    expect(http.posts).toEqual([
      {
        url: endpoint.url,
        body: message.payload,
        headers: expect.objectContaining({
          'webhook-id': message.messageId,
          'webhook-timestamp': String(timestamp),
          // One signature per live secret (a rotation's old one too), space-separated.
          'webhook-signature': [SECRET, OLD_SECRET].map((secret) => signStandardWebhook(standardWebhookKey(secret)!, message.messageId, timestamp, message.payload)).join(' '),
        }),
      },
    ]);
    expect(messages.outcomes).toEqual([{ id: message.id, attempt: 1, status: 'succeeded', at: NOW, nextAttemptAt: undefined }]);
    expect(messages.get(message.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(messages.attempts).toEqual([expect.objectContaining({ attempt: 1, trigger: 'scheduled', status: 'succeeded', responseStatus: 200, attemptedAt: NOW })]);
    expect(endpoints.healthy).toEqual([endpoint.id]);
    expect(jobs.enqueued).toEqual([]);
    expect(metrics.outboundAttempts).toEqual(['success']);
  });

  // Attempt n failing schedules attempt n + 1 at RETRY_SCHEDULE_MS[n] (± RETRY_JITTER).
  for (let attempt = 1; attempt < RETRY_SCHEDULE_MS.length; attempt++) {
    it(`attempt ${attempt} answered 500: attempt ${attempt + 1} is due ${RETRY_SCHEDULE_MS[attempt] / 1000} s later (±10 %), queued under its own key`, async () => {
      const { service, http, messages, jobs, message, job } = given({ attempts: attempt - 1 });
      http.answer({ status: 500, body: 'oops' });

      await service.deliver(job);

      const [outcome] = messages.outcomes;
      expect(outcome).toMatchObject({ attempt, status: 'pending', at: NOW });
      const delay = outcome.nextAttemptAt!.getTime() - NOW.getTime();
      expect(delay).toBeGreaterThanOrEqual(Math.floor(RETRY_SCHEDULE_MS[attempt] * (1 - RETRY_JITTER)));
      expect(delay).toBeLessThanOrEqual(Math.ceil(RETRY_SCHEDULE_MS[attempt] * (1 + RETRY_JITTER)));
      expect(jobs.enqueued).toEqual([
        { name: DELIVER_JOB, data: { ...job, attempt: attempt + 1 }, options: { runAt: outcome.nextAttemptAt, uniqueKey: { endpointId: job.endpointId, messageId: message.messageId, attempt: attempt + 1 } } },
      ]);
      expect(messages.attempts).toEqual([expect.objectContaining({ attempt, status: 'failed', responseStatus: 500, responseBody: 'oops', error: 'The endpoint answered 500', nextAttemptAt: outcome.nextAttemptAt })]);
    });
  }

  it(`the last attempt (${RETRY_SCHEDULE_MS.length}) failing fails the message for good: nothing more queued`, async () => {
    const { service, http, messages, jobs, message, job } = given({ attempts: RETRY_SCHEDULE_MS.length - 1 });
    http.answer({ status: 502 });

    await service.deliver(job);

    expect(messages.outcomes).toEqual([{ id: message.id, attempt: RETRY_SCHEDULE_MS.length, status: 'failed', at: NOW, nextAttemptAt: undefined }]);
    expect(jobs.enqueued).toEqual([]);
  });

  it('410 Gone: the message fails at once and the endpoint is disabled, its producers told', async () => {
    const { service, http, messages, endpoints, jobs, notifications, endpoint, message, job } = given();
    http.answer({ status: 410 });

    await service.deliver(job);

    expect(messages.get(message.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(jobs.enqueued).toEqual([]);
    expect(endpoints.disabled).toEqual([{ id: endpoint.id, reason: 'The endpoint answered 410 Gone', at: NOW }]);
    expect(notifications.producerEmails).toEqual([
      expect.objectContaining({ workspaceId: endpoint.workspaceId, key: { endpointDisabled: endpoint.id, at: NOW.toISOString() }, once: true, message: expect.objectContaining({ subject: 'Webhook endpoint disabled: https://hooks.customer.example/…ogen' }) }),
    ]);
    // Queued: owed no more.
    expect([...endpoints.noticesOwed]).toEqual([]);
  });

  it('410 Gone with the e-mail queue down: the endpoint is disabled and its e-mail stays owed (the sweep pays it), the delivery recorded all the same', async () => {
    const { service, http, messages, endpoints, notifications, endpoint, message, job } = given();
    http.answer({ status: 410 });
    notifications.failures.fail('emailProducers', new Error('queue down'));

    await service.deliver(job);

    expect(messages.get(message.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(messages.attempts).toEqual([expect.objectContaining({ status: 'failed', responseStatus: 410 })]);
    expect(endpoints.get(endpoint.id)).toMatchObject({ enabled: false, disabledAt: NOW });
    expect(notifications.producerEmails).toEqual([]);
    expect([...endpoints.noticesOwed]).toEqual([endpoint.id]);
  });

  for (const status of [429, 503]) {
    it(`${status} with Retry-After: the next attempt is due exactly then, not on the schedule`, async () => {
      const { service, http, messages, job } = given();
      http.answer({ status, headers: { 'retry-after': '120' } });

      await service.deliver(job);

      expect(messages.outcomes[0].nextAttemptAt).toEqual(new Date(NOW.getTime() + 120_000));
    });
  }

  it('a Retry-After on another status (500) is not followed', async () => {
    const { service, http, messages, job } = given();
    http.answer({ status: 500, headers: { 'retry-after': '3600' } });

    await service.deliver(job);

    expect(messages.outcomes[0].nextAttemptAt!.getTime() - NOW.getTime()).toBeLessThanOrEqual(RETRY_SCHEDULE_MS[1] * (1 + RETRY_JITTER));
  });

  it('failing for OUTBOUND_DISABLE_AFTER_DAYS without a success disables the endpoint; a day less does not', async () => {
    const day = 24 * 3600_000;
    const recent = given({ failingSince: new Date(NOW.getTime() - 2 * day + 1), env: { OUTBOUND_DISABLE_AFTER_DAYS: '2' } });
    recent.http.answer({ status: 500 });
    await recent.service.deliver(recent.job);
    expect(recent.endpoints.disabled).toEqual([]);

    const long = given({ failingSince: new Date(NOW.getTime() - 2 * day), env: { OUTBOUND_DISABLE_AFTER_DAYS: '2' } });
    long.http.answer({ status: 500 });
    await long.service.deliver(long.job);
    expect(long.endpoints.disabled).toEqual([{ id: long.endpoint.id, reason: 'Deliveries have failed for 2 day(s) without a success', at: NOW }]);
    // The message itself keeps its schedule.
    expect(long.messages.get(long.message.id).status).toBe('pending');
  });

  it('a URL the guard refuses is a failed attempt (outcome refused), retried on the schedule, and nothing is sent', async () => {
    const { service, http, urls, messages, metrics, job } = given();
    urls.refuse = 'url must not point at a loopback, private or link-local address';

    await service.deliver(job);

    expect(http.posts).toEqual([]);
    expect(metrics.outboundAttempts).toEqual(['refused']);
    expect(messages.outcomes[0]).toMatchObject({ status: 'pending' });
    expect(messages.attempts[0]).toMatchObject({ status: 'failed', error: 'url must not point at a loopback, private or link-local address' });
  });

  it('a network error is a failed attempt, retried on the schedule', async () => {
    const { service, http, messages, job } = given();
    http.answer(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));

    await service.deliver(job);

    expect(messages.outcomes[0]).toMatchObject({ attempt: 1, status: 'pending' });
    expect(messages.attempts[0]).toMatchObject({ status: 'failed' });
    expect(messages.attempts[0].responseStatus).toBeUndefined();
  });

  // The class says "A run may happen twice: ... only one run records the attempt's outcome". A
  // run repeated after the first recorded a failure (its worker lost after recording, the job taken
  // over once its lock expired) finds the message still pending. It read its attempt number from
  // the message alone, so it sent attempt n + 1 at once, before the attempt n + 1 already queued
  // for later, which then ran as attempt n + 2: one extra send, and the schedule shortened. The
  // job now carries its attempt.
  it('a job run repeated after its failed attempt was recorded sends nothing: the next attempt is queued for its time', async () => {
    const { service, http, messages, jobs, job } = given();
    http.answer({ status: 500 });

    await service.deliver(job);
    await service.deliver(job);

    expect(http.posts).toHaveLength(1);
    expect(messages.outcomes.map((outcome) => outcome.attempt)).toEqual([1]);
    expect(jobs.enqueued).toHaveLength(1);
    expect(jobs.enqueued[0].data).toEqual({ ...job, attempt: 2 });

    // The queued attempt 2 goes when it runs.
    await service.deliver(jobs.enqueued[0].data as typeof job);
    expect(http.posts).toHaveLength(2);
    expect(messages.outcomes.map((outcome) => outcome.attempt)).toEqual([1, 2]);
  });

  it('a job run repeated after a crash before its outcome was recorded repeats that attempt (nothing recorded, nothing lost)', async () => {
    const { service, http, messages, jobs, message, job } = given();
    http.answer({ status: 500 });
    // The first run sends and queues attempt 2, then dies before recording attempt 1.
    messages.failures.fail('recordScheduledOutcome', new Error('instance killed'));
    await expect(service.deliver(job)).rejects.toThrow('instance killed');
    messages.failures.heal('recordScheduledOutcome');
    expect(messages.get(message.id).attempts).toBe(0);

    // Taken over: attempt 1 again, recorded this time; attempt 2's job was queued once.
    await service.deliver(job);
    expect(http.posts).toHaveLength(2);
    expect(messages.outcomes.map((outcome) => outcome.attempt)).toEqual([1]);
    expect(jobs.enqueued.map((queued) => queued.data)).toEqual([{ ...job, attempt: 2 }, { ...job, attempt: 2 }]);
    expect(new Set(jobs.enqueued.map((queued) => JSON.stringify(queued.options?.uniqueKey))).size).toBe(1);
  });

  it('a job run ahead of the record (attempt n + 1 while attempt n is still being recorded) sends nothing and fails, for its backoff to run it again', async () => {
    const { service, http, messages, jobs, job } = given();
    await expect(service.deliver({ ...job, attempt: 2 })).rejects.toThrow(AttemptNotRecordedYet);
    expect(http.posts).toEqual([]);
    expect(messages.outcomes).toEqual([]);
    expect(messages.attempts).toEqual([]);
    expect(jobs.enqueued).toEqual([]);
  });

  it('a job queued before jobs carried their attempt still delivers the message’s next attempt', async () => {
    const { service, http, messages, job } = given({ attempts: 1 });
    http.answer({ status: 500 });
    const { attempt, ...older } = job;
    expect(attempt).toBe(2);
    await service.deliver(older);
    expect(http.posts).toHaveLength(1);
    expect(messages.outcomes.map((outcome) => outcome.attempt)).toEqual([2]);
  });

  it('a message no longer pending (a repeated job run) is not sent again', async () => {
    for (const status of ['succeeded', 'failed'] as const) {
      const { service, http, messages, job } = given({ status });
      await service.deliver(job);
      expect(http.posts).toEqual([]);
      expect(messages.attempts).toEqual([]);
    }
  });

  it('an endpoint disabled or deleted meanwhile: the pending message fails without an attempt', async () => {
    const disabled = given({ enabled: false });
    await disabled.service.deliver(disabled.job);
    expect(disabled.http.posts).toEqual([]);
    expect(disabled.messages.abandoned).toEqual([disabled.message.id]);

    const deleted = given();
    deleted.endpoints.stored.clear();
    await deleted.service.deliver(deleted.job);
    expect(deleted.messages.abandoned).toEqual([deleted.message.id]);
  });

  it('a manual re-send goes whatever the message’s status, records an attempt without a number, and changes no schedule', async () => {
    const { service, http, messages, jobs, message, job } = given({ status: 'failed', attempts: 10 });
    http.answer({ status: 500 });

    await service.deliver({ ...job, manual: true });

    expect(http.posts).toHaveLength(1);
    expect(messages.outcomes).toEqual([]);
    expect(jobs.enqueued).toEqual([]);
    expect(messages.get(message.id).status).toBe('failed');
    expect(messages.attempts).toEqual([expect.objectContaining({ trigger: 'manual', status: 'failed' })]);
    expect(messages.attempts[0].attempt).toBeUndefined();
  });

  it('a manual re-send to a disabled endpoint abandons nothing', async () => {
    const { service, http, messages, job } = given({ enabled: false, status: 'failed' });
    await service.deliver({ ...job, manual: true });
    expect(http.posts).toEqual([]);
    expect(messages.abandoned).toEqual([]);
  });
});
