import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { FakeDns } from './utils/fake-dns.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** Collects the JSON log lines the app writes. */
class LogCapture {
  readonly chunks: string[] = [];
  write(chunk: string): void {
    this.chunks.push(chunk);
  }
  get text(): string {
    return this.chunks.join('');
  }
}

const BASE = '/api/webhook-endpoints';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('Webhook endpoints: registration and access (e2e)', () => {
  const logs = new LogCapture();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'debug' }, logDestination: logs });
  });
  afterAll(() => t.close());

  /** A workspace with a producer and a user, and their tokens. */
  async function givenWorkspace() {
    const workspace = await t.given.workspace();
    const producer = await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
    const user = await t.given.loggedIn({ role: Role.User, workspaceId: workspace.id });
    return { workspace, producer: bearer(producer.token), user: bearer(user.token) };
  }

  const create = (auth: Record<string, string>, body: object = {}) =>
    t.http().post(BASE).set(auth).send({ url: 'https://hooks.example.com/in', eventTypes: ['video.completed'], ...body });

  it('registers an endpoint and shows its whsec_ secret in that answer only', async () => {
    const { workspace, producer, user } = await givenWorkspace();
    const created = await create(producer, { description: 'Zapier', eventTypes: ['video.completed', 'video.failed'] }).expect(201);
    const { secret, ...endpoint } = created.body.data;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toEqual(expect.objectContaining({
      workspaceId: workspace.id, url: 'https://hooks.example.com/in', eventTypes: ['video.completed', 'video.failed'],
      description: 'Zapier', enabled: true,
    }));

    const listed = await t.http().get(BASE).set(user).expect(200);
    expect(listed.body.data.endpoints).toEqual([expect.objectContaining({ id: endpoint.id })]);
    expect(listed.body.data.pagination).toEqual({ page: 1, limit: 20, total: 1, totalPages: 1 });
    const one = await t.http().get(`${BASE}/${endpoint.id}`).set(user).expect(200);
    expect(one.body.data.id).toBe(endpoint.id);
    for (const answer of [listed.text, one.text]) expect(answer).not.toContain(secret.slice(6, 20));
    expect(logs.text).not.toContain(secret.slice(6, 20));
  });

  it('lets users read but not change; another workspace sees a 404', async () => {
    const { producer, user } = await givenWorkspace();
    const { body } = await create(producer).expect(201);
    const id = body.data.id;
    await create(user).expect(403);
    await t.http().patch(`${BASE}/${id}`).set(user).send({ enabled: false }).expect(403);
    await t.http().delete(`${BASE}/${id}`).set(user).expect(403);
    await t.http().post(`${BASE}/${id}/rotate-secret`).set(user).expect(403);

    const stranger = await givenWorkspace();
    await t.http().get(`${BASE}/${id}`).set(stranger.producer).expect(404);
    await t.http().patch(`${BASE}/${id}`).set(stranger.producer).send({ enabled: false }).expect(404);
    await t.http().delete(`${BASE}/${id}`).set(stranger.producer).expect(404);
    await t.http().post(`${BASE}/${id}/rotate-secret`).set(stranger.producer).expect(404);
    expect((await t.http().get(BASE).set(stranger.user).expect(200)).body.data.endpoints).toEqual([]);
    await t.http().get(BASE).set(stranger.user).query({ workspaceId: body.data.workspaceId }).expect(403);
  });

  it('lets a superadmin without a workspace act on the one it names', async () => {
    const { workspace } = await givenWorkspace();
    const admin = bearer((await t.given.loggedIn({ role: Role.SuperAdmin })).token);
    await create(admin).expect(400);
    const created = await t.http().post(BASE).query({ workspaceId: workspace.id }).set(admin)
      .send({ url: 'https://hooks.example.com/admin', eventTypes: ['reel.failed'] }).expect(201);
    expect(created.body.data.workspaceId).toBe(workspace.id);
    const listed = await t.http().get(BASE).query({ workspaceId: workspace.id }).set(admin).expect(200);
    expect(listed.body.data.endpoints.map((e: { id: string }) => e.id)).toEqual([created.body.data.id]);
  });

  it('validates the URL and the event types', async () => {
    const { producer } = await givenWorkspace();
    const message = async (body: object) => (await create(producer, body).expect(400)).body.message;
    expect(await message({ url: 'ftp://hooks.example.com/in' })).toBe('url must be an http(s) URL');
    expect(await message({ url: 'not a url' })).toBe('url must be an http(s) URL');
    expect(await message({ url: 42 })).toBe('url must be a string');
    expect(await message({ eventTypes: [] })).toBe('eventTypes must name at least one event');
    expect(await message({ eventTypes: ['video.deleted'] })).toMatch(/^each eventTypes entry must be one of video.completed/);
    expect(await message({ eventTypes: ['video.failed', 'video.failed'] })).toBe('eventTypes must not name the same event twice');
    await create(producer, { secret: 'mine' }).expect(400);
  });

  it('refuses credentials in the URL (every user of the workspace reads it), on create and on change', async () => {
    const { producer, user } = await givenWorkspace();
    for (const url of ['https://user:pass@hooks.example.com/in', 'https://token@hooks.example.com/in', 'https://:pass@hooks.example.com/in']) {
      const response = await create(producer, { url });
      expect({ url, status: response.status, body: response.body }).toEqual({
        url, status: 400, body: { success: false, message: 'url must not contain credentials (user:password@)', errors: [{ field: 'url', messages: ['url must not contain credentials (user:password@)'] }] },
      });
    }
    const { body } = await create(producer).expect(201);
    const patched = await t.http().patch(`${BASE}/${body.data.id}`).set(producer).send({ url: 'https://user:pass@hooks.example.com/in' }).expect(400);
    expect(patched.body.message).toBe('url must not contain credentials (user:password@)');
    expect((await t.http().get(`${BASE}/${body.data.id}`).set(user).expect(200)).body.data.url).toBe('https://hooks.example.com/in');
    // A password-looking path or query is no credential.
    await create(producer, { url: 'https://hooks.example.com/in/user:pass?token=a@b' }).expect(201);
  });

  it('updates, disables by hand, enables again and deletes', async () => {
    const { producer, user } = await givenWorkspace();
    const id = (await create(producer).expect(201)).body.data.id;
    const changed = await t.http().patch(`${BASE}/${id}`).set(producer)
      .send({ url: 'http://hooks.example.com/v2', eventTypes: ['batch.completed'], description: 'v2', enabled: false }).expect(200);
    expect(changed.body.data).toEqual(expect.objectContaining({
      url: 'http://hooks.example.com/v2', eventTypes: ['batch.completed'], description: 'v2', enabled: false,
      disabledReason: 'Disabled by a user', disabledAt: expect.any(String),
    }));
    const enabled = await t.http().patch(`${BASE}/${id}`).set(producer).send({ enabled: true }).expect(200);
    expect(enabled.body.data.enabled).toBe(true);
    expect(enabled.body.data.disabledReason).toBeUndefined();
    expect(JSON.stringify(enabled.body)).not.toContain('whsec_');

    await t.http().delete(`${BASE}/${id}`).set(producer).expect(200);
    await t.http().get(`${BASE}/${id}`).set(user).expect(404);
    await t.http().delete(`${BASE}/${id}`).set(producer).expect(404);
    await t.http().get(`${BASE}/not-an-id`).set(user).expect(400);
  });

  it('rotates the secret: a new one shown once, the old one signing for 24 more hours', async () => {
    const { producer } = await givenWorkspace();
    const created = (await create(producer).expect(201)).body.data;
    const before = Date.now();
    const rotated = (await t.http().post(`${BASE}/${created.id}/rotate-secret`).set(producer).expect(200)).body.data;
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(created.secret);
    const expires = new Date(rotated.previousSecretExpiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 24 * 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000 + 1000);
    const read = await t.http().get(`${BASE}/${created.id}`).set(producer).expect(200);
    expect(read.text).not.toContain(rotated.secret.slice(6, 20));
    expect(read.body.data.previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
  });
});

describe('Webhook endpoints: address checks where local URLs are refused (e2e)', () => {
  let t: TestApp;
  const dns = new FakeDns();

  beforeAll(async () => {
    t = await createTestApp({ env: { OUTBOUND_ALLOW_PRIVATE_URLS: 'false' }, overrides: [dns.provider()] });
    dns.set('hooks.customer.test', [{ address: '93.184.216.34', family: 4 }]);
    dns.set('internal.customer.test', [{ address: '93.184.216.34', family: 4 }, { address: '10.1.2.3', family: 4 }]);
    dns.set('metadata.customer.test', [{ address: 'fe80::1', family: 6 }]);
    // What a DNS64 resolver answers for an IPv4-only host: allowed when that host is public.
    dns.set('dns64.customer.test', [{ address: '64:ff9b::5db8:d822', family: 6 }]);
    dns.set('nat64-metadata.customer.test', [{ address: '64:ff9b::a9fe:a9fe', family: 6 }]);
    dns.set('6to4.customer.test', [{ address: '2002:a01:203::1', family: 6 }]);
  });
  afterAll(() => t.close());

  it('refuses URLs that name or resolve to loopback, private or link-local addresses', async () => {
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer })).token);
    const refused = async (url: string) =>
      (await t.http().post(BASE).set(producer).send({ url, eventTypes: ['video.completed'] }).expect(400)).body.message;
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]/x', 'http://169.254.169.254/latest', 'http://192.168.1.10/']) {
      expect({ url, message: await refused(url) }).toEqual({ url, message: 'url must not point at a loopback, private or link-local address' });
    }
    expect(await refused('http://2130706433/')).toBe('url must be an http(s) URL'); // 127.0.0.1 in disguise
    expect(await refused('https://internal.customer.test/hook')).toBe('url resolves to a loopback, private or link-local address');
    expect(await refused('https://metadata.customer.test/hook')).toBe('url resolves to a loopback, private or link-local address');
    expect(await refused('https://nowhere.customer.test/hook')).toBe('url host nowhere.customer.test does not resolve');

    const created = await t.http().post(BASE).set(producer).send({ url: 'https://hooks.customer.test/hook', eventTypes: ['video.completed'] }).expect(201);
    const patched = await t.http().patch(`${BASE}/${created.body.data.id}`).set(producer).send({ url: 'http://10.0.0.1/' }).expect(400);
    expect(patched.body.message).toBe('url must not point at a loopback, private or link-local address');
  });

  it('refuses the IPv6 forms that reach a refused IPv4 address, and site-local addresses, named or resolved', async () => {
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer })).token);
    const answer = (url: string) => t.http().post(BASE).set(producer).send({ url, eventTypes: ['video.completed'] });
    for (const url of [
      'http://[::127.0.0.1]/', // IPv4-compatible (deprecated), 127.0.0.1
      'http://[::ffff:0:7f00:1]/', // IPv4-translated (RFC 6145)
      'http://[64:ff9b::7f00:1]/', // NAT64, 127.0.0.1
      'http://[64:ff9b::a9fe:a9fe]/latest', // NAT64, 169.254.169.254
      'http://[64:ff9b:1::a00:1]/', // local-use NAT64 (RFC 8215): where the IPv4 sits is the translator's choice
      'http://[2002:7f00:1::]/', // 6to4, 127.0.0.1
      'http://[2002:c0a8:101::1]/', // 6to4, 192.168.1.1
      'http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', // Teredo, client 127.0.0.1
      'http://[fec0::1]/', // site-local (deprecated)
      'http://[fd12:3456::1]/', // unique local
      'http://[2001:db8::1]/', // documentation
    ]) {
      const response = await answer(url);
      expect({ url, status: response.status, message: response.body.message }).toEqual({ url, status: 400, message: 'url must not point at a loopback, private or link-local address' });
    }
    for (const host of ['nat64-metadata.customer.test', '6to4.customer.test']) {
      expect((await answer(`https://${host}/hook`).expect(400)).body.message).toBe('url resolves to a loopback, private or link-local address');
    }
    // The same forms of public addresses are allowed: NAT64 of 93.184.216.34, a DNS64 answer, 6to4 of 8.8.8.8, global unicast.
    for (const url of ['http://[64:ff9b::5db8:d822]/', 'https://dns64.customer.test/hook', 'http://[2002:808:808::1]/', 'https://[2606:4700:4700::1111]/hook']) {
      const response = await answer(url);
      expect({ url, status: response.status }).toEqual({ url, status: 201 });
    }
  });
});
