import { IsInt, IsUrl, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

export class VideosEnvironment {
  @IsUrl({ require_tld: false, require_protocol: true })
  RCK_DESCRIPTION_SERVER_URL = 'http://localhost:8000';

  /** Most products one bulk-generate request may name (the JSON shape limit allows 1000). */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  BULK_GENERATE_MAX_PRODUCTS = 1000;

  /** Products per create-images-batch request to RCK. */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  RCK_BATCH_SIZE = 50;

  /** How long one request to RCK may take before it counts as failed. */
  @AsNumber()
  @Min(100)
  @Max(300_000)
  @IsInt()
  RCK_REQUEST_TIMEOUT_MS = 15_000;

  /** First delay before sending a batch RCK refused again; it doubles each attempt, with jitter. */
  @AsNumber()
  @Min(10)
  @Max(24 * 3600_000)
  @IsInt()
  RCK_DISPATCH_BACKOFF_MS = 5000;

  /** Sends of one batch to RCK (the first included) before its videos are marked failed. */
  @AsNumber()
  @Min(1)
  @Max(50)
  @IsInt()
  RCK_DISPATCH_MAX_ATTEMPTS = 6;

  /** A video still `generating` this long after RCK took it is marked failed (an orphan). */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  VIDEO_ORPHAN_TIMEOUT_MINUTES = 120;

  /** How often the orphan sweep and the product-copy repair run. */
  @AsNumber()
  @Min(50)
  @Max(24 * 3600_000)
  @IsInt()
  VIDEO_MAINTENANCE_INTERVAL_MS = 60_000;

  /** Times a user may retry one failed video. */
  @AsNumber()
  @Min(0)
  @Max(100)
  @IsInt()
  VIDEO_MAX_RETRIES = 3;

  /**
   * A bulk request's digest e-mail goes out when its last video reaches a final state, or this
   * many minutes after the request, whichever comes first (the videos still generating are then
   * listed as such).
   */
  @AsNumber()
  @Min(1)
  @Max(30 * 24 * 60)
  @IsInt()
  BATCH_DIGEST_AFTER_MINUTES = 60;
}

/** Video generation with RCK: bulk requests, dispatch and its retries, orphans, a bulk request's digest. */
export const videosConfig = defineConfig('videos', VideosEnvironment, (env) => ({
  bulkMaxProducts: env.BULK_GENERATE_MAX_PRODUCTS,
  rckBatchSize: env.RCK_BATCH_SIZE,
  rckTimeoutMs: env.RCK_REQUEST_TIMEOUT_MS,
  dispatchBackoffMs: env.RCK_DISPATCH_BACKOFF_MS,
  dispatchMaxAttempts: env.RCK_DISPATCH_MAX_ATTEMPTS,
  orphanTimeoutMs: env.VIDEO_ORPHAN_TIMEOUT_MINUTES * 60_000,
  maintenanceIntervalMs: env.VIDEO_MAINTENANCE_INTERVAL_MS,
  maxRetries: env.VIDEO_MAX_RETRIES,
  rckDescriptionServerUrl: env.RCK_DESCRIPTION_SERVER_URL.replace(/\/+$/, ''),
  /** When a bulk request's digest e-mail is due at the latest. */
  batchDigest: { afterMs: env.BATCH_DIGEST_AFTER_MINUTES * 60_000 },
}));
export type VideosConfig = ConfigType<typeof videosConfig>;
