import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { OutboundMessageRepository } from '../src/outbound-webhooks/outbound-message.repository.js';
import { OutboundDeliveryService } from '../src/outbound-webhooks/outbound-delivery.service.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { JobRunner } from '../src/jobs/job-runner.js';

describe('Sweep for webhook messages stored but never queued (e2e)', () => {
  let t: TestApp;
  let fake: FakeEndpoint;

  beforeAll(async () => {
    fake = await FakeEndpoint.start();
    t = await createTestApp({ env: { OUTBOUND_SWEEP_INTERVAL_MS: '100' } });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });
  beforeEach(() => fake.reset());

  async function givenEndpoint() {
    const workspace = await t.given.workspace();
    const { token } = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const endpoint = (await t.http().post('/api/webhook-endpoints').set('Authorization', `Bearer ${token}`)
      .send({ url: fake.url(), eventTypes: ['video.completed'] }).expect(201)).body.data;
    return { workspaceId: workspace.id as string, endpointId: endpoint.id as string };
  }

  /** What a crash between the insert and the enqueue of OutboundEvents.publish leaves behind. */
  async function strandedMessage(workspaceId: string, endpointId: string, storedAgoMs: number) {
    const messageId = `msg_${Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32)}`;
    const payload = JSON.stringify({ type: 'video.completed', timestamp: new Date().toISOString(), data: { videoId: 'v1' } });
    await t.app.get(OutboundMessageRepository).createMessages(workspaceId, [{ endpointId, messageId, eventType: 'video.completed', payload }], new Date(Date.now() - storedAgoMs));
    return messageId;
  }
  const message = (messageId: string) => t.connection.collection('webhookMessages').findOne({ messageId });

  it('delivers a message a crash left with no job, once, signed as any other', async () => {
    const { workspaceId, endpointId } = await givenEndpoint();
    const messageId = await strandedMessage(workspaceId, endpointId, 5 * 60_000);
    await eventually(async () => expect((await message(messageId))!.status).toBe('succeeded'), 20_000);
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0].headers['webhook-id']).toBe(messageId);
    expect(fake.received[0].headers['webhook-signature']).toMatch(/^v1,/);
    // Another sweep, and every job it could queue, send nothing more.
    await t.app.get(OutboundDeliveryService).sweep();
    await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    expect(fake.received).toHaveLength(1);
  });

  it('queues each overdue message once however many sweeps run, and leaves recent ones to their own job', async () => {
    const { workspaceId, endpointId } = await givenEndpoint();
    fake.mode = 'hang'; // nothing completes while the sweeps race
    const overdue = await strandedMessage(workspaceId, endpointId, 5 * 60_000);
    const recent = await strandedMessage(workspaceId, endpointId, 1000);
    const service = t.app.get(OutboundDeliveryService);
    await Promise.all([service.sweep(), service.sweep(), service.sweep()]);
    const jobs = await t.connection.collection('agendaJobs').find({ name: 'webhook-endpoints.deliver', 'data.endpointId': endpointId }).toArray();
    expect(jobs.map((job) => job.data.messageId)).toEqual([overdue]);
    expect((await message(recent))!.status).toBe('pending');
  });
});
