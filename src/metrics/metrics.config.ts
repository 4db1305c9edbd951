import { IsOptional, IsString, MinLength } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';

class MetricsEnvironment {
  /**
   * Bearer token Prometheus must send to GET /metrics in production (without it, /metrics is
   * closed there). Development and tests serve /metrics openly.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters long' })
  METRICS_TOKEN?: string;
}

/** /metrics: open unless `required` (production), then only with this bearer token. */
export const metricsConfig = defineConfig('metrics', MetricsEnvironment, (env, { isProduction }) => ({
  token: env.METRICS_TOKEN,
  required: isProduction,
}));
export type MetricsConfig = ConfigType<typeof metricsConfig>;
