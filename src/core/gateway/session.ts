/**
 * One classic (2025-era) client session at the gateway. Its handshake and anything that does not go
 * as it is (era translation, /mcp's lists, a server that is not running) are answered by the SDK
 * surface (surface.ts) through an in-memory transport; the rest is forwarded as it is (passthrough.ts).
 * The session keeps which of its client's requests are under way, so each answer, progress
 * notification and question of the server's goes on the stream of the POST it belongs to, and a
 * cancel or a client that goes away ends the request wherever it is.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  ProtocolError,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type RequestId,
  type Server,
  type Transport,
  type TransportSendOptions,
} from '@modelcontextprotocol/server';
import type { ElicitAnswer, ElicitParams, SampleAnswer, SampleParams } from '../ports';
import { EventStream, Exchange } from './exchange';
import type { Asker } from './input-router';
import type { Caller, Passthrough } from './passthrough';
import { canAnswer, type View } from './surface';
import type { GatewayTraffic } from './traffic';

export interface SessionHost {
  readonly passthrough: Passthrough;
  readonly traffic?: GatewayTraffic;
}

/** One request of the client under way. */
interface Inflight {
  readonly exchange: Exchange;
  /** Set once it is forwarded: gives it up at the server. */
  cancel?: () => void;
  /** With the surface (not forwarded). */
  bridged: boolean;
  cancelled: boolean;
  readonly initialize: boolean;
}

interface Question {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

let serials = 0;

export function isRequest(m: JSONRPCMessage): m is JSONRPCRequest {
  return 'method' in m && 'id' in m;
}

function isResponse(m: JSONRPCMessage): m is JSONRPCResponse {
  return 'id' in m && !('method' in m);
}

/** The surface's side of the session: an in-memory transport whose messages the session routes. */
class SurfaceBridge implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];

  constructor(
    readonly sessionId: string,
    private readonly out: (message: JSONRPCMessage, related: RequestId | undefined) => void,
  ) {}

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.out(message, options?.relatedRequestId);
  }

  async close(): Promise<void> {
    const onclose = this.onclose;
    this.onclose = undefined;
    onclose?.();
  }

  receive(message: JSONRPCMessage): void {
    this.onmessage?.(message);
  }
}

export class ClientSession {
  readonly id = randomUUID();
  /** Numbers the session for the traffic view (never its id). */
  readonly serial = ++serials;
  private readonly bridge: SurfaceBridge;
  private stream: EventStream | undefined;
  private readonly inflight = new Map<RequestId, Inflight>();
  private readonly asked = new Map<string, Question>();
  private questions = 0;
  private closed = false;
  private announced = false;
  /** Called once when the session ends. */
  onclose: (() => void) | undefined;

  constructor(
    readonly view: View,
    readonly surface: Server,
    private readonly host: SessionHost,
  ) {
    this.bridge = new SurfaceBridge(this.id, (message, related) => this.fromSurface(message, related));
  }

  start(): Promise<void> {
    return this.surface.connect(this.bridge);
  }

  get headers(): Record<string, string> {
    return { 'mcp-session-id': this.id };
  }

  /** Whether the client's own event stream (its GET) is open. */
  get listening(): boolean {
    return this.stream !== undefined;
  }

  /** A POST of the client: its requests are answered on `res`; notifications and answers alone get 202. */
  post(messages: JSONRPCMessage[], res: ServerResponse): void {
    const requests = messages.filter(isRequest).length;
    if (requests === 0) {
      for (const message of messages) this.receive(message, undefined);
      res.writeHead(202, this.headers).end();
      return;
    }
    const exchange = new Exchange(res, this.headers, requests);
    for (const message of messages) this.receive(message, exchange);
  }

  /** The client's GET: the stream for what belongs to no request. False when one is open already. */
  listen(res: ServerResponse): boolean {
    if (this.stream) return false;
    const stream = new EventStream(res, this.headers);
    this.stream = stream;
    stream.onGone(() => {
      if (this.stream === stream) this.stream = undefined;
    });
    return true;
  }

  /** Ends the session: requests under way are given up, streams closed, the surface closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, entry] of [...this.inflight]) this.giveUp(id, entry);
    for (const question of this.asked.values()) question.reject(new Error('The client session ended.'));
    this.asked.clear();
    this.stream?.close();
    this.stream = undefined;
    void this.surface.close().catch(() => undefined);
    if (this.announced) this.host.traffic?.clientDisconnected(this.serial);
    this.onclose?.();
  }

  private receive(message: JSONRPCMessage, exchange: Exchange | undefined): void {
    if (isRequest(message)) return this.request(message, exchange!);
    if (isResponse(message)) {
      const question = typeof message.id === 'string' ? this.asked.get(message.id) : undefined;
      if (!question) return this.bridge.receive(message);
      this.asked.delete(message.id as string);
      if ('error' in message) question.reject(new ProtocolError(message.error.code, message.error.message, message.error.data));
      else question.resolve(message.result);
      return;
    }
    if (message.method === 'notifications/cancelled') {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      const entry = requestId === undefined ? undefined : this.inflight.get(requestId);
      if (entry) return this.giveUp(requestId!, entry);
    }
    this.bridge.receive(message);
  }

  private request(message: JSONRPCRequest, exchange: Exchange): void {
    const entry: Inflight = { exchange, bridged: false, cancelled: false, initialize: message.method === 'initialize' };
    this.inflight.set(message.id, entry);
    // A client that goes away gives its requests up: nobody can read their answers.
    exchange.onGone(() => this.giveUp(message.id, entry));
    const caller: Caller = {
      era: 'legacy',
      session: this.serial,
      capabilities: () => this.surface.getClientCapabilities(),
      asker: (server) => this.asker(server, exchange),
      answer: (response) => this.settle(message.id, entry, response),
      notify: (notification) => void exchange.send(notification),
      onCancel: (cancel) => {
        entry.cancel = cancel;
        if (entry.cancelled) cancel();
      },
    };
    this.host.passthrough.forward(this.view, message, caller).then(
      (forwarded) => {
        if (forwarded || entry.cancelled) return;
        entry.bridged = true;
        this.bridge.receive(message);
      },
      () => {
        if (entry.cancelled) return;
        entry.bridged = true;
        this.bridge.receive(message);
      },
    );
  }

  private settle(id: RequestId, entry: Inflight, response: JSONRPCResponse): void {
    if (entry.cancelled || this.inflight.get(id) !== entry) return;
    this.inflight.delete(id);
    entry.exchange.answer(response);
    if (entry.initialize && !this.announced) this.announce();
  }

  /** The request is given up: at the server (forwarded) or in the surface (which then answers nothing), and its slot in the response freed. */
  private giveUp(id: RequestId, entry: Inflight): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    if (this.inflight.get(id) === entry) this.inflight.delete(id);
    if (entry.cancel) entry.cancel();
    else if (entry.bridged) this.bridge.receive({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'The client cancelled the request.' } });
    entry.exchange.drop();
  }

  /** What the surface sends: answers to their requests' responses, its own requests and notifications to the stream they belong to. */
  private fromSurface(message: JSONRPCMessage, related: RequestId | undefined): void {
    if (isResponse(message)) {
      const id = message.id;
      const entry = id === undefined ? undefined : this.inflight.get(id);
      if (entry) this.settle(id!, entry, message);
      return;
    }
    const owner = related === undefined ? undefined : this.inflight.get(related);
    if (owner) owner.exchange.send(message);
    else this.stream?.send(message);
  }

  private announce(): void {
    const client = this.surface.getClientVersion();
    if (!client) return;
    this.announced = true;
    this.host.traffic?.clientConnected({ session: this.serial, view: this.view, name: client.name, version: client.version });
  }

  /** The client as the answerer of its server's questions within a call: requests of ours on that call's stream. */
  private asker(server: string, exchange: Exchange): Asker {
    return {
      server,
      can: canAnswer(this.surface.getClientCapabilities()),
      elicit: (params: ElicitParams) => this.ask<ElicitAnswer>(exchange, 'elicitation/create', params),
      sample: (params: SampleParams) => this.ask<SampleAnswer>(exchange, 'sampling/createMessage', params),
    };
  }

  private ask<T>(exchange: Exchange, method: string, params: object): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The client session ended.'));
    const id = `hub-q-${++this.questions}`;
    return new Promise<T>((resolve, reject) => {
      this.asked.set(id, { resolve: (result) => resolve(result as T), reject });
      if (!exchange.send({ jsonrpc: '2.0', id, method, params })) {
        this.asked.delete(id);
        reject(new Error('The client is no longer connected.'));
        return;
      }
      exchange.onGone(() => {
        if (this.asked.delete(id)) reject(new Error('The client went away before it answered.'));
      });
    });
  }
}
