/**
 * The live connection's transport, shared by the gateway's pass-through: a gateway client's JSON-RPC
 * request goes to the server as it is, under an id of this channel's own (so two clients that use
 * the same ids never meet), and its answer and its progress come back to that caller alone. All
 * else the server sends (its own requests, list changes, answers to the hub Client) stays the hub
 * Client's. One upstream session, the hub's, with its sign-in, refresh and reconnects.
 *
 * SDK gap: a Client sends only requests it knows, decoding and re-encoding each one; a transport has
 * one `onmessage`, which the Client takes in `connect()`. The channel sits in front of it and takes
 * only the messages that carry its own ids (`gw-<n>`; the Client's ids are numbers).
 *
 * Each request has its own abort signal (the transport's `requestSignal`), dropped with the request:
 * nothing is added to a long-lived signal per call.
 *
 * To a Streamable HTTP server on this machine the first request goes out through the transport's
 * `send` (its headers, sign-in, refresh, step-up, DPoP and redirect rules, the hub's fetch
 * middleware), and the next ones on the pool's lane with the headers that one had, back through
 * `send` whenever the server refuses one (classic era; see UpstreamPool). The answer, a 2xx JSON
 * body or event stream, is read here straight from Node's response (the pool hands it over)
 * instead of through fetch's web streams and the SDK's parsing: this was most of the gateway's CPU
 * per forwarded call. What the server sends on that stream besides the answer and its
 * progress (its questions, log messages) is checked with the SDK's own schema and goes to the hub's
 * Client, as the transport would have given it. A stream that ends early after an event id is resumed
 * through the transport (`resumptionToken`), as the SDK does.
 */
import type { Readable } from 'node:stream';
import {
  parseJSONRPCMessage,
  SdkError,
  SdkErrorCode,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type ServerCapabilities,
  type Transport,
} from '@modelcontextprotocol/client';
import { SseReader } from './sse-reader';
import type { UpstreamPool } from './upstream-pool';

export type ProtocolEra = 'legacy' | 'modern';

/** A `notifications/progress` payload. */
export interface ProgressParams {
  readonly progressToken: string | number;
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
  readonly [key: string]: unknown;
}

export interface ForwardOptions {
  /** The request's progress, its token the caller's own again. */
  readonly onprogress?: (params: ProgressParams) => void;
}

/** One forwarded request: its answer (a JSON-RPC result or error, with the channel's id), and a way to give it up. */
export interface ForwardedCall {
  readonly response: Promise<JSONRPCResponse>;
  /** Gives the request up: the server is told (classic era) or its stream is closed (2026-07-28), and `response` rejects. */
  cancel(reason?: string): void;
}

/** What a gateway needs to know of a connection before forwarding to it. */
export interface ForwardingInfo {
  readonly era: ProtocolEra;
  readonly capabilities: ServerCapabilities;
}

interface Pending {
  readonly token: string | number | undefined;
  readonly onprogress: ForwardOptions['onprogress'];
  readonly abort: AbortController;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (response: JSONRPCResponse) => void;
  readonly reject: (error: unknown) => void;
  /** The pool's hold on this request's answer (Streamable HTTP). */
  claim?: { release(): void };
}

const PREFIX = 'gw-';
/** How long before a forwarded request's stream that ended without its answer is resumed, when the server gave no `retry` (the SDK's first reconnection delay). */
const RESUME_DELAY_MS = 1000;

export class CancelledForward extends Error {
  constructor() {
    super('The request was cancelled.');
    this.name = 'CancelledForward';
  }
}

export class UpstreamChannel implements ForwardingInfo {
  private seq = 0;
  private readonly pending = new Map<string, Pending>();
  private closed: Error | undefined;
  /** The hub Client's handler of what the transport receives. */
  private readonly client: Transport['onmessage'];

  constructor(
    private readonly transport: Transport,
    readonly era: ProtocolEra,
    readonly capabilities: ServerCapabilities,
    private readonly timeoutMs: number,
    /** The connection's sockets (Streamable HTTP): forwarded answers are read from them directly. */
    private readonly pool?: UpstreamPool,
  ) {
    const client = transport.onmessage;
    this.client = client;
    pool?.resetLane();
    transport.onmessage = (message, extra) => {
      if (!this.take(message)) client?.(message, extra);
    };
  }

  /** How many forwarded requests wait for their answer. */
  get size(): number {
    return this.pending.size;
  }

  request(message: JSONRPCRequest, options: ForwardOptions = {}): ForwardedCall {
    if (this.closed) return { response: Promise.reject(this.closed), cancel: () => undefined };
    const id = `${PREFIX}${++this.seq}`;
    const params = message.params;
    const token = params?._meta?.progressToken;
    const outgoing: JSONRPCRequest = {
      jsonrpc: '2.0',
      id,
      method: message.method,
      ...(params === undefined ? {} : { params: token === undefined ? params : { ...params, _meta: { ...params._meta, progressToken: id } } }),
    };
    const abort = new AbortController();
    const response = new Promise<JSONRPCResponse>((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(id), this.timeoutMs);
      timer.unref?.();
      const pending: Pending = { token, onprogress: options.onprogress, abort, timer, resolve, reject };
      if (this.pool) pending.claim = this.pool.claim(id, (body, kind) => this.read(id, outgoing, body, kind));
      this.pending.set(id, pending);
    });
    const onLane = this.era === 'legacy' ? this.pool?.sendOnLane(JSON.stringify(outgoing), abort.signal) : undefined;
    if (onLane)
      onLane.then(
        (sent) => sent || this.send(id, outgoing, abort.signal),
        (error: unknown) => this.settle(id)?.reject(error),
      );
    else this.send(id, outgoing, abort.signal);
    return { response, cancel: (reason) => this.giveUp(id, reason, new CancelledForward()) };
  }

  /** Sends a forwarded request through the transport (its headers, the hub's fetch chain). */
  private send(id: string, outgoing: JSONRPCRequest, signal: AbortSignal): void {
    this.transport.send(outgoing, { requestSignal: signal }).catch((error: unknown) => this.settle(id)?.reject(error));
  }

  /** Ends every forwarded request with `error` (the connection closed); later requests get it too. */
  close(error: Error): void {
    this.closed ??= error;
    this.pool?.resetLane();
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
  }

  /** A forwarded request's answer, read from the server's response here: JSON (one message or a batch) or an event stream. */
  private read(id: string, request: JSONRPCRequest, body: Readable, kind: 'json' | 'sse'): void {
    body.setEncoding('utf8');
    const failed = (error: unknown) => {
      // A request given up (cancelled, timed out) closed its own stream: nothing to report.
      if (!this.pending.has(id)) return;
      this.transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return true;
    };
    if (kind === 'json') {
      let text = '';
      body.on('data', (chunk: string) => (text += chunk));
      body.on('error', (error) => failed(error) && this.settle(id)?.reject(error));
      body.on('end', () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          if (failed(error)) this.settle(id)?.reject(error);
          return;
        }
        for (const message of Array.isArray(parsed) ? (parsed as unknown[]) : [parsed]) this.receive(message);
      });
      return;
    }
    const reader = new SseReader((event) => {
      if (event.event !== 'message' || !event.data) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch (error) {
        failed(error);
        return;
      }
      this.receive(parsed);
    });
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      reader.end();
      if (error && !failed(new Error(`SSE stream disconnected: ${error.message}`))) return;
      // No answer yet: a stream with event ids is resumed where it stopped, as the SDK's transport does.
      const lastEventId = reader.lastEventId;
      if (lastEventId === undefined || !this.pending.has(id)) return;
      const resume = setTimeout(() => {
        const pending = this.pending.get(id);
        if (!pending) return;
        this.transport.send(request, { resumptionToken: lastEventId, requestSignal: pending.abort.signal }).catch((e: unknown) => this.settle(id)?.reject(e));
      }, reader.retryMs ?? RESUME_DELAY_MS);
      resume.unref?.();
    };
    body.on('data', (chunk: string) => reader.push(chunk));
    body.on('end', () => end());
    body.on('error', (error) => end(error));
    body.on('close', () => end(body.readableEnded ? undefined : new Error('the response was cut short')));
  }

  /** One message read from a forwarded request's answer: ours (the answer, its progress), or the Client's once the SDK's schema accepts it. */
  private receive(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) return void this.transport.onerror?.(new Error('The server sent something that is not a JSON-RPC message.'));
    const id = (raw as { id?: unknown }).id;
    if (typeof id === 'string' && id.startsWith(PREFIX) && !('method' in raw)) {
      if (isResponse(raw)) this.settle(id)?.resolve(raw);
      else this.settle(id)?.reject(new Error('The server answered with something that is not a JSON-RPC response.'));
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(raw);
    } catch (error) {
      this.transport.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (!this.take(message)) this.client?.(message);
  }

  /** Takes the answers and progress of forwarded requests; anything else is the Client's. */
  private take(message: JSONRPCMessage): boolean {
    if ('id' in message && !('method' in message)) {
      const id = message.id;
      if (typeof id !== 'string' || !id.startsWith(PREFIX)) return false;
      this.settle(id)?.resolve(message);
      return true;
    }
    if ('method' in message && message.method === 'notifications/progress' && !('id' in message)) {
      const token = (message.params as { progressToken?: unknown } | undefined)?.progressToken;
      const pending = typeof token === 'string' ? this.pending.get(token) : undefined;
      if (!pending || pending.token === undefined) return false;
      // Progress keeps a call alive, as the hub's own calls (resetTimeoutOnProgress).
      pending.timer.refresh();
      pending.onprogress?.({ ...(message.params as unknown as ProgressParams), progressToken: pending.token });
      return true;
    }
    return false;
  }

  private settle(id: string): Pending | undefined {
    const pending = this.pending.get(id);
    if (!pending) return undefined;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.claim?.release();
    return pending;
  }

  private giveUp(id: string, reason: string | undefined, error: Error): void {
    const pending = this.settle(id);
    if (!pending) return;
    // A classic server is told; a 2026-07-28 one learns it from its stream closing (the abort).
    if (this.era === 'legacy') {
      const params = { requestId: id, ...(reason ? { reason } : {}) };
      this.transport.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params }).catch(() => undefined);
    }
    pending.abort.abort();
    pending.reject(error);
  }

  private timedOut(id: string): void {
    this.giveUp(id, 'timed out', new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: this.timeoutMs }));
  }
}

/**
 * The shape of a JSON-RPC 2.0 response as the SDK's schemas check it (JSONRPCResultResponseSchema,
 * JSONRPCErrorResponseSchema): no other top-level keys; a result object whose `_meta`, if any, is an
 * object; or an error with an integer code and a message.
 */
function isResponse(m: object): m is JSONRPCResponse {
  const { jsonrpc, result, error } = m as { jsonrpc?: unknown; result?: unknown; error?: unknown };
  if (jsonrpc !== '2.0') return false;
  for (const key in m) if (key !== 'jsonrpc' && key !== 'id' && key !== 'result' && key !== 'error') return false;
  if ('result' in m) {
    if (!isObject(result) || 'error' in m) return false;
    const meta = (result as { _meta?: unknown })._meta;
    return meta === undefined || isObject(meta);
  }
  if (!isObject(error)) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return Number.isInteger(code) && typeof message === 'string';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
