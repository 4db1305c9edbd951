/**
 * A clock the test moves, in place of a service's Clock (through createTestApp's `overrides`:
 * `{ provide: Clock, useValue: clock }`): ahead of the real time by what was advanced, or
 * stopped at a time the test froze it at.
 */
export class FakeClock {
  private offsetMs = 0;
  private frozenAt?: number;

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Stops the clock at `at` (epoch milliseconds) until reset. */
  freeze(at: number): void {
    this.frozenAt = at;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }
}
