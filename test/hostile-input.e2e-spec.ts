import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'expect';
import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { model, Schema } from 'mongoose';
import type { FastifyRequest } from 'fastify';
import { Public } from '../src/common/auth.decorators.js';
import { Role } from '../src/common/role.enum.js';
import { JSON_SHAPE_LIMITS, LOGIN_BODY_LIMIT_BYTES } from '../src/common/http-body.js';
import { MAX_FIELD_ERRORS } from '../src/common/validation.pipe.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/**
 * What a hostile client can send, through the real HTTP pipeline, on the public login and on an
 * authenticated route. Each refusal must come back as a 4xx in the envelope, and quickly: the
 * time bound here is loose (a refusal, not a stall); `npm run bench:hostile` measures how long
 * the event loop is blocked.
 */
const REFUSAL_MS = 2000;

/** Stands in for the webhook routes other branches add: public, reads the raw bytes. */
@Controller()
@Public()
class WebhookStandInController {
  @Post('internal/videos/stand-in')
  @HttpCode(200)
  rck(@Req() request: FastifyRequest & { rawBody?: Buffer }, @Body() body: unknown) {
    return { rawBody: request.rawBody?.toString('base64'), body };
  }

  @Post('api/webhook/stand-in')
  @HttpCode(200)
  heygen(@Req() request: FastifyRequest & { rawBody?: Buffer }, @Body() body: unknown) {
    return { rawBody: request.rawBody?.toString('base64'), body };
  }
}

const Probe = model('HostileProbe', new Schema({ name: { type: String, required: true } }));

/** A Mongoose validation error that no DTO caught, the way a missed trim once produced one. */
@Controller('test-only')
@Public()
class InvalidDocumentController {
  @Get('invalid-document')
  async invalid(): Promise<void> {
    await new Probe({}).validate();
  }
}

/** Collects the JSON log lines the app writes (one per response comes from a Fastify hook). */
class LogCapture {
  readonly lines: Array<Record<string, any>> = [];
  write(chunk: string): void {
    for (const line of chunk.split('\n').filter(Boolean)) this.lines.push(JSON.parse(line));
  }
}

async function timed<T>(request: PromiseLike<T>): Promise<{ response: T; ms: number }> {
  const started = performance.now();
  const response = await request;
  return { response, ms: performance.now() - started };
}

const objectWithKeys = (count: number, prefix = 'k') =>
  `{${Array.from({ length: count }, (_, i) => `"${prefix}${i}":0`).join(',')}}`;

describe('Hostile input (e2e)', () => {
  const logs = new LogCapture();
  let t: TestApp;
  let auth: { Authorization: string };
  let admin: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({
      env: { WEBHOOK_BODY_LIMIT_BYTES: '2048', LOG_LEVEL: 'info' },
      controllers: [WebhookStandInController, InvalidDocumentController],
      logDestination: logs,
    });
    auth = { Authorization: `Bearer ${(await t.given.loggedIn()).token}` };
    admin = { Authorization: `Bearer ${(await t.given.loggedIn({ role: Role.SuperAdmin })).token}` };
  });
  afterAll(() => t.close());

  const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
    t.http().post(path).set({ 'Content-Type': 'application/json', ...headers }).send(body);

  describe('bodies that would stall the service', () => {
    const limit = 1024 * 1024;
    const hostile: Array<[string, string, RegExp]> = [
      ['a hundred thousand unknown keys', objectWithKeys(100_000).slice(0, limit - 10) + ':0}', /more than 200 keys/],
      ['deep nesting', '['.repeat(limit / 2) + ']'.repeat(limit / 2), /nests deeper than 32 levels/],
      ['a long array', `{"imageUrls":[${'0,'.repeat(limit / 2 - 20)}0]}`, /array in the body has more than 1000 items/],
      ['many small objects', `[${Array.from({ length: 100 }, () => objectWithKeys(150)).join(',')}]`, /more than 2000 keys and items/],
      ['keys with long names', objectWithKeys(200, 'x'.repeat(4000)), /key in the JSON body is longer than 128 bytes/],
      // Each array's first item counts too: 30 001 items in 60 KB, which counting commas saw as 1 000.
      ['single items nested deep', `{"a":[${Array.from({ length: 1000 }, () => `${'['.repeat(29)}1${']'.repeat(29)}`).join(',')}]}`, /more than 2000 keys and items/],
    ];
    for (const [kind, body, message] of hostile) {
      it(`refuses ${kind} at the size limit with 413, quickly, on the login and on an authenticated route`, async () => {
        expect(body.length).toBeLessThanOrEqual(limit);
        const { response, ms } = await timed(postJson('/api/products', body, auth));
        expect(response.status).toBe(413);
        expect(response.body).toEqual({ success: false, message: expect.stringMatching(message) });
        expect(ms).toBeLessThan(REFUSAL_MS);

        const login = body.slice(0, LOGIN_BODY_LIMIT_BYTES);
        const small = await timed(postJson('/api/auth/login', login));
        expect([400, 413]).toContain(small.response.status);
        expect(small.response.body.success).toBe(false);
        expect(small.ms).toBeLessThan(REFUSAL_MS);
      });
    }

    it('refuses malformed JSON at the size limit with 400', async () => {
      const { response, ms } = await timed(postJson('/api/products', `{"title":"${'x'.repeat(limit - 20)}`, auth));
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ success: false, message: "Body is not valid JSON but content-type is set to 'application/json'" });
      expect(ms).toBeLessThan(REFUSAL_MS);
    });

    it('lists at most a few field errors, however many fields are wrong', async () => {
      const many = objectWithKeys(JSON_SHAPE_LIMITS.maxKeysPerObject);
      for (const [path, headers] of [['/api/auth/login', {}], ['/api/products', auth]] as const) {
        const { response, ms } = await timed(postJson(path, many, headers));
        expect(response.status).toBe(400);
        expect(response.body.errors.length).toBeLessThanOrEqual(MAX_FIELD_ERRORS);
        expect(JSON.stringify(response.body).length).toBeLessThan(2000);
        expect(ms).toBeLessThan(REFUSAL_MS);
      }
    });

    it('accepts a body within the limits', async () => {
      const imageUrls = Array.from({ length: 20 }, (_, i) => `https://example.com/${i}.jpg`);
      await t.http().post('/api/products').set(auth).send({ title: 'Fine', sku: 'FINE-1', imageUrls }).expect(201);
    });
  });

  describe('body limits per route', () => {
    it('keeps login bodies to a few KB', async () => {
      const padded = JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(LOGIN_BODY_LIMIT_BYTES) });
      const response = await postJson('/api/auth/login', padded).expect(413);
      expect(response.body).toEqual({ success: false, message: 'Request body is too large' });
    });

    it('gives webhook routes their own limit by path, and keeps their raw bytes exactly', async () => {
      const big = JSON.stringify({ event: 'x'.repeat(3000) });
      for (const path of ['/internal/videos/stand-in', '/api/webhook/stand-in']) {
        await postJson(path, big).expect(413);
        const raw = '{ "videoId" :"v1",\n  "name":"caf\\u00e9 ☕", "n": 1.50 }  ';
        const accepted = await postJson(path, raw, { 'Content-Type': 'application/json; charset=utf-8' }).expect(200);
        expect(Buffer.from(accepted.body.rawBody, 'base64').toString('utf8')).toBe(raw);
      }
      // The same body elsewhere is within the global limit and reaches validation.
      const elsewhere = await postJson('/api/products', big, auth).expect(400);
      expect(elsewhere.body.message).toBe('property event should not exist');
    });
  });

  describe('content types', () => {
    it('refuses anything but application/json with 415, on the login and on an authenticated route', async () => {
      for (const [path, headers] of [['/api/auth/login', {}], ['/api/products', auth]] as const) {
        const form = await t.http().post(path).set(headers).type('form').send('email=a%40b.co&password=x').expect(415);
        expect(form.body).toEqual({ success: false, message: 'Unsupported Media Type' });
        await t.http().post(path).set(headers).set('Content-Type', 'text/plain').send('{"email":"a@b.co"}').expect(415);
        await t.http().post(path).set(headers).set('Content-Type', 'multipart/form-data; boundary=x').send('--x--').expect(415);
      }
    });

    it('refuses a body that is not a JSON object', async () => {
      const response = await postJson('/api/auth/login', '[{"email":"a@b.co","password":"x"}]').expect(400);
      expect(response.body).toEqual({ success: false, message: 'The request body must be a JSON object' });
    });

    it('lets refusals made before Nest runs reach the Fastify hooks (they are logged like any response)', async () => {
      await postJson('/api/auth/login', '{', { 'X-Request-Id': 'hostile-malformed' }).expect(400);
      await t.http().post('/api/auth/login').set('X-Request-Id', 'hostile-form').type('form').send('a=b').expect(415);
      await postJson('/api/auth/login', JSON.stringify({ p: 'x'.repeat(5000) }), { 'X-Request-Id': 'hostile-big' }).expect(413);
      for (const [id, status] of [['hostile-malformed', 400], ['hostile-form', 415], ['hostile-big', 413]] as const) {
        expect(logs.lines.find((line) => line.reqId === id && line.msg === 'request completed'))
          .toEqual(expect.objectContaining({ res: { statusCode: status } }));
      }
    });
  });

  describe('fields', () => {
    it('refuses keys named like Object.prototype members, in bodies and queries', async () => {
      for (const key of ['constructor', 'toString', 'hasOwnProperty']) {
        const login = await t.http().post('/api/auth/login').send({ email: 'a@b.co', password: 'x', [key]: 1 }).expect(400);
        expect(login.body.message).toBe(`property ${key} should not exist`);
        const query = await t.http().get(`/api/products?${key}=1`).set(auth).expect(400);
        expect(query.body.message).toBe(`property ${key} should not exist`);
      }
      const nested = await t.http().post('/api/products').set(auth).send({ title: 'x', sku: 'y', imageUrls: [], valueOf: { a: 1 } }).expect(400);
      expect(nested.body.errors).toEqual([{ field: 'valueOf', messages: ['property valueOf should not exist'] }]);
    });

    it('names the real problem: missing, then wrong type, one message per field', async () => {
      const missing = await t.http().post('/api/auth/login').send({ email: 'a@b.co' }).expect(400);
      expect(missing.body).toEqual({ success: false, message: 'password is required', errors: [{ field: 'password', messages: ['password is required'] }] });
      const wrongType = await t.http().post('/api/auth/login').send({ email: 'a@b.co', password: 5 }).expect(400);
      expect(wrongType.body.message).toBe('password must be a string');
      expect(wrongType.body.errors).toEqual([{ field: 'password', messages: ['password must be a string'] }]);
      const product = await t.http().post('/api/products').set(auth).send({ sku: ['x'] }).expect(400);
      expect(product.body.errors).toEqual([
        { field: 'title', messages: ['title is required'] },
        { field: 'sku', messages: ['sku must be a string'] },
      ]);
    });

    it('refuses whitespace-only names with 400, and maps a Mongoose validation error that escapes to 400', async () => {
      const workspace = await t.http().post('/api/workspaces').set(admin).send({ name: '   ', plan: { name: 'pro', monthlyVideoLimit: 1 } }).expect(400);
      expect(workspace.body.message).toBe('name is required');
      const plan = await t.http().post('/api/workspaces').set(admin).send({ name: 'Acme', plan: { name: ' \t ', monthlyVideoLimit: 1 } }).expect(400);
      expect(plan.body.errors).toEqual([{ field: 'plan.name', messages: ['name is required'] }]);
      const { workspaceId } = await t.given.user();
      const user = await t.http().post('/api/users').set(admin)
        .send({ email: 'blank-name@example.com', name: '  ', password: 'a-long-password-1', role: 'user', workspaceId }).expect(400);
      expect(user.body.message).toBe('name is required');

      const escaped = await t.http().get('/test-only/invalid-document').expect(400);
      expect(escaped.body).toEqual({ success: false, message: 'name is required', errors: [{ field: 'name', messages: ['name is required'] }] });
    });

    it('refuses control and invisible characters in names and identifiers, and passwords without a visible character', async () => {
      const cases: Array<[string, object]> = [
        ['title', { title: 'Zero\u200Bwidth', sku: 'SKU-ZW' }],
        ['sku', { title: 'Null byte', sku: 'SKU\u0000' }],
        ['sku', { title: 'Bidi', sku: 'SKU\u202E1' }],
      ];
      for (const [field, body] of cases) {
        const response = await t.http().post('/api/products').set(auth).send(body).expect(400);
        expect(response.body.errors).toEqual([{ field, messages: [`${field} must not contain control or invisible characters`] }]);
      }
      await t.http().post('/api/workspaces').set(admin).send({ name: 'Acme\nInc', plan: { name: 'pro', monthlyVideoLimit: 1 } }).expect(400);
      await t.http().post('/api/workspaces').set(admin).send({ name: '\u3164', plan: { name: 'pro', monthlyVideoLimit: 1 } }).expect(400);
      // Joiners that Persian names need are not refused in names.
      await t.http().post('/api/workspaces').set(admin).send({ name: 'می\u200Cخواهم', plan: { name: 'pro', monthlyVideoLimit: 1 } }).expect(201);

      const { workspaceId } = await t.given.user();
      for (const password of [' \t '.repeat(5), '\u0001'.repeat(12), '\u200B'.repeat(12)]) {
        const response = await t.http().post('/api/users').set(admin)
          .send({ email: 'blank-password@example.com', name: 'Blank', password, role: 'user', workspaceId }).expect(400);
        expect(response.body.message).toBe('password must contain visible characters, not only spaces or control characters');
      }
      await t.http().post('/api/auth/login').send({ email: 'a@b.co', password: '   ' }).expect(400);
    });

    it('refuses product image URLs that point at loopback, private or link-local addresses', async () => {
      for (const url of ['http://127.0.0.1/a.jpg', 'http://2130706433/a.jpg', 'http://[::1]/a.jpg', 'http://[::ffff:127.0.0.1]/a.jpg',
        'http://169.254.169.254/latest/meta-data', 'https://10.1.2.3/a.jpg', 'http://192.168.0.10/a.jpg', 'http://localhost:8000/a.jpg']) {
        const response = await t.http().post('/api/products').set(auth).send({ title: 'Internal', sku: 'INT-1', imageUrls: ['https://example.com/ok.jpg', url] }).expect(400);
        // Some forms are not even URLs to the validator (no TLD); the others are refused by address.
        expect(response.body.errors).toEqual([{ field: expect.stringMatching(/^imageUrls/), messages: [expect.stringMatching(/^(each imageUrls entry must be an http\(s\) URL|imageUrls must not point at loopback, private or link-local addresses)$/)] }]);
      }
      await t.http().post('/api/products').set(auth).send({ title: 'Public', sku: 'PUB-1', imageUrls: ['https://93.184.215.14/a.jpg'] }).expect(201);
    });
  });
});

/** Sends raw bytes (then, if asked, one more byte every `trickleMs`) and reads until the server closes. */
function rawRequest(port: number, head: string, trickleMs?: number): Promise<{ status: number; body: any; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    const trickle = trickleMs ? setInterval(() => socket.writable && socket.write(' '), trickleMs) : undefined;
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(trickle);
      const [headers, body] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]);
      try {
        resolve({ status, body: body ? JSON.parse(body) : undefined, ms: performance.now() - started });
      } catch (error) {
        reject(new Error(`not JSON: ${received}`, { cause: error }));
      }
    });
  });
}

describe('HTTP-level client errors and slow clients (e2e)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ env: { REQUEST_TIMEOUT_MS: '500' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('cuts off a body trickled a byte at a time with 408 in the envelope', async () => {
    const head = 'POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{';
    const { status, body, ms } = await rawRequest(port, head, 50);
    expect(status).toBe(408);
    expect(body).toEqual({ success: false, message: 'Request not received in time' });
    expect(ms).toBeLessThan(5000);
  });

  it('answers headers that are too large with 431 and a malformed request with 400, in the envelope', async () => {
    const large = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(large).toEqual(expect.objectContaining({ status: 431, body: { success: false, message: 'Request headers are too large' } }));
    const malformed = await rawRequest(port, 'NOT AN HTTP REQUEST\r\n\r\n');
    expect(malformed).toEqual(expect.objectContaining({ status: 400, body: { success: false, message: 'Malformed HTTP request' } }));
  });

  it('answers a preflight without Origin in the envelope, and lets other OPTIONS requests reach routing', async () => {
    const preflight = await t.http().options('/api/auth/login').set('Access-Control-Request-Method', 'POST').expect(400);
    expect(preflight.body).toEqual({ success: false, message: 'A CORS preflight request needs an Origin header' });
    const plain = await t.http().options('/api/auth/login').expect(404);
    expect(plain.body).toEqual({ success: false, message: 'Route not found' });
    const real = await t.http().options('/api/auth/login').set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'POST').expect(204);
    expect(real.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });
});
