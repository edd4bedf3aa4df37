/**
 * Where a job's completion callback may go, and how it is signed. A callback
 * URL is a request our own network makes on a client's behalf (SSRF): only
 * http(s) to public unicast addresses, decided on the addresses the name
 * resolves to at send time (the worker then connects to exactly that address,
 * so DNS cannot change its answer in between). Loopback, private, shared
 * (CGNAT), link-local (cloud metadata at 169.254.169.254), multicast,
 * reserved, documentation and benchmark ranges, IPv6 unique-local,
 * link-local, NAT64 and IPv4-mapped forms of all these are refused.
 */
import { createHmac } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

export const MAX_CALLBACK_URL_LENGTH = 2048;

const FORBIDDEN: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'a "this network" address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (cloud metadata lives there)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a protocol-assignment address'],
  ['192.0.2.0', 24, 'ipv4', 'a documentation address'],
  ['192.88.99.0', 24, 'ipv4', 'a relay address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['198.51.100.0', 24, 'ipv4', 'a documentation address'],
  ['203.0.113.0', 24, 'ipv4', 'a documentation address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['64:ff9b::', 96, 'ipv6', 'a NAT64 address'],
  ['64:ff9b:1::', 48, 'ipv6', 'a NAT64 address'],
  ['100::', 64, 'ipv6', 'a discard address'],
  ['2001::', 23, 'ipv6', 'a protocol-assignment address'],
  ['2001:db8::', 32, 'ipv6', 'a documentation address'],
  ['2002::', 16, 'ipv6', 'a 6to4 address'],
  ['fc00::', 7, 'ipv6', 'a unique-local address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['fec0::', 10, 'ipv6', 'a site-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const RANGES = FORBIDDEN.map(([network, prefix, family, reason]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, reason };
});

/** `::ffff:10.0.0.1` and `::10.0.0.1` reach the IPv4 address: judge that one. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^::(?:ffff(?::0{1,4})?:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (match) return match[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * Why a callback may not go to this address, or undefined when it may.
 * `allowed` (operators' CALLBACK_ALLOWED_CIDRS, e.g. a receiver on the local
 * stack) is checked first.
 */
export function forbiddenAddress(address: string, allowed?: BlockList): string | undefined {
  const version = isIP(address);
  if (version === 0) return 'not an IP address';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (allowed?.check(address, family)) return undefined;
  const v4 = family === 'ipv6' ? embeddedIpv4(address) : undefined;
  if (v4) return forbiddenAddress(v4, allowed);
  return RANGES.find((r) => r.family === family && r.list.check(address, family))?.reason;
}

/** Operators' exceptions, `10.1.0.0/16,127.0.0.1/32`: for receivers inside their own network. */
export function allowedCidrs(text: string): BlockList {
  const list = new BlockList();
  for (const cidr of text.split(',').map((c) => c.trim()).filter(Boolean)) {
    const [network, prefix] = cidr.split('/');
    const version = isIP(network ?? '');
    if (version === 0 || prefix === undefined || !/^\d+$/.test(prefix)) throw new Error(`not a CIDR: ${cidr}`);
    list.addSubnet(network!, Number(prefix), version === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** What is wrong with a callback URL as written (its addresses are judged when it is used), or undefined. */
export function callbackUrlProblem(text: string): string | undefined {
  if (text.length > MAX_CALLBACK_URL_LENGTH) return `must be at most ${MAX_CALLBACK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const reason = forbiddenAddress(host);
    if (reason) return `must not point at ${reason}`;
  } else if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    return 'must name a public host';
  }
  return undefined;
}

/**
 * A tenant's callback secret: derived from the platform's signing key, so
 * nothing more is stored; the keys CLI shows it to the tenant. Rotating the
 * signing key rotates every tenant's secret.
 */
export function callbackSecret(signingKey: string, tenantId: string): string {
  return createHmac('sha256', signingKey).update(`callback:${tenantId}`).digest('base64url');
}

export const SIGNATURE_HEADER = 'x-runplane-signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it and rejects old timestamps. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}
