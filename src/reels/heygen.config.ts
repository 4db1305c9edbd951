import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class HeygenEnvironment {
  /** HeyGen's API (a local fake in tests). */
  @IsUrl({ require_tld: false, require_protocol: true })
  HEYGEN_API_URL = 'https://api.heygen.com';

  /** HeyGen's API key (X-Api-Key). Required in production: without it no reel can be generated. */
  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'HEYGEN_API_KEY must be at least 8 characters long' })
  HEYGEN_API_KEY?: string;

  /** How long one request to HeyGen may take before it counts as failed. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  HEYGEN_REQUEST_TIMEOUT_MS = 30_000;

  /** First delay before asking HeyGen again to generate an approved reel; doubles each time, with jitter. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  HEYGEN_GENERATE_BACKOFF_MS = 10_000;

  /** Calls to HeyGen's generate (the first included) before an approved reel is marked failed. */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  HEYGEN_GENERATE_MAX_ATTEMPTS = 6;

  /** A reel `processing` this long without a webhook is checked with HeyGen's status API. */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  HEYGEN_RECONCILE_AFTER_MINUTES = 30;

  /**
   * A reel HeyGen still reports as rendering this many hours after it took it is failed (its
   * owner told), rather than asked about forever. A success HeyGen sends later still wins.
   */
  @AsNumber()
  @Min(1)
  @Max(30 * 24)
  @IsInt()
  HEYGEN_MAX_PROCESSING_HOURS = 24;

  /** How often the reconciliation (and the retry of lost e-mail notifications) runs. */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  HEYGEN_RECONCILE_INTERVAL_MS = 300_000;
}

/** HeyGen's API, the generate retries and the reconciliation of reels whose webhook never came. */
export const heygenConfig = defineConfig('heygen', HeygenEnvironment, (env) => ({
  apiUrl: env.HEYGEN_API_URL.replace(/\/+$/, ''),
  apiKey: env.HEYGEN_API_KEY,
  timeoutMs: env.HEYGEN_REQUEST_TIMEOUT_MS,
  generateBackoffMs: env.HEYGEN_GENERATE_BACKOFF_MS,
  generateMaxAttempts: env.HEYGEN_GENERATE_MAX_ATTEMPTS,
  reconcileAfterMs: env.HEYGEN_RECONCILE_AFTER_MINUTES * 60_000,
  maxProcessingMs: env.HEYGEN_MAX_PROCESSING_HOURS * 3600_000,
  reconcileIntervalMs: env.HEYGEN_RECONCILE_INTERVAL_MS,
}));
export type HeygenConfig = ConfigType<typeof heygenConfig>;
