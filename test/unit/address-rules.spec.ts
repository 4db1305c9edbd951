import { describe, it } from 'node:test';
import { expect } from 'expect';
import { isInternalAddress, pointsAtInternalAddress } from '../../src/common/net.js';
import { httpUrlProblem, MAX_URL_LENGTH } from '../../src/common/http-url.js';

/**
 * Unit tier, table tests: the address rule (src/common/net.ts, every URL we or a generator fetch)
 * and the URL rule (src/common/http-url.ts, every URL we store and hand on), row by row as the
 * README's "API conventions" states them.
 */
describe('isInternalAddress (unit, table)', () => {
  const refused: Array<[string, string]> = [
    ['loopback', '127.0.0.1'],
    ['loopback, elsewhere in 127/8', '127.255.0.9'],
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.31.255.255'],
    ['private 192.168/16', '192.168.0.1'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['carrier-grade NAT', '100.64.0.1'],
    ['multicast', '224.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['this network', '0.0.0.0'],
    ['documentation', '192.0.2.10'],
    ['benchmarking', '198.18.0.1'],
    ['reserved 240/4', '240.0.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['unique local fc00::/7', 'fd12:3456::1'],
    ['IPv6 link-local', 'fe80::1'],
    ['deprecated site-local fec0::/10', 'fec0::1'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
    ['IPv4-mapped loopback, hex form', '::ffff:7f00:1'],
    ['IPv4-translated (RFC 6145) loopback', '::ffff:0:7f00:1'],
    ['well-known NAT64 of loopback', '64:ff9b::7f00:1'],
    ['well-known NAT64 of a private address', '64:ff9b::a00:1'],
    ['local-use NAT64 64:ff9b:1::/48, whatever it carries', '64:ff9b:1::808:808'],
    ['6to4 of loopback', '2002:7f00:1::'],
    ['6to4 of a private address', '2002:c0a8:1::1'],
    ['deprecated IPv4-compatible loopback', '::127.0.0.1'],
    ['outside 2000::/3 (unallocated)', '4000::1'],
  ];
  const allowed: Array<[string, string]> = [
    ['public IPv4', '8.8.8.8'],
    ['public IPv4 next to a private range', '172.32.0.1'],
    ['public IPv6', '2606:4700:4700::1111'],
    ['IPv4-mapped public address', '::ffff:8.8.8.8'],
    ['well-known NAT64 of a public address (DNS64)', '64:ff9b::808:808'],
    ['6to4 of a public address', '2002:808:808::1'],
    ['a DNS name is not an address', 'example.com'],
    ['localhost is a name here (pointsAtInternalAddress refuses it)', 'localhost'],
  ];
  for (const [name, address] of refused) it(`refuses ${name}: ${address}`, () => expect(isInternalAddress(address)).toBe(true));
  for (const [name, address] of allowed) it(`allows ${name}: ${address}`, () => expect(isInternalAddress(address)).toBe(false));

  it('refuses a Teredo address whose client or server is internal, allows one whose both are public', () => {
    // 2001:0:<server>:<flags>:<port>:<client with every bit inverted>
    const teredo = (server: string, client: string) => {
      const hex = (ip: string, invert = false) => {
        const bytes = ip.split('.').map((part) => Number(part) ^ (invert ? 0xff : 0));
        return [((bytes[0] << 8) | bytes[1]).toString(16), ((bytes[2] << 8) | bytes[3]).toString(16)].join(':');
      };
      return `2001:0:${hex(server)}:0:0:${hex(client, true)}`;
    };
    expect(isInternalAddress(teredo('8.8.8.8', '127.0.0.1'))).toBe(true);
    expect(isInternalAddress(teredo('10.0.0.1', '8.8.4.4'))).toBe(true);
    expect(isInternalAddress(teredo('8.8.8.8', '8.8.4.4'))).toBe(false);
  });
});

describe('pointsAtInternalAddress (unit, table)', () => {
  const rows: Array<[string, boolean]> = [
    ['http://127.0.0.1/', true],
    ['http://localhost:3000/x', true],
    ['http://LOCALHOST./', true],
    ['http://api.localhost/', true],
    ['http://2130706433/', true],
    ['http://0x7f.1/', true],
    ['http://[::1]:8080/', true],
    ['http://[::ffff:127.0.0.1]/', true],
    ['http://169.254.169.254/latest/meta-data/', true],
    ['https://example.com/hook', false],
    ['https://8.8.8.8/', false],
    ['https://[2606:4700:4700::1111]/', false],
    ['https://localhost.example.com/', false],
    ['not a url', false],
  ];
  for (const [url, expected] of rows) it(`${url} → ${expected ? 'refused' : 'not refused by address'}`, () => expect(pointsAtInternalAddress(url)).toBe(expected));
});

describe('httpUrlProblem (unit, table)', () => {
  const rows: Array<[string, unknown, string | undefined]> = [
    ['an https URL', 'https://cdn.example.com/v.mp4', undefined],
    ['an http URL with a port and query', 'http://cdn.example.com:8080/v.mp4?sig=abc', undefined],
    ['an intranet host without a TLD', 'http://cdn/v.mp4', undefined],
    ['exactly the longest allowed', `https://e.com/${'a'.repeat(MAX_URL_LENGTH - 'https://e.com/'.length)}`, undefined],
    ['one character longer', `https://e.com/${'a'.repeat(MAX_URL_LENGTH - 'https://e.com/'.length + 1)}`, `must be at most ${MAX_URL_LENGTH} characters`],
    ['not a string', 42, 'must be a string'],
    ['null', null, 'must be a string'],
    ['ftp', 'ftp://cdn.example.com/v.mp4', 'must be an http(s) URL'],
    ['javascript:', 'javascript:alert(1)', 'must be an http(s) URL'],
    ['data:', 'data:text/html,<script>', 'must be an http(s) URL'],
    ['relative', '/v.mp4', 'must be an http(s) URL'],
    ['no scheme', 'cdn.example.com/v.mp4', 'must be an http(s) URL'],
    ['empty', '', 'must be an http(s) URL'],
    ['credentials', 'https://user:pw@cdn.example.com/', 'must not contain credentials (user:password@)'],
    ['a user name alone', 'https://user@cdn.example.com/', 'must not contain credentials (user:password@)'],
    ['CR LF (header injection in Location)', 'https://cdn.example.com/\r\nSet-Cookie: a=b', 'must not contain control or invisible characters'],
    ['a tab', 'https://cdn.example.com/\tx', 'must not contain control or invisible characters'],
    ['a zero-width space', 'https://cdn.example.com/\u200bx', 'must not contain control or invisible characters'],
    ['a bidi override', 'https://cdn.example.com/\u202ex', 'must not contain control or invisible characters'],
  ];
  for (const [name, value, expected] of rows) it(`${name} → ${expected ?? 'usable'}`, () => expect(httpUrlProblem(value)).toBe(expected));
});
