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
 */
import { SdkError, SdkErrorCode, type JSONRPCMessage, type JSONRPCRequest, type JSONRPCResponse, type ServerCapabilities, type Transport } from '@modelcontextprotocol/client';

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
}

const PREFIX = 'gw-';

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

  constructor(
    private readonly transport: Transport,
    readonly era: ProtocolEra,
    readonly capabilities: ServerCapabilities,
    private readonly timeoutMs: number,
  ) {
    const client = transport.onmessage;
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
      this.pending.set(id, { token, onprogress: options.onprogress, abort, timer, resolve, reject });
    });
    this.transport.send(outgoing, { requestSignal: abort.signal }).catch((error: unknown) => this.settle(id)?.reject(error));
    return { response, cancel: (reason) => this.giveUp(id, reason, new CancelledForward()) };
  }

  /** Ends every forwarded request with `error` (the connection closed); later requests get it too. */
  close(error: Error): void {
    this.closed ??= error;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(error);
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
