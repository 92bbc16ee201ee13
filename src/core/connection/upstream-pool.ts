/**
 * The sockets to one remote server, and the fetch its MCP requests go on: at most
 * MAX_SOCKETS_PER_SERVER requests in flight to it at once, the others waiting in a queue.
 *
 * Gap (Node's fetch, undici): it has no cap per origin, so the hub's one connection to a server
 * opened a socket per request in flight: 2,000 at once when the gateway's clients made 2,000
 * concurrent calls, and some failed to connect ("fetch failed"). Here requests beyond the cap wait;
 * the server's own timeout still runs from the moment of the call (the hub's requests and forwarded
 * ones are timed by their callers, who abort the request, waiting or not).
 *
 * A server on this machine (http on localhost, 127.0.0.1 or [::1]) is reached with Node's `http` and a keep-alive
 * agent of that many sockets: much cheaper per request than fetch and its web streams. VS Code's
 * proxy support leaves an extension's own agent alone for loopback hosts only (for other hosts it
 * replaces it, with no keep-alive, microsoft/vscode#173861), so any other server keeps Node's fetch
 * (VS Code's proxy and certificate support, its keep-alive), under a count of requests in flight.
 *
 * On the `http` path the gateway's pass-through reads a forwarded request's answer straight from
 * Node's response (`claim`): the request
 * went through the whole chain of the hub's fetch middleware (sign-in, refresh on 401, step-up, DPoP,
 * the server's static headers) exactly as the SDK transport sends it, and only a 2xx JSON or event
 * stream answer to it is taken here; the SDK transport then sees "202 Accepted". Every other answer
 * (401, 403, 404, redirects, errors) goes back up the chain as a fetch Response, as before.
 *
 * Only the server's own MCP requests come here (same origin, not an OAuth exchange, redirects left to
 * the caller as the SDK asks); anything else goes to `fallback` (Node's fetch).
 *
 * The lane (`sendOnLane`, the same `http` path): once a forwarded request has gone through the whole
 * chain and been answered, the next ones go out with the headers it went with (the session, the
 * bearer token, the server's static headers), without the SDK transport and the chain, which were
 * a fifth of the gateway's CPU per call. A refusal on the lane (3xx, 4xx: an expired token or
 * session, a missing permission) sends the request through the chain after all, where the
 * middlewares deal with it as they always did; a request with a DPoP proof or 2026-07-28's
 * per-request headers (`Mcp-Method`) leaves no lane, as those cannot be sent twice.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FetchLike } from '@modelcontextprotocol/client';
import { isServerRequest, releasedAtEnd } from '../server-fetch';

/** Sockets open to one server at once; requests beyond it wait in the pool's queue. */
export const MAX_SOCKETS_PER_SERVER = 32;

/** Takes a 2xx answer to a forwarded request: its body (unread, uncompressed) and whether it is JSON or an event stream. */
export type ClaimedAnswer = (body: Readable, kind: 'json' | 'sse') => void;

/** The loopback hosts VS Code's proxy support leaves an extension's own agent for (the plain names, nothing else). */
const DIRECT_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Methods a reset connection may send again (RFC 9110 §9.2.2); never a POST, which is every MCP call. */
/** How long a kept-alive socket to a loopback server may sit idle before the pool closes it. */
export const IDLE_SOCKET_MS = 3_000;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** The start of a body the gateway's pass-through sends (`UpstreamChannel`: jsonrpc, then its own id, then method). */
const FORWARDED_PREFIX = '{"jsonrpc":"2.0","id":"';

export class UpstreamPool {
  private readonly agent: HttpAgent;
  private readonly server: URL;
  private readonly claims = new Map<string, ClaimedAnswer>();
  /** Where and with which headers the last forwarded request went through the whole chain and was answered (`direct`). */
  private lane: { readonly url: URL; readonly headers: OutgoingHttpHeaders } | undefined;
  private destroyed = false;
  /** Node's `http` with the pool's agent (a server on loopback); otherwise Node's fetch under `inFlight`. */
  private readonly direct: boolean;
  private readonly max: number;
  private inFlight = 0;
  /** Fetch requests waiting for one in flight to end, first come first served. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    serverUrl: string,
    private readonly options: { readonly maxSockets?: number; readonly fallback?: FetchLike } = {},
  ) {
    this.server = new URL(serverUrl);
    this.direct = this.server.protocol === 'http:' && DIRECT_HOSTS.has(this.server.hostname.toLowerCase());
    this.max = options.maxSockets ?? MAX_SOCKETS_PER_SERVER;
    // An idle socket is dropped after IDLE_SOCKET_MS, or 1 s before the server's own `Keep-Alive: timeout`
    // (Node honours that hint only when the agent has a timeout): well before a Node server's 5 s, with room
    // for a loaded machine's late timers, so a request rarely meets a socket the server is closing.
    // (A socket in use is not timed out by it.)
    const agentOptions = { keepAlive: true, maxSockets: this.max, scheduling: 'lifo' as const, timeout: IDLE_SOCKET_MS };
    this.agent = new HttpAgent(agentOptions);
  }

  /**
   * The answer to the forwarded request with JSON-RPC id `id` (an id of the pass-through's own,
   * unique on this connection) goes to `take` while the claim holds; `release` ends the claim.
   */
  claim(id: string, take: ClaimedAnswer): { release(): void } {
    this.claims.set(id, take);
    return { release: () => this.claims.get(id) === take && this.claims.delete(id) };
  }

  /**
   * Sends a forwarded request (`body`, whose answer is claimed) straight to the server with the
   * headers the last one went out with through the hub's fetch chain, skipping the SDK transport and
   * the chain. Undefined when there is no such request yet (or the connection changed: `resetLane`);
   * resolves false when the server refused it (3xx, 4xx: an expired token or session, a moved
   * endpoint), and then the caller sends it through the chain, whose middlewares deal with that as
   * always. Anything else fails the request as fetch would (no retry: a 5xx may have done the work).
   */
  sendOnLane(body: string, signal: AbortSignal): Promise<boolean> | undefined {
    const lane = this.lane;
    if (!lane || this.destroyed) return undefined;
    const headers: OutgoingHttpHeaders = { ...lane.headers, 'content-length': Buffer.byteLength(body) };
    return this.send(lane.url, { method: 'POST', signal }, body, false, headers).then(
      async (response) => {
        await response.body?.cancel();
        // Claimed, or accepted with the answer to come on the session's own stream.
        if (response.status === 202) return true;
        this.lane = undefined;
        if (response.status >= 300 && response.status < 500) return false;
        throw new Error(response.ok ? 'The server answered with an unexpected content type.' : `Error POSTing to endpoint (HTTP ${response.status})`);
      },
      (error: unknown) => {
        this.lane = undefined;
        throw error;
      },
    );
  }

  /** The connection's session changed: forwarded requests go through the chain until one has been answered again. */
  resetLane(): void {
    this.lane = undefined;
  }

  /** How many sockets are open to the server (in use or idle). */
  get sockets(): number {
    let n = 0;
    for (const list of [...Object.values(this.agent.sockets), ...Object.values(this.agent.freeSockets)]) n += list?.length ?? 0;
    return n;
  }

  /** Closes every socket; later requests go to the fallback. */
  destroy(): void {
    this.destroyed = true;
    this.claims.clear();
    this.agent.destroy();
  }

  readonly fetch: FetchLike = (input, init) => {
    const url = input instanceof URL ? input : new URL(String(input));
    const body = init?.body;
    const plain = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (this.destroyed || init?.redirect !== 'manual' || !isServerRequest(url, this.server, init)) return this.fallback(input, init);
    if (!this.direct || !plain) return this.counted(input, init);
    return this.send(url, init, typeof body === 'string' ? body : (body ?? undefined), false);
  };

  private fallback(input: Parameters<FetchLike>[0], init?: RequestInit): Promise<Response> {
    return (this.options.fallback ?? ((u, i) => fetch(u, i)))(input, init);
  }

  /** A request on fetch, once fewer than the cap are in flight; it counts until its response has ended. */
  private async counted(input: Parameters<FetchLike>[0], init?: RequestInit): Promise<Response> {
    await this.slot(init?.signal ?? undefined);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    };
    try {
      return releasedAtEnd(await this.fallback(input, init), release);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Waits for a place among the requests in flight (handed over by the one that ends); a request given up meanwhile leaves the queue. */
  private slot(signal: AbortSignal | undefined): Promise<void> {
    if (this.inFlight < this.max) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(go);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal!.reason as Error);
      };
      if (signal?.aborted) return onAbort();
      this.waiting.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private send(url: URL, init: RequestInit, body: string | Uint8Array | undefined, retried: boolean, prepared?: OutgoingHttpHeaders): Promise<Response> {
    const signal = init.signal ?? undefined;
    // As fetch does: an aborted request rejects with the signal's reason, whatever it is.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above.
    if (signal?.aborted) return Promise.reject(signal.reason);
    const take = typeof body === 'string' ? this.claimOf(body) : undefined;
    return new Promise<Response>((resolve, reject) => {
      let answered = false;
      let response: IncomingMessage | undefined;
      const onAbort = () => {
        const reason: unknown = signal!.reason;
        if (response) response.destroy(reason instanceof Error ? reason : undefined);
        else req.destroy();
        if (!answered) {
          answered = true;
          reject(reason);
        }
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const headers = prepared ?? nodeHeaders(init.headers, body);
      // A retry goes on a new connection: the pool's other idle sockets may have been closed by the server too.
      const req: ClientRequest = httpRequest(url, { method: (init.method ?? 'GET').toUpperCase(), headers, agent: retried ? false : this.agent });
      req.on('response', (res) => {
        response = res;
        res.once('close', done);
        if (answered) return void res.destroy();
        answered = true;
        const status = res.statusCode ?? 0;
        const type = mediaType(res.headers['content-type']);
        if (take && status >= 200 && status < 300 && (type === 'application/json' || type === 'text/event-stream')) {
          // Per-request headers (a DPoP proof, 2026-07-28's Mcp-Method) cannot be sent again: no lane then.
          if (!prepared) this.lane = headers.dpop === undefined && headers['mcp-method'] === undefined ? { url, headers: withoutLength(headers) } : undefined;
          take(decoded(res), type === 'application/json' ? 'json' : 'sse');
          resolve(new Response(null, { status: 202, statusText: 'Accepted' }));
          return;
        }
        if (status < 200 || status > 599) {
          res.destroy();
          reject(new TypeError('fetch failed', { cause: new Error(`The server answered with HTTP status ${status}.`) }));
          return;
        }
        const empty = status === 204 || status === 304 || req.method === 'HEAD';
        if (empty) res.resume();
        resolve(
          new Response(empty ? null : (Readable.toWeb(decoded(res)) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders(res.rawHeaders),
          }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        done();
        if (answered) return;
        answered = true;
        // A kept-alive socket reset as it was reused: the server may have closed it idly (the request never reached it) or
        // read the request and broken off (a tool call may have run). Only a request that may go twice is sent again, as
        // fetch does, on a socket of its own. (The agent's idle timeout keeps the first case rare: see the constructor.)
        if (!retried && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && IDEMPOTENT.has(req.method)) {
          this.send(url, init, body, true, prepared).then(resolve, reject);
          return;
        }
        reject(new TypeError('fetch failed', { cause: error }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.end(body);
    });
  }

  /** The claim on a request body the pass-through sent, if it is one of its requests (never a response to the server). */
  private claimOf(body: string): ClaimedAnswer | undefined {
    if (this.claims.size === 0 || !body.startsWith(FORWARDED_PREFIX)) return undefined;
    const end = body.indexOf('"', FORWARDED_PREFIX.length);
    if (end < 0 || !body.startsWith('","method":', end)) return undefined;
    return this.claims.get(body.slice(FORWARDED_PREFIX.length, end));
  }
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(value: string | undefined): string {
  return (value ?? '').split(';', 1)[0].trim().toLowerCase();
}

function nodeHeaders(headers: RequestInit['headers'], body: string | Uint8Array | undefined): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  if (headers) (headers instanceof Headers ? headers : new Headers(headers)).forEach((value, key) => (out[key] = value));
  if (body !== undefined) out['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  return out;
}

function withoutLength(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const { 'content-length': _, ...rest } = headers;
  return rest;
}

function responseHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // A header a fetch Response cannot hold is left out, as fetch would refuse the response.
    }
  }
  return headers;
}

/** The body as sent, uncompressed (no Accept-Encoding is sent, but a server may compress anyway). */
function decoded(res: IncomingMessage): Readable {
  const encoding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.on('close', () => {
    if (!res.complete) decoder.destroy(new Error('The response was cut short.'));
  });
  decoder.on('close', () => res.destroy());
  return res.pipe(decoder);
}
