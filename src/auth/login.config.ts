import { IsInt, Max, Min } from 'class-validator';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class LoginEnvironment {
  @AsNumber()
  @Min(1)
  @Max(1000)
  @IsInt()
  LOGIN_MAX_FAILURES = 5;

  @AsNumber()
  @Min(1)
  @Max(24 * 60)
  @IsInt()
  LOGIN_LOCKOUT_MINUTES = 15;

  /** Login requests one client address may make per window, whatever the emails. */
  @AsNumber()
  @Min(1)
  @Max(100_000)
  @IsInt()
  LOGIN_RATE_LIMIT_MAX = 20;

  @AsNumber()
  @Min(1)
  @Max(24 * 60 * 60)
  @IsInt()
  LOGIN_RATE_LIMIT_WINDOW_SECONDS = 60;
}

/** Brute-force protection of POST /api/auth/login. */
export const loginConfig = defineConfig('login', LoginEnvironment, (env) => ({
  /**
   * Failed logins for one email from one client address within the window lock that pair out
   * until the window ends.
   */
  throttle: { maxFailures: env.LOGIN_MAX_FAILURES, windowMs: env.LOGIN_LOCKOUT_MINUTES * 60_000 },
  /** Login requests per client address per window, whatever the emails (before any password check). */
  rateLimit: { max: env.LOGIN_RATE_LIMIT_MAX, windowMs: env.LOGIN_RATE_LIMIT_WINDOW_SECONDS * 1000 },
}));
export type LoginConfig = ConfigType<typeof loginConfig>;
