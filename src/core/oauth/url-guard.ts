/**
 * The SSRF guard for every URL the OAuth flow takes from metadata, headers or redirects.
 *
 * A URL passes when it is https (http only on a loopback host), carries no credentials, and every
 * address its host stands for is public unicast, or loopback where loopback is allowed. Loopback is
 * allowed only for an MCP server that is itself on loopback (`guardFor`): a remote server must not
 * aim the flow at services on the user's machine.
 *
 * Addresses are classified with ipaddr.js, whose range() follows the IANA special-purpose
 * registries. Every IPv6 form that embeds an IPv4 address (mapped, translated, NAT64, 6to4, Teredo,
 * IPv4-compatible) is refused outright instead of being judged by the IPv4 address inside: no
 * authorization server is reached that way, and one rule is harder to get wrong than six decoders.
 * Odd IPv4 literals (http://0x7f.1/, http://2130706433/) are taken only as WHATWG URL normalises
 * them, so the guard judges the address the socket would use.
 *
 * Host names are judged by what they resolve to, all answers together (one private answer refuses
 * the name). `guardedLookup` does this for a socket, so the addresses checked are the addresses
 * connected to: no DNS rebinding between check and connect.
 */
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { assertSecureTokenEndpoint, InsecureTokenEndpointError } from '@modelcontextprotocol/client';
import ipaddr from 'ipaddr.js';
import { OAuthFlowError } from './errors';

export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface GuardOptions {
  /** Whether loopback hosts and addresses pass: only for an MCP server that is itself on loopback. */
  readonly allowLoopback: boolean;
  readonly resolver?: Resolver;
}

/** The guard for the OAuth URLs of the MCP server at `serverUrl` (configured by the user). */
export function guardFor(serverUrl: string, resolver?: Resolver): GuardOptions {
  let allowLoopback = false;
  try {
    allowLoopback = isLoopbackHost(new URL(serverUrl).hostname);
  } catch {
    // Not a URL: nothing is loopback for it.
  }
  return resolver ? { allowLoopback, resolver } : { allowLoopback };
}

/** `public`: global unicast. `special`: every other range (private, link-local, embedded IPv4…). */
export type AddressKind = 'loopback' | 'public' | 'special';

/**
 * Ranges ipaddr.js 2.5 reports as plain IPv6 `unicast`. IPv4-compatible addresses (RFC 4291
 * §2.5.5.1, deprecated) embed an IPv4 address; `::` and `::1` inside it are matched first.
 */
const EXTRA_IPV6_RANGES: ReadonlyArray<[string, string]> = [['ipv4Compatible', '::/96']];
/** RFC 4291 global unicast; IPv6 `unicast` outside it is unassigned, not public. */
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * The name of the range `ip` is in: ipaddr.js's range() (`unicast`, `private`, `linkLocal`,
 * `rfc6052`…), `ipv4Compatible`, `unassigned`, or `invalid` when `ip` is not a plain IP address.
 */
export function addressRange(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '');
  // node:net's isIP is strict; ipaddr.js alone would also take forms like "0x7f.1" or "2130706433".
  const version = isIP(bare);
  if (version === 4) return ipaddr.IPv4.parse(bare).range();
  if (version !== 6) return 'invalid';
  const address = ipaddr.IPv6.parse(bare);
  const range = address.range();
  if (range !== 'unicast') return range;
  for (const [name, cidr] of EXTRA_IPV6_RANGES) if (address.match(ipaddr.IPv6.parseCIDR(cidr))) return name;
  return address.match(IPV6_GLOBAL_UNICAST) ? 'unicast' : 'unassigned';
}

export function addressKind(ip: string): AddressKind {
  const range = addressRange(ip);
  if (range === 'loopback') return 'loopback';
  return range === 'unicast' ? 'public' : 'special';
}

/** Whether a URL's host is a loopback literal or a `localhost` name. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isLocalhostName(bare)) return true;
  return isIP(bare) !== 0 && addressKind(bare) === 'loopback';
}

/** RFC 6761 §6.3: `localhost` names are this machine; they are answered here, never asked of DNS. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

const LOCALHOST_ADDRESSES = ['127.0.0.1', '::1'];

/** An address the guard refused. `reason` completes "Refused <what> (<origin>): <reason>." */
export class RefusedAddressError extends OAuthFlowError {
  constructor(
    host: string,
    readonly reason: string,
  ) {
    super('unsafe_url', `Refused the host ${host}: ${reason}.`);
  }
}

const EMBEDS_IPV4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4', 'teredo', 'ipv4Compatible']);

function describeRange(range: string): string {
  if (EMBEDS_IPV4.has(range)) return 'an IPv6 address that embeds an IPv4 address';
  switch (range) {
    case 'private':
      return 'a private address';
    case 'linkLocal':
      return 'a link-local address';
    case 'uniqueLocal':
      return 'a unique-local address';
    case 'carrierGradeNat':
      return 'a carrier-grade NAT address';
    case 'unspecified':
      return 'the unspecified address';
    case 'broadcast':
      return 'the broadcast address';
    case 'multicast':
      return 'a multicast address';
    default:
      return 'a special-purpose address';
  }
}

/** Undefined when `ip` passes, else why not, after `via` ("it points to", "its host name resolves to"). */
function refusalOf(ip: string, allowLoopback: boolean, via: string): string | undefined {
  const range = addressRange(ip);
  if (range === 'unicast') return undefined;
  if (range === 'loopback') return allowLoopback ? undefined : `${via} ${LOOPBACK}`;
  return `${via} ${describeRange(range)}`;
}

const LOOPBACK = 'this machine (loopback), which only an MCP server on this machine may use';

/**
 * The addresses `host` (a URL hostname) stands for, every one checked; throws RefusedAddressError
 * when any fails, OAuthFlowError('unreachable') when the name does not resolve.
 */
export async function checkedAddresses(host: string, options: GuardOptions): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) {
    const refused = refusalOf(bare, options.allowLoopback, 'it points to');
    if (refused) throw new RefusedAddressError(host, refused);
    return [bare];
  }
  if (isLocalhostName(bare)) {
    if (!options.allowLoopback) throw new RefusedAddressError(host, `it points to ${LOOPBACK}`);
    return LOCALHOST_ADDRESSES;
  }
  let addresses: string[];
  try {
    addresses = await (options.resolver ?? systemResolver)(bare);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) throw new OAuthFlowError('unreachable', `Could not resolve the host ${host}.`);
  for (const address of addresses) {
    const refused = refusalOf(address, options.allowLoopback, 'its host name resolves to');
    if (refused) throw new RefusedAddressError(host, refused);
  }
  return addresses;
}

/** How a URL is shown in messages: its origin, or its scheme when it has none (javascript:, data:). */
function shown(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : `a ${url.protocol} URL`;
}

function refusal(what: string, url: URL, reason: string): OAuthFlowError {
  return new OAuthFlowError('unsafe_url', `Refused ${what} (${shown(url)}): ${reason}.`);
}

/**
 * The checks that need no DNS: a valid URL, https (http only on a loopback host), no credentials,
 * and a literal address that passes. Names are left to `checkUrl` or `guardedLookup`.
 */
export function checkUrlForm(raw: string, what: string, options: Pick<GuardOptions, 'allowLoopback'>): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OAuthFlowError('unsafe_url', `Refused ${what}: it is not a valid URL.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(host);
  if (loopback && !options.allowLoopback) throw refusal(what, url, `it points to ${LOOPBACK}`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw refusal(what, url, 'it must use https (http is allowed only on loopback)');
  }
  if (url.username || url.password) throw refusal(what, url, 'it carries credentials');
  if (isIP(host)) {
    const refused = refusalOf(host, options.allowLoopback, 'it points to');
    if (refused) throw refusal(what, url, refused);
  }
  return url;
}

/** The hosts the SDK sends token requests to over http; everything else needs https. */
export const HTTP_TOKEN_HOSTS = 'localhost (or a name ending in .localhost), 127.0.0.1 or [::1]';

/**
 * Whether the SDK will send a token request to `url`. Its assertSecureTokenEndpoint allows http only
 * on HTTP_TOKEN_HOSTS, narrower than the loopback this guard allows (all of 127.0.0.0/8), and it
 * checks only when the token request is made: after registration, and after the person signed in
 * in the browser. Asking the SDK's own check keeps the two rules the same.
 */
export function sdkSendsTokensTo(url: string | URL): boolean {
  try {
    assertSecureTokenEndpoint(url);
    return true;
  } catch (error) {
    if (error instanceof InsecureTokenEndpointError || error instanceof TypeError) return false;
    throw error;
  }
}

/**
 * Throws OAuthFlowError('unsafe_url') unless the SDK will send token requests to `raw`, so such an
 * endpoint is refused when the metadata arrives: before registration and before any browser page.
 * `what` names the endpoint by its metadata field, e.g. "the token_endpoint".
 */
export function checkTokenEndpoint(raw: string, what: string): void {
  if (sdkSendsTokensTo(raw)) return;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OAuthFlowError('unsafe_url', `Refused ${what}: it is not a valid URL.`);
  }
  throw refusal(what, url, `over http, tokens are sent only to ${HTTP_TOKEN_HOSTS}, so the sign-in could not finish; use https or one of those hosts`);
}

/**
 * Throws OAuthFlowError('unsafe_url') unless `raw` is safe to fetch or open, resolving its host
 * name. `what` names the URL in the message, e.g. "the token endpoint". For a URL this process
 * fetches, prefer `checkUrlForm` with a `guardedLookup` connection: it resolves once, not twice.
 */
export async function checkUrl(raw: string, what: string, options: GuardOptions): Promise<URL> {
  const url = checkUrlForm(raw, what, options);
  try {
    await checkedAddresses(url.hostname, options);
  } catch (error) {
    if (error instanceof RefusedAddressError) throw refusal(what, url, error.reason);
    if (error instanceof OAuthFlowError) throw new OAuthFlowError('unreachable', `Could not resolve the host of ${what} (${url.host}).`);
    throw error;
  }
  return url;
}

/**
 * A `lookup` for sockets (net.connect, http.request): it resolves through the
 * guard and hands the socket only addresses it checked, so the check and the connection use the
 * same answer.
 */
export function guardedLookup(options: GuardOptions): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    checkedAddresses(hostname, options).then(
      (addresses) => {
        const want = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : (lookupOptions.family ?? 0);
        const usable = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => want === 0 || a.family === want);
        const first = usable[0];
        if (!first) {
          callback(Object.assign(new Error(`No IPv${want} address for ${hostname}.`), { code: 'ENOTFOUND' }), '');
        } else if (lookupOptions.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error, ''),
    );
  };
}
