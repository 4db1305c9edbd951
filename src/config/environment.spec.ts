import { describe, it } from 'node:test';
import { expect } from 'expect';
import { AppConfig } from './app-config.js';
import { ConfigValidationError, validateEnvironment } from './environment.js';

const secrets = {
  MONGODB_URI: 'mongodb://db.example.com:27017/videogen',
  JWT_SECRET: 'j'.repeat(40),
  RCK_WEBHOOK_SECRET: 'whsec_' + Buffer.from('r'.repeat(24)).toString('base64'),
  HEYGEN_WEBHOOK_SECRET: 'h'.repeat(20),
  HEYGEN_API_KEY: 'k'.repeat(20),
  APP_URL: 'https://app.example.com',
  SMTP_URL: 'smtp://mailer:pw@smtp.example.com:587',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    validateEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies documented defaults in development', () => {
    const config = AppConfig.fromEnvironment({});
    expect(config).toEqual(expect.objectContaining({ nodeEnv: 'development', port: 5000, mongodbUri: undefined, bodyLimitBytes: 1048576 }));
  });

  it('requires every secret in production and names each missing one', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET is required when NODE_ENV=production',
      'RCK_WEBHOOK_SECRET is required when NODE_ENV=production',
      'HEYGEN_WEBHOOK_SECRET is required when NODE_ENV=production',
      'HEYGEN_API_KEY is required when NODE_ENV=production',
      'SMTP_URL is required when NODE_ENV=production (set ALLOW_MAIL_OUTBOX=true to only write e-mails to the outbox folder)',
      'APP_URL is required when NODE_ENV=production (the links in e-mails and chat messages)',
      'MONGODB_URI is required when NODE_ENV=production (set ALLOW_EMBEDDED_DB=true to run on the embedded database)',
    ]);
    expect(problemsOf({ NODE_ENV: 'production', ...secrets })).toEqual([]);
    const { SMTP_URL: _smtp, ...withoutSmtp } = secrets;
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...withoutSmtp, ALLOW_MAIL_OUTBOX: 'true' }).warnings.map((w) => w.variable)).toContain('SMTP_URL');
    const { MONGODB_URI: _uri, ...withoutUri } = secrets;
    expect(problemsOf({ NODE_ENV: 'production', ...withoutUri, ALLOW_EMBEDDED_DB: 'true' })).toEqual([]);
  });

  it('warns loudly in development when secrets are missing, and uses a random JWT secret', () => {
    const first = AppConfig.fromEnvironment({});
    const second = AppConfig.fromEnvironment({});
    expect(first.warnings.map((w) => w.variable)).toEqual(['JWT_SECRET', 'RCK_WEBHOOK_SECRET', 'HEYGEN_WEBHOOK_SECRET', 'HEYGEN_API_KEY']);
    expect(first.jwt.secret).toHaveLength(64);
    expect(first.jwt.secret).not.toBe(second.jwt.secret);
    expect(AppConfig.fromEnvironment(secrets).warnings).toEqual([]);
  });

  for (const [env, variable] of [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ MONGODB_URI: 'postgres://x' }, 'MONGODB_URI'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ SERVER_URL: 'not a url' }, 'SERVER_URL'],
    [{ BODY_LIMIT_BYTES: '10' }, 'BODY_LIMIT_BYTES'],
    [{ WEBHOOK_BODY_LIMIT_BYTES: '10' }, 'WEBHOOK_BODY_LIMIT_BYTES'],
    [{ REQUEST_TIMEOUT_MS: '0' }, 'REQUEST_TIMEOUT_MS'],
    [{ LOGIN_RATE_LIMIT_MAX: '0' }, 'LOGIN_RATE_LIMIT_MAX'],
    [{ TRUST_PROXY: 'the load balancer' }, 'TRUST_PROXY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LOGIN_MAX_FAILURES: '0' }, 'LOGIN_MAX_FAILURES'],
    [{ CORS_ORIGINS: 'http://ok.example.com, *.example.com' }, 'CORS_ORIGINS'],
    // agenda reads '200 milliseconds' as 200 seconds, so only a plain number is accepted.
    [{ JOBS_PROCESS_EVERY_MS: '200 milliseconds' }, 'JOBS_PROCESS_EVERY_MS'],
    [{ JOBS_LOCK_LIFETIME_MS: '10' }, 'JOBS_LOCK_LIFETIME_MS'],
    [{ JOBS_CONCURRENCY: '0' }, 'JOBS_CONCURRENCY'],
    [{ JOBS_SHUTDOWN_GRACE_MS: '60000' }, 'JOBS_SHUTDOWN_GRACE_MS'],
    [{ HEYGEN_API_URL: 'api.heygen.com' }, 'HEYGEN_API_URL'],
    [{ HEYGEN_SIGNATURE_HEADERS: 'X-Sig, "X-Other"' }, 'HEYGEN_SIGNATURE_HEADERS'],
    [{ HEYGEN_RECONCILE_AFTER_MINUTES: '0' }, 'HEYGEN_RECONCILE_AFTER_MINUTES'],
    [{ HEYGEN_MAX_PROCESSING_HOURS: '0' }, 'HEYGEN_MAX_PROCESSING_HOURS'],
    [{ SMTP_URL: 'mail.example.com:25' }, 'SMTP_URL'],
    [{ WEBHOOK_EVENT_RETENTION_DAYS: '-1' }, 'WEBHOOK_EVENT_RETENTION_DAYS'],
    [{ WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: 'a week' }, 'WEBHOOK_EVENT_REFUSED_RETENTION_DAYS'],
    [{ WEBHOOK_REFUSED_RATE_LIMIT_MAX: '0' }, 'WEBHOOK_REFUSED_RATE_LIMIT_MAX'],
    [{ WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS: '0' }, 'WEBHOOK_REFUSED_RATE_LIMIT_WINDOW_SECONDS'],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} with a message naming ${variable}`, () => {
      const problems = problemsOf(env as Record<string, string>);
      expect(problems).toHaveLength(1);
      expect(problems[0].startsWith(variable)).toBe(true);
    });
  }

  it('allows the local dev servers by CORS in development only, and normalises origins', () => {
    expect(AppConfig.fromEnvironment({}).corsOrigins).toEqual(['http://localhost:3000', 'http://localhost:5173']);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...secrets }).corsOrigins).toEqual([]);
    expect(AppConfig.fromEnvironment({ CORS_ORIGINS: ' https://App.Example.com/ ,http://x.test:8080' }).corsOrigins)
      .toEqual(['https://app.example.com', 'http://x.test:8080']);
  });

  it('gives the job runner its documented defaults, overridable in milliseconds', () => {
    expect(AppConfig.fromEnvironment({}).jobs).toEqual({ processEveryMs: 1000, lockLifetimeMs: 60_000, concurrency: 10, shutdownGraceMs: 5000 });
    expect(AppConfig.fromEnvironment({ JOBS_PROCESS_EVERY_MS: '50', JOBS_LOCK_LIFETIME_MS: '500', JOBS_CONCURRENCY: '3' }).jobs)
      .toEqual({ processEveryMs: 50, lockLifetimeMs: 500, concurrency: 3, shutdownGraceMs: 5000 });
  });

  it('takes several RCK secrets for a rotation, with or without whsec_, and refuses what is not base64', () => {
    const a = Buffer.from('a'.repeat(24));
    const b = Buffer.from('b'.repeat(32));
    const config = AppConfig.fromEnvironment({ RCK_WEBHOOK_SECRET: `whsec_${a.toString('base64')}, ${b.toString('base64')}` });
    expect(config.webhooks.rckKeys).toEqual([a, b]);
    expect(problemsOf({ RCK_WEBHOOK_SECRET: 'not-base64-secret-of-length' })[0]).toMatch(/^RCK_WEBHOOK_SECRET: each secret must be whsec_<base64>/);
    expect(problemsOf({ RCK_WEBHOOK_SECRET: `whsec_${Buffer.from('short').toString('base64')}` })).toHaveLength(1);
  });

  it('gives the RCK flow its documented defaults', () => {
    expect(AppConfig.fromEnvironment({}).videos).toEqual({
      bulkMaxProducts: 1000, rckBatchSize: 50, rckTimeoutMs: 15_000, dispatchBackoffMs: 5000, dispatchMaxAttempts: 6,
      orphanTimeoutMs: 120 * 60_000, maintenanceIntervalMs: 60_000, maxRetries: 3,
    });
  });

  it('keeps webhook events 90 days and refused ones 7 by default; 0 keeps them forever', () => {
    const events = (env: Record<string, string>) => AppConfig.fromEnvironment(env).webhookEvents;
    expect(events({})).toEqual(expect.objectContaining({ retentionDays: 90, refusedRetentionDays: 7 }));
    expect(events({ WEBHOOK_EVENT_RETENTION_DAYS: '0' })).toEqual(expect.objectContaining({ retentionDays: undefined, refusedRetentionDays: 7 }));
    expect(events({ WEBHOOK_EVENT_REFUSED_RETENTION_DAYS: '0' })).toEqual(expect.objectContaining({ retentionDays: 90, refusedRetentionDays: undefined }));
    // Refused events are never kept longer than the others: the shorter setting wins.
    expect(events({ WEBHOOK_EVENT_RETENTION_DAYS: '5' })).toEqual(expect.objectContaining({ retentionDays: 5, refusedRetentionDays: undefined }));
    expect(AppConfig.fromEnvironment({}).webhookRefusals).toEqual({ max: 60, windowMs: 60_000 });
  });

  it('reads TRUST_PROXY as Fastify takes it', () => {
    expect(AppConfig.fromEnvironment({}).trustProxy).toBe(false);
    expect(AppConfig.fromEnvironment({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(AppConfig.fromEnvironment({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(AppConfig.fromEnvironment({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy).toEqual(['10.0.0.0/8', '::1']);
  });

  it('allows image URLs at internal addresses in development only, unless told', () => {
    expect(AppConfig.fromEnvironment({}).allowInternalImageUrls).toBe(true);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...secrets }).allowInternalImageUrls).toBe(false);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'test' }).allowInternalImageUrls).toBe(false);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...secrets, IMAGE_URLS_ALLOW_PRIVATE: 'true' }).allowInternalImageUrls).toBe(true);
  });

  it('gives outbound webhooks their defaults: local addresses allowed except in production', () => {
    expect(AppConfig.fromEnvironment({}).outbound).toEqual({ allowPrivateUrls: true, timeoutMs: 15_000, disableAfterMs: 5 * 24 * 3600_000, sweepIntervalMs: 60_000 });
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'test' }).outbound.allowPrivateUrls).toBe(true);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...secrets }).outbound.allowPrivateUrls).toBe(false);
    expect(AppConfig.fromEnvironment({ NODE_ENV: 'production', ...secrets, OUTBOUND_ALLOW_PRIVATE_URLS: 'true' }).outbound.allowPrivateUrls).toBe(true);
    expect(() => AppConfig.fromEnvironment({ OUTBOUND_TIMEOUT_MS: '10' })).toThrow(/OUTBOUND_TIMEOUT_MS/);
  });

  it('gives notifications their defaults: the React app on the Vite dev server, a digest within the hour', () => {
    const config = AppConfig.fromEnvironment({});
    expect({ appUrl: config.appUrl, batchDigest: config.batchDigest, chat: config.chat }).toEqual({
      appUrl: 'http://localhost:5173',
      batchDigest: { afterMs: 60 * 60_000 },
      chat: { retryBackoffMs: 30_000, maxAttempts: 6 },
    });
    expect(AppConfig.fromEnvironment({ APP_URL: 'https://app.example.com/' }).appUrl).toBe('https://app.example.com');
    expect(() => AppConfig.fromEnvironment({ APP_URL: 'app.example.com' })).toThrow(/APP_URL must be an http\(s\) URL/);
    expect(() => AppConfig.fromEnvironment({ BATCH_DIGEST_AFTER_MINUTES: '0' })).toThrow(/BATCH_DIGEST_AFTER_MINUTES/);
  });

  it('treats blank values as unset', () => {
    expect(AppConfig.fromEnvironment({ MONGODB_URI: '  ', PORT: '' })).toEqual(expect.objectContaining({ mongodbUri: undefined, port: 5000 }));
  });

  it('seeds a superadmin only when email and password are both set', () => {
    expect(AppConfig.fromEnvironment({ SUPERADMIN_EMAIL: 'A@B.co', SUPERADMIN_PASSWORD: 'long-enough-pass' }).superadmin)
      .toEqual({ email: 'a@b.co', password: 'long-enough-pass' });
    const half = AppConfig.fromEnvironment({ SUPERADMIN_EMAIL: 'a@b.co' });
    expect(half.superadmin).toBeUndefined();
    expect(half.warnings.find((w) => w.variable === 'SUPERADMIN_EMAIL')!.message)
      .toBe('SUPERADMIN_EMAIL is set without SUPERADMIN_PASSWORD: no superadmin is seeded (set both, or neither)');
    const other = AppConfig.fromEnvironment({ SUPERADMIN_PASSWORD: 'long-enough-pass' });
    expect(other.warnings.find((w) => w.variable === 'SUPERADMIN_PASSWORD')!.message)
      .toBe('SUPERADMIN_PASSWORD is set without SUPERADMIN_EMAIL: no superadmin is seeded (set both, or neither)');
  });
});
