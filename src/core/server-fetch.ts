/**
 * The fetch a remote server's transport runs on. Static `headers` from settings (API keys) go only
 * to the MCP server itself: its own origin, never its metadata, registration or token endpoints
 * (the SDK would merge `requestInit` headers into every OAuth request, to any origin). An error
 * answer's body is read to at most ERROR_BODY_MAX bytes, so a hostile server cannot make the hub
 * hold megabytes of error text.
 *
 * Gap (undici's fetch, Node 20-24): every request adds an abort listener to the signal it is given
 * and lets it go only when the request is garbage collected. The SDK transport gives every request
 * its one long-lived signal, so listeners piled up there by the thousand under load. A request on a
 * signal that an earlier request had too (so a long-lived one) gets a signal of its own here, which
 * follows that one through one listener, removed as soon as the response has ended (read to its
 * end, cancelled or failed). A signal seen for the first time is the request's own already (the
 * SDK's per-request signal, as the gateway's pass-through gives): nothing is added to it.
 */
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
  const seen = new WeakSet<AbortSignal>();
  return async (input, init) => {
    const url = new URL(String(input));
    if (!isServerRequest(url, server, init)) return next(input, init);
    let sent = init;
    if (names.length > 0) {
      const h = new Headers(init?.headers);
      // The SDK's own headers (Accept, Content-Type, the session id, a bearer token) win.
      for (const name of names) if (!h.has(name)) h.set(name, headers[name]);
      sent = { ...init, headers: h };
    }
    const given = init?.signal ?? undefined;
    const shared = given !== undefined && seen.has(given);
    if (given && !shared) seen.add(given);
    const own = shared ? requestSignal(given) : undefined;
    try {
      const response = await next(input, own ? { ...sent, signal: own.signal } : sent);
      if (!response.ok && response.body) {
        const body = (await readAtMost(response, ERROR_BODY_MAX)).bytes;
        own?.release();
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      }
      return own ? releasedAtEnd(response, () => own.release()) : response;
    } catch (error) {
      own?.release();
      throw error;
    }
  };
}

/** A signal for one request that aborts with `outer`, and `release` to stop following it. */
export function requestSignal(outer: AbortSignal | null | undefined): { signal: AbortSignal; release(): void } | undefined {
  if (!outer) return undefined;
  const controller = new AbortController();
  if (outer.aborted) {
    controller.abort(outer.reason);
    return { signal: controller.signal, release: () => undefined };
  }
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  return { signal: controller.signal, release: () => outer.removeEventListener('abort', onAbort) };
}

/** The same response, calling `release` once its body has ended in any way (or at once when it has none). */
function releasedAtEnd(response: Response, release: () => void): Response {
  const source = response.body;
  if (!source) {
    release();
    return response;
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> = source.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            release();
            controller.close();
          } else controller.enqueue(chunk.value);
        } catch (error) {
          release();
          controller.error(error);
        }
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
