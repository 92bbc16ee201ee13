/**
 * The fetch the SDK's transports and auth() run on for one remote server. It closes gaps of SDK
 * 1.32.2 at the HTTP layer, each named for the gap:
 *  - ssrfGuard: URLs taken from metadata or headers are checked (https, or http on loopback; no
 *    private addresses) before any request; redirects are followed only to checked URLs;
 *  - boundedOAuthResponses: OAuth responses are read to at most `maxBytes`, within `timeoutMs`;
 *  - crossOriginResourceMetadata: a resource_metadata URL on another origin is not fetched;
 *  - refreshCollapse: concurrent refresh_token grants with the same refresh token become one
 *    request (with rotating refresh tokens, the second would otherwise fail with invalid_grant),
 *    within this window and, through `coordinateRefresh`, across windows;
 *  - sseUnauthorizedLoop: repeated 401s on the GET SSE stream stop after a few instead of looping;
 *  - challenges: the server's 401/403 WWW-Authenticate parameters are recorded, since without an
 *    auth provider the SDK drops them (they drive Authenticate and step-up);
 *  - dpop: token requests and MCP requests get RFC 9449 proofs where the authorization server uses
 *    DPoP, with one retry on a use_dpop_nonce challenge (the SDK only knows Bearer).
 */
import { extractWWWAuthenticateParams, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { OAuthFlowError } from './errors';
import { checkUrl, systemResolver, type Resolver } from './url-guard';
import { dpopProof, nonceChallenge, type DpopKey } from './dpop';
import type { Logger } from '../ports';

export interface Challenge {
  readonly status: 401 | 403;
  /** The authentication scheme the server asked for: `bearer` or `dpop`. */
  readonly scheme?: string;
  readonly resourceMetadataUrl?: string;
  readonly scope?: string;
  readonly error?: string;
}

export interface OAuthFetchOptions {
  readonly serverUrl: string;
  readonly logger: Logger;
  readonly onChallenge: (challenge: Challenge) => void;
  /** Paths on the server's origin that belong to its authorization server (2025-03-26 layout). */
  readonly oauthPaths?: () => readonly string[];
  readonly resolver?: Resolver;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly baseFetch?: FetchLike;
  /**
   * Consulted before a refresh_token grant goes out: another window may be refreshing, or may have
   * refreshed already. `proceed` sends it (then `done` is called); otherwise `tokens` is the
   * other window's result, answered as if the token endpoint had sent it.
   */
  readonly coordinateRefresh?: (refreshToken: string) => Promise<RefreshDecision>;
  /**
   * The session's DPoP key when the authorization server uses DPoP, and whether the stored access
   * token is DPoP-bound (then the MCP requests carry `Authorization: DPoP` and a proof).
   */
  readonly dpop?: () => Promise<{ key: DpopKey; boundToken: boolean } | undefined>;
}

export type RefreshDecision =
  | { readonly proceed: true; readonly done: () => Promise<void> }
  | { readonly proceed: false; readonly tokens?: Record<string, unknown> };

const MAX_SSE_401 = 3;
const MAX_REDIRECTS = 3;
const REFRESH_REUSE_MS = 10_000;

export function createOAuthFetch(options: OAuthFetchOptions): FetchLike {
  const base: FetchLike = options.baseFetch ?? ((url, init) => fetch(url, init));
  const resolver = options.resolver ?? systemResolver;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const server = new URL(options.serverUrl);
  let sse401 = 0;
  const refreshes = new Map<string, { response: Promise<{ status: number; statusText: string; headers: [string, string][]; body: Uint8Array }>; at: number }>();

  const isOAuthRequest = (url: URL): boolean => {
    if (url.origin !== server.origin) return true;
    if (url.pathname.startsWith('/.well-known/')) return true;
    return (options.oauthPaths?.() ?? []).includes(url.pathname);
  };

  async function oauthRequest(url: URL, init: RequestInit | undefined): Promise<Response> {
    if (url.pathname.startsWith('/.well-known/oauth-protected-resource') && url.origin !== server.origin) {
      throw new OAuthFlowError('unsafe_url', `Ignored protected resource metadata on another origin (${url.origin}).`);
    }
    const body = typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : undefined;
    const refreshToken = body ? new URLSearchParams(body).get('grant_type') === 'refresh_token' && new URLSearchParams(body).get('refresh_token') : undefined;
    if (refreshToken) {
      const now = Date.now();
      for (const [k, v] of refreshes) if (now - v.at > REFRESH_REUSE_MS) refreshes.delete(k);
      const existing = refreshes.get(refreshToken);
      if (existing) {
        options.logger.debug('refresh: joined a refresh already under way');
        const r = await existing.response;
        return new Response(r.body.slice(), { status: r.status, statusText: r.statusText, headers: r.headers });
      }
      const response = refreshAcrossWindows(refreshToken, url, init);
      refreshes.set(refreshToken, { response, at: now });
      response.catch(() => refreshes.delete(refreshToken));
      const r = await response;
      return new Response(r.body.slice(), { status: r.status, statusText: r.statusText, headers: r.headers });
    }
    const r = await send(url, init);
    return new Response(r.status === 204 || r.status === 304 ? null : r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
  }

  async function refreshAcrossWindows(refreshToken: string, url: URL, init: RequestInit | undefined) {
    const decision = options.coordinateRefresh ? await options.coordinateRefresh(refreshToken) : undefined;
    if (!decision || decision.proceed) {
      try {
        return await send(url, init);
      } finally {
        await decision?.done();
      }
    }
    options.logger.debug('refresh: another window refreshed already; using its tokens');
    const body = decision.tokens
      ? JSON.stringify(decision.tokens)
      : JSON.stringify({ error: 'invalid_grant', error_description: 'The session was ended in another window.' });
    return { status: decision.tokens ? 200 : 400, statusText: '', headers: [['content-type', 'application/json']] as [string, string][], body: new TextEncoder().encode(body) };
  }

  const nonces = new Map<string, string>();

  /** A token request with a DPoP proof (and the server's nonce once it asked for one). */
  async function send(url: URL, init: RequestInit | undefined) {
    const body = typeof init?.body === 'string' ? init.body : init?.body instanceof URLSearchParams ? init.body.toString() : undefined;
    const dpop = body && new URLSearchParams(body).has('grant_type') ? await options.dpop?.() : undefined;
    if (!dpop) return sendOnce(url, init);
    const withProof = (nonce?: string) => {
      const headers = new Headers(init?.headers);
      headers.set('DPoP', dpopProof(dpop.key, init?.method ?? 'POST', url, nonce ? { nonce } : {}));
      return { ...init, headers, body };
    };
    const first = await sendOnce(url, withProof(nonces.get(url.origin)));
    const nonce = nonceChallenge(first.status, new Headers(first.headers), new TextDecoder().decode(first.body));
    if (!nonce) return first;
    nonces.set(url.origin, nonce);
    return sendOnce(url, withProof(nonce));
  }

  /** One OAuth request: checked URL, timeout, manual redirects to checked URLs, bounded body. */
  async function sendOnce(url: URL, init: RequestInit | undefined) {
    let current = url;
    let currentInit = init;
    for (let hop = 0; ; hop++) {
      if (current.origin !== server.origin) await checkUrl(current.href, describe(current), resolver);
      const signal = init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await base(current, { ...currentInit, signal, redirect: 'manual' });
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') throw new OAuthFlowError('timeout', `${capitalize(describe(current))} did not answer within ${timeoutMs / 1000} s.`);
        throw new OAuthFlowError('unreachable', `Could not reach ${describe(current)} (${current.origin}).`);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        if (hop >= MAX_REDIRECTS) throw new OAuthFlowError('invalid_metadata', `Too many redirects from ${describe(url)}.`);
        await response.body?.cancel();
        current = new URL(location, current);
        if (response.status === 303) currentInit = { ...currentInit, method: 'GET', body: null };
        continue;
      }
      const bytes = await readBounded(response, maxBytes, () => new OAuthFlowError('response_too_large', `${capitalize(describe(current))} sent more than ${Math.round(maxBytes / 1024)} KiB.`));
      const headers: [string, string][] = [];
      response.headers.forEach((v, k) => headers.push([k, v]));
      return { status: response.status, statusText: response.statusText, headers, body: bytes };
    }
  }

  /** A request to the MCP server; a DPoP-bound token goes out as `DPoP <token>` with a proof. */
  async function mcpRequest(url: URL, init: RequestInit | undefined): Promise<Response> {
    const headers = new Headers(init?.headers);
    const bearer = /^Bearer\s+(.+)$/i.exec(headers.get('authorization') ?? '')?.[1];
    const dpop = bearer ? await options.dpop?.() : undefined;
    if (!bearer || !dpop?.boundToken) return base(url, init);
    const send = (nonce?: string) => {
      const h = new Headers(headers);
      h.set('Authorization', `DPoP ${bearer}`);
      h.set('DPoP', dpopProof(dpop.key, init?.method ?? 'GET', url, { accessToken: bearer, ...(nonce ? { nonce } : {}) }));
      return base(url, { ...init, headers: h });
    };
    const response = await send(nonces.get(url.origin));
    const nonce = nonceChallenge(response.status, response.headers);
    if (!nonce) return response;
    await response.body?.cancel();
    nonces.set(url.origin, nonce);
    return send(nonce);
  }

  return async (input, init) => {
    const url = new URL(String(input));
    if (isOAuthRequest(url)) return oauthRequest(url, init);
    const response = await mcpRequest(url, init);
    if (response.status === 401 || response.status === 403) {
      const { resourceMetadataUrl, scope, error } = challengeParams(response);
      const scheme = /^\s*(\w+)/.exec(response.headers.get('www-authenticate') ?? '')?.[1]?.toLowerCase();
      options.onChallenge({
        status: response.status,
        ...(scheme ? { scheme } : {}),
        ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
        ...(scope ? { scope } : {}),
        ...(error ? { error } : {}),
      });
    }
    if ((init?.method ?? 'GET').toUpperCase() === 'GET') {
      if (response.status === 401 && ++sse401 > MAX_SSE_401) {
        await response.body?.cancel();
        throw new UnauthorizedError(`The server kept answering 401 on its event stream (${MAX_SSE_401} times).`);
      }
      if (response.ok) sse401 = 0;
    }
    return response;
  };
}

/** WWW-Authenticate parameters of a Bearer or DPoP challenge (the SDK reads only Bearer). */
function challengeParams(response: Response): ReturnType<typeof extractWWWAuthenticateParams> {
  const header = response.headers.get('www-authenticate') ?? '';
  if (!/^DPoP\s/i.test(header)) return extractWWWAuthenticateParams(response);
  return extractWWWAuthenticateParams(new Response(null, { headers: { 'www-authenticate': header.replace(/^DPoP/i, 'Bearer') } }));
}

function describe(url: URL): string {
  const p = url.pathname;
  if (p.includes('oauth-protected-resource')) return 'the protected resource metadata';
  if (p.includes('oauth-authorization-server') || p.includes('openid-configuration')) return 'the authorization server metadata';
  if (/token/.test(p)) return 'the token endpoint';
  if (/regist/.test(p)) return 'the registration endpoint';
  return 'the authorization server';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function readBounded(response: Response, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
