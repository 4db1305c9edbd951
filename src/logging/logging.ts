import { LoggerService, RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DestinationStream, pino, Logger as Pino } from 'pino';
import type { LoggingConfig } from './logging.config.js';
import { secretHeaderNames } from './secret-headers.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Body fields (and response headers) that must never reach a log line; request headers: SECRET_HEADERS. */
const REDACTED_FIELD_PATHS = [
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.secret',
  '*.token',
];

/**
 * Every path redacted in log lines: the fields above and the secret request headers, including
 * the signature headers configured in HEYGEN_SIGNATURE_HEADERS.
 */
export function redactedPaths(config: LoggerConfig): string[] {
  return [...[...secretHeaderNames(config.webhooks)].map((name) => `req.headers[${JSON.stringify(name)}]`), ...REDACTED_FIELD_PATHS];
}

/** Query parameters logged as `[REDACTED]`, like the body fields above (compared without case, `-` or `_`). */
const REDACTED_QUERY_PARAMETERS = new Set([
  'password',
  'passwordhash',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'secret',
  'clientsecret',
  'signature',
  'apikey',
]);

/** A URL as it may be logged: the values of credential-like query parameters replaced. */
export function redactUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const parameters = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals === -1) return pair;
      const name = safeDecode(pair.slice(0, equals)).toLowerCase().replace(/[-_]/g, '');
      return REDACTED_QUERY_PARAMETERS.has(name) ? `${pair.slice(0, equals)}=[REDACTED]` : pair;
    });
  return `${url.slice(0, query + 1)}${parameters.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * How a request appears in any log line (Fastify's own serializer would drop the headers and,
 * for the objects we log, the client address): credentials are then redacted by redactedPaths().
 */
function serializeRequest(req: { method?: string; url?: string; headers?: unknown; remoteAddress?: string; ip?: string }) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    remoteAddress: req.remoteAddress ?? req.ip,
    headers: req.headers,
  };
}

/** What the root logger reads: its own slice, and the webhook signature headers it redacts. */
export interface LoggerConfig {
  readonly logging: LoggingConfig;
  readonly webhooks: { readonly heygenSignatureHeaders: readonly string[] };
}

/**
 * JSON lines in production and tests; readable lines in development. `destination` is for tests
 * that read what was logged.
 */
export function createRootLogger(config: LoggerConfig, destination?: DestinationStream): Pino {
  const options = {
    level: config.logging.level,
    redact: { paths: redactedPaths(config), censor: '[REDACTED]' },
    serializers: { req: serializeRequest },
  };
  if (destination) return pino(options, destination);
  if (config.logging.pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options);
}

/** An incoming `X-Request-Id` is kept when it is sane; otherwise a new one is made. */
export function requestIdFor(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Every route, for nestjs-pino's middleware (its default, under Fastify's middleware layer, would log only `/`). */
export const LOGGED_ROUTES = [{ path: '{*splat}', method: RequestMethod.ALL }];

/**
 * The level of a response's line: error for 5xx, warn for 4xx. A 503 sent with `Retry-After` is
 * a refusal we chose (busy, not broken: RetryLaterException, a shed login), so it is a warning:
 * under a flood of logins, an error line each would bury the errors that need someone.
 */
function levelFor(status: number, reply: FastifyReply): 'error' | 'warn' | 'info' {
  if (status === 503 && reply.hasHeader('retry-after')) return 'warn';
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/** The message of the one line per response, whichever of the two paths below writes it. */
const requestCompleted = 'request completed';

/**
 * nestjs-pino's options. Its middleware (on every route) binds the request's logger, Fastify's
 * child of the root logger with the request id Fastify gave the request (middie copies it to the
 * raw request), so every line written while handling a request carries it as `reqId`. It is
 * told to use that logger (`useExisting`) rather than run pino-http: pino-http made two more
 * child loggers per request, one serializing and redacting the whole request up front even when
 * no line would be written, about 3.5 % of the service's CPU on the ingest benchmark. The one
 * line per response comes from registerRequestLogging. `pinoHttp` only gives nestjs-pino the root
 * logger for lines written outside a request.
 */
export function nestPinoParams(root: Pino): Params {
  return { pinoHttp: { logger: root }, forRoutes: LOGGED_ROUTES, useExisting: true };
}

/**
 * The request logging hooks: the request id is echoed in `X-Request-Id`, a request's arrival is
 * logged at debug level, and every response gets one `request completed` line (warn for 4xx and
 * for a 503 with Retry-After, error for other 5xx) with the request (redacted), the status and the response time, whether Nest
 * answered it or Fastify did before Nest saw it (a CORS preflight, a malformed body, a 503 while
 * shutting down). (A line below the log level costs pino nothing: it is not serialized.)
 */
export function registerRequestLogging(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    request.log.debug({ req: { method: request.method, url: request.url, remoteAddress: request.ip } }, 'request received');
    done();
  });
  instance.addHook('onResponse', (request, reply, done) => {
    logRequestCompleted(request, reply);
    done();
  });
}

/** The one `request completed` line of a response (also for those answered before any hook, see frameworkErrorHandler). */
export function logRequestCompleted(request: FastifyRequest, reply: FastifyReply): void {
  if (request.url === '/health') return;
  request.log[levelFor(reply.statusCode, reply)](
    {
      req: { method: request.method, url: request.url, headers: request.headers, remoteAddress: request.ip },
      res: { statusCode: reply.statusCode },
      responseTime: Math.round(reply.elapsedTime),
    },
    requestCompleted,
  );
}

/**
 * Nest's logger interface over pino, tagging each line with its context: Nest's Logger writes
 * through it until the application exists (start-up, the embedded database); from then on
 * nestjs-pino's Logger, which adds the request id, takes over (configureApp).
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Pino) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]) {
    // Nest passes the context as the last string parameter (and a stack before it for errors).
    const context = typeof params.at(-1) === 'string' ? (params.pop() as string) : undefined;
    const bindings: Record<string, unknown> = { ...(context && { context }) };
    if (typeof message === 'object' && message !== null && !(message instanceof Error)) {
      const { msg, ...fields } = message as Record<string, unknown>;
      const text = typeof params[0] === 'string' ? params[0] : typeof msg === 'string' ? msg : undefined;
      this.logger[level]({ ...bindings, ...fields }, text);
      return;
    }
    if (message instanceof Error) {
      this.logger[level]({ ...bindings, err: message }, message.message);
      return;
    }
    const stack = level === 'error' && typeof params[0] === 'string' ? params[0] : undefined;
    this.logger[level]({ ...bindings, ...(stack && { stack }) }, String(message));
  }
}
