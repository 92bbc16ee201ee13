/**
 * The fetch the SDK's transports and auth() run on for one remote server, composed here, in one
 * place, of fetch middlewares (the SDK's `Middleware`, `(next: FetchLike) => FetchLike`), each
 * named for the gap of SDK 2.4.0 it closes and tested against it (test/unit/oauth-middleware.test.ts,
 * quirks.test.ts):
 *
 * OAuth requests (to the authorization server, its metadata, or the server's well-known documents),
 * from the outside in:
 *  - quirks (middleware/quirks.ts): assumeS256, formEncodedTokenResponses, commaSeparatedScopes;
 *  - tokenExchangeErrors (middleware/token-exchange.ts): an RFC 8693 refusal as an OAuthError;
 *  - traceOAuthRequests (middleware/trace.ts): each request to the server's OAuth trace;
 *  - crossOriginResourceMetadata, then refreshCollapse (middleware/refresh.ts: one refresh per
 *    refresh token, in this window and across windows), then boundedOAuthResponses,
 *    crossOriginRedirects and ssrfGuard (middleware/network.ts), next to the network.
 * Requests to the MCP server itself: recordChallenges and sseUnauthorizedLoop (middleware/challenges.ts).
 *
 * DPoP proofs are not made here: the SDK's DpopSession signs token requests (auth(),
 * refreshAuthorization) and, through the transport's withDpopFromProvider, MCP requests, with the
 * nonce retries; what stays ours is in dpop.ts (the key, and when a session uses one).
 */
import { applyMiddlewares, type FetchLike } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Logger } from '../ports';
import { recordChallenges, sseUnauthorizedLoop, type Challenge } from './middleware/challenges';
import { isOAuthExchange } from './middleware/http';
import { boundedOAuthResponses, crossOriginRedirects, crossOriginResourceMetadata, ssrfGuard } from './middleware/network';
import { quirkMiddlewares } from './middleware/quirks';
import { refreshCollapse, type RefreshDecision } from './middleware/refresh';
import { tokenExchangeErrors } from './middleware/token-exchange';
import { traceOAuthRequests } from './middleware/trace';
import type { TracedRequest } from './trace';
import { guardFor, type Resolver } from './url-guard';

export type { Challenge } from './middleware/challenges';
export type { RefreshDecision } from './middleware/refresh';
export { isOAuthExchange } from './middleware/http';

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
   * refreshed already (see RefreshDecision).
   */
  readonly coordinateRefresh?: (refreshToken: string) => Promise<RefreshDecision>;
  /** Told of every OAuth request once it has its answer (or failed): for the server's OAuth trace. */
  readonly onRequest?: (request: TracedRequest) => void;
  /** The entry's auth settings: the quirks of its authorization server they name (middleware/quirks.ts). */
  readonly auth?: AuthSettings;
}

export function createOAuthFetch(options: OAuthFetchOptions): FetchLike {
  const base: FetchLike = options.baseFetch ?? ((url, init) => fetch(url, init));
  const server = new URL(options.serverUrl);
  const toAuthorizationServers = applyMiddlewares(
    ssrfGuard({ serverUrl: options.serverUrl, guard: guardFor(options.serverUrl, options.resolver), throughNext: options.baseFetch !== undefined }),
    crossOriginRedirects,
    boundedOAuthResponses({ timeoutMs: options.timeoutMs ?? 30_000, maxBytes: options.maxBytes ?? 1024 * 1024 }),
    refreshCollapse({ logger: options.logger, ...(options.coordinateRefresh ? { coordinate: options.coordinateRefresh } : {}) }),
    crossOriginResourceMetadata(options.serverUrl),
    traceOAuthRequests(options.onRequest),
    tokenExchangeErrors,
    ...quirkMiddlewares(options.auth),
  )(base);
  const toServer = applyMiddlewares(recordChallenges(options.onChallenge), sseUnauthorizedLoop())(options.network ?? base);

  const isOAuthRequest = (url: URL, init: RequestInit | undefined): boolean => {
    if (url.origin !== server.origin) return true;
    if (url.pathname.startsWith('/.well-known/')) return true;
    // An authorization server on the MCP server's own origin may use any path: a token or
    // registration request is known by what it sends, not by where.
    if (isOAuthExchange(init)) return true;
    return (options.oauthPaths?.() ?? []).includes(url.pathname);
  };
  return async (input, init) => {
    const url = new URL(String(input));
    return isOAuthRequest(url, init) ? toAuthorizationServers(url, init) : toServer(url, init);
  };
}
