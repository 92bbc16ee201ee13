/**
 * Issuers and addresses in messages: which issuer a discovery names, when two issuers are the same,
 * and a URL as a sentence may show it.
 */
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client';
import { scrubber } from '../scrub';

/** Normalises an issuer for comparison (RFC 8414 requires identity; a trailing slash is forgiven). */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** The issuer a discovery names: its metadata's (checked against the URL), else the URL it used. */
export function issuerOf(discovery: OAuthDiscoveryState | undefined): string | undefined {
  return discovery?.authorizationServerMetadata?.issuer ?? discovery?.authorizationServerUrl;
}

/**
 * A URL for a message: origin and path only (never query or fragment), and the path only when it is
 * plain, since a path chosen by a server could carry markup or a command link; keys in the path are
 * masked by the scrubber, as on every surface.
 */
export function showUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'an address that is not http(s)';
    const path = u.pathname === '/' ? '' : u.pathname;
    return scrubber.message(u.origin + (/^[\w\-./~%]{0,200}$/.test(path) ? path : '/…'));
  } catch {
    return 'an address that is not a URL';
  }
}
