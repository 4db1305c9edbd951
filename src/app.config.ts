import { alertsConfig } from './alerts/alerts.config.js';
import { jwtConfig } from './auth/jwt.config.js';
import { loginConfig } from './auth/login.config.js';
import { composeConfig, type ComposedConfig, type Environment } from './config/define-config.js';
import { httpConfig } from './config/http.config.js';
import { linksConfig } from './config/links.config.js';
import { PRODUCTION_RULES } from './config/production-rules.js';
import { runtimeConfig } from './config/runtime.config.js';
import { databaseConfig } from './database/database.config.js';
import { webhookSecretsConfig } from './inbound-webhook-contract/webhook-secrets.config.js';
import { webhookEventsConfig } from './inbound-webhook-events/webhook-events.config.js';
import { jobsConfig } from './jobs/jobs.config.js';
import { loggingConfig } from './logging/logging.config.js';
import { metricsConfig } from './metrics/metrics.config.js';
import { monitoringStreamConfig } from './monitoring/monitoring.config.js';
import { chatConfig } from './notifications/chat.config.js';
import { mailConfig } from './notifications/mail.config.js';
import { outboundConfig } from './outbound-url/outbound.config.js';
import { outboundWebhooksConfig } from './outbound-webhooks/outbound-webhooks.config.js';
import { productsConfig } from './products/products.config.js';
import { heygenConfig } from './reels/heygen.config.js';
import { usersConfig } from './users/users.config.js';
import { videosConfig } from './videos/videos.config.js';

/**
 * The composition root of the configuration: every module's slice (`<module>.config.ts`, which
 * declares and validates its own variables), and the rules across them
 * (src/config/production-rules.ts). `.env.example` documents every variable.
 */
export const CONFIG_SLICES = [
  runtimeConfig,
  httpConfig,
  linksConfig,
  loggingConfig,
  databaseConfig,
  metricsConfig,
  webhookSecretsConfig,
  outboundConfig,
  jwtConfig,
  loginConfig,
  usersConfig,
  jobsConfig,
  productsConfig,
  videosConfig,
  heygenConfig,
  mailConfig,
  chatConfig,
  outboundWebhooksConfig,
  webhookEventsConfig,
  alertsConfig,
  monitoringStreamConfig,
] as const;

/**
 * The whole validated configuration: each slice by name (`config.videos`, `config.jwt`) and the
 * warnings about development fallbacks. Only the bootstrap reads it whole (main.ts,
 * app.factory.ts, app.module.ts; tests and tools that build an app); modules inject their slices.
 */
export type AppConfig = ComposedConfig<typeof CONFIG_SLICES>;

/**
 * Validates every variable and fails with every problem at once, each naming its variable
 * (ConfigValidationError); never reads `process.env` itself (main.ts passes it).
 */
export function loadConfig(raw: Environment): AppConfig {
  return composeConfig(CONFIG_SLICES, raw, PRODUCTION_RULES);
}
