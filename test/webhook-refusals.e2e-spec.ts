import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getModelToken } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RefusedDeliveryWindow } from '../src/inbound-webhook-events/refused-delivery-window.schema.js';
import { RefusedDeliveryLimiter } from '../src/inbound-webhook-events/refused-delivery.limiter.js';
import { WebhookEventRecorder } from '../src/inbound-webhook-events/webhook-event.recorder.js';
import { REFUSED_LIMIT_MESSAGE, WebhookRefusalHooks } from '../src/inbound-webhook-events/webhook-refusal.hooks.js';
import { FakeRck } from './utils/fake-rck.js';
import { uniqueDatabaseName } from './utils/mongo-uri.js';
import { rckHeaders } from './utils/rck-signing.js';
import { createTestApp, TestApp } from './utils/test-app.js';
import { videosTestEnv } from './utils/videos-env.js';
import { eventModel } from './utils/webhook-events.js';

/** A webhook body of `bytes` bytes exactly (a JSON object with one long string), within the shape limits. */
function bodyOf(bytes: number, videoId = '65abc123def456789012abcd'): string {
  const head = `{"videoId":"${videoId}","localFilename":"`;
  return `${head}${'x'.repeat(bytes - head.length - 2)}"}`;
}

/** RCK's headers with a signature that cannot match. */
function badlySigned(raw: string): Record<string, string> {
  return { ...rckHeaders(raw), 'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}` };
}

/** Every refusal answered so far counted and recorded, and every event written. */
async function settle(t: TestApp): Promise<void> {
  await t.app.get(WebhookRefusalHooks).settled();
  await t.app.get(WebhookEventRecorder).flush();
  await t.app.get(RefusedDeliveryLimiter).flush();
}

const windowsOf = (t: TestApp) => t.app.get<Model<RefusedDeliveryWindow>>(getModelToken(RefusedDeliveryWindow.name));
const eventsFrom = (t: TestApp, address: string) => eventModel(t).find({ 'headers.x-forwarded-for': address }).lean().exec();

/** Sums the counts of every window of an address (a test may straddle a window's end). */
async function countsOf(t: TestApp, address: string): Promise<{ refused: number; limited: number }> {
  const windows = await windowsOf(t).find({ address }).lean().exec();
  return windows.reduce((sum, w) => ({ refused: sum.refused + w.refused, limited: sum.limited + w.limited }), { refused: 0, limited: 0 });
}

describe('Deliveries refused before their handler (e2e)', () => {
  const MAX = 5;
  let rck: FakeRck;
  let t: TestApp;
  let other: TestApp;
  let port: number;

  beforeAll(async () => {
    rck = await FakeRck.start();
    const dbName = uniqueDatabaseName('refusals');
    // Behind a trusted proxy, so a test can speak from several client addresses. A day-long
    // window, so no test straddles the end of one.
    const env = videosTestEnv(rck, {
      TRUST_PROXY: 'true',
      WEBHOOK_REFUSED_RATE_LIMIT_MAX: String(MAX),
      WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS: '86400',
      WEBHOOK_BODY_LIMIT_BYTES: '300000',
      WEBHOOK_EVENT_FLUSH_INTERVAL_MS: '20',
    });
    t = await createTestApp({ env, dbName });
    // A second instance on the same database: the limit is shared.
    other = await createTestApp({ env, dbName });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.connection.dropDatabase();
    await t.close();
    await other.close();
    await rck.stop();
  });

  const deliver = (app: TestApp, address: string, raw: string, headers: Record<string, string>) =>
    app.http().post('/internal/videos/success').set(headers).set('X-Forwarded-For', address).send(raw);

  it('keeps of a refused delivery its size, SHA-256 and first 2 KB as text, never the parsed payload', async () => {
    const address = '203.0.113.1';
    const raw = bodyOf(256 * 1024);
    const response = await deliver(t, address, raw, badlySigned(raw)).expect(401);
    expect(response.body).toEqual({ success: false, message: 'Invalid signature' });
    // Malformed JSON, cut in the middle of a two-byte character: the text stops before it.
    const malformed = `{"a":"${'x'.repeat(2041)}${'é'.repeat(200)}`;
    await deliver(t, address, malformed, rckHeaders(malformed)).expect(400);
    await settle(t);

    const events = await eventsFrom(t, address);
    expect(events).toHaveLength(2);
    const signed = events.find((e) => e.httpStatus === 401)!;
    expect(signed).toEqual(expect.objectContaining({
      status: 'rejected', signatureValid: false, error: 'Invalid signature', videoId: '65abc123def456789012abcd',
      payload: raw.slice(0, 2048), payloadTruncated: true, payloadBytes: 256 * 1024,
      payloadSha256: createHash('sha256').update(raw).digest('hex'),
    }));
    const cut = events.find((e) => e.httpStatus === 400)!;
    expect(cut).toEqual(expect.objectContaining({
      status: 'rejected', payload: malformed.slice(0, 2047), payloadTruncated: true, payloadBytes: Buffer.byteLength(malformed),
      payloadSha256: createHash('sha256').update(malformed).digest('hex'),
    }));
    // The whole stored event is a few KB, whatever the body was.
    for (const event of events) expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(4096);
  });

  it(`answers 429 after ${MAX} refusals from one address, counts what follows instead of storing it, and lets signed deliveries through`, async () => {
    const address = '203.0.113.2';
    for (let i = 0; i < MAX; i++) {
      const raw = bodyOf(1000);
      await deliver(t, address, raw, badlySigned(raw)).expect(401);
    }
    await settle(t);

    // A bad signature: the body is read and its signature checked, nothing more.
    const raw = bodyOf(1000);
    const limited = await deliver(t, address, raw, badlySigned(raw)).expect(429);
    expect(limited.body).toEqual({ success: false, message: REFUSED_LIMIT_MESSAGE });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(86400);
    // Signed badly and malformed: refused for its signature before any parse (a 400 otherwise).
    const malformed = '{"videoId": ';
    await deliver(t, address, malformed, badlySigned(malformed)).expect(429);
    // No signature, not JSON: answered on the headers alone.
    await t.http().post('/internal/videos/success').set('X-Forwarded-For', address).set('content-type', 'application/json').send('{}').expect(429);
    await t.http().post('/internal/videos/failure').set('X-Forwarded-For', address).set('content-type', 'text/plain').send('hello').expect(429);

    // A delivery whose signature verifies is never limited.
    const { ids } = await t.given.videos(1);
    const signed = JSON.stringify({ videoId: ids[0], youtubeVideoId: 'dQw4w9WgXcQ' });
    await deliver(t, address, signed, rckHeaders(signed)).expect(200);
    // Another address is not limited by this one.
    const elsewhere = bodyOf(1000);
    await deliver(t, '203.0.113.3', elsewhere, badlySigned(elsewhere)).expect(401);
    await settle(t);

    const events = await eventsFrom(t, address);
    expect(events.filter((e) => e.status === 'rejected')).toHaveLength(MAX);
    expect(events.filter((e) => e.status === 'accepted')).toEqual([expect.objectContaining({ videoId: ids[0], httpStatus: 200, signatureValid: true })]);
    expect(await countsOf(t, address)).toEqual({ refused: MAX, limited: 4 });
    expect(await eventsFrom(t, '203.0.113.3')).toHaveLength(1);
  });

  it('answers a delivery that cannot verify before its body is sent', async () => {
    const address = '203.0.113.4';
    for (let i = 0; i < MAX; i++) await deliver(t, address, '{}', badlySigned('{}')).expect(401);
    await settle(t);
    // Announces 256 KB and sends none of it: the answer comes anyway.
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({
        port, host: '127.0.0.1', method: 'POST', path: '/internal/videos/success',
        headers: { 'content-type': 'application/json', 'content-length': 256 * 1024, 'x-forwarded-for': address },
      });
      request.on('response', (response) => {
        resolve(response.statusCode!);
        request.destroy();
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(429);
  });

  it('shares the count between instances: the other one stores nothing more and learns the limit from its first refusal', async () => {
    const address = '203.0.113.5';
    for (let i = 0; i < MAX; i++) await deliver(t, address, '{}', badlySigned('{}')).expect(401);
    await settle(t);
    // The other instance has not refused this address yet: it answers as before, but stores nothing.
    await deliver(other, address, '{}', badlySigned('{}')).expect(401);
    await settle(other);
    await deliver(other, address, '{}', badlySigned('{}')).expect(429);
    await settle(other);
    expect(await eventsFrom(t, address)).toHaveLength(MAX);
    expect(await countsOf(t, address)).toEqual({ refused: MAX + 1, limited: 1 });
  });
});

describe('A burst of refused 256 KB deliveries (e2e)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // The production default of 60 refusals, per hour rather than per minute: on a loaded machine
    // the burst can outlast a minute, and each window crossed lets 60 more in (a crossing stays
    // possible, so the counts below allow one). 256 KB bodies fit under the body limit.
    t = await createTestApp({
      env: { TRUST_PROXY: 'true', WEBHOOK_REFUSED_RATE_LIMIT_MAX: '60', WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS: '3600', WEBHOOK_BODY_LIMIT_BYTES: '300000' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /** What the database holds: documents (uncompressed) and indexes, as dbStats reports them. */
  const storedBytes = async () => {
    const stats = await t.connection.db!.command({ dbStats: 1 });
    return Number(stats.dataSize) + Number(stats.indexSize);
  };

  it('grows the database by less than 5 MB for 1,000 of them', async () => {
    const address = '198.51.100.7';
    // One refusal first, so the collections and their indexes exist before the measure.
    const first = bodyOf(256 * 1024);
    await deliver(first, badlySigned(first));
    await settle(t);
    const before = await storedBytes();

    const statuses = new Map<number, number>();
    const bodies = Array.from({ length: 1000 }, (_, i) => bodyOf(256 * 1024, (0x65abc123def4567890120000n + BigInt(i)).toString(16)));
    let next = 0;
    // Ten connections at a time, like a client that does not wait for its answers.
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < bodies.length) {
        const raw = bodies[next++];
        const status = await deliver(raw, badlySigned(raw));
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }));
    await settle(t);
    const grown = await storedBytes() - before;

    // Refused for their signature until the limit, then answered 429 (a window may end mid-burst).
    expect([...statuses.keys()].sort()).toEqual([401, 429]);
    // (Ten in flight when the limit is learnt are answered 401 too: counted, not stored.)
    expect(statuses.get(429)).toBeGreaterThanOrEqual(1000 - 2 * 60 - 10);
    const stored = await eventModel(t).countDocuments({ 'headers.x-forwarded-for': address });
    expect(stored).toBeLessThanOrEqual(2 * 60);
    console.log(`1,000 refused 256 KB deliveries: ${stored} events stored, ${statuses.get(429)} answered 429, database grown by ${(grown / 1024).toFixed(1)} KB`);
    expect(grown).toBeLessThan(5 * 1024 * 1024);
  });

  /** One delivery over a kept-alive connection; resolves with the status once the answer is read. */
  function deliver(raw: string, headers: Record<string, string>): Promise<number> {
    return fetch(`http://127.0.0.1:${port}/internal/videos/success`, {
      method: 'POST',
      headers: { ...headers, 'x-forwarded-for': '198.51.100.7' },
      body: raw,
    }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    });
  }
});
