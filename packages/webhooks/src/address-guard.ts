import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must not reach unless WEBHOOK_ALLOW_PRIVATE is set: this host, its
 * private networks and the cloud metadata service (169.254.169.254) are where a webhook URL
 * turned against the deployment would point (SSRF). IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, -compatible, -translated) are refused whatever address they carry.
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: reaches IPv4 through a translator
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed inside some networks)
  ['ff00::', 8], // multicast
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/**
 * IPv6 forms that carry an IPv4 address. A BlockList checks an IPv4 address against its IPv6
 * rules too, as ::ffff:a.b.c.d, so these live apart and are checked for IPv6 addresses only.
 */
const IPV4_IN_IPV6 = new BlockList();
for (const [net, bits] of [
  // The old IPv4-compatible form (::a.b.c.d), which some stacks still route to the IPv4 address.
  ['::', 96],
  ['::ffff:0:0', 96], // IPv4-mapped: a resolver has no business answering one
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
] as const)
  IPV4_IN_IPV6.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is public (a webhook may go there without WEBHOOK_ALLOW_PRIVATE). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6 && IPV4_IN_IPV6.check(address, 'ipv6')) return false;
  return !PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A delivery refused because its address is private: not retried, logged and counted. */
export class AddressRefusedError extends Error {
  override readonly name = 'AddressRefusedError';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the host and refuses it unless every address it
 * resolves to is public. The connection then goes to the address that was checked, so a DNS
 * answer that changes between a check and the connect (DNS rebinding) cannot slip through.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, ...(typeof options.family === 'number' && options.family !== 0 && { family: options.family }) }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(new AddressRefusedError(`${hostname} resolves to ${refused.address}, a private address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)`), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}

/** A URL whose host is an IP literal never goes through lookup: check it directly. */
export function checkLiteralHost(url: URL, allowPrivate: boolean): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowPrivate || isIP(host) === 0) return;
  if (!isPublicAddress(host)) throw new AddressRefusedError(`${host} is a private address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)`);
}
