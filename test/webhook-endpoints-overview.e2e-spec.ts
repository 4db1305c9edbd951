import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { JobRunner } from '../src/jobs/job-runner.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { createTestApp, TestApp } from './utils/test-app.js';

const BASE = '/api/webhook-endpoints';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * GET /api/webhook-endpoints/overview: every workspace's endpoints for superadmins, failing ones
 * first, with their latest attempts and next retry; never a secret; roles and validation.
 */
describe('GET /api/webhook-endpoints/overview (e2e)', () => {
  let t: TestApp;
  let failing: FakeEndpoint;
  let healthy: FakeEndpoint;
  let admin: Record<string, string>;

  beforeAll(async () => {
    failing = await FakeEndpoint.start();
    failing.mode = { status: 500, body: 'down for maintenance' };
    healthy = await FakeEndpoint.start();
    t = await createTestApp({ env: { OUTBOUND_TIMEOUT_MS: '500' } });
    admin = bearer((await t.given.loggedIn({ role: Role.SuperAdmin })).token);
  });
  afterAll(async () => {
    await t.close();
    await failing.stop();
    await healthy.stop();
  });

  async function givenEndpoint(url: string) {
    const workspace = await t.given.workspace();
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id })).token);
    const created = await t.http().post(BASE).set(producer).send({ url, eventTypes: ['video.completed'] }).expect(201);
    return { workspaceId: workspace.id, producer, endpoint: created.body.data as { id: string; secret: string } };
  }

  it('lists every workspace\'s endpoints, failing ones first, with the codes of their attempts and the next retry', async () => {
    const ok = await givenEndpoint(healthy.url('/ok'));
    const broken = await givenEndpoint(failing.url('/broken'));
    const idle = await givenEndpoint(healthy.url('/idle'));
    const okMessage = await t.app.get(OutboundEvents).publish(ok.workspaceId, 'video.completed', { videoId: 'v-ok' });
    const brokenMessage = await t.app.get(OutboundEvents).publish(broken.workspaceId, 'video.completed', { videoId: 'v-broken' });
    await eventually(() => expect(healthy.received.some((r) => r.headers['webhook-id'] === okMessage)).toBe(true));
    await eventually(() => expect(failing.received.filter((r) => r.headers['webhook-id'] === brokenMessage).length).toBeGreaterThanOrEqual(1));
    await t.app.get(JobRunner).drain(10_000);

    const answer = await t.http().get(`${BASE}/overview`).set(admin).expect(200);
    const { endpoints, pagination } = answer.body.data;
    expect(pagination).toEqual({ page: 1, limit: 20, total: 3, totalPages: 1 });
    expect(endpoints.map((e: { id: string }) => e.id)).toEqual([broken.endpoint.id, idle.endpoint.id, ok.endpoint.id]);

    const [first, second, third] = endpoints;
    expect(first).toEqual(expect.objectContaining({ workspaceId: broken.workspaceId, url: failing.url('/broken'), enabled: true, failingSince: expect.any(String), pendingMessages: 1 }));
    // Each attempt failed with the customer's 500; the next is scheduled (5 s after the first, then minutes).
    expect(first.recentAttempts.length).toBeGreaterThanOrEqual(1);
    for (const attempt of first.recentAttempts) {
      expect(attempt).toEqual(expect.objectContaining({ messageId: brokenMessage, status: 'failed', responseStatus: 500, trigger: 'scheduled' }));
    }
    expect(first.recentAttempts[0].responseBody).toBeUndefined();
    expect(Date.parse(first.nextAttemptAt)).toBeGreaterThan(Date.parse(first.recentAttempts[0].attemptedAt));
    expect(first.nextAttemptAt).toBe(first.recentAttempts[0].nextAttemptAt);
    expect(second).toEqual(expect.objectContaining({ pendingMessages: 0, recentAttempts: [] }));
    expect(second.failingSince).toBeUndefined();
    expect(second.nextAttemptAt).toBeUndefined();
    expect(third.recentAttempts).toEqual([expect.objectContaining({ messageId: okMessage, status: 'succeeded', responseStatus: 204 })]);
    expect(third.failingSince).toBeUndefined();

    // Never a secret, of any endpoint.
    for (const { endpoint } of [ok, broken, idle]) expect(answer.text).not.toContain(endpoint.secret.slice(6, 26));
    expect(answer.text).not.toContain('whsec_');
    expect(answer.text).not.toContain('"secrets"');

    // Paged: the second page of one holds the next endpoint in the same order.
    const page2 = (await t.http().get(`${BASE}/overview`).query({ page: 2, limit: 1 }).set(admin).expect(200)).body.data;
    expect(page2.endpoints.map((e: { id: string }) => e.id)).toEqual([idle.endpoint.id]);
    expect(page2.pagination).toEqual({ page: 2, limit: 1, total: 3, totalPages: 3 });
  });

  it('is for superadmins only: no token 401, a user or producer 403; bad paging 400 in the envelope', async () => {
    await t.http().get(`${BASE}/overview`).expect(401);
    const workspace = await t.given.workspace();
    for (const role of [Role.User, Role.Producer]) {
      const { token } = await t.given.loggedIn({ role, workspaceId: workspace.id });
      const refused = await t.http().get(`${BASE}/overview`).set(bearer(token)).expect(403);
      expect(refused.body.success).toBe(false);
    }
    const bad = await t.http().get(`${BASE}/overview`).query({ limit: 500 }).set(admin).expect(400);
    expect(bad.body).toEqual(expect.objectContaining({ success: false, message: expect.stringContaining('limit') }));
    await t.http().get(`${BASE}/overview`).query({ workspaceId: 'x' }).set(admin).expect(400);
  });
});
