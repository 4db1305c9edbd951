import { availableParallelism } from 'node:os';
import { IsEmail, IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { HasVisibleCharacter } from '../common/text.js';
import { defineConfig, type ConfigType } from '../config/define-config.js';
import { AsNumber } from '../config/env-values.js';

class UsersEnvironment {
  /**
   * Password checks (argon2, a core's worth of work each) run at once; unset, one fewer than the
   * cores (at least one), so a flood of logins from many addresses leaves a core to the webhooks.
   */
  @IsOptional()
  @AsNumber()
  @Min(1)
  @Max(256)
  @IsInt()
  PASSWORD_CHECK_CONCURRENCY?: number;

  /** Password checks that may wait for one of those; beyond, a login is answered 503 with Retry-After. */
  @AsNumber()
  @Min(0)
  @Max(100_000)
  @IsInt()
  PASSWORD_CHECK_QUEUE = 32;

  @IsOptional()
  @IsEmail()
  SUPERADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'SUPERADMIN_PASSWORD must be at least 12 characters long' })
  @HasVisibleCharacter({ message: 'SUPERADMIN_PASSWORD must not be only whitespace or control characters' })
  SUPERADMIN_PASSWORD?: string;
}

/** Password checks (PasswordHasher) and the first superadmin (SuperadminSeeder). */
export const usersConfig = defineConfig('users', UsersEnvironment, (env) => ({
  /** How many password checks run at once, and how many may wait. */
  passwordChecks: {
    concurrency: env.PASSWORD_CHECK_CONCURRENCY ?? Math.max(1, availableParallelism() - 1),
    queue: env.PASSWORD_CHECK_QUEUE,
  },
  /** Both variables or none: one alone is warned about (src/config/production-rules.ts). */
  superadmin:
    env.SUPERADMIN_EMAIL && env.SUPERADMIN_PASSWORD
      ? { email: env.SUPERADMIN_EMAIL.toLowerCase(), password: env.SUPERADMIN_PASSWORD }
      : undefined,
}));
export type UsersConfig = ConfigType<typeof usersConfig>;
