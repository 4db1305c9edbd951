import type { ConfigRules, ConfigWarning, EnvironmentContext, PresentEnvironment } from './define-config.js';

/**
 * What production requires and refuses, and what development falls back to, in one place. Each
 * variable is declared and validated by the slice of the module that reads it
 * (`<module>.config.ts`); these rules look across slices, at the variables as set.
 *
 * Defaults that also differ in production, each in its slice: no CORS origins
 * (config/http.config.ts), no /docs (the same), a 5 s readiness delay on SIGTERM (the same),
 * /metrics closed without METRICS_TOKEN (metrics/metrics.config.ts), customers' URLs may not reach
 * private addresses (outbound-url/outbound.config.ts); product image URLs may name private
 * addresses in development only (products/products.config.ts), and logs are readable lines there
 * instead of JSON (logging/logging.config.ts).
 */

/** Secrets that must be set in production; development falls back to documented behaviour. */
export const PRODUCTION_SECRETS = ['JWT_SECRET', 'RCK_WEBHOOK_SECRET', 'HEYGEN_WEBHOOK_SECRET', 'HEYGEN_API_KEY'] as const;

/** What production refuses to start without, one message per variable to set. */
export function productionProblems(env: PresentEnvironment, { isProduction }: EnvironmentContext): string[] {
  if (!isProduction) return [];
  const problems: string[] = [];
  for (const key of PRODUCTION_SECRETS) {
    if (!env[key]) problems.push(`${key} is required when NODE_ENV=production`);
  }
  // E-mail is how people learn that their videos are ready: none sent is a broken service.
  if (!env.SMTP_URL && env.ALLOW_MAIL_OUTBOX !== 'true') {
    problems.push('SMTP_URL is required when NODE_ENV=production (set ALLOW_MAIL_OUTBOX=true to only write e-mails to the outbox folder)');
  }
  if (!env.APP_URL) problems.push('APP_URL is required when NODE_ENV=production (the links in e-mails and chat messages)');
  // The embedded database is an unauthenticated, in-process development store.
  if (!env.MONGODB_URI && env.ALLOW_EMBEDDED_DB !== 'true') {
    problems.push('MONGODB_URI is required when NODE_ENV=production (set ALLOW_EMBEDDED_DB=true to run on the embedded database)');
  }
  return problems;
}

/** The fallbacks taken and the risky settings, for main.ts to print loudly at start-up. */
export function configWarnings(
  env: PresentEnvironment,
  config: { readonly mail: { readonly outboxDir: string } },
  { isProduction }: EnvironmentContext,
): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const warn = (variable: string, message: string) => warnings.push({ variable, message: `${variable} ${message}` });
  // The fallback itself is the slice's (auth/jwt.config.ts): a random secret per process.
  if (!env.JWT_SECRET) warn('JWT_SECRET', 'not set: using a random secret for this process; tokens will not survive a restart');
  if (isProduction && !env.METRICS_TOKEN) warn('METRICS_TOKEN', 'not set: GET /metrics answers 401 to everyone in production');
  if (!env.RCK_WEBHOOK_SECRET) warn('RCK_WEBHOOK_SECRET', 'not set: RCK webhook signatures are NOT verified (development only)');
  if (!env.HEYGEN_WEBHOOK_SECRET) warn('HEYGEN_WEBHOOK_SECRET', 'not set: HeyGen webhook signatures are NOT verified (development only)');
  if (!env.HEYGEN_API_KEY) warn('HEYGEN_API_KEY', 'not set: approved reels cannot be sent to HeyGen (development only)');
  if (!env.SMTP_URL && isProduction) {
    // Only with ALLOW_MAIL_OUTBOX=true: productionProblems refuses production without SMTP_URL otherwise.
    warn('SMTP_URL', `not set (ALLOW_MAIL_OUTBOX=true): e-mails are NOT sent, only written to ${config.mail.outboxDir} and the log`);
  }
  if (!env.SUPERADMIN_EMAIL !== !env.SUPERADMIN_PASSWORD) {
    const [set, missing] = env.SUPERADMIN_EMAIL ? ['SUPERADMIN_EMAIL', 'SUPERADMIN_PASSWORD'] : ['SUPERADMIN_PASSWORD', 'SUPERADMIN_EMAIL'];
    warn(set, `is set without ${missing}: no superadmin is seeded (set both, or neither)`);
  }
  return warnings;
}

/** The rules above, as src/app.config.ts composes them with the slices. */
export const PRODUCTION_RULES: ConfigRules<{ readonly mail: { readonly outboxDir: string } }> = {
  problems: productionProblems,
  warnings: configWarnings,
};
