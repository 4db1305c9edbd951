import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { Webhook } from 'standardwebhooks';
import { Types } from 'mongoose';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { eventually } from './utils/eventually.js';
import { FakeEndpoint } from './utils/fake-endpoint.js';
import { hookable, hooked } from './utils/hookable.js';
import { bearer, reelsHarness } from './utils/reels-harness.js';

const headersOf = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));

describe('Reel events to customer webhook endpoints, Slack and Discord (e2e)', () => {
  const h = reelsHarness({ overrides: [hookable(ReelRepository)] });
  let customer: FakeEndpoint;
  let slack: FakeEndpoint;
  let discord: FakeEndpoint;
  beforeAll(async () => {
    [customer, slack, discord] = await Promise.all([FakeEndpoint.start(), FakeEndpoint.start(), FakeEndpoint.start()]);
  });
  afterAll(async () => {
    await Promise.all([customer.stop(), slack.stop(), discord.stop()]);
  });
  beforeEach(() => {
    for (const fake of [customer, slack, discord]) fake.reset();
  });

  async function givenSubscribedReel(eventTypes: string[]) {
    const given = await h.givenProcessingReel();
    const secret = (await h.t.http().post('/api/webhook-endpoints').set(bearer(given.producer.token))
      .send({ url: customer.url(), eventTypes }).expect(201)).body.data.secret as string;
    return { ...given, secret };
  }
  const events = (secret: string) => customer.received.map((r) => new Webhook(secret).verify(r.body, headersOf(r.headers)));

  it('publishes reel.completed once when HeyGen completes a reel, signed', async () => {
    const { reelId, videoId, secret } = await givenSubscribedReel(['reel.completed', 'reel.failed']);
    const body = { event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/r.mp4', thumbnail_url: 'https://resource.heygen.example/r.jpg' } };
    await h.webhook(body).expect(200);
    await h.webhook(body).expect(200);
    await eventually(() => expect(customer.received).toHaveLength(1), 20_000);
    await h.t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    const completedAt = (await h.reels().findById(reelId))!.completedAt!.toISOString();
    expect(events(secret)).toEqual([{
      type: 'reel.completed',
      timestamp: expect.any(String),
      data: { reelId, title: 'Summer teaser', videoUrl: 'https://resource.heygen.example/r.mp4', thumbnailUrl: 'https://resource.heygen.example/r.jpg', completedAt },
    }]);
  });

  it('pays the e-mail, the Slack notice and reel.failed once each when the step dies before recording them paid', async () => {
    const given = await givenSubscribedReel(['reel.failed']);
    await h.t.http().patch(`/api/workspaces/${given.workspace.id}/notification-settings`).set(bearer(given.producer.token))
      .send({ slackWebhookUrl: slack.url('/services/x') }).expect(200);
    const reels = hooked(h.reels());
    reels.hooks.markNotified = async () => {
      throw new Error('killed (injected)');
    };
    try {
      await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: given.videoId, msg: 'Voice not found' } }).expect(200);
    } finally {
      delete reels.hooks.markNotified;
    }
    expect((await reels.findById(given.reelId))!.notifyPending).toBe(true);
    // Everything went out before the step died.
    await eventually(() => expect(h.smtp.messages.filter((m) => m.to.includes(given.owner.user.email))).toHaveLength(1), 20_000);
    await eventually(() => expect(slack.received).toHaveLength(1));
    await eventually(() => expect(customer.received).toHaveLength(1));
    // The reconciliation finds the notices still owed and pays them again: nothing more goes out.
    await h.t.connection.collection('reels').updateOne({ _id: new Types.ObjectId(given.reelId) }, { $set: { updatedAt: new Date(Date.now() - 120_000) } });
    await eventually(async () => expect((await reels.findById(given.reelId))!.notifyPending).toBe(false), 20_000);
    await h.t.app.get(JobRunner).drain(10_000);
    expect(h.smtp.messages.filter((m) => m.to.includes(given.owner.user.email))).toHaveLength(1);
    expect(slack.received).toHaveLength(1);
    expect(events(given.secret).map((event) => (event as { type: string }).type)).toEqual(['reel.failed']);
  });

  it('posts to Slack and Discord when a reel completes or fails, user text kept as text', async () => {
    const given = await h.givenRequestedReel({ title: 'Promo <@everyone> & *bold*' });
    await h.t.http().patch(`/api/workspaces/${given.workspace.id}/notification-settings`).set(bearer(given.producer.token))
      .send({ slackWebhookUrl: slack.url('/services/x'), discordWebhookUrl: discord.url('/api/webhooks/1/y') }).expect(200);
    await h.t.http().post(`/api/reels/${given.reelId}/approve`).set(bearer(given.producer.token)).expect(200);
    const videoId = await eventually(async () => {
      const reel = (await h.reels().findById(given.reelId))!;
      expect(reel.status).toBe('processing');
      return reel.heygenVideoId!;
    }, 20_000);
    await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/p.mp4' } }).expect(200);
    await eventually(() => {
      expect(slack.received).toHaveLength(1);
      expect(discord.received).toHaveLength(1);
    }, 20_000);
    const link = `https://app.videogen.example.com/reels/${given.reelId}`;
    expect(JSON.parse(slack.received[0].body)).toEqual({
      text: 'Reel ready: Promo &lt;@everyone&gt; &amp; *bold*: The reel "Promo &lt;@everyone&gt; &amp; *bold*" is ready.',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Reel ready: Promo <@everyone> & *bold*', emoji: true } },
        { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: The reel "Promo &lt;@everyone&gt; &amp; *bold*" is ready.' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*Reel*\nPromo &lt;@everyone&gt; &amp; *bold*' }] },
        { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open the reel' }, url: link }] },
      ],
    });
    expect(JSON.parse(discord.received[0].body)).toEqual({
      embeds: [{ title: 'Reel ready: Promo <@everyone> & *bold*', description: 'The reel "Promo <@everyone> & *bold*" is ready.', color: 0x2eb67d, fields: [{ name: 'Reel', value: 'Promo <@everyone> & *bold*', inline: true }], url: link }],
      allowed_mentions: { parse: [] },
    });

    const failing = await h.givenProcessingReel();
    await h.t.http().patch(`/api/workspaces/${failing.workspace.id}/notification-settings`).set(bearer(failing.producer.token))
      .send({ discordWebhookUrl: discord.url('/api/webhooks/2/z') }).expect(200);
    await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: failing.videoId, msg: 'Avatar not found' } }).expect(200);
    await eventually(() => expect(discord.received).toHaveLength(2), 20_000);
    expect(JSON.parse(discord.received[1].body).embeds[0]).toEqual(expect.objectContaining({
      title: 'Reel failed: Summer teaser',
      description: 'The reel "Summer teaser" could not be generated: Avatar not found',
      color: 0xe01e5a,
      fields: [{ name: 'Reel', value: 'Summer teaser', inline: true }, { name: 'Reason', value: 'Avatar not found', inline: true }],
    }));
    expect(slack.received).toHaveLength(1);
  });

  it('answers HeyGen the same and still e-mails and posts to Discord while Slack answers 500', async () => {
    slack.mode = { status: 500, body: 'no_service' };
    const given = await h.givenProcessingReel();
    await h.t.http().patch(`/api/workspaces/${given.workspace.id}/notification-settings`).set(bearer(given.producer.token))
      .send({ slackWebhookUrl: slack.url('/services/failing'), discordWebhookUrl: discord.url('/api/webhooks/3/ok') }).expect(200);
    const answer = await h.webhook({ event_type: 'avatar_video.success', event_data: { video_id: given.videoId, url: 'https://resource.heygen.example/s.mp4' } }).expect(200);
    expect(answer.body).toEqual({
      success: true,
      message: 'Reel updated',
      data: { event_type: 'avatar_video.success', outcome: 'accepted', video_id: given.videoId, reel_id: given.reelId, status: 'completed' },
    });
    await eventually(() => expect(discord.received).toHaveLength(1), 20_000);
    await eventually(() => h.smtp.to(given.owner.user.email), 20_000);
    await eventually(() => expect(slack.received.length).toBeGreaterThanOrEqual(2), 20_000); // retried
  });

  it('publishes reel.failed with the reason, and nothing to an endpoint that did not subscribe', async () => {
    const { reelId, videoId, secret } = await givenSubscribedReel(['reel.failed']);
    const other = await givenSubscribedReel(['reel.completed']);
    await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: videoId, msg: 'Avatar not found' } }).expect(200);
    await h.webhook({ event_type: 'avatar_video.fail', event_data: { video_id: other.videoId, msg: 'Voice not found' } }).expect(200);
    await eventually(() => expect(customer.received).toHaveLength(1), 20_000);
    await h.t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
    const failedAt = (await h.reels().findById(reelId))!.failedAt!.toISOString();
    expect(events(secret)).toEqual([{ type: 'reel.failed', timestamp: expect.any(String), data: { reelId, title: 'Summer teaser', error: 'Avatar not found', failedAt } }]);
  });
});
