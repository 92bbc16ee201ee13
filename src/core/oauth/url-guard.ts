/**
 * The SSRF guard for every URL the OAuth flow takes from metadata or headers: https, or http only on
 * loopback; never a private, link-local or unique-local address (IPv4-mapped IPv6 included), whether
 * written as a literal or reached through a host name. Loopback is allowed: it is the user's machine.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { OAuthFlowError } from './errors';

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

type AddressKind = 'loopback' | 'private' | 'public';

function ipv4Kind(ip: string): AddressKind {
  const [a, b] = ip.split('.').map(Number) as [number, number, number, number];
  if (a === 127) return 'loopback';
  if (a === 10 || a === 0) return 'private';
  if (a === 172 && b >= 16 && b <= 31) return 'private';
  if (a === 192 && b === 168) return 'private';
  if (a === 169 && b === 254) return 'private'; // link-local, cloud metadata
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a >= 224) return 'private'; // multicast, reserved, broadcast
  return 'public';
}

function expandIpv6(ip: string): number[] {
  let text = ip.toLowerCase().replace(/^\[|\]$/g, '').split('%')[0]!;
  // A dotted IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g || '0', 16));
}

function ipv6Kind(ip: string): AddressKind {
  const g = expandIpv6(ip);
  if (g.length !== 8) return 'private';
  if (g.every((x, i) => (i < 7 ? x === 0 : x === 1))) return 'loopback'; // ::1
  if (g.every((x) => x === 0)) return 'private'; // ::
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judge the IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return ipv4Kind(`${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`);
  }
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  if ((g[0]! & 0xffc0) === 0xfe80) return 'private'; // fe80::/10 link-local
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 site-local (deprecated)
  if ((g[0]! & 0xff00) === 0xff00) return 'private'; // multicast
  return 'public';
}

export function addressKind(ip: string): AddressKind {
  const bare = ip.replace(/^\[|\]$/g, '');
  const v = isIP(bare);
  if (v === 4) return ipv4Kind(bare);
  if (v === 6) return ipv6Kind(bare);
  return 'private';
}

/** Whether a URL's host is a loopback literal or `localhost`. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return isIP(bare) !== 0 && addressKind(bare) === 'loopback';
}

/**
 * Throws OAuthFlowError('unsafe_url') unless `raw` is safe to fetch or open. `what` names the URL in
 * the message, e.g. "the token endpoint".
 */
export async function checkUrl(raw: string, what: string, resolve: Resolver = systemResolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OAuthFlowError('unsafe_url', `Refused ${what}: it is not a valid URL.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = isLoopbackHost(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new OAuthFlowError('unsafe_url', `Refused ${what} (${url.origin}): it must use https (http is allowed only on loopback).`);
  }
  if (url.username || url.password) throw new OAuthFlowError('unsafe_url', `Refused ${what} (${url.origin}): it carries credentials.`);
  if (isIP(host)) {
    if (addressKind(host) === 'private') throw new OAuthFlowError('unsafe_url', `Refused ${what} (${url.origin}): it points to a private or link-local address.`);
    return url;
  }
  if (loopback) return url;
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new OAuthFlowError('unreachable', `Could not resolve the host of ${what} (${url.host}).`);
  }
  if (addresses.some((a) => addressKind(a) === 'private')) {
    throw new OAuthFlowError('unsafe_url', `Refused ${what} (${url.origin}): its host name resolves to a private or link-local address.`);
  }
  return url;
}
