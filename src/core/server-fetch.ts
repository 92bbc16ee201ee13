/**
 * The fetch a remote server's transport runs on. Static `headers` from settings (API keys) go only
 * to the MCP server itself: its own origin, never its metadata, registration or token endpoints
 * (the SDK would merge `requestInit` headers into every OAuth request, to any origin). An error
 * answer's body is read to at most ERROR_BODY_MAX bytes, so a hostile server cannot make the hub
 * hold megabytes of error text.
 *
 * Gap (undici's fetch, Node 20-24): every request adds an abort listener to the signal it is given
 * (here the SDK transport's one long-lived signal) and lets it go only when the request is garbage
 * collected; past 1,500 it warns of a leak. A server with thousands of calls in flight (the gateway
 * under load) is no leak: the transport's signal is marked unbounded.
 */
import { setMaxListeners } from 'node:events';
import type { FetchLike } from '@modelcontextprotocol/client';
import { readAtMost } from './http-body';
import { isOAuthExchange } from './oauth/oauth-fetch';

export const ERROR_BODY_MAX = 64 * 1024;
/** Paths on the server's origin that belong to the authorization server in the 2025-03-26 layout. */
const OAUTH_PATHS = new Set(['/authorize', '/token', '/register']);

export function isServerRequest(url: URL, server: URL, init?: RequestInit): boolean {
  return url.origin === server.origin && !url.pathname.startsWith('/.well-known/') && !OAUTH_PATHS.has(url.pathname) && !isOAuthExchange(init);
}

export function serverFetch(serverUrl: string, headers: Readonly<Record<string, string>>, inner?: FetchLike): FetchLike {
  const server = new URL(serverUrl);
  const next: FetchLike = inner ?? ((url, init) => fetch(url, init));
  const names = Object.keys(headers);
  const unbounded = new WeakSet<AbortSignal>();
  return async (input, init) => {
    const signal = init?.signal;
    if (signal && !unbounded.has(signal)) {
      setMaxListeners(0, signal);
      unbounded.add(signal);
    }
    const url = new URL(String(input));
    if (!isServerRequest(url, server, init)) return next(input, init);
    let sent = init;
    if (names.length > 0) {
      const h = new Headers(init?.headers);
      // The SDK's own headers (Accept, Content-Type, the session id, a bearer token) win.
      for (const name of names) if (!h.has(name)) h.set(name, headers[name]);
      sent = { ...init, headers: h };
    }
    const response = await next(input, sent);
    if (response.ok || !response.body) return response;
    return new Response((await readAtMost(response, ERROR_BODY_MAX)).bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
