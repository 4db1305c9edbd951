import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { FakeDns } from './utils/fake-dns.js';
import { createTestApp, TestApp } from './utils/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const SLACK = 'https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstWXYZ';
const DISCORD = 'https://discord.com/api/webhooks/1234567890/secret-token-Q1w2';

/** Collects the JSON log lines the app writes. */
class LogCapture {
  readonly lines: string[] = [];
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter(Boolean));
  }
}

describe('Notification settings (e2e)', () => {
  let t: TestApp;
  const logs = new LogCapture();
  const dns = new FakeDns([
    ['hooks.slack.com', [{ address: '52.1.2.3', family: 4 }]],
    ['discord.com', [{ address: '162.159.128.233', family: 4 }]],
    ['rebound.example.com', [{ address: '10.0.0.7', family: 4 }]],
    ['nat64.example.com', [{ address: '64:ff9b::a00:7', family: 6 }]],
  ]);

  beforeAll(async () => {
    // As production: local addresses refused (names resolved by the test's own DNS).
    t = await createTestApp({ env: { OUTBOUND_ALLOW_PRIVATE_URLS: 'false', LOG_LEVEL: 'info' }, logDestination: logs, overrides: [dns.provider()] });
  });
  afterAll(() => t.close());

  async function givenWorkspace() {
    const workspace = await t.given.workspace();
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id })).token);
    const user = bearer((await t.given.loggedIn({ role: Role.User, workspaceId: workspace.id })).token);
    return { workspaceId: workspace.id, producer, user, path: `/api/workspaces/${workspace.id}/notification-settings` };
  }

  it('answers the defaults, then stores the URLs and shows them only masked, ever after', async () => {
    const { workspaceId, producer, user, path } = await givenWorkspace();
    expect((await t.http().get(path).set(user).expect(200)).body.data).toEqual({ workspaceId, slackWebhookUrl: null, discordWebhookUrl: null, emailEnabled: true });

    const updated = await t.http().patch(path).set(producer).send({ slackWebhookUrl: SLACK, discordWebhookUrl: DISCORD }).expect(200);
    expect(updated.body).toEqual({
      success: true,
      message: 'Notification settings updated',
      data: { workspaceId, slackWebhookUrl: 'https://hooks.slack.com/…WXYZ', discordWebhookUrl: 'https://discord.com/…Q1w2', emailEnabled: true, updatedAt: expect.any(String) },
    });
    const read = await t.http().get(path).set(user).expect(200);
    expect(read.body.data.slackWebhookUrl).toBe('https://hooks.slack.com/…WXYZ');

    // An absent field stays; null removes a URL.
    const partial = await t.http().patch(path).set(producer).send({ emailEnabled: false, slackWebhookUrl: null }).expect(200);
    expect(partial.body.data).toEqual(expect.objectContaining({ slackWebhookUrl: null, discordWebhookUrl: 'https://discord.com/…Q1w2', emailEnabled: false }));

    // The secrets appear in no answer and no log line.
    const everything = logs.lines.join('\n') + JSON.stringify([updated.body, read.body, partial.body]);
    expect(everything).not.toContain('abcdefghijklmnopqrst');
    expect(everything).not.toContain('secret-token');
  });

  it('lets producers and superadmins change, users only read, and hides other workspaces (404)', async () => {
    const { workspaceId, user, path } = await givenWorkspace();
    const other = await givenWorkspace();
    const superadmin = bearer((await t.given.loggedIn({ role: Role.SuperAdmin })).token);

    expect((await t.http().patch(path).set(user).send({ emailEnabled: false }).expect(403)).body.success).toBe(false);
    for (const caller of [other.producer, other.user]) {
      expect((await t.http().get(path).set(caller).expect(404)).body).toEqual({ success: false, message: 'Workspace not found' });
    }
    await t.http().patch(path).set(other.producer).send({ emailEnabled: false }).expect(404);
    const bySuperadmin = await t.http().patch(path).set(superadmin).send({ emailEnabled: false }).expect(200);
    expect(bySuperadmin.body.data).toEqual(expect.objectContaining({ workspaceId, emailEnabled: false }));
    await t.http().get('/api/workspaces/65abc123def456789012abcd/notification-settings').set(superadmin).expect(404);
    await t.http().get('/api/workspaces/not-an-id/notification-settings').set(superadmin).expect(400);
    await t.http().get(path).expect(401);
  });

  it('refuses what is not an https URL, local or private addresses, and unknown fields, changing nothing', async () => {
    const { producer, path } = await givenWorkspace();
    const refused = async (body: object) => (await t.http().patch(path).set(producer).send(body).expect(400)).body.message;
    expect(await refused({ slackWebhookUrl: 'http://hooks.slack.com/services/x' })).toBe('slackWebhookUrl must be an https URL');
    expect(await refused({ slackWebhookUrl: 'not a url' })).toBe('slackWebhookUrl must be an https URL');
    expect(await refused({ discordWebhookUrl: 42 })).toBe('discordWebhookUrl must be a string or null');
    expect(await refused({ slackWebhookUrl: 'https://user:pass@hooks.slack.com/services/x' })).toBe('slackWebhookUrl must not contain credentials (user:password@)');
    expect(await refused({ discordWebhookUrl: 'https://127.0.0.1/api/webhooks/1/x' })).toBe('discordWebhookUrl: must not point at a loopback, private or link-local address');
    expect(await refused({ discordWebhookUrl: 'https://rebound.example.com/x' })).toBe('discordWebhookUrl: resolves to a loopback, private or link-local address');
    // The IPv6 forms that reach a local IPv4 address, and site-local, by the same rule as endpoints.
    for (const url of ['https://[::127.0.0.1]/x', 'https://[64:ff9b::7f00:1]/x', 'https://[2002:7f00:1::]/x', 'https://[fec0::1]/x']) {
      expect({ url, message: await refused({ slackWebhookUrl: url }) }).toEqual({ url, message: 'slackWebhookUrl: must not point at a loopback, private or link-local address' });
    }
    expect(await refused({ discordWebhookUrl: 'https://nat64.example.com/x' })).toBe('discordWebhookUrl: resolves to a loopback, private or link-local address');
    expect(await refused({ emailEnabled: 'yes' })).toBe('emailEnabled must be a boolean');
    expect(await refused({ teamsWebhookUrl: 'https://x.example.com' })).toBe('property teamsWebhookUrl should not exist');
    expect((await t.http().get(path).set(producer).expect(200)).body.data).toEqual(expect.objectContaining({ slackWebhookUrl: null, discordWebhookUrl: null, emailEnabled: true }));
  });
});
