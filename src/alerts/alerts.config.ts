import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class AlertsEnvironment {
  /** How often the job runner evaluates the alert rules (one instance at a time). */
  @AsNumber()
  @Min(1000)
  @Max(3_600_000)
  @IsInt()
  ALERTS_EVALUATE_EVERY_MS = 60_000;
}

export const alertsConfig = defineConfig('alerts', AlertsEnvironment, (env) => ({
  evaluateEveryMs: env.ALERTS_EVALUATE_EVERY_MS,
}));
export type AlertsConfig = ConfigType<typeof alertsConfig>;
