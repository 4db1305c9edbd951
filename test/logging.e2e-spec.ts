import { after as afterAll, before as beforeAll, describe, it } from 'node:test';
import { expect } from 'expect';
import { Controller, Get, Logger } from '@nestjs/common';
import { Public } from '../src/common/auth.decorators.js';
import { eventually } from './utils/eventually.js';
import { LogCapture } from './utils/log-capture.js';
import { createTestApp, TestApp } from './utils/test-app.js';

/** A handler that logs the way services do, to see the request id reach its line. */
@Controller('test-only')
class ChattyController {
  private readonly logger = new Logger(ChattyController.name);

  @Get('chatty')
  @Public()
  async chatty(): Promise<{ ok: true }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.logger.log('handled after an await');
    return { ok: true };
  }

  @Get('explode')
  @Public()
  explode(): never {
    throw new Error('database said something private');
  }
}

describe('Structured logs (e2e)', () => {
  const logs = new LogCapture();
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOG_LEVEL: 'info' }, logDestination: logs, controllers: [ChattyController] });
  });
  afterAll(() => t.close());

  it('logs one JSON line per request with its request id, and never the token or the password', async () => {
    const user = await t.given.user();
    const login = await t.http().post('/api/auth/login').set('X-Request-Id', 'login-req-1')
      .send({ email: user.email, password: user.password }).expect(200);
    const token: string = login.body.data.accessToken;
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'me-req-1').expect(200);

    const me = logs.lines.find((line) => line.reqId === 'me-req-1' && line.msg === 'request completed');
    expect(me).toEqual(expect.objectContaining({
      level: 30,
      req: expect.objectContaining({ method: 'GET', url: '/api/auth/me' }),
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    }));
    expect(logs.lines.find((line) => line.reqId === 'login-req-1')).toBeDefined();
    expect(logs.text).not.toContain(token);
    expect(logs.text).not.toContain(user.password);
  });

  it('logs the client address and headers, with credentials in headers and query strings redacted', async () => {
    const { token } = await t.given.loggedIn();
    await t.http().get('/api/products?password=hunter2-long&access_token=abc.def&Api-Key=k3y&page=1')
      .set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'query-req-1').expect(400);
    const line = logs.lines.find((entry) => entry.reqId === 'query-req-1' && entry.msg === 'request completed');
    expect(line?.req).toEqual(expect.objectContaining({
      url: '/api/products?password=[REDACTED]&access_token=[REDACTED]&Api-Key=[REDACTED]&page=1',
      remoteAddress: expect.stringMatching(/127\.0\.0\.1/),
      headers: expect.objectContaining({ authorization: '[REDACTED]', 'x-request-id': 'query-req-1' }),
    }));
    expect(logs.text).not.toContain('hunter2-long');
    expect(logs.text).not.toContain('abc.def');
    expect(logs.text).not.toContain(token);
  });

  it('logs client errors as warnings', async () => {
    await t.http().get('/api/products').set('X-Request-Id', 'anon-req-1').expect(401);
    expect(logs.lines.find((line) => line.reqId === 'anon-req-1' && line.msg === 'request completed'))
      .toEqual(expect.objectContaining({ level: 40, res: { statusCode: 401 } }));
  });

  it('logs exactly one line per response, including those answered before Nest or its middleware run', async () => {
    const json = { 'content-type': 'application/json' };
    const cases: Array<[string, number, () => ReturnType<ReturnType<TestApp['http']>['get']>]> = [
      ['once-unknown-route', 404, () => t.http().get('/api/nothing-here')],
      // Refused by Fastify's router, before any hook.
      ['once-param-too-long', 414, () => t.http().get(`/api/products/${'a'.repeat(200)}`)],
      ['once-bad-url', 400, () => t.http().get('/api/products/%zz')],
      ['once-malformed', 400, () => t.http().post('/api/auth/login').set(json).send('{')],
      ['once-form', 415, () => t.http().post('/api/auth/login').type('form').send('a=b')],
      ['once-too-large', 413, () => t.http().post('/api/auth/login').set(json).send(JSON.stringify({ p: 'x'.repeat(5000) }))],
      ['once-unsigned', 401, () => t.http().post('/internal/videos/failure').set(json).send('{"videoId":"v"}')],
      ['once-preflight', 204, () => t.http().options('/api/products').set('Origin', 'http://localhost:5173').set('Access-Control-Request-Method', 'GET')],
      ['once-preflight-no-origin', 400, () => t.http().options('/api/products').set('Access-Control-Request-Method', 'GET')],
      ['once-ok', 200, () => t.http().get('/health/live')],
    ];
    for (const [id, status, send] of cases) await send().set('X-Request-Id', id).expect(status);
    for (const [id, status] of cases) {
      const lines = await eventually(() => {
        const found = logs.lines.filter((line) => line.reqId === id && line.msg === 'request completed');
        expect(found.length).toBeGreaterThan(0);
        return found;
      });
      expect(lines).toEqual([expect.objectContaining({ level: status >= 400 ? 40 : 30, res: { statusCode: status } })]);
    }
    // The signature guard's own line is tagged with the request too.
    expect(logs.lines.find((line) => line.reqId === 'once-unsigned' && line.context === 'WebhookSignatureGuard'))
      .toEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^Refused a rck delivery to \/internal\/videos\/failure: /) }));
  });

  it('logs the errorId of a 500 with the request id, and the response as an error', async () => {
    const response = await t.http().get('/test-only/explode').set('X-Request-Id', 'explode-1').expect(500);
    const errorId: string = response.body.errorId;
    expect(logs.lines.find((line) => line.reqId === 'explode-1' && line.errorId === errorId))
      .toEqual(expect.objectContaining({ level: 50, context: 'AllExceptionsFilter', msg: `Unhandled error ${errorId}` }));
    await eventually(() => expect(logs.lines.find((line) => line.reqId === 'explode-1' && line.msg === 'request completed'))
      .toEqual(expect.objectContaining({ level: 50, res: { statusCode: 500 } })));
  });

  it('tags application log lines written while handling a request with its request id', async () => {
    await Promise.all([
      t.http().get('/test-only/chatty').set('X-Request-Id', 'chatty-1').expect(200),
      t.http().get('/test-only/chatty').set('X-Request-Id', 'chatty-2').expect(200),
    ]);
    const appLines = logs.lines.filter((line) => line.msg === 'handled after an await');
    expect(appLines.map((line) => line.reqId).sort()).toEqual(['chatty-1', 'chatty-2']);
    expect(appLines[0].context).toBe('ChattyController');
  });
});
