import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from './define-config.js';
import { AsNumber, parseOrigins, parseTrustProxy } from './env-values.js';

class HttpEnvironment {
  @AsNumber()
  @Min(0)
  @Max(65535)
  @IsInt()
  PORT = 5000;

  @IsString()
  HOST = '0.0.0.0';

  /**
   * Which proxies in front of the service to believe about the client address
   * (X-Forwarded-For): `true` (all), a number of hops, or comma-separated addresses / CIDRs.
   * Unset: none, the client address is the connection's.
   */
  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @AsNumber()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  @IsInt()
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** Largest body of a webhook call (routes under /internal/ and /api/webhook/). */
  @AsNumber()
  @Min(1024)
  @Max(50 * 1024 * 1024)
  @IsInt()
  WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

  /**
   * How long a client has to send a whole request, headers and body (408 after that), so a body
   * trickled a byte at a time cannot hold a connection open.
   */
  @AsNumber()
  @Min(100)
  @Max(10 * 60_000)
  @IsInt()
  REQUEST_TIMEOUT_MS = 30_000;

  /** A connection with no traffic for this long is closed (also bounds a handler's time). */
  @AsNumber()
  @Min(1000)
  @Max(60 * 60_000)
  @IsInt()
  CONNECTION_TIMEOUT_MS = 120_000;

  /**
   * Comma-separated browser origins allowed to call the API (the React app). Unset: the usual
   * local dev-server origins in development, none in production.
   */
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  /**
   * Whether Swagger UI (/docs) and the OpenAPI document (/docs/openapi.json) are served. Unset:
   * served except in production, where the API's whole surface is not shown to anyone who asks.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  DOCS_ENABLED?: 'true' | 'false';

  /**
   * After SIGTERM, how long /health/ready answers 503 before the server stops taking requests,
   * so a load balancer sees it and drains. Default: 5000 in production, 0 otherwise.
   */
  @IsOptional()
  @AsNumber()
  @Min(0)
  @Max(120_000)
  @IsInt()
  SHUTDOWN_READINESS_DELAY_MS?: number;
}

function check(env: HttpEnvironment): string[] {
  const problems = parseOrigins(env.CORS_ORIGINS ?? '')
    .filter((origin) => !/^https?:\/\/[^/\s]+$/.test(origin))
    .map((origin) => `CORS_ORIGINS: ${origin} is not an origin like https://app.example.com`);
  if (env.TRUST_PROXY !== undefined && parseTrustProxy(env.TRUST_PROXY) === undefined) {
    problems.push('TRUST_PROXY must be true, false, a number of hops, or comma-separated addresses / CIDRs');
  }
  return problems;
}

/** The HTTP server (main.ts, app.factory.ts): where it listens, what it believes and accepts, how it stops. */
export const httpConfig = defineConfig(
  'http',
  HttpEnvironment,
  (env, { isProduction }) => ({
    port: env.PORT,
    host: env.HOST,
    /** Fastify's `trustProxy`: which proxies may tell the client address. */
    trustProxy: env.TRUST_PROXY === undefined ? false : parseTrustProxy(env.TRUST_PROXY)!,
    /** The largest body elsewhere; login and webhooks have their own (src/common/http-body.ts). */
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    webhookBodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
    /** A whole request must arrive within `requestMs`; an idle connection is closed after `connectionMs`. */
    timeouts: { requestMs: env.REQUEST_TIMEOUT_MS, connectionMs: env.CONNECTION_TIMEOUT_MS },
    /** Browser origins allowed by CORS; anything else gets no CORS headers. */
    corsOrigins: parseOrigins(env.CORS_ORIGINS ?? (isProduction ? '' : 'http://localhost:3000,http://localhost:5173')),
    /** Swagger UI and the OpenAPI document at /docs (off in production unless DOCS_ENABLED). */
    docsEnabled: (env.DOCS_ENABLED ?? String(!isProduction)) === 'true',
    /** After SIGTERM: how long readiness fails before the server stops taking requests. */
    shutdownReadinessDelayMs: env.SHUTDOWN_READINESS_DELAY_MS ?? (isProduction ? 5000 : 0),
  }),
  { check },
);
export type HttpConfig = ConfigType<typeof httpConfig>;
