/**
 * Names at the gateway's combined endpoint (/mcp), where every hub server's tools and prompts sit
 * side by side. The scheme is stable (a pure function of server and tool name) and stays within
 * the common tool-name limit `^[A-Za-z0-9_-]{1,64}$`:
 *
 *   <server>__<tool>                 when both are already made of A-Z a-z 0-9 _ - and it fits;
 *   <cleaned, cut>_<8 hex>           otherwise: other characters become `_`, the text is cut to fit,
 *                                    and 8 hex digits of sha256(server, tool) keep it unique.
 *
 * Resource URIs are wrapped the same way for every server: mcp-hub://<server>/<encoded URI>.
 */
import { createHash } from 'node:crypto';

export const MAX_NAME = 64;
const SAFE = /^[A-Za-z0-9_-]+$/;
const SEPARATOR = '__';

export function combinedName(server: string, name: string): string {
  const plain = `${server}${SEPARATOR}${name}`;
  if (SAFE.test(server) && SAFE.test(name) && plain.length <= MAX_NAME) return plain;
  const hash = createHash('sha256')
    .update(JSON.stringify([server, name]))
    .digest('hex')
    .slice(0, 8);
  const cleaned = plain.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_NAME - hash.length - 1);
  return `${cleaned}_${hash}`;
}

const RESOURCE_SCHEME = 'mcp-hub:';

export function combinedUri(server: string, uri: string): string {
  return `${RESOURCE_SCHEME}//${encodeURIComponent(server)}/${encodeURIComponent(uri)}`;
}

/** The server and original URI of a combined resource URI, or undefined for anything else. */
export function splitCombinedUri(uri: string): { server: string; uri: string } | undefined {
  const m = /^mcp-hub:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) return undefined;
  try {
    return { server: decodeURIComponent(m[1]), uri: decodeURIComponent(m[2]) };
  } catch {
    return undefined;
  }
}
