import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class OutboundEnvironment {
  /**
   * Whether customers' webhook endpoints may be (or resolve to) loopback, private or link-local
   * addresses. Unset: allowed except in production.
   */
  @IsOptional()
  @IsIn(['true', 'false'])
  OUTBOUND_ALLOW_PRIVATE_URLS?: 'true' | 'false';

  /** How long one delivery to a customer's webhook endpoint may take, answer included. */
  @AsNumber()
  @Min(100)
  @Max(120_000)
  @IsInt()
  OUTBOUND_TIMEOUT_MS = 15_000;
}

/**
 * Calls to URLs customers give (their webhook endpoints, Slack and Discord): which addresses
 * they may reach, and how long one may take. Read by outbound webhooks, notifications and alerts.
 */
export const outboundConfig = defineConfig('outbound', OutboundEnvironment, (env, { isProduction }) => ({
  allowPrivateUrls: (env.OUTBOUND_ALLOW_PRIVATE_URLS ?? String(!isProduction)) === 'true',
  timeoutMs: env.OUTBOUND_TIMEOUT_MS,
}));
export type OutboundConfig = ConfigType<typeof outboundConfig>;
