/**
 * Registry URLs as settings and policies name them, apart from client.ts so that reading settings and
 * policies does not load the registry client (it is loaded with Add Server…, Update and the checks).
 */
import { tryUrl } from '../config';

/** The official MCP Registry. */
export const OFFICIAL_REGISTRY = 'https://registry.modelcontextprotocol.io';
export const REGISTRY_URL_SETTING = 'mcpHub.registry.url';

/**
 * Whether two registry URLs name the same registry: the same origin and path (any case in the host,
 * a trailing slash or not). Whether a registry may be fetched from is registryBase's question.
 */
export function sameRegistry(a: string, b: string): boolean {
  const norm = (u: string) => {
    const url = tryUrl(u.trim());
    return url && (url.protocol === 'https:' || url.protocol === 'http:') ? `${url.origin}${url.pathname.replace(/\/+$/, '')}` : undefined;
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}
