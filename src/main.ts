import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { config as loadDotEnv } from 'dotenv';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { createApp } from './app.factory.js';
import { errorMessage } from './common/error-message.js';
import { createRootLogger, PinoLoggerService } from './logging/logging.js';
import { loadConfig, type AppConfig } from './app.config.js';
import { ConfigValidationError } from './config/config-validation.error.js';
import { EmbeddedDatabase, startEmbeddedDatabase } from './database/embedded-database.js';
import { ShutdownState } from './health/shutdown-state.js';

/** How long in-flight requests get to finish after SIGTERM before connections are cut. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  loadDotEnv({ quiet: true });
  const config = loadConfigOrExit();
  // One logger from the first line on, so every line in production is JSON: Nest's static
  // Logger (used before the app exists, e.g. by the embedded database) writes through it too.
  const root = createRootLogger(config);
  Logger.overrideLogger(new PinoLoggerService(root));
  const logger = new Logger('Bootstrap');
  if (config.runtime.isProduction) {
    // Node's own warnings (deprecations) would otherwise be plain text on stderr.
    process.removeAllListeners('warning');
    process.on('warning', (warning) => logger.warn({ warning: { name: warning.name, code: (warning as { code?: string }).code } }, warning.message));
  }
  for (const warning of config.warnings) logger.warn(`⚠ ${warning.message}`);
  // Before anything starts (the embedded database, the job runner), so a second instance on the
  // same port stops at once instead of running jobs it cannot serve.
  await assertPortFree(config.http.port, config.http.host);

  let embedded: EmbeddedDatabase | undefined;
  let mongodbUri = config.database.mongodbUri;
  if (!mongodbUri) {
    embedded = await startEmbeddedDatabase(config.database.dataDir, config.database.embeddedDb);
    mongodbUri = embedded.uri;
  }

  const app = await createApp(config, mongodbUri, root);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.get(ShutdownState).begin();
    const delay = config.http.shutdownReadinessDelayMs;
    if (delay > 0) {
      logger.log(`${signal} received: /health/ready answers 503; still taking requests for ${delay} ms while load balancers drain`);
      await sleep(delay);
    }
    logger.log(`${signal} received: finishing in-flight requests`);
    // Fastify stops accepting connections and waits for in-flight requests. Keep-alive
    // connections that go idle meanwhile are closed at once instead of after their timeout, and
    // whatever is still open after the grace period is cut.
    const server = app.getHttpServer() as Server;
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    // Something else hanging (a database that does not answer) must not keep the process alive.
    setTimeout(() => {
      logger.error(`Shutdown did not finish within ${SHUTDOWN_GRACE_MS + 5000} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 5000).unref();
    let exitCode = 0;
    try {
      await app.close();
    } catch (error) {
      exitCode = 1;
      logger.error(`Closing the application failed: ${errorMessage(error)}`);
    } finally {
      clearInterval(idle);
      clearTimeout(deadline);
    }
    try {
      // The embedded database writes its last snapshot here, whatever happened above.
      await embedded?.stop();
    } catch (error) {
      exitCode = 1;
      logger.error(`Stopping the embedded database failed: ${errorMessage(error)}`);
    }
    logger.log(exitCode === 0 ? 'Stopped' : 'Stopped, with errors (see above)');
    root.flush(() => process.exit(exitCode));
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.http.port, host: config.http.host });
  logger.log(`Listening on http://${config.http.host}:${config.http.port} (docs at /docs)`);
}

/** Exits with one line when something already listens on the port (EADDRINUSE, EACCES). */
async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  try {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'is already in use (another instance?)' : `cannot be used (${code ?? String(error)})`;
    throw new Error(`Port ${port} on ${host} ${reason}; set PORT to a free port`);
  }
}

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      // No configuration, so no logger yet: JSON in production, as every other line there.
      if (process.env.NODE_ENV === 'production') pino().fatal({ problems: error.problems }, error.message);
      else console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

main().catch((error: unknown) => {
  new Logger('Bootstrap').fatal(`Fatal start-up error: ${errorMessage(error)}`);
  process.exit(1);
});
