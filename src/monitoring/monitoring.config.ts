import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class MonitoringEnvironment {
  /** How often each instance's monitoring stream reads new deliveries and counters from the database (ms). */
  @AsNumber()
  @Min(50)
  @Max(60_000)
  @IsInt()
  MONITORING_STREAM_POLL_MS = 1000;

  /** A comment line on every open monitoring stream this often (ms), so proxies keep it open. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  MONITORING_STREAM_HEARTBEAT_MS = 15_000;

  /**
   * How far back the monitoring stream looks again for deliveries that became visible late (the
   * event log writes in batches, and instances' clocks differ); a delivery stored later than this
   * after its arrival time is not streamed (it is still in the log).
   */
  @AsNumber()
  @Min(1000)
  @Max(3_600_000)
  @IsInt()
  MONITORING_STREAM_OVERLAP_MS = 30_000;
}

/** The monitoring stream (GET /api/monitoring/stream). */
export const monitoringStreamConfig = defineConfig('monitoringStream', MonitoringEnvironment, (env) => ({
  pollMs: env.MONITORING_STREAM_POLL_MS,
  heartbeatMs: env.MONITORING_STREAM_HEARTBEAT_MS,
  overlapMs: env.MONITORING_STREAM_OVERLAP_MS,
}));
export type MonitoringStreamConfig = ConfigType<typeof monitoringStreamConfig>;
