import { describe, it } from 'node:test';
import { expect } from 'expect';
import { join } from 'node:path';
import { loadConfig } from './app.config.js';
import { ConfigValidationError } from './config/config-validation.error.js';

/**
 * The composed configuration: every slice together with the rules across them
 * (src/config/production-rules.ts). Each slice's own defaults and parsing are specified beside
 * it (`<module>.config.spec.ts`).
 */

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
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('applies documented defaults in development', () => {
    const config = loadConfig({});
    expect(config.runtime.nodeEnv).toBe('development');
    expect(config.http).toEqual(expect.objectContaining({ port: 5000, bodyLimitBytes: 1048576 }));
    expect(config.database.mongodbUri).toBeUndefined();
  });

  it('never reads process.env: each composition is built from the environment it is given', () => {
    expect(loadConfig({ PORT: '5001' }).http.port).toBe(5001);
    expect(loadConfig({}).http.port).toBe(5000);
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
    expect(loadConfig({ NODE_ENV: 'production', ...withoutSmtp, ALLOW_MAIL_OUTBOX: 'true' }).warnings.map((w) => w.variable)).toContain('SMTP_URL');
    const { MONGODB_URI: _uri, ...withoutUri } = secrets;
    expect(problemsOf({ NODE_ENV: 'production', ...withoutUri, ALLOW_EMBEDDED_DB: 'true' })).toEqual([]);
  });

  it('warns loudly in development when secrets are missing, and uses a random JWT secret', () => {
    const first = loadConfig({});
    const second = loadConfig({});
    expect(first.warnings.map((w) => w.variable)).toEqual(['JWT_SECRET', 'RCK_WEBHOOK_SECRET', 'HEYGEN_WEBHOOK_SECRET', 'HEYGEN_API_KEY']);
    expect(first.jwt.secret).toHaveLength(64);
    expect(first.jwt.secret).not.toBe(second.jwt.secret);
    expect(loadConfig(secrets).warnings).toEqual([]);
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
    [{ OUTBOUND_TIMEOUT_MS: '10' }, 'OUTBOUND_TIMEOUT_MS'],
    [{ APP_URL: 'app.example.com' }, 'APP_URL'],
    [{ BATCH_DIGEST_AFTER_MINUTES: '0' }, 'BATCH_DIGEST_AFTER_MINUTES'],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} with a message naming ${variable}`, () => {
      const problems = problemsOf(env as Record<string, string>);
      expect(problems).toHaveLength(1);
      expect(problems[0].startsWith(variable)).toBe(true);
    });
  }

  it('names every bad variable of every slice in one start', () => {
    expect(problemsOf({ PORT: 'eighty', JOBS_CONCURRENCY: '0', NODE_ENV: 'staging' }).map((problem) => problem.split(/[ :]/)[0]).sort())
      .toEqual(['JOBS_CONCURRENCY', 'NODE_ENV', 'PORT']);
    expect(() => loadConfig({ APP_URL: 'app.example.com' })).toThrow(/APP_URL must be an http\(s\) URL/);
  });

  it('gives notifications their defaults: the React app on the Vite dev server, a digest within the hour', () => {
    const config = loadConfig({});
    expect({ appUrl: config.links.appUrl, batchDigest: config.videos.batchDigest, chat: config.chat }).toEqual({
      appUrl: 'http://localhost:5173',
      batchDigest: { afterMs: 60 * 60_000 },
      chat: { retryBackoffMs: 30_000, maxAttempts: 6 },
    });
    expect(loadConfig({ APP_URL: 'https://app.example.com/' }).links.appUrl).toBe('https://app.example.com');
    expect(() => loadConfig({ APP_URL: 'app.example.com' })).toThrow(/APP_URL must be an http\(s\) URL/);
    expect(() => loadConfig({ BATCH_DIGEST_AFTER_MINUTES: '0' })).toThrow(/BATCH_DIGEST_AFTER_MINUTES/);
  });

  it('writes e-mails to DATA_DIR/outbox unless MAIL_OUTBOX_DIR says otherwise', () => {
    expect(loadConfig({}).mail.outboxDir).toBe(join('.data', 'outbox'));
    expect(loadConfig({ DATA_DIR: '/srv/videogen' }).mail.outboxDir).toBe(join('/srv/videogen', 'outbox'));
    expect(loadConfig({ DATA_DIR: '/srv/videogen', MAIL_OUTBOX_DIR: '/var/mail' }).mail.outboxDir).toBe('/var/mail');
  });

  it('treats blank values as unset', () => {
    const config = loadConfig({ MONGODB_URI: '  ', PORT: '' });
    expect(config.database.mongodbUri).toBeUndefined();
    expect(config.http.port).toBe(5000);
  });

  it('seeds a superadmin only when email and password are both set', () => {
    expect(loadConfig({ SUPERADMIN_EMAIL: 'A@B.co', SUPERADMIN_PASSWORD: 'long-enough-pass' }).users.superadmin)
      .toEqual({ email: 'a@b.co', password: 'long-enough-pass' });
    const half = loadConfig({ SUPERADMIN_EMAIL: 'a@b.co' });
    expect(half.users.superadmin).toBeUndefined();
    expect(half.warnings.find((w) => w.variable === 'SUPERADMIN_EMAIL')!.message)
      .toBe('SUPERADMIN_EMAIL is set without SUPERADMIN_PASSWORD: no superadmin is seeded (set both, or neither)');
    const other = loadConfig({ SUPERADMIN_PASSWORD: 'long-enough-pass' });
    expect(other.warnings.find((w) => w.variable === 'SUPERADMIN_PASSWORD')!.message)
      .toBe('SUPERADMIN_PASSWORD is set without SUPERADMIN_EMAIL: no superadmin is seeded (set both, or neither)');
  });
});
