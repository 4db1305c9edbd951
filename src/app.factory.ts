import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { DestinationStream } from 'pino';
import { bodyLimitRules, registerJsonBodyParsing } from './common/http-body.js';
import { createRootLogger, PinoLoggerService, registerRequestLogging, requestIdFor } from './common/logging.js';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/app-config.js';
import { buildOpenApiDocument, setupSwaggerUi } from './openapi.js';

/** The HTTP adapter and the logger every application instance is created with. */
export function createAppParts(config: AppConfig, logDestination?: DestinationStream) {
  const root = createRootLogger(config, logDestination);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    loggerInstance: root,
    // One line per response comes from registerRequestLogging instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
  });
  // Our own JSON-only parser instead of Nest's (which would also take forms); it keeps the exact
  // bytes received on `request.rawBody`, as Nest's `rawBody: true` would, for webhook signatures.
  registerJsonBodyParsing(adapter.getInstance(), { bodyLimitBytes: config.bodyLimitBytes, rules: bodyLimitRules(config) });
  const options = { bodyParser: false, logger: new PinoLoggerService(root), abortOnError: false } as const;
  return { adapter, options };
}

export async function createApp(config: AppConfig, mongodbUri: string): Promise<NestFastifyApplication> {
  const { adapter, options } = createAppParts(config);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot({ config, mongodbUri }), adapter, options);
  return configureApp(app);
}

/**
 * Everything that is configured on the application object rather than in AppModule. The e2e
 * tests build their app from a TestingModule and pass it through here, so they run exactly
 * this code.
 */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(AppConfig);
  // The React app calls from the browser; only its origins get CORS headers. Bearer tokens, not
  // cookies, so no credentials mode.
  app.enableCors({
    origin: config.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  // Fastify's own errors (malformed JSON, wrong content type, oversized body, a body of a shape
  // we refuse) already reach Nest's exception filters, so AllExceptionsFilter gives them the
  // envelope too.
  registerRequestLogging(app.getHttpAdapter().getInstance());

  setupSwaggerUi(app, buildOpenApiDocument(app));
  return app;
}
