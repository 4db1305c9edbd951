import { after as afterAll, before as beforeAll, beforeEach } from 'node:test';
import { expect } from 'expect';
import { Role } from '../../src/common/role.enum.js';
import { Clock } from '../../src/common/clock.js';
import { ReelRepository } from '../../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../../src/inbound-webhook-contract/signature-verifiers.js';
import { eventually } from './eventually.js';
import { FakeClock, FakeHeygen } from './fake-heygen.js';
import { reelsTestEnv } from './reels-env.js';
import { SmtpSink } from './smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp, TestAppOptions } from './test-app.js';

export const reelBody = { title: 'Summer teaser', script: 'Hi! Meet our summer collection.', avatarId: 'Daisy-inskirt-20220818', voiceId: 'voice_123' };
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * The app with a fake HeyGen, an SMTP server and a clock the test moves, set up around the
 * calling describe block, with the helpers the reel specs share.
 */
export function reelsHarness(options: Pick<TestAppOptions, 'overrides'> = {}) {
  const h = {
    t: undefined as unknown as TestApp,
    heygen: undefined as unknown as FakeHeygen,
    smtp: undefined as unknown as SmtpSink,
    clock: new FakeClock(),
    reels: () => h.t.app.get(ReelRepository),

    /** A workspace with a user and a producer, and a reel the user requested. */
    async givenRequestedReel(overrides: Record<string, unknown> = {}) {
      const workspace = await h.t.given.workspace();
      const owner = await h.t.given.loggedIn({ workspaceId: workspace.id });
      const producer = await h.t.given.loggedIn({ role: Role.Producer, workspaceId: workspace.id });
      const created = await h.t.http().post('/api/reels').set(bearer(owner.token)).send({ ...reelBody, ...overrides }).expect(201);
      return { workspace, owner, producer, reelId: created.body.data._id as string, created: created.body };
    },

    /** The same, approved and taken by HeyGen. */
    async givenProcessingReel() {
      const given = await h.givenRequestedReel();
      await h.t.http().post(`/api/reels/${given.reelId}/approve`).set(bearer(given.producer.token)).expect(200);
      const reel = await eventually(async () => {
        const current = (await h.reels().findById(given.reelId))!;
        expect(current.status).toBe('processing');
        return current;
      });
      return { ...given, videoId: reel.heygenVideoId! };
    },

    /** A webhook as HeyGen sends it, signed with the test secret. */
    webhook(body: object) {
      const raw = JSON.stringify(body);
      return h.t
        .http()
        .post('/api/webhook/heygen')
        .set({ 'content-type': 'application/json', 'x-heygen-signature': signHeygenWebhook(TEST_SECRETS.HEYGEN_WEBHOOK_SECRET, raw) })
        .send(raw);
    },
  };

  beforeAll(async () => {
    h.heygen = await FakeHeygen.start();
    h.smtp = await SmtpSink.start();
    h.t = await createTestApp({ env: reelsTestEnv(h.heygen, h.smtp), overrides: [{ provide: Clock, useValue: h.clock }, ...(options.overrides ?? [])] });
  });
  afterAll(async () => {
    await h.t.close();
    await h.heygen.stop();
    await h.smtp.stop();
  });
  beforeEach(() => {
    h.heygen.reset();
    h.smtp.reset();
    h.clock.reset();
  });
  return h;
}
