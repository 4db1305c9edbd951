import { Inject, Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { errorMessage } from '../common/error-message.js';
import { outboundConfig, type OutboundConfig } from './outbound.config.js';
import { isInternalAddress, pointsAtInternalAddress } from '../common/net.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** DNS, behind a provider so tests can say what a name resolves to. */
@Injectable()
export class HostResolver {
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const answers = await lookup(hostname, { all: true, verbatim: true });
    return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  }
}

/** Why an endpoint URL may not be used; the message is safe to show and store. */
export class OutboundUrlRefused extends Error {
  override readonly name = 'OutboundUrlRefused';
}

/**
 * Why an outbound request (a customer endpoint, a Slack or Discord webhook) failed, in words safe
 * to store and show: the reason, never the URL.
 */
export function describeOutboundFailure(error: unknown, timeoutMs: number): string {
  if (isAxiosError(error)) {
    if (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' || error.code === 'ERR_CANCELED') return `No answer within ${timeoutMs} ms`;
    if (error.cause instanceof OutboundUrlRefused) return error.cause.message;
    if (error.code === 'ECONNREFUSED') return 'Connection refused';
    if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return 'The host does not resolve';
    return `Request failed (${error.code ?? error.message})`;
  }
  if (error instanceof OutboundUrlRefused) return error.message;
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return `No answer within ${timeoutMs} ms`;
  return `Request failed: ${errorMessage(error)}`;
}

/** What kind of failure an outbound request met (for the attempts metric): the address rule, no answer in time, or no answer at all. */
export function outboundFailureKind(error: unknown): 'refused' | 'timeout' | 'network_error' {
  if (error instanceof OutboundUrlRefused || (isAxiosError(error) && error.cause instanceof OutboundUrlRefused)) return 'refused';
  if (isAxiosError(error) && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT' || error.code === 'ERR_CANCELED')) return 'timeout';
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return 'timeout';
  return 'network_error';
}

/**
 * Keeps endpoints from reaching our own network (SSRF): unless OUTBOUND_ALLOW_PRIVATE_URLS, a URL
 * may neither name nor resolve to a loopback, private or link-local address. Checked when an
 * endpoint is saved, and at delivery both before the request and in the connection's own DNS
 * lookup, so a name that changes its address in between cannot slip through.
 */
@Injectable()
export class OutboundUrlGuard {
  constructor(
    @Inject(outboundConfig.KEY) private readonly config: OutboundConfig,
    private readonly resolver: HostResolver,
  ) {}

  get enforced(): boolean {
    return !this.config.allowPrivateUrls;
  }

  /** Throws OutboundUrlRefused when the URL may not be called. */
  async check(url: string): Promise<void> {
    if (!this.enforced) return;
    if (pointsAtInternalAddress(url)) throw new OutboundUrlRefused('url must not point at a loopback, private or link-local address');
    const hostname = hostnameOf(url);
    if (isIP(hostname) !== 0) return;
    await this.resolvePublic(hostname);
  }

  /** For the HTTP client's `lookup`: the addresses it connects to, all of them public. */
  readonly lookup = async (hostname: string): Promise<[ResolvedAddress[]]> => [await this.resolvePublic(hostname)];

  private async resolvePublic(hostname: string): Promise<ResolvedAddress[]> {
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolver.resolve(hostname);
    } catch {
      throw new OutboundUrlRefused(`url host ${hostname} does not resolve`);
    }
    if (addresses.length === 0) throw new OutboundUrlRefused(`url host ${hostname} does not resolve`);
    if (addresses.some(({ address }) => isInternalAddress(address))) {
      throw new OutboundUrlRefused('url resolves to a loopback, private or link-local address');
    }
    return addresses;
  }
}

function hostnameOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}
