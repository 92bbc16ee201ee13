/**
 * Streamable HTTP responses written straight to Node's `ServerResponse`: the answer to one POST
 * (`Exchange`: JSON when the answer is all there is to say, an event stream once a notification or
 * a question of the server's comes before it) and a session's GET stream (`EventStream`).
 *
 * Hand-written rather than the SDK's server transport on purpose: that one works on Web Requests and
 * Responses, so every call through the gateway paid for a Request, a ReadableStream, a keep-alive
 * timer and their conversion to Node's types, which was most of the gateway's CPU per call.
 */
import type { ServerResponse } from 'node:http';

/** Comments on an idle event stream every so often, so proxies and clients do not drop it (the SDK's interval). */
export const KEEP_ALIVE_MS = 15_000;

const EVENT_STREAM_HEADERS = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' };

function event(message: object): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

/**
 * A whole response: its length known, so the head and the body leave in one write, without chunked
 * encoding (Node picks chunked when `writeHead` is given no Content-Length).
 */
export function sendWhole(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
}

/** A JSON-RPC error sent as an HTTP error (the request could not be taken at all). */
export function sendHttpError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  sendWhole(res, status, { 'Content-Type': 'application/json', ...headers }, JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

abstract class Stream {
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private readonly goneHandlers: Array<() => void> = [];
  protected ended = false;
  private _gone = false;

  constructor(protected readonly res: ServerResponse) {
    res.on('close', () => {
      if (this.ended) return;
      this._gone = true;
      this.finish();
      for (const handler of this.goneHandlers.splice(0)) handler();
    });
  }

  /** The client went away before the stream ended. */
  get gone(): boolean {
    return this._gone;
  }

  /** Runs `handler` if the client goes away before the stream ends. */
  onGone(handler: () => void): void {
    if (this._gone) handler();
    else if (!this.ended) this.goneHandlers.push(handler);
  }

  protected openStream(headers: Record<string, string>): void {
    this.res.writeHead(200, { ...EVENT_STREAM_HEADERS, ...headers });
    this.res.flushHeaders();
    this.keepAlive = setInterval(() => this.res.write(': keepalive\n\n'), KEEP_ALIVE_MS);
    this.keepAlive.unref();
  }

  protected write(message: object): void {
    this.res.write(event(message));
  }

  /** Ends the response (once). */
  protected finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.goneHandlers.length = 0;
    if (this.keepAlive !== undefined) clearInterval(this.keepAlive);
    if (!this.res.writableEnded) this.res.end();
  }
}

/** The response to one POST that holds `requests` requests: it ends once each is answered or dropped. */
export class Exchange extends Stream {
  private streaming = false;

  constructor(
    res: ServerResponse,
    private readonly headers: Record<string, string>,
    private awaited: number,
  ) {
    super(res);
    // Several answers in one response: an event stream from the start.
    if (awaited > 1) this.stream();
  }

  /** A message for the client before the answers are all in (progress, a question): the response becomes an event stream. */
  send(message: object): boolean {
    if (this.ended) return false;
    this.stream();
    this.write(message);
    return true;
  }

  /** One request's answer; the response ends with the last one. */
  answer(message: object): void {
    if (this.ended) return;
    this.awaited--;
    if (!this.streaming && this.awaited === 0) {
      this.ended = true;
      sendWhole(this.res, 200, { 'Content-Type': 'application/json', ...this.headers }, JSON.stringify(message));
      return;
    }
    this.stream();
    this.write(message);
    if (this.awaited === 0) this.finish();
  }

  /** A request of this POST will get no answer (the client cancelled it). */
  drop(): void {
    if (this.ended) return;
    this.awaited--;
    if (this.awaited > 0) return;
    this.stream();
    this.finish();
  }

  private stream(): void {
    if (this.streaming) return;
    this.streaming = true;
    this.openStream(this.headers);
  }
}

/** A session's own event stream (the GET), for what belongs to no request: list changes. */
export class EventStream extends Stream {
  constructor(res: ServerResponse, headers: Record<string, string>) {
    super(res);
    this.openStream(headers);
  }

  send(message: object): boolean {
    if (this.ended) return false;
    this.write(message);
    return true;
  }

  close(): void {
    this.finish();
  }
}
