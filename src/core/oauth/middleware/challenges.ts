/**
 * What the MCP server itself answers, two gaps of SDK 2.4.0's transports, each a fetch middleware:
 *  - recordChallenges (v2's transports act on a challenge's parameters only where they answer it
 *    themselves, and never tell its scheme, Bearer or DPoP): the scheme and WWW-Authenticate
 *    parameters of every 401 and 403 go to `onChallenge`; they drive Authenticate
 *    (resource_metadata), step-up (insufficient_scope and its scope, see oauth/step-up.ts) and the
 *    DPoP policy (the scheme). A use_dpop_nonce challenge to a request with a DPoP proof is not one:
 *    the SDK's DPoP wrapper retries it with the nonce;
 *  - sseUnauthorizedLoop (the classic GET event stream reconnects on its own): after a few 401s in a
 *    row on the GET stream the request fails instead of looping.
 */
import { extractWWWAuthenticateParams, isDpopNonceChallenge, UnauthorizedError, type Middleware } from '@modelcontextprotocol/client';

export interface Challenge {
  readonly status: 401 | 403;
  /** The authentication scheme the server asked for: `bearer` or `dpop`. */
  readonly scheme?: string;
  readonly resourceMetadataUrl?: string;
  readonly scope?: string;
  readonly error?: string;
}

const MAX_SSE_401 = 3;

/** recordChallenges: every 401 and 403 challenge of the server, to `onChallenge`. */
export function recordChallenges(onChallenge: (challenge: Challenge) => void): Middleware {
  return (next) => async (input, init) => {
    const response = await next(input, init);
    if ((response.status !== 401 && response.status !== 403) || isDpopNonceRetry(response, init)) return response;
    const { resourceMetadataUrl, scope, error } = extractWWWAuthenticateParams(response);
    const scheme = /^\s*(\w+)/.exec(response.headers.get('www-authenticate') ?? '')?.[1]?.toLowerCase();
    onChallenge({
      status: response.status,
      ...(scheme ? { scheme } : {}),
      ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
      ...(scope ? { scope } : {}),
      ...(error ? { error } : {}),
    });
    return response;
  };
}

/** sseUnauthorizedLoop: the GET event stream answered 401 more than a few times in a row fails. */
export function sseUnauthorizedLoop(): Middleware {
  let unauthorized = 0;
  return (next) => async (input, init) => {
    const response = await next(input, init);
    if ((init?.method ?? 'GET').toUpperCase() !== 'GET' || isDpopNonceRetry(response, init)) return response;
    if (response.status === 401 && ++unauthorized > MAX_SSE_401) {
      await response.body?.cancel();
      throw new UnauthorizedError(`The server kept answering 401 on its event stream (${MAX_SSE_401} times).`);
    }
    if (response.ok) unauthorized = 0;
    return response;
  };
}

/** A use_dpop_nonce challenge to a request with a proof: the SDK's withDpop retries it, and the retry's answer is what counts. */
function isDpopNonceRetry(response: Response, init: RequestInit | undefined): boolean {
  return isDpopNonceChallenge(response) && response.headers.has('dpop-nonce') && new Headers(init?.headers).has('dpop');
}
