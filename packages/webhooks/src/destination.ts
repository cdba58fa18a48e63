import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '@warren/core';
import ipaddr from 'ipaddr.js';

/**
 * Why an address must not be a webhook destination, or null when it may: anything but a public
 * unicast address — loopback, private, link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, unique-local, multicast, reserved, and IPv6 forms that embed an IPv4
 * address (mapped, NAT64, 6to4, Teredo) unless the embedded one is public itself.
 */
export function refusedAddress(address: string): string | null {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : `${ip.toString()} is ${range}`;
}

/** `[::1]` → `::1`: URL keeps IPv6 hosts in brackets. */
export const bareHost = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

export interface DestinationPolicy {
  /** The operator allows private and loopback destinations (a local demo, a private network). */
  allowPrivate: boolean;
}

/**
 * Checks an endpoint URL when it is created or changed: http(s), no credentials in it, and a host
 * that is not (and does not now resolve to) a refused address. A name that does not resolve yet
 * is accepted; every attempt checks the addresses it connects to again (see sendAttempt), since
 * what a name resolves to can change after this check.
 */
export async function checkDestination(url: URL, policy: DestinationPolicy): Promise<void> {
  const refuse = (why: string) => new AppError('destination_refused', `${url.origin} is refused as a webhook destination: ${why}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('only http and https are allowed');
  if (url.username || url.password) throw refuse('credentials in the URL are not allowed; sign requests with the secret instead');
  if (policy.allowPrivate) return;
  const host = bareHost(url.hostname);
  const addresses = isIP(host) ? [host] : await resolveAll(host);
  for (const address of addresses) {
    const why = refusedAddress(address);
    if (why) throw refuse(why);
  }
}

async function resolveAll(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return []; // not resolvable now: decided at each attempt
  }
}
