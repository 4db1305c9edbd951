import { after as afterAll, before as beforeAll, describe, it, mock } from 'node:test';
import { expect } from 'expect';
import { Controller, Get, Logger } from '@nestjs/common';
import { Public } from '../src/auth/auth.decorators.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** A route that fails the way a database driver would, to see what reaches the client. */
@Controller('test-only')
class ExplodingController {
  @Get('explode')
  @Public()
  explode(): never {
    throw new Error('E11000 duplicate key error collection: secret.users index: email_1 at /srv/app/secret.ts:42');
  }
}

describe('Error envelope for bad input (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' }, controllers: [ExplodingController] });
  });
  afterAll(() => t.close());

  it('answers malformed JSON with 400 and the envelope', async () => {
    const response = await t.http().post('/api/auth/login').set('Content-Type', 'application/json').send('{"email": "a@b.c",').expect(400);
    expect(response.body).toEqual({ success: false, message: "Body is not valid JSON but content-type is set to 'application/json'" });
  });

  it('answers an unsupported content type with 415', async () => {
    const response = await t.http().post('/api/auth/login').set('Content-Type', 'application/xml').send('<login/>').expect(415);
    expect(response.body).toEqual({ success: false, message: 'Unsupported Media Type' });
  });

  it('answers an oversized body with 413 before parsing it', async () => {
    const response = await t.http().post('/api/auth/login').set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(4096) })).expect(413);
    expect(response.body).toEqual({ success: false, message: 'Request body is too large' });
  });

  it('answers an unknown route with 404 and the envelope', async () => {
    const response = await t.http().get('/api/nothing-here').expect(404);
    expect(response.body).toEqual({ success: false, message: 'Cannot GET /api/nothing-here' });
  });

  it('turns an unexpected error into a 500 with an errorId that is logged, and no internals', async () => {
    const logged = mock.method(Logger.prototype, 'error', () => undefined);
    try {
      const response = await t.http().get('/test-only/explode').expect(500);
      expect(response.body).toEqual({ success: false, message: 'Internal server error', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(JSON.stringify(response.body)).not.toMatch(/E11000|secret|\.ts:/);
      expect(logged.mock.calls.map((call) => call.arguments)).toContainEqual([
        expect.objectContaining({ errorId: response.body.errorId }),
        expect.stringContaining(response.body.errorId),
      ]);
    } finally {
      logged.mock.restore();
    }
  });

  it('echoes a request id, or makes one', async () => {
    const given = await t.http().get('/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.http().get('/health').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('allows the React app origins through CORS and nobody else', async () => {
    const preflight = await t.http().options('/api/products')
      .set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization').expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);

    const foreign = await t.http().options('/api/products')
      .set('Origin', 'https://evil.example.com').set('Access-Control-Request-Method', 'GET');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();

    const simple = await t.http().get('/health').set('Origin', 'http://localhost:3000').expect(200);
    expect(simple.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(simple.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
  });

  it('reports the database state on /health', async () => {
    const response = await t.http().get('/health').expect(200);
    expect(response.body).toEqual({ success: true, data: expect.objectContaining({ status: 'ok', info: { mongodb: expect.objectContaining({ status: 'up' }) } }) });
  });
});
