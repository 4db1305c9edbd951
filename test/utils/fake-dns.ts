import { HostResolver, ResolvedAddress } from '../../src/outbound-url/outbound-url.js';

/**
 * The test's own DNS, in place of the service's HostResolver (through createTestApp's
 * `overrides`: `overrides: [dns.provider()]`): a name answers what the test set, else ENOTFOUND.
 * `answer`, when set, answers every lookup instead.
 */
export class FakeDns {
  readonly names: Map<string, ResolvedAddress[]>;
  answer?: (hostname: string) => ResolvedAddress[];

  constructor(names: Iterable<[string, ResolvedAddress[]]> = []) {
    this.names = new Map(names);
  }

  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    if (this.answer) return this.answer(hostname);
    const answer = this.names.get(hostname);
    if (!answer) throw new Error(`ENOTFOUND ${hostname}`);
    return answer;
  }

  set(hostname: string, answer: ResolvedAddress[]): this {
    this.names.set(hostname, answer);
    return this;
  }

  provider(): { provide: typeof HostResolver; useValue: FakeDns } {
    return { provide: HostResolver, useValue: this };
  }
}
