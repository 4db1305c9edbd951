import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Role } from '../src/common/role.enum.js';
import { OutboundEvents } from '../src/outbound-webhooks/outbound-events.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeDns } from './utils/fake-dns.js';
import { createTestApp, TestApp } from './utils/test-app.js';

const METRIC = 'videogen_outbound_attempts_total';

/** The value of `name{outcome="…"}` in a Prometheus text answer (0 when absent). */
function attempts(text: string, outcome: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${METRIC}{outcome="${outcome}"} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/**
 * Each attempt at a customer's endpoint is counted by what came of it, read through /metrics. Its
 * job run succeeds whatever the endpoint answered (the schedule retries, not the runner), so the
 * job metrics alone showed a failing endpoint as healthy.
 */
async function scrape(t: TestApp): Promise<string> {
  return (await t.http().get('/metrics').expect(200)).text;
}

/**
 * A workspace with an endpoint at `url` taking video.completed: `publish` sends it one message,
 * `disable` stops it, so that a failed attempt's retry (seconds later) makes no attempt in
 * another test's window.
 */
async function givenEndpoint(t: TestApp, url: string) {
  const workspace = await t.given.workspace();
  const { token } = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
  const auth = { Authorization: `Bearer ${token}` };
  const endpoint = (await t.http().post('/api/webhook-endpoints').set(auth).send({ url, eventTypes: ['video.completed'] }).expect(201)).body.data;
  return {
    publish: () => t.app.get(OutboundEvents).publish(workspace.id, 'video.completed', { videoId: 'v1' }),
    disable: () => t.http().patch(`/api/webhook-endpoints/${endpoint.id}`).set(auth).send({ enabled: false }).expect(200),
  };
}

/** The first attempt at the message is recorded (its outcome, whatever it is). */
async function firstAttemptRecorded(t: TestApp, messageId: string | undefined) {
  await eventually(async () => expect(await t.connection.collection('webhookAttempts').countDocuments({ messageId })).toBe(1), 10_000);
}

describe('videogen_outbound_attempts_total: every attempt by its outcome (e2e)', () => {
  let t: TestApp;
  let fake: FakeEndpoint;

  beforeAll(async () => {
    fake = await FakeEndpoint.start();
    t = await createTestApp({ env: { OUTBOUND_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it('is served with every outcome from the start', async () => {
    const text = await scrape(t);
    for (const outcome of ['success', 'http_error', 'timeout', 'network_error', 'refused']) {
      expect(text).toMatch(new RegExp(`^${METRIC}\\{outcome="${outcome}"\\} \\d+$`, 'm'));
    }
  });

  const cases: Array<[string, () => unknown, string]> = [
    ['a 2xx', () => fake.script.push('ok'), 'success'],
    ['a 500', () => fake.script.push({ status: 500, body: 'down' }), 'http_error'],
    ['a redirect (never followed)', () => fake.script.push({ status: 302, headers: { location: 'http://127.0.0.1:1/' } }), 'http_error'],
    ['no answer within OUTBOUND_TIMEOUT_MS', () => fake.script.push('hang'), 'timeout'],
  ];
  for (const [what, arrange, outcome] of cases) {
    it(`counts ${what} as ${outcome}, and nothing else`, async () => {
      const { publish, disable } = await givenEndpoint(t, fake.url(`/${outcome}`));
      arrange();
      const before = await scrape(t);
      await firstAttemptRecorded(t, await publish());
      const after = await scrape(t);
      await disable();
      for (const other of ['success', 'http_error', 'timeout', 'network_error', 'refused']) {
        expect({ other, delta: attempts(after, other) - attempts(before, other) }).toEqual({ other, delta: other === outcome ? 1 : 0 });
      }
    });
  }

  it('counts a connection nobody answers (a closed port) as network_error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { publish, disable } = await givenEndpoint(t, `http://127.0.0.1:${port}/hook`);
    const before = await scrape(t);
    await firstAttemptRecorded(t, await publish());
    const after = await scrape(t);
    await disable();
    expect(attempts(after, 'network_error') - attempts(before, 'network_error')).toBe(1);
    expect(attempts(after, 'success') - attempts(before, 'success')).toBe(0);
  });
});

describe('videogen_outbound_attempts_total where local addresses are refused (e2e)', () => {
  let t: TestApp;
  const dns = new FakeDns();

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOUND_ALLOW_PRIVATE_URLS: 'false' }, overrides: [dns.provider()] });
  });
  afterAll(() => t.close());

  it('counts an attempt the address rule stops (a name that moved to a private address) as refused', async () => {
    dns.set('rebind.customer.test', [{ address: '93.184.216.34', family: 4 }]);
    const { publish } = await givenEndpoint(t, 'https://rebind.customer.test/hook');
    dns.set('rebind.customer.test', [{ address: '10.1.2.3', family: 4 }]);
    const before = await scrape(t);
    await firstAttemptRecorded(t, await publish());
    const after = await scrape(t);
    expect(attempts(after, 'refused') - attempts(before, 'refused')).toBe(1);
    expect(attempts(after, 'network_error') - attempts(before, 'network_error')).toBe(0);
  });
});
