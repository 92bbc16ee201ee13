/**
 * The fetch the SDK's transports and auth() run on for one remote server. It closes gaps that SDK
 * 2.4.0 still has at the HTTP layer, each named for the gap:
 *  - ssrfGuard (v2 checks only that a token endpoint is https or a loopback name): requests to any
 *    origin but the server's own go through the guard of url-guard.ts
 *    (https, or http on loopback; public addresses only, loopback only for a server on loopback),
 *    on a socket whose lookup is the guard's, so the addresses checked are the addresses
 *    connected to (no DNS rebinding between check and connect);
 *  - crossOriginRedirects (v2 follows only same-origin redirects, or any with their credentials):
 *    GET redirects are followed (at most 3) only to checked URLs, without Authorization,
 *    Cookie, Proxy-Authorization or DPoP when they leave the origin; a redirect answering a POST (a
 *    token or registration request) is refused, since it would resend credentials or codes;
 *  - boundedOAuthResponses (v2 reads them whole): OAuth responses are read to at most `maxBytes`, within `timeoutMs`;
 *  - crossOriginResourceMetadata (v2 fetches it as given): a resource_metadata URL on another origin is not fetched;
 *  - refreshCollapse (v2 has no single-flight refresh): concurrent refresh_token grants with the same refresh token become one
 *    request (with rotating refresh tokens, the second would otherwise fail with invalid_grant),
 *    within this window and, through `coordinateRefresh`, across windows;
 *  - sseUnauthorizedLoop (the classic GET stream's reconnection): repeated 401s on the GET SSE stream stop after a few instead of looping;
 *  - challenges: the server's 401/403 WWW-Authenticate parameters are recorded, since v2 reports
 *    them only on a 403 with a provider, and never the scheme (Bearer or DPoP) (they drive Authenticate and step-up); a use_dpop_nonce
 *    challenge to a request with a DPoP proof is not, since the SDK's DPoP wrapper retries it.
 * Every OAuth request is also reported to `onRequest` (the server's OAuth trace) as method, URL,
 * what kind of request its body made it, status, duration and the OAuth error code, never the body.
 * DPoP proofs are no longer made here: the SDK's DpopSession signs token requests (auth(),
 * refreshAuthorization) and, through the transport's withDpopFromProvider, MCP requests, with the
 * nonce retries; what stays ours is in dpop.ts (dpopKeyPersistence) and ServerAuth (dpopPolicy).
 */
import { extractWWWAuthenticateParams, isDpopNonceChallenge, UnauthorizedError, type FetchLike } from '@modelcontextprotocol/client';
import { pinnedRequest } from './pinned-request';
import { OAuthFlowError } from './errors';
import { readAtMost } from '../http-body';
import { checkUrl, checkUrlForm, guardedLookup, guardFor, RefusedAddressError, type Resolver } from './url-guard';
import type { Logger } from '../ports';
import type { TracedRequest } from './trace';

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
  /**
   * Replaces the network. An injected fetch connects by itself, so OAuth URLs are then checked,
   * name resolution included, just before it is called (it resolves again to connect).
   */
  readonly baseFetch?: FetchLike;
  /** What the server's own MCP requests go on (the connection's UpstreamPool); default `baseFetch` or Node's fetch. */
  readonly network?: FetchLike;
  /**
   * Consulted before a refresh_token grant goes out: another window may be refreshing, or may have
   * refreshed already. `proceed` sends it (then `done` is called); otherwise `tokens` is the
   * other window's result, answered as if the token endpoint had sent it.
   */
  readonly coordinateRefresh?: (refreshToken: string) => Promise<RefreshDecision>;
  /** Told of every OAuth request once it has its answer (or failed): for the server's OAuth trace. */
  readonly onRequest?: (request: TracedRequest) => void;
}

export type RefreshDecision = { readonly proceed: true; readonly done: () => Promise<void> } | { readonly proceed: false; readonly tokens?: Record<string, unknown> };

const MAX_SSE_401 = 3;
const MAX_REDIRECTS = 3;
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'dpop'];
/** Idle connections to authorization servers close soon: a new request resolves (and checks) anew. */
const REFRESH_REUSE_MS = 10_000;

export function createOAuthFetch(options: OAuthFetchOptions): FetchLike {
  const base: FetchLike = options.baseFetch ?? ((url, init) => fetch(url, init));
  const guard = guardFor(options.serverUrl, options.resolver);
  const injected = options.baseFetch;
  let pinned: ((url: URL, init: RequestInit) => Promise<Response>) | undefined;
  /** Requests to other origins than the server's: only to addresses the guard checked. */
  const guardedFetch = async (url: URL, init: RequestInit): Promise<Response> => {
    if (injected) {
      await checkUrl(url.href, describe(url, init), guard);
      return injected(url, init);
    }
    pinned ??= pinnedRequest(guardedLookup(guard));
    return pinned(url, init);
  };

  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const server = new URL(options.serverUrl);
  let sse401 = 0;
  const refreshes = new Map<string, { response: Promise<{ status: number; statusText: string; headers: [string, string][]; body: Uint8Array }>; at: number }>();

  const isOAuthRequest = (url: URL, init: RequestInit | undefined): boolean => {
    if (url.origin !== server.origin) return true;
    if (url.pathname.startsWith('/.well-known/')) return true;
    // An authorization server on the MCP server's own origin may use any path: a token or
    // registration request is known by what it sends, not by where.
    if (isOAuthExchange(init)) return true;
    return (options.oauthPaths?.() ?? []).includes(url.pathname);
  };

  async function oauthRequest(url: URL, init: RequestInit | undefined): Promise<Response> {
    const started = performance.now();
    const form = formOf(init);
    const traced = { method: (init?.method ?? 'GET').toUpperCase(), url, ...(form?.has('grant_type') ? { grantType: form.get('grant_type')! } : {}) };
    const registration = !form && isOAuthExchange(init);
    const report = (outcome: { status?: number; error?: string; note?: string }) =>
      options.onRequest?.({ ...traced, ...(registration ? { registration } : {}), ...outcome, ms: performance.now() - started });
    /** How a refresh was answered when it did not go out itself. */
    let note: string | undefined;
    let r: { status: number; statusText: string; headers: [string, string][]; body: Uint8Array };
    try {
      if (url.pathname.startsWith('/.well-known/oauth-protected-resource') && url.origin !== server.origin) {
        throw new OAuthFlowError('unsafe_url', `Ignored protected resource metadata on another origin (${url.origin}).`);
      }
      const refreshToken = form?.get('grant_type') === 'refresh_token' && form.get('refresh_token');
      if (refreshToken) {
        const now = Date.now();
        for (const [k, v] of refreshes) if (now - v.at > REFRESH_REUSE_MS) refreshes.delete(k);
        const existing = refreshes.get(refreshToken);
        if (existing) {
          options.logger.debug('refresh: joined a refresh already under way');
          note = 'joined a refresh already under way';
          r = await existing.response;
        } else {
          const response = refreshAcrossWindows(refreshToken, url, init, (n) => (note = n));
          refreshes.set(refreshToken, { response, at: now });
          response.catch(() => refreshes.delete(refreshToken));
          r = await response;
        }
        // The bytes are shared with requests that joined this refresh: each gets its own copy.
        r = { ...r, body: r.body.slice() };
      } else {
        r = await send(url, init);
      }
    } catch (error) {
      report({ error: error instanceof OAuthFlowError ? error.code : 'failed' });
      throw error;
    }
    report({ status: r.status, ...(r.status >= 400 ? oauthErrorOf(r.body) : {}), ...(note ? { note } : {}) });
    return new Response(r.status === 204 || r.status === 304 ? null : r.body, { status: r.status, statusText: r.statusText, headers: r.headers });
  }

  async function refreshAcrossWindows(refreshToken: string, url: URL, init: RequestInit | undefined, answeredBy: (note: string) => void) {
    const decision = options.coordinateRefresh ? await options.coordinateRefresh(refreshToken) : undefined;
    if (!decision || decision.proceed) {
      try {
        return await send(url, init);
      } finally {
        await decision?.done();
      }
    }
    options.logger.debug('refresh: another window refreshed already; using its tokens');
    answeredBy(decision.tokens ? 'another window had refreshed already; its tokens were used' : 'the session was ended in another window');
    const body = decision.tokens ? JSON.stringify(decision.tokens) : JSON.stringify({ error: 'invalid_grant', error_description: 'The session was ended in another window.' });
    return { status: decision.tokens ? 200 : 400, statusText: '', headers: [['content-type', 'application/json']] as [string, string][], body: new TextEncoder().encode(body) };
  }

  /**
   * One OAuth request: checked URL, timeout, manual redirects to checked URLs (GET only, without
   * credentials across origins), bounded body.
   */
  async function send(url: URL, init: RequestInit | undefined) {
    let current = url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    for (let hop = 0; ; hop++) {
      const what = describe(current, init);
      const guarded = current.origin !== server.origin;
      if (guarded) checkUrlForm(current.href, what, guard);
      const signal = init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
      const request: RequestInit = { ...init, headers: [...headers], signal, redirect: 'manual' };
      let response: Response;
      try {
        response = guarded ? await guardedFetch(current, request) : await base(current, request);
      } catch (error) {
        if ((error as Error).name === 'TimeoutError') throw new OAuthFlowError('timeout', `${capitalize(what)} did not answer within ${timeoutMs / 1000} s.`);
        const refused = findCause(error, RefusedAddressError);
        if (refused) throw new OAuthFlowError('unsafe_url', `Refused ${what} (${current.origin}): ${refused.reason}.`);
        if (error instanceof OAuthFlowError && error.code === 'unsafe_url') throw error;
        throw new OAuthFlowError('unreachable', `Could not reach ${what} (${current.origin}).`);
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (method !== 'GET' && method !== 'HEAD') {
          throw new OAuthFlowError(
            'redirect_refused',
            `${capitalize(what)} (${current.origin}) answered with a redirect (HTTP ${response.status}); MCP Hub does not resend credentials to another address.`,
          );
        }
        if (hop >= MAX_REDIRECTS) throw new OAuthFlowError('redirect_refused', `${capitalize(describe(url, init))} (${url.origin}) redirected more than ${MAX_REDIRECTS} times.`);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          throw new OAuthFlowError('unsafe_url', `Refused a redirect from ${what} (${current.origin}): it is not a valid URL.`);
        }
        if (next.origin !== current.origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
        current = next;
        continue;
      }
      const bytes = await readBounded(response, maxBytes, () => new OAuthFlowError('response_too_large', `${capitalize(what)} sent more than ${Math.round(maxBytes / 1024)} KiB.`));
      const responseHeaders: [string, string][] = [];
      response.headers.forEach((v, k) => responseHeaders.push([k, v]));
      return { status: response.status, statusText: response.statusText, headers: responseHeaders, body: bytes };
    }
  }

  return async (input, init) => {
    const url = new URL(String(input));
    if (isOAuthRequest(url, init)) return oauthRequest(url, init);
    const response = await (options.network ?? base)(url, init);
    // The SDK's withDpop retries this one with the nonce (and the retry's answer is what counts).
    if (isDpopNonceChallenge(response) && response.headers.has('dpop-nonce') && new Headers(init?.headers).has('dpop')) return response;
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

/**
 * Whether a request is a token request (a form body with grant_type) or a client registration (a
 * JSON body with redirect_uris or grant_types): never an MCP message, whatever its URL.
 */
export function isOAuthExchange(init: RequestInit | undefined): boolean {
  const body = init?.body;
  if (body instanceof URLSearchParams) return body.has('grant_type');
  if (typeof body !== 'string') return false;
  const text = body.trimStart();
  // What the SDK sends: JSON.stringify of a JSON-RPC message, which starts so (a registration never has "jsonrpc").
  if (text.startsWith('{"jsonrpc":')) return false;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      // JSON-RPC messages have "jsonrpc"; registrations never do.
      return typeof json === 'object' && json !== null && !('jsonrpc' in json) && ('redirect_uris' in json || 'grant_types' in json);
    } catch {
      return false;
    }
  }
  return !text.startsWith('[') && new URLSearchParams(text).has('grant_type');
}

/** A token request's form body, read without keeping it (the grant type is all the trace takes). */
function formOf(init: RequestInit | undefined): URLSearchParams | undefined {
  const body = init?.body;
  if (body instanceof URLSearchParams) return body;
  if (typeof body !== 'string' || body.trimStart().startsWith('{') || body.trimStart().startsWith('[')) return undefined;
  const form = new URLSearchParams(body);
  return form.has('grant_type') ? form : undefined;
}

/** The RFC 6749 `error` code of a failed OAuth response, when it is one; nothing else of the body. */
function oauthErrorOf(body: Uint8Array): { error?: string } {
  try {
    const error = (JSON.parse(new TextDecoder().decode(body)) as { error?: unknown } | null)?.error;
    return typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? { error } : {};
  } catch {
    return {};
  }
}

/** WWW-Authenticate parameters of a Bearer or DPoP challenge (the SDK reads only Bearer). */
function challengeParams(response: Response): ReturnType<typeof extractWWWAuthenticateParams> {
  const header = response.headers.get('www-authenticate') ?? '';
  if (!/^DPoP\s/i.test(header)) return extractWWWAuthenticateParams(response);
  return extractWWWAuthenticateParams(new Response(null, { headers: { 'www-authenticate': header.replace(/^DPoP/i, 'Bearer') } }));
}

/** What a request is for, in words: the token endpoint for any grant, else by path. */
function describe(url: URL, init?: RequestInit): string {
  const body = init?.body;
  const form = typeof body === 'string' ? body : body instanceof URLSearchParams ? body.toString() : '';
  if (/(^|&)grant_type=/.test(form)) return 'the token endpoint';
  const p = url.pathname;
  if (p.includes('oauth-protected-resource')) return 'the protected resource metadata';
  if (p.includes('oauth-authorization-server') || p.includes('openid-configuration')) return 'the authorization server metadata';
  if (/token/.test(p)) return 'the token endpoint';
  if (/regist/.test(p)) return 'the registration endpoint';
  return 'the authorization server';
}

/** `error` or the first error in its `cause` chain that is a `type` (a socket wraps the lookup's refusal). */
function findCause<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof type) return e;
  return undefined;
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
  const { bytes, truncated } = await readAtMost(response, maxBytes);
  if (truncated) throw tooLarge();
  return bytes;
}
