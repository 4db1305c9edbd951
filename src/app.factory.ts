import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { LogController } from 'fastify';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as Pino } from 'pino';
import { BadRequestException } from '@nestjs/common';
import { toErrorResponse } from './common/all-exceptions.filter.js';
import { clientErrorHandler, frameworkErrorHandler, registerClosingAnswer } from './logging/client-errors.js';
import { bodyLimitRules, registerJsonBodyParsing } from './common/http-body.js';
import { registerSecurityHeaders } from './common/security-headers.js';
import { createRootLogger, PinoLoggerService, registerRequestLogging, requestIdFor } from './logging/logging.js';
import { AppModule } from './app.module.js';
import type { AppConfig } from './app.config.js';
import { httpConfig, type HttpConfig } from './config/http.config.js';
import { registerDashboard } from './monitoring/dashboard.static.js';
import { registerRequestMetrics } from './monitoring/http-metrics.js';
import { MetricsService } from './metrics/metrics.service.js';
import { buildOpenApiDocument, setupSwaggerUi } from './openapi.js';
import { PasswordHasher } from './users/password-hasher.js';

/** The login route, whose password checks are bounded (PasswordHasher). */
const LOGIN_ROUTE = '/api/auth/login';

/** The HTTP adapter and the logger every application instance is created with. */
export function createAppParts(config: AppConfig, logDestination?: DestinationStream, root = createRootLogger(config, logDestination)) {
  const { http } = config;
  const adapter = new FastifyAdapter({
    bodyLimit: http.bodyLimitBytes,
    loggerInstance: root,
    // One line per response comes from registerRequestLogging instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    // The client address (rate limits, login locks, logs) comes from X-Forwarded-For only when
    // TRUST_PROXY says which proxies to believe.
    trustProxy: typeof http.trustProxy === 'number' ? hopsToTrust(http.trustProxy) : http.trustProxy,
    // A whole request must arrive in time (408 otherwise); Node checks at the interval given, so
    // the timeout takes effect within a fraction of itself.
    requestTimeout: http.timeouts.requestMs,
    connectionTimeout: http.timeouts.connectionMs,
    http: {
      requestTimeout: http.timeouts.requestMs,
      headersTimeout: http.timeouts.requestMs,
      connectionsCheckingInterval: Math.min(1000, Math.ceil(http.timeouts.requestMs / 4)),
    },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    // Answered in the envelope instead, by registerClosingAnswer.
    return503OnClosing: false,
  });
  // Our own JSON-only parser instead of Nest's (which would also take forms); it keeps the exact
  // bytes received on `request.rawBody`, as Nest's `rawBody: true` would, for webhook signatures.
  registerJsonBodyParsing(adapter.getInstance(), { bodyLimitBytes: http.bodyLimitBytes, rules: bodyLimitRules(http) });
  const options = { bodyParser: false, logger: new PinoLoggerService(root), abortOnError: false } as const;
  return { adapter, options };
}

/** A number of proxy hops as Fastify's trust function (its option type has no number). */
function hopsToTrust(hops: number) {
  return (_address: string, hop: number) => hop < hops;
}

export async function createApp(config: AppConfig, mongodbUri: string, root = createRootLogger(config)): Promise<NestFastifyApplication> {
  const { adapter, options } = createAppParts(config, undefined, root);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, mongodbUri, logger: root }), adapter, options);
  return configureApp(app);
}

/**
 * Everything that is configured on the application object rather than in AppModule. The e2e
 * tests build their app from a TestingModule and pass it through here, so they run exactly
 * this code.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get<HttpConfig>(httpConfig.KEY);
  const instance = app.getHttpAdapter().getInstance();
  // First of the hooks: while closing, nothing else runs.
  registerClosingAnswer(instance);
  // The React app calls from the browser; only its origins get CORS headers. Bearer tokens, not
  // cookies, so no credentials mode.
  const cors = {
    origin: config.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  };
  // Decided per request: an OPTIONS request that is no complete preflight goes on like any other
  // request (to its route, e.g. a webhook provider's reachability check, or to a 404) instead of
  // the CORS plugin's plain-text 400; a preflight without an Origin is refused below.
  app.enableCors({
    delegator: (request, callback) => {
      const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'];
      callback(null, request.method !== 'OPTIONS' || (preflight && request.headers.origin) ? cors : { origin: false });
    },
  });
  registerSecurityHeaders(instance);
  instance.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] && !request.headers.origin) {
      // Answered here: the CORS plugin's catch-all OPTIONS route would not reach our filter.
      const { status, body } = toErrorResponse(new BadRequestException('A CORS preflight request needs an Origin header'));
      void reply.code(status).send(body);
      return;
    }
    done();
  });
  // Fastify's own errors (malformed JSON, wrong content type, oversized body, a body of a shape
  // we refuse) already reach Nest's exception filters, so AllExceptionsFilter gives them the
  // envelope too.
  registerRequestLogging(instance);
  // Nest's Logger writes through nestjs-pino from here on: lines written while handling a request
  // carry its reqId.
  app.useLogger(app.get(NestPinoLogger));
  registerRequestMetrics(instance, app.get(MetricsService));
  registerLoginShedding(instance, app.get(PasswordHasher));

  if (config.docsEnabled) setupSwaggerUi(app, buildOpenApiDocument(app));
  registerDashboard(instance);
  return app;
}

/**
 * A login that would only be told "too many sign-ins" is told so before its body is read or any
 * guard, pipe or database write runs: under a flood from many addresses, most logins end here,
 * and each costs the webhooks on the same cores next to nothing.
 */
function registerLoginShedding(instance: FastifyInstance, hasher: PasswordHasher): void {
  instance.addHook('onRequest', (request, reply, done) => {
    const refusal = request.method === 'POST' && request.routeOptions.url === LOGIN_ROUTE ? hasher.refusal() : undefined;
    if (!refusal) {
      done();
      return;
    }
    const { status, body } = toErrorResponse(refusal);
    void reply.code(status).header('retry-after', String(refusal.retryAfterSeconds)).send(body);
  });
}

