import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/**
 * The one address rule for every URL we make others (or ourselves) fetch: customers' webhook
 * endpoints, Slack and Discord webhooks, product image URLs sent to the video generator. None may
 * reach our own network (SSRF): loopback, private, link-local (cloud metadata lives at
 * 169.254.169.254), carrier-grade NAT, multicast, reserved and documentation ranges.
 *
 * Ranges are ipaddr.js's names (its table follows IANA's special-purpose registries), so a range
 * is never missed by a hand-written prefix:
 * - IPv4: only `unicast` (what no special range claims) is allowed.
 * - IPv6 forms that carry an IPv4 address (`ipv4Mapped`, `rfc6145`, NAT64 `rfc6052`, `6to4`,
 *   `teredo`) are judged by the IPv4 addresses they carry: where NAT64 or 6to4 routes,
 *   `[64:ff9b::7f00:1]` and `[2002:7f00:1::]` reach 127.0.0.1. (A DNS64 resolver answers
 *   well-known NAT64 addresses for IPv4-only hosts, so those of public addresses stay allowed.)
 * - Any other IPv6 address must be `unicast` (so not `uniqueLocal`, `linkLocal`,
 *   `deprecatedSiteLocal` fec0::/10, `reserved`, …) and inside 2000::/3, IANA's global unicast
 *   block: that refuses the deprecated IPv4-compatible form `[::127.0.0.1]` (::/96), which
 *   ipaddr.js names no range, and space not yet allocated.
 */

/** Ranges whose addresses carry IPv4 addresses (RFC 4291, 6145, 6052 and 8215, 3056, 4380). */
const CARRIES_IPV4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4', 'teredo']);
/** IANA's global unicast block (RFC 4291 §2.4): every IPv6 address the Internet routes. */
const GLOBAL_UNICAST = ipaddr.IPv6.parse('2000::');
/** RFC 6052's well-known NAT64 prefix (a /96); the rest of `rfc6052` is RFC 8215's local-use /48. */
const WELL_KNOWN_NAT64 = ipaddr.IPv6.parse('64:ff9b::');

/**
 * Whether a URL names a refused host by its address (any form the URL parser accepts:
 * `http://2130706433/` is 127.0.0.1) or as `localhost`. A DNS name that resolves to such an
 * address is not looked up here: whoever connects has to check where (OutboundUrlGuard does).
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

/** Whether an IP address (as a URL or DNS gives it) may not be reached; false for a name. */
export function isInternalAddress(address: string): boolean {
  if (isIP(address) === 0) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return (parsed as ipaddr.IPv4).range() !== 'unicast';
  const ipv6 = parsed as ipaddr.IPv6;
  const range: string = ipv6.range();
  if (CARRIES_IPV4.has(range)) {
    const carried = carriedIPv4(ipv6, range);
    return carried === undefined || carried.some((ipv4) => ipv4.range() !== 'unicast');
  }
  return range !== 'unicast' || !ipv6.match(GLOBAL_UNICAST, 3);
}

/**
 * The IPv4 addresses an address of one of CARRIES_IPV4 carries; undefined when where it sits is
 * not knowable from the address alone.
 */
function carriedIPv4(address: ipaddr.IPv6, range: string): ipaddr.IPv4[] | undefined {
  const bytes = address.toByteArray();
  const at = (...offsets: number[]) => new ipaddr.IPv4(offsets.map((offset) => bytes[offset]));
  switch (range) {
    case '6to4': // 2002:AABB:CCDD::/48
      return [at(2, 3, 4, 5)];
    case 'teredo': // 2001:0:<server>:<flags>:<port>:<client, each bit inverted>
      return [at(4, 5, 6, 7), new ipaddr.IPv4(bytes.slice(12, 16).map((byte) => byte ^ 0xff))];
    case 'rfc6052':
      // The well-known prefix is always a /96. The local-use 64:ff9b:1::/48 (RFC 8215) is cut
      // by each network's translator at /48, /56, /64 or /96 (RFC 6052 §2.2), which puts the
      // IPv4 address in different bits, and a translator may ignore the bits that should be zero:
      // no reading of the address is safe, so it is refused.
      return address.match(WELL_KNOWN_NAT64, 96) ? [at(12, 13, 14, 15)] : undefined;
    default: // ipv4Mapped ::ffff:a.b.c.d, rfc6145 ::ffff:0:a.b.c.d
      return [at(12, 13, 14, 15)];
  }
}
