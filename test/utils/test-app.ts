import { Provider, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { getConnectionToken } from '@nestjs/mongoose';
import { Connection } from 'mongoose';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { configureApp, createAppParts } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { createRootLogger } from '../../src/logging/logging.js';
import { loadConfig, type AppConfig } from '../../src/app.config.js';
import { Factories } from './factories.js';
import { testMongoUri, uniqueDatabaseName, withDatabase } from './mongo-uri.js';

export const TEST_SECRETS = {
  JWT_SECRET: 'test-jwt-secret-that-is-long-enough-0123456789',
  RCK_WEBHOOK_SECRET: 'whsec_dGVzdC1yY2std2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ==',
  HEYGEN_WEBHOOK_SECRET: 'test-heygen-webhook-secret-0123456789',
  HEYGEN_API_KEY: 'test-heygen-api-key-0123456789',
  // Not secrets, but required in production like them: the React app links point here, and
  // production without SMTP_URL must say it knowingly runs on the outbox (no effect elsewhere).
  APP_URL: 'https://app.videogen.example.com',
  ALLOW_MAIL_OUTBOX: 'true',
};

/**
 * Jobs are picked up within 50 ms. The short lock lifetime is for the test process's sake: agenda
 * starts a timer of lockLifetime / 2 for every run and never clears it, so with the 60 s default
 * each spec file that ran a job would stay alive 30 s after its last test.
 */
export const TEST_JOBS = {
  JOBS_PROCESS_EVERY_MS: '50',
  JOBS_LOCK_LIFETIME_MS: '5000',
  JOBS_SHUTDOWN_GRACE_MS: '500',
};

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  given: Factories;
  connection: Connection;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string | undefined>;
  /** Extra controllers mounted beside the real ones (only for pipeline tests, e.g. a route that throws). */
  controllers?: Type<unknown>[];
  /** Where log lines go (JSON, one per line); silent by default. */
  logDestination?: DestinationStream;
  /** A server of the test's own instead of the run's shared one (e.g. to stop it mid-test). */
  mongoServerUri?: string;
  /**
   * A database shared with other instances (several service instances on one database). The
   * caller owns it: close() leaves it in place; drop it with `connection.dropDatabase()` first.
   */
  dbName?: string;
  /** Extra providers beside the real ones (e.g. test-only job definitions that inject JobRunner). */
  providers?: Provider[];
  /**
   * Real providers replaced for the test: by a value (e.g. the Clock by one the test moves), or
   * by a class (e.g. `hookable(X)`, a subclass whose methods the test can hook).
   */
  overrides?: Array<{ provide: unknown; useValue: unknown } | { provide: unknown; useClass: Type<unknown> }>;
}

/**
 * The real application (AppModule with its APP_* pipeline, configureApp, Fastify) on a database
 * of its own, served over real HTTP through supertest.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // Every test logs in, and sends its refused webhook deliveries, from the same address; specs
  // about the per-address limits set their own.
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    LOGIN_RATE_LIMIT_MAX: '10000',
    WEBHOOK_REFUSED_RATE_LIMIT_MAX: '10000',
    ...TEST_SECRETS,
    ...TEST_JOBS,
    ...options.env,
  });
  const mongodbUri = withDatabase(options.mongoServerUri ?? testMongoUri(), options.dbName ?? uniqueDatabaseName('e2e'));
  const logger = createRootLogger(config, options.logDestination);
  await freshNestPino();
  const builder = Test.createTestingModule({
    imports: [AppModule.forRoot({ config, mongodbUri, logger })],
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  });
  for (const override of options.overrides ?? []) {
    if ('useClass' in override) builder.overrideProvider(override.provide).useClass(override.useClass);
    else builder.overrideProvider(override.provide).useValue(override.useValue);
  }
  const moduleRef = await builder.compile();
  const { adapter, options: appOptions } = createAppParts(config, undefined, logger);
  const app = configureApp(moduleRef.createNestApplication<NestFastifyApplication>(adapter, appOptions));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const connection = app.get<Connection>(getConnectionToken());
  await Promise.all(Object.values(connection.models).map((model) => model.init()));
  return {
    app,
    config,
    connection,
    http: () => request(app.getHttpServer()),
    given: new Factories(app),
    close: async () => {
      if (!options.dbName) await connection.dropDatabase().catch(() => undefined);
      await app.close();
    },
  };
}

/**
 * nestjs-pino keeps one root logger per process (in a pino-http instance), made from the first
 * configuration it sees; a process runs one application, but a spec file runs several, each with
 * its own log level and destination. Its own reset for tests is not exported, so it is imported from the
 * file beside the package's entry point.
 */
async function freshNestPino(): Promise<void> {
  const file = new URL('./PinoLogger.js', import.meta.resolve('nestjs-pino'));
  const { __resetOutOfContextForTests } = (await import(file.href)) as { __resetOutOfContextForTests: () => void };
  __resetOutOfContextForTests();
}
