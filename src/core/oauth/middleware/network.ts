/**
 * Where the OAuth requests of a server may go, and what comes back: four gaps SDK 2.4.0 leaves at
 * the HTTP layer, each a fetch middleware (`(next: FetchLike) => FetchLike`), composed in
 * oauth-fetch.ts in this order from the inside out:
 *  - ssrfGuard (v2 checks only that a token endpoint is https or a loopback name): a request to any
 *    origin but the server's own goes through the guard of url-guard.ts (https, or http on loopback;
 *    public addresses only, loopback only for a server on loopback), on a socket whose lookup is the
 *    guard's, so the addresses checked are the addresses connected to (no DNS rebinding between
 *    check and connect); a failure is told in our words (unsafe_url, unreachable);
 *  - crossOriginRedirects (v2 follows only same-origin redirects, or any with their credentials):
 *    GET redirects are followed (at most 3), each hop through ssrfGuard, without Authorization,
 *    Cookie, Proxy-Authorization or DPoP once they leave the origin; a redirect answering a POST (a
 *    token or registration request) is refused, since following it would resend credentials or codes;
 *  - boundedOAuthResponses (v2 reads them whole, with no time limit): an OAuth response is read to
 *    at most `maxBytes`, all within `timeoutMs`;
 *  - crossOriginResourceMetadata (v2 fetches a resource_metadata URL as the server names it):
 *    protected resource metadata on another origin than the server's is not fetched.
 */
import type { FetchLike, Middleware } from '@modelcontextprotocol/client';
import { readAtMost } from '../../http-body';
import { OAuthFlowError } from '../errors';
import { pinnedRequest } from '../pinned-request';
import { checkUrl, checkUrlForm, guardedLookup, RefusedAddressError, type GuardOptions } from '../url-guard';
import { describeRequest } from './http';

const MAX_REDIRECTS = 3;
/** Headers that must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'dpop'];

export interface SsrfGuardOptions {
  readonly serverUrl: string;
  readonly guard: GuardOptions;
  /**
   * Send checked requests through `next` (an injected fetch that connects by itself) rather than
   * on a pinned socket: the URL is then checked, name resolution included, just before.
   */
  readonly throughNext?: boolean;
}

/** ssrfGuard: requests to other origins than the server's only to addresses the guard checked. */
export function ssrfGuard(options: SsrfGuardOptions): Middleware {
  const server = new URL(options.serverUrl).origin;
  let pinned: ((url: URL, init: RequestInit) => Promise<Response>) | undefined;
  return (next) => async (input, init) => {
    const url = new URL(String(input));
    const what = describeRequest(url, init);
    const crossOrigin = url.origin !== server;
    if (crossOrigin) checkUrlForm(url.href, what, options.guard);
    try {
      if (!crossOrigin) return await next(url, init);
      if (options.throughNext) {
        await checkUrl(url.href, what, options.guard);
        return await next(url, init);
      }
      pinned ??= pinnedRequest(guardedLookup(options.guard));
      return await pinned(url, init ?? {});
    } catch (error) {
      // A timeout is boundedOAuthResponses' to tell.
      if ((error as Error).name === 'TimeoutError') throw error;
      const refused = findCause(error, RefusedAddressError);
      if (refused) throw new OAuthFlowError('unsafe_url', `Refused ${what} (${url.origin}): ${refused.reason}.`, undefined, { cause: error });
      if (error instanceof OAuthFlowError && error.code === 'unsafe_url') throw error;
      throw new OAuthFlowError('unreachable', `Could not reach ${what} (${url.origin}).`, undefined, { cause: error });
    }
  };
}

/** crossOriginRedirects: GET redirects followed by hand, each hop checked, credentials dropped across origins. */
export const crossOriginRedirects: Middleware = (next) => async (input, init) => {
  const url = new URL(String(input));
  const method = (init?.method ?? 'GET').toUpperCase();
  const headers = new Headers(init?.headers);
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await next(current, { ...init, headers: [...headers], redirect: 'manual' });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    const what = describeRequest(current, init);
    if (method !== 'GET' && method !== 'HEAD') {
      throw new OAuthFlowError(
        'redirect_refused',
        `${capitalize(what)} (${current.origin}) answered with a redirect (HTTP ${response.status}); MCP Hub does not resend credentials to another address.`,
      );
    }
    if (hop >= MAX_REDIRECTS)
      throw new OAuthFlowError('redirect_refused', `${capitalize(describeRequest(url, init))} (${url.origin}) redirected more than ${MAX_REDIRECTS} times.`);
    let target: URL;
    try {
      target = new URL(location, current);
    } catch (error) {
      throw new OAuthFlowError('unsafe_url', `Refused a redirect from ${what} (${current.origin}): it is not a valid URL.`, undefined, { cause: error });
    }
    if (target.origin !== current.origin) for (const h of CREDENTIAL_HEADERS) headers.delete(h);
    current = target;
  }
};

/** boundedOAuthResponses: the answer read whole (at most `maxBytes`), all within `timeoutMs`. */
export function boundedOAuthResponses(options: { readonly timeoutMs: number; readonly maxBytes: number }): Middleware {
  const { timeoutMs, maxBytes } = options;
  return (next) => async (input, init) => {
    const url = new URL(String(input));
    const what = describeRequest(url, init);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      const response = await next(url, { ...init, signal });
      const bytes = await readBounded(response, maxBytes, () => new OAuthFlowError('response_too_large', `${capitalize(what)} sent more than ${Math.round(maxBytes / 1024)} KiB.`));
      return new Response(response.status === 204 || response.status === 304 ? null : bytes, {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new OAuthFlowError('timeout', `${capitalize(what)} did not answer within ${timeoutMs / 1000} s.`, undefined, { cause: error });
      throw error;
    }
  };
}

/** crossOriginResourceMetadata: protected resource metadata only from the server's own origin. */
export function crossOriginResourceMetadata(serverUrl: string): Middleware {
  const server = new URL(serverUrl).origin;
  return (next: FetchLike) => async (input, init) => {
    const url = new URL(String(input));
    if (url.pathname.startsWith('/.well-known/oauth-protected-resource') && url.origin !== server) {
      throw new OAuthFlowError('unsafe_url', `Ignored protected resource metadata on another origin (${url.origin}).`);
    }
    return next(url, init);
  };
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
