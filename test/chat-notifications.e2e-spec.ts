import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Role } from '../src/common/role.enum.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { FakeRck } from './utils/fake-rck.js';
import { rckHeaders } from './utils/rck-signing.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { JobRunner } from '../src/jobs/job-runner.js';

const APP = 'https://app.videogen.example.com';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
/** What one workspace's channel received (late retries of other tests' messages go to other paths). */
const received = (fake: FakeEndpoint, workspaceId: string) => fake.received.filter((r) => r.path.endsWith(`/${workspaceId}`));
const bodies = (list: Array<{ body: string }>) => list.map((r) => JSON.parse(r.body));

describe('Slack and Discord messages for the RCK flow (e2e)', () => {
  let t: TestApp;
  /** Every job queued so far has finished, retries included. */
  const settle = () => t.app.get(JobRunner).drain(30_000, { includeScheduled: true });
  let rck: FakeRck;
  let smtp: SmtpSink;
  let slack: FakeEndpoint;
  let discord: FakeEndpoint;

  beforeAll(async () => {
    [rck, smtp, slack, discord] = await Promise.all([FakeRck.start(), SmtpSink.start(), FakeEndpoint.start(), FakeEndpoint.start()]);
    t = await createTestApp({
      env: videosTestEnv(rck, { SMTP_URL: smtp.url, MAIL_RETRY_BACKOFF_MS: '40', RCK_REQUEST_TIMEOUT_MS: '5000', OUTBOUND_TIMEOUT_MS: '1500', CHAT_RETRY_BACKOFF_MS: '40', CHAT_MAX_ATTEMPTS: '3' }),
    });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([rck.stop(), smtp.stop(), slack.stop(), discord.stop()]);
  });
  beforeEach(() => {
    for (const fake of [rck, slack, discord]) fake.reset();
    smtp.reset();
  });

  /** A workspace with both channels set, and a batch of two videos generating. */
  async function givenBatch(settings: object = {}) {
    const workspace = await t.given.workspace();
    const producer = bearer((await t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id })).token);
    await t.http().patch(`/api/workspaces/${workspace.id}/notification-settings`).set(producer)
      .send({ slackWebhookUrl: slack.url(`/services/T1/${workspace.id}`), discordWebhookUrl: discord.url(`/api/webhooks/1/${workspace.id}`), ...settings }).expect(200);
    const { user, token } = await t.given.loggedIn({ workspaceId: workspace.id });
    const products = [await t.given.product(workspace.id), await t.given.product(workspace.id)];
    const response = await t.http().post('/api/videos/bulk-generate').set(bearer(token))
      .send({ productIds: products.map((p) => p.id), templateId: 'template_001', templateName: 'Showcase' }).expect(201);
    return {
      user,
      products,
      ids: response.body.data.videoIds as string[],
      slackGot: () => received(slack, workspace.id),
      discordGot: () => received(discord, workspace.id),
    };
  }

  function callback(kind: 'success' | 'failure', body: object) {
    const raw = JSON.stringify(body);
    return t.http().post(`/internal/videos/${kind}`).set(rckHeaders(raw)).send(raw);
  }

  it('posts Slack blocks and Discord embeds when a video fails and when its batch finishes', async () => {
    const { products, ids, slackGot, discordGot } = await givenBatch();
    await callback('failure', { videoId: ids[0], productId: products[0].id, error: 'Template <b> & co' }).expect(200);
    await callback('success', { videoId: ids[1], productId: products[1].id, videoUrl: 'https://cdn.example.com/1.mp4' }).expect(200);
    await eventually(() => {
      expect(slackGot()).toHaveLength(2);
      expect(discordGot()).toHaveLength(2);
    }, 20_000);
    expect(slackGot().map((r) => r.headers['content-type'])).toEqual(['application/json', 'application/json']);
    expect(slackGot().map((r) => r.body).join()).not.toMatch(/\/services\/|\/api\/webhooks\//);
    const byTitle = <T extends { text?: string; embeds?: Array<{ title: string }> }>(list: T[], title: string) =>
      list.find((m) => (m.text ?? m.embeds![0].title).startsWith(title))!;

    expect(byTitle(bodies(slackGot()), 'Video failed')).toEqual({
      text: `Video failed: Video ${ids[0]} (product ${products[0].id}) failed: Template &lt;b&gt; &amp; co`,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Video failed', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: `:x: Video ${ids[0]} (product ${products[0].id}) failed: Template &lt;b&gt; &amp; co` } },
        { type: 'section', fields: [
          { type: 'mrkdwn', text: `*Video*\n${ids[0]}` },
          { type: 'mrkdwn', text: `*Product*\n${products[0].id}` },
          { type: 'mrkdwn', text: '*Reason*\nTemplate &lt;b&gt; &amp; co' },
        ] },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the video' }, url: `${APP}/videos/${ids[0]}` }] },
      ],
    });
    expect(byTitle(bodies(discordGot()), 'Video failed')).toEqual({
      embeds: [{
        title: 'Video failed',
        description: `Video ${ids[0]} (product ${products[0].id}) failed: Template <b> & co`,
        color: 0xe01e5a,
        fields: [
          { name: 'Video', value: ids[0], inline: true },
          { name: 'Product', value: products[0].id, inline: true },
          { name: 'Reason', value: 'Template <b> & co', inline: true },
        ],
        url: `${APP}/videos/${ids[0]}`,
      }],
      allowed_mentions: { parse: [] },
    });

    const batchSlack = byTitle(bodies(slackGot()), 'Batch finished');
    expect(batchSlack.text).toBe(`Batch finished: 1 of 2 video(s) ready: 1 completed, 1 failed.\n• ${ids[0]}: Template &lt;b&gt; &amp; co`);
    expect(batchSlack.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Batch finished: 1 of 2 video(s) ready', emoji: true } });
    expect(batchSlack.blocks[3]).toEqual({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the videos' }, url: `${APP}/videos` }] });
    const batchDiscord = byTitle(bodies(discordGot()), 'Batch finished').embeds[0];
    expect(batchDiscord).toEqual(expect.objectContaining({ title: 'Batch finished: 1 of 2 video(s) ready', color: 0xecb22e, url: `${APP}/videos` }));
    expect(batchDiscord.fields.slice(0, 2)).toEqual([{ name: 'Completed', value: '1', inline: true }, { name: 'Failed', value: '1', inline: true }]);
  });

  for (const failure of ['answers 500', 'hangs'] as const) {
    it(`still delivers Discord and the e-mail, and answers RCK the same, when Slack ${failure}`, async () => {
      slack.mode = failure === 'hangs' ? 'hang' : { status: 500, body: 'internal_error' };
      const { user, products, ids, slackGot, discordGot } = await givenBatch();
      const failed = await callback('failure', { videoId: ids[0], productId: products[0].id, error: 'Render crashed' }).expect(200);
      expect(failed.body).toEqual({ success: true, message: 'Video failure recorded successfully', data: { videoId: ids[0], productId: products[0].id, error: 'Render crashed' } });
      const completed = await callback('success', { videoId: ids[1], productId: products[1].id, videoUrl: 'https://cdn.example.com/1.mp4' }).expect(200);
      expect(completed.body.success).toBe(true);

      await eventually(() => expect(discordGot()).toHaveLength(2), 20_000);
      await eventually(() => smtp.to(user.email), 20_000);
      // Slack is tried CHAT_MAX_ATTEMPTS times per message, then given up.
      await eventually(() => expect(slackGot()).toHaveLength(6), 30_000);
      await settle();
      expect(slackGot()).toHaveLength(6);
      expect(discordGot()).toHaveLength(2);
    });
  }

  it('sends no digest e-mail when the workspace turned e-mail off, but still posts to the channels', async () => {
    const { user, products, ids, slackGot } = await givenBatch({ emailEnabled: false });
    await callback('success', { videoId: ids[0], productId: products[0].id }).expect(200);
    await callback('success', { videoId: ids[1], productId: products[1].id }).expect(200);
    await eventually(() => expect(slackGot()).toHaveLength(1), 20_000);
    await settle();
    expect(smtp.messages.filter((m) => m.to.includes(user.email))).toHaveLength(0);
    expect(bodies(slackGot())[0].text).toMatch(/^Batch finished: 2 of 2 video\(s\) ready/);
  });
});
