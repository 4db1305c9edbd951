import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class JobsEnvironment {
  /** How often each instance looks for due jobs (ms). A number: agenda misreads strings like '200 ms'. */
  @AsNumber()
  @Min(10)
  @Max(60_000)
  @IsInt()
  JOBS_PROCESS_EVERY_MS = 1000;

  /** How long a claimed job stays locked without finishing before another instance may take it over (ms). */
  @AsNumber()
  @Min(100)
  @Max(24 * 60 * 60_000)
  @IsInt()
  JOBS_LOCK_LIFETIME_MS = 60_000;

  /** Jobs one instance runs at once (all names together), and the default per job name. */
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  JOBS_CONCURRENCY = 10;

  /**
   * How long shutdown waits for running jobs to finish (ms). Capped below main.ts's 15 s hard
   * exit; a job still running then keeps its lock until JOBS_LOCK_LIFETIME_MS ends.
   */
  @AsNumber()
  @Min(0)
  @Max(10_000)
  @IsInt()
  JOBS_SHUTDOWN_GRACE_MS = 5000;
}

/** The durable job runner (job-runner.ts); features read `lockLifetimeMs` to size their own jobs' locks. */
export const jobsConfig = defineConfig('jobs', JobsEnvironment, (env) => ({
  processEveryMs: env.JOBS_PROCESS_EVERY_MS,
  lockLifetimeMs: env.JOBS_LOCK_LIFETIME_MS,
  concurrency: env.JOBS_CONCURRENCY,
  shutdownGraceMs: env.JOBS_SHUTDOWN_GRACE_MS,
}));
export type JobsConfig = ConfigType<typeof jobsConfig>;
