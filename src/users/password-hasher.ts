import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { RetryLaterException } from '../common/too-many-requests.exception.js';
import { usersConfig, type UsersConfig } from './users.config.js';
import { PasswordCheckProcessEnded, passwordChecks } from './password-check.client.js';

export const PASSWORD_CHECKS_BUSY = 'Too many sign-ins at once; try again shortly';
export const PASSWORD_CHECKS_RESTARTING = 'Password checks are restarting; try again shortly';

/**
 * Verified against when the email is unknown, so a login takes the same time either way: a hash
 * of a throwaway password made once with PASSWORD_HASH_OPTIONS (a check costs what its parameters
 * say, whatever the password), kept here so no start pays for making it.
 */
const DECOY_HASH = '$argon2id$v=19$m=65536,p=1,t=3$OdpKRhkk4lPkF5XaGiXBzg$Pk4YsrKd47LGATbd8UevDngyNYF15b3H5dXdLHNyU+k';

/**
 * argon2id with the library's memory and time cost (64 MiB, 3 passes: above OWASP's minimums) on
 * one lane. The library's default of 4 lanes runs each check on 4 threads, so one check at a time
 * still took every core of a small machine; one lane keeps a check to one core, and the work per
 * check is the same. Hashes made with other parameters (the older 4 lanes) still verify and are
 * replaced at the user's next sign-in (`needsRehash`).
 *
 * Each hash or check takes a core for tens of milliseconds. A flood of logins from many addresses,
 * which the per-address limits do not stop, must not take the cores from the webhooks, so:
 * - the checks run in their own process at the lowest CPU priority (password-check.process.ts),
 *   so they use only the CPU the service and its database leave idle;
 * - at most PASSWORD_CHECK_CONCURRENCY run at once (by default one fewer than the cores), and at
 *   most PASSWORD_CHECK_QUEUE wait; beyond, the caller gets a 503 with Retry-After.
 */
export const PASSWORD_HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(usersConfig.KEY) private readonly config: UsersConfig) {}

  hash(password: string): Promise<string> {
    return this.limited(() => passwordChecks.hash(password, PASSWORD_HASH_OPTIONS));
  }

  /** Whether a hash that verified was made with other parameters than today's, and should be replaced. */
  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, PASSWORD_HASH_OPTIONS);
    } catch {
      return true;
    }
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    // A stored hash that is not argon2's verifies nothing (the check answers false).
    return this.limited(() => passwordChecks.verify(hash ?? DECOY_HASH, password));
  }

  /**
   * The 503 a check asked for now would get (every slot busy and the queue full), or undefined.
   * The login route asks this before anything else runs (see registerLoginShedding), so a flood
   * beyond what the checks can take is turned away for the price of a comparison.
   */
  refusal(): RetryLaterException | undefined {
    const { concurrency, queue } = this.config.passwordChecks;
    return this.running >= concurrency && this.waiting.length >= queue ? this.busy() : undefined;
  }

  /** Checks running and waiting now (for tests and monitoring). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private busy(): RetryLaterException {
    const { concurrency } = this.config.passwordChecks;
    // About how long the queue ahead takes to drain (a check is tens of milliseconds).
    return new RetryLaterException(PASSWORD_CHECKS_BUSY, Math.max(1, Math.ceil((this.waiting.length * 0.1) / concurrency)));
  }

  private async limited<T>(work: () => Promise<T>): Promise<T> {
    const { concurrency, queue } = this.config.passwordChecks;
    if (this.running >= concurrency) {
      if (this.waiting.length >= queue) throw this.busy();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } catch (error) {
      if (error instanceof PasswordCheckProcessEnded) throw new RetryLaterException(PASSWORD_CHECKS_RESTARTING, 1);
      throw error;
    } finally {
      // The slot passes straight to the next waiter, so `running` never over-counts.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
