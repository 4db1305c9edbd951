import { after as afterAll, before as beforeAll, describe, it, mock } from 'node:test';
import { expect } from 'expect';
import { Controller, Get, Logger, Param, Res } from '@nestjs/common';
import { errorCodes, type FastifyReply } from 'fastify';
import { AddressInfo, connect } from 'node:net';
import type { Response } from 'supertest';
import { Public } from '../src/common/auth.decorators.js';
import { eventually } from './utils/eventually.js';
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

type FastifyErrorCode = keyof typeof errorCodes;

/** Put in every request that meets a Fastify error: no answer may quote it. */
const MARKER = 'echo7c1f';

/**
 * Hands a Fastify error to Fastify (`reply.send(error)`), as its body parsing, hooks and reply do
 * with theirs: it then takes the path every Fastify error raised during a request takes.
 */
@Controller('test-only')
class FastifyErrorController {
  @Get('fastify-error/:code')
  @Public()
  raise(@Param('code') code: string, @Res() reply: FastifyReply): void {
    const FastifyError = errorCodes[code as FastifyErrorCode];
    void reply.send(new FastifyError(MARKER, MARKER, MARKER));
  }
}

describe('Error envelope for bad input (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' }, controllers: [ExplodingController, FastifyErrorController] });
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

  it('answers an unknown route with 404 and the envelope, without quoting the path', async () => {
    const response = await t.http().get('/api/nothing-here').expect(404);
    expect(response.body).toEqual({ success: false, message: 'Route not found' });
    expect((await t.http().delete('/api/products').expect(404)).body).toEqual({ success: false, message: 'Route not found' });
  });

  it('answers a path parameter longer than maxParamLength with 414 in the envelope, without quoting it', async () => {
    const response = await t.http().get(`/api/products/${'a'.repeat(200)}`).expect(414);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({ success: false, message: 'A path parameter is too long' });
  });

  describe('every Fastify error a client can meet is answered in the envelope, quoting nothing of the request', () => {
    /** How a client meets each of these: a real request carrying MARKER where it can. */
    const FROM_REQUESTS: Partial<Record<FastifyErrorCode, { status: number; send: () => Promise<Response> }>> = {
      // Nest answers a path no route takes before Fastify's own 404 could.
      FST_ERR_NOT_FOUND: { status: 404, send: () => t.http().get(`/api/${MARKER}`) },
      FST_ERR_BAD_URL: { status: 400, send: () => t.http().get(`/api/products/%zz${MARKER}`) },
      FST_ERR_MAX_PARAM_LENGTH: { status: 414, send: () => t.http().get(`/api/products/${MARKER.repeat(20)}`) },
      FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, send: () => t.http().post('/api/auth/login').set('content-type', `text/${MARKER}`).send(MARKER) },
      FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, send: () => t.http().post('/api/auth/login').set('content-type', 'application/json').send(JSON.stringify({ email: MARKER.repeat(1000) })) },
      FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, send: () => t.http().post('/api/auth/login').set('content-type', 'application/json').send(`{"${MARKER}":`) },
      FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, send: () => t.http().post('/api/auth/login').set('content-type', 'application/json').send('') },
    };
    /**
     * Raised while a request is handled, but only by options, hooks or calls this service does
     * not use (route schemas, async constraints, handler timeouts, QUERY routes, trailers, …):
     * the test below hands each to Fastify as a request's error instead.
     */
    const FROM_CODE_OR_OPTIONS: FastifyErrorCode[] = [
      'FST_ERR_VALIDATION', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_ERR_DEC_UNDECLARED', 'FST_ERR_ASYNC_CONSTRAINT',
      'FST_ERR_HANDLER_TIMEOUT', 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE', 'FST_ERR_ROUTE_MISSING_CONTENT',
      'FST_ERR_REP_INVALID_PAYLOAD_TYPE', 'FST_ERR_REP_RESPONSE_BODY_CONSUMED', 'FST_ERR_REP_READABLE_STREAM_LOCKED',
      'FST_ERR_REP_ALREADY_SENT', 'FST_ERR_REP_SENT_VALUE', 'FST_ERR_SEND_INSIDE_ONERR', 'FST_ERR_SEND_UNDEFINED_ERR',
      'FST_ERR_BAD_STATUS_CODE', 'FST_ERR_BAD_TRAILER_NAME', 'FST_ERR_BAD_TRAILER_VALUE', 'FST_ERR_FAILED_ERROR_SERIALIZATION',
      'FST_ERR_MISSING_SERIALIZATION_FN', 'FST_ERR_MISSING_CONTENTTYPE_SERIALIZATION_FN', 'FST_ERR_REQ_INVALID_VALIDATION_INVOCATION',
    ];
    /** Raised only while the server is configured, built, started or closed: never in answer to a request. */
    const AT_START_ONLY: FastifyErrorCode[] = [
      'FST_ERR_OPTIONS_NOT_OBJ', 'FST_ERR_QSP_NOT_FN', 'FST_ERR_SCHEMA_CONTROLLER_BUCKET_OPT_NOT_FN', 'FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN',
      'FST_ERR_AJV_CUSTOM_OPTIONS_OPT_NOT_OBJ', 'FST_ERR_AJV_CUSTOM_OPTIONS_OPT_NOT_ARR', 'FST_ERR_LISTEN_OPTIONS_INVALID',
      'FST_ERR_ERROR_HANDLER_NOT_FN', 'FST_ERR_ERROR_HANDLER_ALREADY_SET', 'FST_ERR_CTP_ALREADY_PRESENT', 'FST_ERR_CTP_INVALID_TYPE',
      'FST_ERR_CTP_EMPTY_TYPE', 'FST_ERR_CTP_INVALID_HANDLER', 'FST_ERR_CTP_INVALID_PARSE_TYPE', 'FST_ERR_CTP_INSTANCE_ALREADY_STARTED',
      'FST_ERR_DEC_ALREADY_PRESENT', 'FST_ERR_DEC_DEPENDENCY_INVALID_TYPE', 'FST_ERR_DEC_MISSING_DEPENDENCY', 'FST_ERR_DEC_AFTER_START',
      'FST_ERR_DEC_REFERENCE_TYPE', 'FST_ERR_HOOK_INVALID_TYPE', 'FST_ERR_HOOK_INVALID_HANDLER', 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER',
      'FST_ERR_HOOK_NOT_SUPPORTED', 'FST_ERR_MISSING_MIDDLEWARE', 'FST_ERR_HOOK_TIMEOUT', 'FST_ERR_LOG_INVALID_DESTINATION',
      'FST_ERR_LOG_INVALID_LOGGER', 'FST_ERR_LOG_INVALID_LOGGER_INSTANCE', 'FST_ERR_LOG_INVALID_LOGGER_CONFIG',
      'FST_ERR_LOG_LOGGER_AND_LOGGER_INSTANCE_PROVIDED', 'FST_ERR_LOG_INVALID_LOG_CONTROLLER', 'FST_ERR_SCH_MISSING_ID',
      'FST_ERR_SCH_ALREADY_PRESENT', 'FST_ERR_SCH_CONTENT_MISSING_SCHEMA', 'FST_ERR_SCH_DUPLICATE', 'FST_ERR_SCH_VALIDATION_BUILD',
      'FST_ERR_SCH_SERIALIZATION_BUILD', 'FST_ERR_SCH_RESPONSE_SCHEMA_NOT_NESTED_2XX', 'FST_ERR_INIT_OPTS_INVALID',
      'FST_ERR_FORCE_CLOSE_CONNECTIONS_IDLE_NOT_AVAILABLE', 'FST_ERR_DUPLICATED_ROUTE', 'FST_ERR_INVALID_URL', 'FST_ERR_ROUTE_OPTIONS_NOT_OBJ',
      'FST_ERR_ROUTE_DUPLICATED_HANDLER', 'FST_ERR_ROUTE_HANDLER_NOT_FN', 'FST_ERR_ROUTE_MISSING_HANDLER', 'FST_ERR_ROUTE_METHOD_INVALID',
      'FST_ERR_ROUTE_METHOD_NOT_SUPPORTED', 'FST_ERR_ROUTE_LOG_LEVEL_INVALID', 'FST_ERR_ROUTE_BODY_VALIDATION_SCHEMA_NOT_SUPPORTED',
      'FST_ERR_ROUTE_BODY_LIMIT_OPTION_NOT_INT', 'FST_ERR_ROUTE_HANDLER_TIMEOUT_OPTION_NOT_INT', 'FST_ERR_ROUTE_REWRITE_NOT_STR',
      'FST_ERR_REOPENED_CLOSE_SERVER', 'FST_ERR_REOPENED_SERVER', 'FST_ERR_INSTANCE_ALREADY_LISTENING', 'FST_ERR_PLUGIN_VERSION_MISMATCH',
      'FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE', 'FST_ERR_PLUGIN_INVALID_ASYNC_HANDLER', 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED',
      'FST_ERR_PLUGIN_CALLBACK_NOT_FN', 'FST_ERR_PLUGIN_NOT_VALID', 'FST_ERR_ROOT_PLG_BOOTED', 'FST_ERR_PARENT_PLUGIN_BOOTED',
      'FST_ERR_PLUGIN_TIMEOUT',
    ];

    /** The envelope, with the status, and nothing of MARKER anywhere in the answer. */
    function expectEnvelope(response: Response, status: number, what: string): void {
      const answer = { status: response.status, contentType: response.headers['content-type'], body: response.body };
      expect({ what, ...answer }).toEqual({
        what,
        status,
        contentType: expect.stringMatching(/^application\/json/),
        body: status >= 500
          ? { success: false, message: expect.any(String), errorId: expect.any(String) }
          : { success: false, message: expect.any(String) },
      });
      expect({ what, echoed: `${JSON.stringify(response.headers)} ${response.text}`.includes(MARKER) }).toEqual({ what, echoed: false });
    }

    it('knows every code Fastify has: a new one must be placed (met by requests, by code or options, or at start only)', () => {
      const placed = [...Object.keys(FROM_REQUESTS), ...FROM_CODE_OR_OPTIONS, ...AT_START_ONLY];
      expect(placed.length).toBe(new Set(placed).size);
      expect(Object.keys(errorCodes).filter((code) => !placed.includes(code))).toEqual([]);
      expect(placed.filter((code) => !Object.hasOwn(errorCodes, code))).toEqual([]);
    });

    it('answers each error a request can cause in the envelope', async () => {
      for (const [code, { status, send }] of Object.entries(FROM_REQUESTS)) expectEnvelope(await send(), status, code);
    });

    it('answers every Fastify error raised while handling a request in the envelope, at its status', async () => {
      const logged = mock.method(Logger.prototype, 'error', () => undefined);
      try {
        for (const code of Object.keys(errorCodes) as FastifyErrorCode[]) {
          const { statusCode } = new errorCodes[code]();
          expectEnvelope(await t.http().get(`/test-only/fastify-error/${code}`), statusCode ?? 500, code);
        }
      } finally {
        logged.mock.restore();
      }
    });
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

describe('Error envelope while the server closes (e2e)', () => {
  it('answers a request that arrives while the server closes with 503 in the envelope', async () => {
    let started = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    @Controller('test-only')
    class SlowController {
      @Get('slow')
      @Public()
      async slow(): Promise<{ ok: true }> {
        started = true;
        await gate;
        return { ok: true };
      }
    }
    const t = await createTestApp({ controllers: [SlowController] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const instance = t.app.getHttpAdapter().getInstance();
    const state = Object.getOwnPropertySymbols(instance).find((symbol) => symbol.description === 'fastify.state')!;
    const { port } = t.app.getHttpServer().address() as AddressInfo;

    // A request in flight keeps its connection open while the server closes; another request
    // arrives on that connection (pipelined) once the server has begun to close.
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /test-only/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await eventually(() => expect(started).toBe(true));
    const closed = t.close();
    await eventually(() => expect((instance as unknown as Record<symbol, { closing: boolean }>)[state].closing).toBe(true));
    // The server has the second request once Node hands it over (its answer waits for the first one's: HTTP/1.1 answers in order).
    let arrived = 0;
    t.app.getHttpServer().on('request', () => arrived++);
    socket.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await eventually(() => expect(arrived).toBe(1));
    release();
    await closed;
    // The 503 says `connection: close`: the server ends the connection.
    await ended;

    const second = received.slice(received.indexOf('HTTP/1.1 503 '));
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\ncontent-type: application\/json/i);
    expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toEqual({ success: false, message: 'The service is shutting down; retry later' });
  });
});
