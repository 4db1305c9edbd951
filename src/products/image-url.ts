import { BlockList, isIP } from 'node:net';

/**
 * Addresses the video generator must not be sent to fetch from: loopback, private, link-local
 * (cloud metadata lives at 169.254.169.254), carrier-grade NAT, multicast and reserved ranges.
 * IPv4-mapped IPv6 addresses are checked as the IPv4 address they map.
 */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether a URL names a loopback, private or link-local host by its address (any form the URL
 * parser accepts: `http://2130706433/` is 127.0.0.1) or as `localhost`. A DNS name that resolves
 * to such an address is not looked up here: the fetcher has to check where it connects.
 */
export function pointsAtInternalAddress(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isInternalAddress(host);
}

/** Whether an IP address (as DNS answers it) is loopback, private, link-local or reserved; false for a name. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
