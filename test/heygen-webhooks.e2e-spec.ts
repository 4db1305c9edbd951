import { after as afterAll, before as beforeAll, beforeEach, describe, it } from 'node:test';
import { expect } from 'expect';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Types } from 'mongoose';
import { JobRunner } from '../src/jobs/job-runner.js';
import { ReelRepository } from '../src/reels/reel.repository.js';
import { signHeygenWebhook } from '../src/inbound-webhook-contract/signature-verifiers.js';
import { MongoWireServer, startMongoWireServer } from '@videogen/mongo-wire-server';
import { eventually } from './utils/eventually.js';
import { FakeHeygen } from './utils/fake-heygen.js';
import { reelsTestEnv } from './utils/reels-env.js';
import { SmtpSink } from './utils/smtp-sink.js';
import { createTestApp, TEST_SECRETS, TestApp } from './utils/test-app.js';
import { eventsOfRequest, newRequestId } from './utils/webhook-events.js';
import { describeOnOwnServer } from './utils/own-server.js';

const SECRET = TEST_SECRETS.HEYGEN_WEBHOOK_SECRET;

/** Collects the JSON log lines the app writes. */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
  }
  messages(): string[] {
    return this.lines.map((line) => String(line.msg));
  }
}

/** A reel of a new workspace, moved straight to `status` with HeyGen's video id (the approval flow has its own tests). */
async function givenReel(t: TestApp, status: 'approved' | 'processing' = 'processing', videoId = `vid_${new Types.ObjectId().toHexString()}`) {
  const workspace = await t.given.workspace();
  const owner = await t.given.user({ workspaceId: workspace.id });
  const repository = t.app.get(ReelRepository);
  const reel = await repository.create({ userId: owner.id, workspaceId: workspace.id, title: 'Teaser', script: 'Hello', avatarId: 'a', voiceId: 'v', aspectRatio: '9:16' });
  await t.connection.collection('reels').updateOne(
    { _id: new Types.ObjectId(reel.id) },
    { $set: { status, ...(status === 'processing' && { heygenVideoId: videoId, processingAt: new Date() }) } },
  );
  return { owner, reel: (await repository.findById(reel.id))!, videoId };
}

describe('HeyGen webhook (e2e)', () => {
  let t: TestApp;
  let heygen: FakeHeygen;
  let smtp: SmtpSink;
  const logs = new LogCapture();

  beforeAll(async () => {
    heygen = await FakeHeygen.start();
    smtp = await SmtpSink.start();
    t = await createTestApp({ env: { ...reelsTestEnv(heygen, smtp), LOG_LEVEL: 'info' }, logDestination: logs });
  });
  afterAll(async () => {
    await t.close();
    await heygen.stop();
    await smtp.stop();
  });
  beforeEach(() => smtp.reset());

  const reels = () => t.app.get(ReelRepository);
  const post = (raw: string, headers: Record<string, string> = { 'x-heygen-signature': signHeygenWebhook(SECRET, raw) }) =>
    t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', ...headers }).send(raw);
  const send = (body: object) => post(JSON.stringify(body));

  it('answers OPTIONS (HeyGen\'s check on registration) with 200 at once, without Origin or signature', async () => {
    const started = Date.now();
    const response = await t.http().options('/api/webhook/heygen').expect(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.body).toEqual({ success: true, message: 'HeyGen webhook endpoint is ready', data: { endpoint: 'heygen' } });
  });

  describe('events', () => {
    for (const [name, body] of [
      ['specification video.completed', (videoId: string) => ({ event_type: 'video.completed', event_data: { video_id: videoId, status: 'completed', video_url: 'https://resource.heygen.example/a.mp4', thumbnail_url: 'https://resource.heygen.example/a.jpg' } })],
      ['HeyGen avatar_video.success', (videoId: string) => ({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/a.mp4', callback_id: 'x' } })],
      ['v3 envelope', (videoId: string) => ({ event_id: 'evt_123', event_type: 'avatar_video.success', created_at: '2025-01-17T10:00:00Z', event_data: { video_id: videoId, url: 'https://resource.heygen.example/a.mp4' } })],
    ] as const) {
      it(`completes the reel on ${name}, logs the contract's line, and e-mails the owner`, async () => {
        const { owner, reel, videoId } = await givenReel(t);
        const response = await send(body(videoId)).expect(200);
        expect(response.body.data).toEqual({ event_type: body(videoId).event_type, outcome: 'accepted', video_id: videoId, reel_id: reel.id, status: 'completed' });
        const stored = (await reels().findById(reel.id))!;
        expect(stored).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://resource.heygen.example/a.mp4', urlsFetchedAt: expect.any(Date), completedAt: expect.any(Date) }));
        expect(logs.messages()).toContain(`✅ Reel ${reel.id} completado exitosamente. URL: https://resource.heygen.example/a.mp4`);
        await eventually(() => smtp.to(owner.email));
      });
    }

    for (const [name, body, reason] of [
      ['specification video.failed', (videoId: string) => ({ event_type: 'video.failed', event_data: { video_id: videoId, status: 'failed', error_message: 'Avatar not found' } }), 'Avatar not found'],
      ['HeyGen avatar_video.fail', (videoId: string) => ({ event_type: 'avatar_video.fail', event_data: { video_id: videoId, msg: 'Voice not found', callback_id: 'x' } }), 'Voice not found'],
      ['a failure without a message', (videoId: string) => ({ event_type: 'avatar_video.fail', event_data: { video_id: videoId } }), 'HeyGen could not generate the video'],
    ] as const) {
      it(`fails the reel on ${name}, logging the contract's line`, async () => {
        const { reel, videoId } = await givenReel(t);
        expect((await send(body(videoId)).expect(200)).body.data.outcome).toBe('accepted');
        expect((await reels().findById(reel.id))!).toEqual(expect.objectContaining({ status: 'failed', error: reason, failedAt: expect.any(Date) }));
        expect(logs.messages()).toContain(`❌ Reel ${reel.id} falló: ${reason}`);
      });
    }

    it('finds the reel by callback_id when the webhook beats generate\'s answer, and records the video id', async () => {
      const { reel } = await givenReel(t, 'approved');
      const response = await send({ event_type: 'avatar_video.success', event_data: { video_id: 'vid_fast', url: 'https://resource.heygen.example/f.mp4', callback_id: reel.id } }).expect(200);
      expect(response.body.data).toEqual(expect.objectContaining({ outcome: 'accepted', reel_id: reel.id, status: 'completed' }));
      expect((await reels().findById(reel.id))!.heygenVideoId).toBe('vid_fast');
      // A callback_id naming a reel that has another video is not trusted.
      const other = await givenReel(t);
      expect((await send({ event_type: 'avatar_video.fail', event_data: { video_id: 'vid_unknown', callback_id: other.reel.id } }).expect(200)).body.data.outcome).toBe('ignored');
      expect((await reels().findById(other.reel.id))!.status).toBe('processing');
    });

    it('answers 200 to an unknown video and to event types it does not handle, changing nothing', async () => {
      const unknown = await send({ event_type: 'avatar_video.success', event_data: { video_id: 'vid_nobody', url: 'https://x.example/v.mp4' } }).expect(200);
      expect(unknown.body).toEqual({ success: true, message: 'No reel with this video_id; event ignored', data: { event_type: 'avatar_video.success', outcome: 'ignored', video_id: 'vid_nobody' } });
      expect(logs.messages()).toContain('⚠️ No se encontró reel con video_id: vid_nobody');
      const { reel, videoId } = await givenReel(t);
      for (const eventType of ['avatar_video_gif.success', 'video_translate.success', 'avatar_video_caption.fail']) {
        const response = await send({ event_type: eventType, event_data: { video_id: videoId } }).expect(200);
        expect(response.body).toEqual({ success: true, message: `Event ${eventType} ignored`, data: { event_type: eventType, outcome: 'ignored' } });
      }
      expect((await reels().findById(reel.id))!.status).toBe('processing');
    });

    it('refuses malformed events with 400', async () => {
      expect((await send({ event_data: { video_id: 'v' } }).expect(400)).body.message).toBe('event_type is required');
      expect((await send({ event_type: 'avatar_video.success' }).expect(400)).body.message).toBe('event_data.video_id is required');
      expect((await send({ event_type: 'avatar_video.success', event_data: { video_id: 42 } }).expect(400)).body.message).toBe('event_data.video_id must be a string');
      expect((await send({ event_type: 'avatar_video.success', event_data: 'x' }).expect(400)).body.message).toBe('event_data must be an object');
    });
  });

  describe('the URLs HeyGen sends', () => {
    /** A signed delivery with its own request id, to find its event. */
    const sendTracked = (body: object) => {
      const raw = JSON.stringify(body);
      const requestId = newRequestId();
      return { requestId, response: post(raw, { 'x-heygen-signature': signHeygenWebhook(SECRET, raw), 'x-request-id': requestId }) };
    };

    it('does not complete a reel with a URL that is no http(s) URL: 400, the reason on the event and the reel, no e-mail', async () => {
      const { owner, reel, videoId } = await givenReel(t);
      const { requestId, response } = sendTracked({ event_id: 'evt_js_url', event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'javascript:alert(document.domain)' } });
      expect((await response.expect(400)).body).toEqual({ success: false, message: 'event_data.url must be an http(s) URL' });

      const stored = (await reels().findById(reel.id))!;
      expect(stored).toEqual(expect.objectContaining({ status: 'processing', lastEventError: "HeyGen's success was not applied: event_data.url must be an http(s) URL" }));
      expect(stored.videoUrl).toBeUndefined();
      const [event] = await eventsOfRequest(t, requestId);
      expect(event).toEqual(expect.objectContaining({
        status: 'rejected', httpStatus: 400, error: 'event_data.url must be an http(s) URL', signatureValid: true, deliveryId: 'evt_js_url', videoId,
      }));
      expect(logs.messages()).toContain(`Reel ${reel.id}: HeyGen's success was not applied: event_data.url must be an http(s) URL`);
      // Every job queued so far has run: none of them e-mailed the owner.
      await t.app.get(JobRunner).drain(10_000);
      expect(() => smtp.to(owner.email)).toThrow();

      // Not remembered as handled: the same event with a usable URL (HeyGen's fix, a replay) applies, and clears the reason.
      await send({ event_id: 'evt_js_url', event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/ok.mp4' } }).expect(200);
      const completed = (await reels().findById(reel.id))!;
      expect(completed).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://resource.heygen.example/ok.mp4' }));
      expect(completed.lastEventError).toBeUndefined();
    });

    it('refuses control characters, credentials, a wrong type, excess length and a bad thumbnail alike, naming the field', async () => {
      const { reel, videoId } = await givenReel(t);
      for (const [event_data, message] of [
        [{ url: 'https://resource.heygen.example/a.mp4\r\nSet-Cookie: session=x' }, 'event_data.url must not contain control or invisible characters'],
        [{ video_url: 'https://resource.heygen.example/a\u202e4pm.exe' }, 'event_data.video_url must not contain control or invisible characters'],
        [{ url: 'https://user:pass@resource.heygen.example/a.mp4' }, 'event_data.url must not contain credentials (user:password@)'],
        [{ url: '/relative/a.mp4' }, 'event_data.url must be an http(s) URL'],
        [{ url: 'data:text/html,<script>alert(1)</script>' }, 'event_data.url must be an http(s) URL'],
        [{ url: { href: 'https://x.example' } }, 'event_data.url must be a string'],
        [{ url: `https://resource.heygen.example/${'a'.repeat(2040)}` }, 'event_data.url must be at most 2048 characters'],
        [{ url: 'https://resource.heygen.example/a.mp4', thumbnail_url: 'javascript:alert(1)' }, 'event_data.thumbnail_url must be an http(s) URL'],
      ] as const) {
        const response = await send({ event_type: 'video.completed', event_data: { video_id: videoId, ...event_data } });
        expect({ event_data, status: response.status, message: response.body.message }).toEqual({ event_data, status: 400, message });
        expect((await reels().findById(reel.id))!).toEqual(expect.objectContaining({ status: 'processing', lastEventError: `HeyGen's success was not applied: ${message}` }));
      }
      // An unknown video's unusable URL is refused as well: the body is wrong whoever it names.
      expect((await send({ event_type: 'avatar_video.success', event_data: { video_id: 'vid_nobody', url: 'javascript:x' } }).expect(400)).body.message).toBe('event_data.url must be an http(s) URL');
    });
  });

  describe('idempotency and order', () => {
    it('changes nothing on a repeated event (nor sends a second e-mail)', async () => {
      const { owner, reel, videoId } = await givenReel(t);
      const body = { event_id: 'evt_dup', event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/1.mp4' } };
      const first = await send(body).expect(200);
      const before = await reels().findById(reel.id);
      // The same event_id again: the event log answers as the first time, without the handler.
      const redelivered = await send(body).expect(200);
      expect(redelivered.body).toEqual(first.body);
      // The same event without an id (legacy payloads have none): the handler sees it is applied.
      const { event_id: _id, ...legacy } = body;
      const again = await send({ ...legacy, event_data: { ...body.event_data, url: 'https://resource.heygen.example/2.mp4' } }).expect(200);
      expect(again.body).toEqual({ success: true, message: 'Event already applied; nothing changed', data: expect.objectContaining({ outcome: 'duplicate', status: 'completed' }) });
      expect(await reels().findById(reel.id)).toEqual(before);
      await eventually(() => smtp.to(owner.email));
      await t.app.get(JobRunner).drain(20_000, { includeScheduled: true });
      expect(smtp.messages.filter((m) => m.to.includes(owner.email))).toHaveLength(1);
    });

    it('answers a reused event_id with another body as the first, applies nothing, records a conflict and warns with both hashes', async () => {
      const { reel, videoId } = await givenReel(t);
      const other = await givenReel(t);
      const eventId = `evt_${new Types.ObjectId().toHexString()}`;
      const raw = JSON.stringify({ event_id: eventId, event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/1.mp4' } });
      const first = await post(raw).expect(200);
      // HeyGen's bug: the same event_id for another reel's event.
      const reusedRaw = JSON.stringify({ event_id: eventId, event_type: 'avatar_video.fail', event_data: { video_id: other.videoId, msg: 'boom' } });
      const requestId = newRequestId();
      const reused = await post(reusedRaw, { 'x-heygen-signature': signHeygenWebhook(SECRET, reusedRaw), 'x-request-id': requestId }).expect(200);
      expect(reused.body).toEqual(first.body);
      expect((await reels().findById(reel.id))!.status).toBe('completed');
      expect((await reels().findById(other.reel.id))!.status).toBe('processing');
      const [event] = await eventsOfRequest(t, requestId);
      expect(event).toEqual(expect.objectContaining({ status: 'conflict', deliveryId: eventId, httpStatus: 200 }));
      const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
      const warning = logs.lines.find((line) => line.deliveryId === eventId && line.level === 40);
      expect(warning).toEqual(expect.objectContaining({ source: 'heygen', firstBodySha256: sha256(raw), bodySha256: sha256(reusedRaw) }));
      expect(warning!.msg).toContain(sha256(raw));
      expect(warning!.msg).toContain(sha256(reusedRaw));
    });

    it('makes one change for concurrent identical deliveries', async () => {
      const { reel, videoId } = await givenReel(t);
      const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/c.mp4' } });
      const responses = await Promise.all(Array.from({ length: 10 }, () => post(raw)));
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(responses.filter((r) => r.body.data.outcome === 'accepted')).toHaveLength(1);
      expect((await reels().findById(reel.id))!.status).toBe('completed');
    });

    it('never lets a late failure overwrite a completed reel; a success after a failure is applied', async () => {
      const { reel, videoId } = await givenReel(t);
      await send({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/ok.mp4' } }).expect(200);
      const late = await send({ event_type: 'video.failed', event_data: { video_id: videoId, error_message: 'late' } }).expect(200);
      expect(late.body).toEqual({ success: true, message: 'Reel already completed; failure ignored', data: expect.objectContaining({ outcome: 'ignored', status: 'completed' }) });
      expect((await reels().findById(reel.id))!).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://resource.heygen.example/ok.mp4' }));

      const second = await givenReel(t);
      await send({ event_type: 'avatar_video.fail', event_data: { video_id: second.videoId, msg: 'first render failed' } }).expect(200);
      await send({ event_type: 'avatar_video.success', event_data: { video_id: second.videoId, url: 'https://resource.heygen.example/retry.mp4' } }).expect(200);
      const stored = (await reels().findById(second.reel.id))!;
      expect(stored).toEqual(expect.objectContaining({ status: 'completed', videoUrl: 'https://resource.heygen.example/retry.mp4' }));
      expect(stored.error).toBeUndefined();
    });
  });

  describe('signatures', () => {
    for (const header of ['X-HeyGen-Signature', 'Signature', 'Heygen-Signature']) {
      it(`accepts the hex HMAC-SHA256 of the raw body in ${header}`, async () => {
        const { videoId } = await givenReel(t);
        const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/s.mp4' } });
        expect((await post(raw, { [header]: signHeygenWebhook(SECRET, raw) }).expect(200)).body.data.outcome).toBe('accepted');
      });
    }

    it('refuses a missing, wrong, malformed or other-body signature with 401 and changes nothing', async () => {
      const { reel, videoId } = await givenReel(t);
      const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: videoId, url: 'https://resource.heygen.example/x.mp4' } });
      const attempts: Array<Record<string, string>> = [
        {},
        { 'x-heygen-signature': signHeygenWebhook('another-secret-entirely', raw) },
        { 'x-heygen-signature': 'not-hex' },
        { 'x-heygen-signature': signHeygenWebhook(SECRET, raw).slice(0, 62) },
        { 'x-heygen-signature': signHeygenWebhook(SECRET, JSON.stringify(JSON.parse(raw), null, 2)) },
        { 'x-unrelated-signature': signHeygenWebhook(SECRET, raw) },
      ];
      for (const [index, headers] of attempts.entries()) {
        const response = await post(raw, headers);
        expect({ index, status: response.status, body: response.body }).toEqual({ index, status: 401, body: { success: false, message: 'Invalid signature' } });
      }
      // The signature covers the raw bytes: the same JSON re-spaced is another body.
      await post(JSON.stringify(JSON.parse(raw), null, 2), { 'x-heygen-signature': signHeygenWebhook(SECRET, raw) }).expect(401);
      expect((await reels().findById(reel.id))!.status).toBe('processing');
      await post(raw).expect(200);
    });
  });
});

describe('HeyGen webhook with configured header names and several secrets (e2e)', () => {
  const logs = new LogCapture();
  let t: TestApp;
  beforeAll(async () => {
    // Webhook-Timestamp stands for a configured name the event log would otherwise keep.
    t = await createTestApp({
      env: { HEYGEN_SIGNATURE_HEADERS: 'X-Custom-Sig,Webhook-Timestamp', HEYGEN_WEBHOOK_SECRET: 'old-secret-0123456789,new-secret-0123456789', LOG_LEVEL: 'info' },
      logDestination: logs,
    });
  });
  afterAll(() => t.close());

  it('reads only the configured header, and accepts any configured secret', async () => {
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: 'vid_none' } });
    const post = (headers: Record<string, string>) => t.http().post('/api/webhook/heygen').set({ 'content-type': 'application/json', ...headers }).send(raw);
    await post({ 'x-heygen-signature': signHeygenWebhook('new-secret-0123456789', raw) }).expect(401);
    await post({ 'x-custom-sig': signHeygenWebhook('new-secret-0123456789', raw) }).expect(200);
    await post({ 'x-custom-sig': signHeygenWebhook('old-secret-0123456789', raw) }).expect(200);
    await post({ 'x-custom-sig': `sha256=${signHeygenWebhook('old-secret-0123456789', raw)}` }).expect(200);
  });

  it('redacts the configured signature headers in logs and never stores them with the event', async () => {
    const raw = JSON.stringify({ event_type: 'avatar_video.success', event_data: { video_id: 'vid_redacted' } });
    const signature = signHeygenWebhook('new-secret-0123456789', raw);
    const wrong = signHeygenWebhook('another-secret-0123456789', raw);
    const requestIds = [newRequestId(), newRequestId()];
    const headers = { 'content-type': 'application/json', 'user-agent': 'heygen-test' };
    await t.http().post('/api/webhook/heygen').set({ ...headers, 'x-request-id': requestIds[0], 'x-custom-sig': signature }).send(raw).expect(200);
    // A refusal (the guard reads only the second name here) is recorded by another path.
    await t.http().post('/api/webhook/heygen').set({ ...headers, 'x-request-id': requestIds[1], 'webhook-timestamp': wrong }).send(raw).expect(401);

    for (const [index, requestId] of requestIds.entries()) {
      const [event] = await eventsOfRequest(t, requestId);
      expect(event.headers).toEqual({ 'content-type': 'application/json', 'content-length': String(raw.length), 'user-agent': 'heygen-test', 'x-request-id': requestId });
      const line = await eventually(() => {
        const found = logs.lines.find((entry) => entry.reqId === requestId && entry.msg === 'request completed');
        expect(found).toBeDefined();
        return found!;
      });
      expect(line.req.headers).toEqual(expect.objectContaining(index === 0 ? { 'x-custom-sig': '[REDACTED]' } : { 'webhook-timestamp': '[REDACTED]' }));
    }
    expect(JSON.stringify(logs.lines)).not.toContain(signature);
    expect(JSON.stringify(logs.lines)).not.toContain(wrong);
  });
});

describe('HeyGen webhook in development without a secret (e2e)', () => {
  let t: TestApp;
  const logs = new LogCapture();
  const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));

  beforeAll(async () => {
    t = await createTestApp({
      env: { NODE_ENV: 'development', HEYGEN_WEBHOOK_SECRET: undefined, LOG_LEVEL: 'info', MAIL_OUTBOX_DIR: outbox, HEYGEN_RECONCILE_INTERVAL_MS: '600000' },
      logDestination: logs,
    });
  });
  afterAll(async () => {
    await t.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  // The specification's curl examples (docs/contracts/heygen.md#trying-it-by-hand), byte for byte
  // (curl -d sends the quoted text as it is).
  const completed = `{
    "event_type": "video.completed",
    "event_data": {
      "video_id": "test_video_123",
      "status": "completed",
      "video_url": "https://example.com/video.mp4",
      "thumbnail_url": "https://example.com/thumb.jpg"
    }
  }`;
  const failed = `{
    "event_type": "video.failed",
    "event_data": {
      "video_id": "test_video_123",
      "status": "failed",
      "error_message": "Avatar not found"
    }
  }`;
  const curl = (body: string) => t.http().post('/api/webhook/heygen').set('Content-Type', 'application/json').send(body);

  it('accepts the specification\'s curl examples unsigned, with a warning; unknown video first, then a real reel', async () => {
    expect((await curl(completed).expect(200)).body.data).toEqual({ event_type: 'video.completed', outcome: 'ignored', video_id: 'test_video_123' });
    expect(logs.messages()).toContain('⚠️ No se encontró reel con video_id: test_video_123');
    expect(logs.lines).toContainEqual(expect.objectContaining({
      context: 'WebhookSignatureGuard', level: 40, msg: 'heygen signature NOT verified: no secret configured (development only)',
    }));

    const { reel } = await givenReel(t, 'processing', 'test_video_123');
    expect((await curl(completed).expect(200)).body.data).toEqual(expect.objectContaining({ outcome: 'accepted', reel_id: reel.id, status: 'completed' }));
    expect(logs.messages()).toContain(`✅ Reel ${reel.id} completado exitosamente. URL: https://example.com/video.mp4`);
    expect((await curl(failed).expect(200)).body.data).toEqual(expect.objectContaining({ outcome: 'ignored', status: 'completed' }));

    // Without SMTP_URL the owner's e-mail lands in the outbox folder (and the log).
    await eventually(() => expect(readdirSync(outbox).filter((name) => name.endsWith('.eml'))).toHaveLength(1));
    // The file is written before the line is logged.
    await eventually(() => expect(logs.messages().some((line) => /^📧 E-mail "Your reel "Teaser" is ready" to .* written to /.test(line))).toBe(true));
  });

  it('fails a reel on the specification\'s failure example', async () => {
    await t.connection.collection('reels').deleteMany({});
    const { reel } = await givenReel(t, 'processing', 'test_video_123');
    await curl(failed).expect(200);
    expect((await t.app.get(ReelRepository).findById(reel.id))!.status).toBe('failed');
    expect(logs.messages()).toContain(`❌ Reel ${reel.id} falló: Avatar not found`);
  });
});

describeOnOwnServer('HeyGen OPTIONS while the database is down (e2e)', 'stops its own wire server', () => {
  let t: TestApp;
  let server: MongoWireServer;

  beforeAll(async () => {
    server = await startMongoWireServer();
    t = await createTestApp({ mongoServerUri: server.uri });
  });
  afterAll(async () => {
    await t.app.close();
    await server.stop();
  });

  it('still answers 200 within HeyGen\'s one second: it does no database work', { timeout: 60_000 }, async () => {
    await server.stop();
    const started = Date.now();
    await t.http().options('/api/webhook/heygen').expect(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
