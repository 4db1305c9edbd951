import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class OutboundWebhooksEnvironment {
  /** An endpoint whose deliveries have failed without a success for this many days is disabled. */
  @AsNumber()
  @Min(1)
  @Max(365)
  @IsInt()
  OUTBOUND_DISABLE_AFTER_DAYS = 5;

  /**
   * How often the sweep looks for messages to customers' endpoints that were stored but never
   * queued for delivery (a crash in between) and queues them.
   */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  OUTBOUND_SWEEP_INTERVAL_MS = 60_000;
}

/**
 * Webhooks to customers' own endpoints; the addresses they may reach and a delivery's timeout
 * are the shared `outbound` slice (src/outbound-url/outbound.config.ts).
 */
export const outboundWebhooksConfig = defineConfig('outboundWebhooks', OutboundWebhooksEnvironment, (env) => ({
  disableAfterMs: env.OUTBOUND_DISABLE_AFTER_DAYS * 24 * 3600_000,
  sweepIntervalMs: env.OUTBOUND_SWEEP_INTERVAL_MS,
}));
export type OutboundWebhooksConfig = ConfigType<typeof outboundWebhooksConfig>;
