/**
 * The local MCP gateway: every hub server for any MCP client (VS Code's chat, CLI agents), through
 * the hub's connections and sign-in. Streamable HTTP on 127.0.0.1 only:
 *
 *   /mcp                    all running servers, names made unique (names.ts)
 *   /servers/<name>/mcp     one server, names as it gives them
 *
 * A request goes to its server as the JSON-RPC message it is wherever the client and the server
 * speak the same protocol era (passthrough.ts); the SDK's server side answers the rest (surface.ts):
 * the classic handshake, era translation, /mcp's lists, and 2026-07-28 requests it does not forward
 * (`createMcpHandler`, strict modern). Classic clients get a session each (session.ts), whose GET
 * stream carries list_changed to clients such as VS Code's.
 *
 * Safe on a shared machine: every request needs the bearer token (compared in constant time); the
 * Host header must name this address and port and any browser Origin is refused (DNS rebinding);
 * request bodies and sessions are bounded; nothing secret is logged.
 *
 * Classic sessions end by themselves: SDK clients do not send DELETE when they close, so a session
 * with no request or stream open for the idle time is closed, and at the cap the longest-idle one
 * makes room for a new client (which is never refused: VS Code's own client must always get in).
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  classifyInboundRequest,
  createMcpHandler,
  isJsonContentType,
  SUPPORTED_PROTOCOL_VERSIONS,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type McpHttpHandler,
  type Server,
} from '@modelcontextprotocol/server';
import type { HubChange, McpHub } from '../hub';
import { systemClock, type Clock, type Logger, type TimerHandle } from '../ports';
import { sameSecret } from '../same-secret';
import { Exchange, sendHttpError, sendWhole } from './exchange';
import { HeldCalls } from './held-calls';
import type { InputRouter } from './input-router';
import { envelopeCapabilities, Passthrough, type Caller, type PassthroughOptions } from './passthrough';
import { ClientSession } from './session';
import { createSurface, type View } from './surface';
import { modernClientOf, type GatewayTraffic } from './traffic';
import { SESSION_IDLE_MINUTES } from './settings';

export { MAX_SESSION_IDLE_MINUTES, SESSION_IDLE_MINUTES, sessionIdleSetting } from './settings';

/** Request bodies larger than this are refused (413). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Classic sessions open at once, over all endpoints; a new one beyond this closes the longest-idle one. */
export const MAX_SESSIONS = 64;
/** Messages in one POST (a 2025-03-26 client may batch), as the SDK's server transport allows. */
const MAX_BATCH = 100;
const LOOPBACK = '127.0.0.1';
/** Request targets whose endpoint is remembered. */
const MAX_ROUTES = 256;
/** Connections waiting to be accepted (the kernel caps it at net.core.somaxconn). */
const LISTEN_BACKLOG = 4096;
/** How long an idle client connection is kept open (announced in the Keep-Alive header). */
const KEEP_ALIVE_TIMEOUT_MS = 60_000;

export interface GatewayOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  /** The bearer token every request must carry (256 bits; kept in secret storage by the editor). */
  readonly token: () => string;
  readonly version: string;
  readonly logger: Logger;
  /** A call met a server that needs sign-in: the editor offers Authenticate. */
  readonly onSignInNeeded?: (server: string) => void;
  /** A call needed more permission than the server's session has (`text`: which, for the log). */
  readonly onPermissionNeeded?: (server: string, text: string) => void;
  /** A classic client session opened or closed. */
  readonly onSessionsChanged?: (count: number) => void;
  /** The hub's elicitation and sampling handler, when it is a router: a calling client answers its server's questions. */
  readonly questions?: InputRouter;
  /** How long a classic session may have nothing open before it is closed; default SESSION_IDLE_MINUTES. */
  readonly sessionIdleMs?: number;
  /** Times idle sessions; default the system clock. */
  readonly clock?: Clock;
  /** Told of client sessions (their handshake) and of each forwarded call (server, outcome). */
  readonly traffic?: GatewayTraffic;
}

interface Session {
  readonly id: string;
  readonly view: View;
  readonly client: ClientSession;
  /** Requests of this session still being answered, its event streams included. */
  open: number;
  /** When the session last had a request start or end. */
  lastActive: number;
  /** Closes the session once it has been idle long enough (set while nothing is open). */
  idleTimer: TimerHandle | undefined;
}

export class McpGateway {
  private http: HttpServer | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly modern = new Map<string, McpHttpHandler>();
  private readonly listSignatures = new Map<string, string>();
  /** Request targets already read: the server each names ('' for /mcp, null for none). */
  private readonly routes = new Map<string, string | null>();
  private readonly held = new HeldCalls();
  private passthrough: Passthrough | undefined;
  private subscription: { dispose(): void } | undefined;
  private _port = 0;
  private readonly clock: Clock;
  private readonly idleMs: number;

  constructor(
    private readonly hub: McpHub,
    private readonly options: GatewayOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    const idleMs = options.sessionIdleMs;
    this.idleMs = idleMs !== undefined && Number.isFinite(idleMs) && idleMs > 0 ? idleMs : SESSION_IDLE_MINUTES * 60_000;
  }

  get port(): number {
    return this._port;
  }

  /** The URL of one server's endpoint, or of the combined one. */
  url(view?: string): string {
    return `http://${LOOPBACK}:${this._port}${view === undefined ? '/mcp' : `/servers/${encodeURIComponent(view)}/mcp`}`;
  }

  /** How many classic client sessions are open. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<number> {
    const http = createServer((req, res) => void this.handle(req, res));
    http.headersTimeout = 10_000;
    http.requestTimeout = 0; // event streams stay open
    // Clients keep idle sockets for what the Keep-Alive header says, less a margin; with Node's 5 s a
    // busy client's late timer reused sockets the gateway was closing ("other side closed").
    http.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      // Room for a burst of new connections (many clients, each opening sockets for concurrent calls):
      // beyond Node's default backlog (511) the kernel drops them, and a client's connect may time out.
      http.listen({ port: this.options.port ?? 0, host: LOOPBACK, backlog: LISTEN_BACKLOG }, () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.http = http;
    this._port = (http.address() as AddressInfo).port;
    this.passthrough = new Passthrough(this.hub, this.surfaceOptions());
    this.subscription = this.hub.onDidChange((change) => this.onHubChange(change));
    this.options.logger.info(`gateway listening on ${this.url()}`);
    return this._port;
  }

  async stop(): Promise<void> {
    this.subscription?.dispose();
    this.passthrough?.dispose();
    this.held.clear();
    const sessions = [...this.sessions.values()];
    for (const session of sessions) {
      this.forget(session.id);
      session.client.close();
    }
    const http = this.http;
    this.http = undefined;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const refusal = this.screen(req);
      if (refusal) return void send(res, refusal.status, refusal.message, refusal.headers);
      const view = this.route(req.url ?? '/');
      if (view === null) return void send(res, 404, 'Not found: the gateway serves /mcp and /servers/<name>/mcp.');
      if (req.method !== 'POST') return this.classic(view, req, res, undefined);
      const body = await readBody(req);
      if (body === 'too large') return void send(res, 413, 'Request body too large.');
      const parsed = parseJson(body);
      const era =
        parsed === undefined || plainClassicRequest(parsed, req.headers['mcp-protocol-version'])
          ? undefined
          : classifyInboundRequest({
              httpMethod: 'POST',
              body: parsed,
              ...optionalHeader('protocolVersionHeader', req.headers['mcp-protocol-version']),
              ...optionalHeader('mcpMethodHeader', req.headers['mcp-method']),
              ...optionalHeader('mcpNameHeader', req.headers['mcp-name']),
            });
      // Unreadable JSON is answered as the classic transport answers it; a plain classic request goes there too.
      if (era === undefined || era.kind === 'legacy') return this.classic(view, req, res, parsed);
      // A 2026-07-28 client has no session: each request says who it is.
      const modern = era.kind === 'modern' && era.messageKind === 'request' ? modernClientOf(view, era.message.params?._meta) : undefined;
      if (modern) this.options.traffic?.clientRequested(modern);
      if (era.kind === 'modern' && era.messageKind === 'request' && view !== undefined && acceptable(req) && (await this.forwardModern(view, era.message, res))) return;
      const response = await this.modernHandler(view).fetch(toRequest(req, body, this._port, parsed), { parsedBody: parsed });
      await writeResponse(res, response);
    } catch (error) {
      this.options.logger.warn(`gateway: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, 500, 'Internal error.');
      else res.end();
    }
  }

  /** A 2026-07-28 request to one server's endpoint, forwarded as it is when that server speaks 2026-07-28 too. */
  private async forwardModern(view: string, message: JSONRPCRequest, res: ServerResponse): Promise<boolean> {
    const exchange = new Exchange(res, {}, 1);
    const modern = modernClientOf(view, message.params?._meta);
    const caller: Caller = {
      era: 'modern',
      ...(modern ? { modern } : {}),
      capabilities: envelopeCapabilities,
      answer: (response) => exchange.answer(response),
      notify: (notification) => void exchange.send(notification),
      // The 2026-07-28 revision cancels by closing the request's stream.
      onCancel: (cancel) => exchange.onGone(cancel),
    };
    return this.passthrough!.forward(view, message, caller);
  }

  /** Host, Origin and token, before anything is read. */
  private screen(req: IncomingMessage): { status: number; message: string; headers?: Record<string, string> } | undefined {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${LOOPBACK}:${this._port}` && host !== `localhost:${this._port}`) return { status: 403, message: 'Forbidden: unexpected Host.' };
    // A browser page (any Origin) must not reach the hub's servers, whatever it knows.
    if (req.headers.origin !== undefined) return { status: 403, message: 'Forbidden: browser requests are not accepted.' };
    const auth = req.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? '';
    if (!sameSecret(given, this.options.token())) {
      return { status: 401, message: 'Unauthorized: the gateway needs its token (MCP Hub: Connect a Client…).', headers: { 'WWW-Authenticate': 'Bearer realm="mcp-hub"' } };
    }
    return undefined;
  }

  /** The view a path names: undefined for /mcp, a server name, or null for nothing. */
  private route(target: string): View | null {
    let name = this.routes.get(target);
    if (name === undefined) {
      name = nameIn(target);
      // The targets clients use are few; anything beyond is read again each time.
      if (this.routes.size < MAX_ROUTES) this.routes.set(target, name);
    }
    if (name === '') return undefined;
    return name !== null && this.hub.server(name) ? name : null;
  }

  private modernHandler(view: View): McpHttpHandler {
    const key = viewKey(view);
    let handler = this.modern.get(key);
    if (!handler) {
      handler = createMcpHandler(() => this.surface(view), { legacy: 'reject', onerror: (e) => this.options.logger.debug(`gateway: ${e.message}`) });
      this.modern.set(key, handler);
    }
    return handler;
  }

  /** The SDK surface of an endpoint: for one classic session (`session`), or for 2026-07-28 requests. */
  private surface(view: View, session?: number): Server {
    return createSurface(this.hub, view, { ...this.surfaceOptions(), ...(session === undefined ? {} : { session }) });
  }

  private surfaceOptions(): PassthroughOptions & { version: string } {
    const { version, onSignInNeeded, onPermissionNeeded, questions, logger, traffic } = this.options;
    return {
      version,
      held: this.held,
      ...(traffic ? { traffic } : {}),
      ...(onSignInNeeded ? { onSignInNeeded } : {}),
      // The log says what the client was told, in the same words as the row.
      onPermissionNeeded: (server, text) => {
        logger.info(`gateway: a client's call was refused: ${text}`);
        onPermissionNeeded?.(server, text);
      },
      ...(questions ? { questions } : {}),
    };
  }

  /**
   * The classic (2025-era) Streamable HTTP transport: a new session for `initialize`, else the one
   * its header names (an unknown or expired one answers 404, which tells the client to start a new
   * session); the GET stream; DELETE. The checks and answers are those of the SDK's server transport.
   */
  private async classic(view: View, req: IncomingMessage, res: ServerResponse, parsed: unknown): Promise<void> {
    if (req.method === 'POST') {
      if (!acceptable(req)) return sendHttpError(res, 406, -32000, 'Not Acceptable: Client must accept both application/json and text/event-stream');
      if (!isJsonContentType(req.headers['content-type'] ?? null)) return sendHttpError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
      if (parsed === undefined) return sendHttpError(res, 400, -32700, 'Parse error: Invalid JSON');
      const messages = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
      if (messages.length > MAX_BATCH) return sendHttpError(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
      if (!messages.every(isJsonRpcMessage)) return sendHttpError(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
      if (messages.some((m) => 'method' in m && m.method === 'initialize' && 'id' in m)) {
        if (messages.length > 1) return sendHttpError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
        const session = await this.open(view);
        return this.serve(session, res, () => session.client.post(messages, res));
      }
      const session = this.sessionOf(view, req, res);
      if (session) this.serve(session, res, () => session.client.post(messages, res));
      return;
    }
    if (req.method === 'GET') {
      if (!(req.headers.accept ?? '').includes('text/event-stream')) return sendHttpError(res, 406, -32000, 'Not Acceptable: Client must accept text/event-stream');
      const session = this.sessionOf(view, req, res);
      if (!session) return;
      if (session.client.listening) return sendHttpError(res, 409, -32000, 'Conflict: Only one SSE stream is allowed per session');
      return this.serve(session, res, () => session.client.listen(res));
    }
    if (req.method === 'DELETE') {
      const session = this.sessionOf(view, req, res);
      if (!session) return;
      this.forget(session.id);
      session.client.close();
      return void res.writeHead(200).end();
    }
    sendHttpError(res, 405, -32000, 'Method not allowed.', { Allow: 'GET, POST, DELETE' });
  }

  /** The session a request names, or undefined once the refusal is written. */
  private sessionOf(view: View, req: IncomingMessage, res: ServerResponse): Session | undefined {
    const id = req.headers['mcp-session-id'];
    if (typeof id !== 'string' || id === '') return void sendHttpError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
    const session = this.sessions.get(id);
    if (!session || session.view !== view) return void sendHttpError(res, 404, -32001, 'Session not found');
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return void sendHttpError(res, 400, -32000, `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    }
    return session;
  }

  /** A new classic session (its client's initialize comes next); at the cap the longest-idle one goes first. */
  private async open(view: View): Promise<Session> {
    if (this.sessions.size >= MAX_SESSIONS) this.closeLongestIdle();
    const client = new ClientSession(view, (serial) => this.surface(view, serial), {
      passthrough: this.passthrough!,
      ...(this.options.traffic ? { traffic: this.options.traffic } : {}),
    });
    await client.start();
    const session: Session = { id: client.id, view, client, open: 0, lastActive: this.clock.now(), idleTimer: undefined };
    client.onclose = () => this.forget(session.id);
    this.sessions.set(session.id, session);
    this.options.onSessionsChanged?.(this.sessions.size);
    return session;
  }

  /** Runs `write` as a request of `session`: the session is not idle until its response has ended. */
  private serve(session: Session, res: ServerResponse, write: () => void): void {
    const release = this.hold(session);
    res.on('close', release);
    write();
  }

  /** A request of `session` is under way: the session is not idle until the returned release. */
  private hold(session: Session): () => void {
    session.open++;
    session.lastActive = this.clock.now();
    if (session.idleTimer !== undefined) this.clock.clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      session.open--;
      session.lastActive = this.clock.now();
      if (session.open > 0 || this.sessions.get(session.id) !== session) return;
      session.idleTimer = this.clock.setTimeout(() => this.close(session, `idle for ${Math.round(this.idleMs / 60_000)} min`), this.idleMs);
    };
  }

  /** At the cap: the session idle longest goes (one with nothing open first), so a new client always gets in. */
  private closeLongestIdle(): void {
    const [longest] = [...this.sessions.values()].sort((a, b) => Number(a.open > 0) - Number(b.open > 0) || a.lastActive - b.lastActive);
    if (longest) this.close(longest, `${MAX_SESSIONS} sessions open, this one idle longest`);
  }

  /** Ends a session from our side: its streams close and its next request gets 404. */
  private close(session: Session, why: string): void {
    if (this.sessions.get(session.id) !== session) return;
    this.forget(session.id);
    this.options.logger.info(`gateway: closed a client session (${why})`);
    session.client.close();
  }

  private forget(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    if (session.idleTimer !== undefined) this.clock.clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    this.sessions.delete(sessionId);
    this.options.onSessionsChanged?.(this.sessions.size);
  }

  /** A server's lists changed (or it started or stopped): tell the clients of its endpoint and of /mcp. */
  private onHubChange(change: HubChange): void {
    const s = this.hub.server(change.name);
    const lists = s?.state.kind === 'running' ? s.state : undefined;
    const signature = (kind: 'tools' | 'resources' | 'prompts') => JSON.stringify(lists?.[kind] ?? []);
    const changed = (['tools', 'resources', 'prompts'] as const).filter((kind) => {
      const key = `${change.name}\u0000${kind}`;
      const next = signature(kind);
      if (this.listSignatures.get(key) === next) return false;
      this.listSignatures.set(key, next);
      return true;
    });
    if (changed.length === 0) return;
    for (const session of this.sessions.values()) {
      if (session.view !== undefined && session.view !== change.name) continue;
      for (const kind of changed) void notifyList(session.client.surface, kind);
    }
    for (const view of [change.name, undefined]) {
      const handler = this.modern.get(viewKey(view));
      if (!handler) continue;
      for (const kind of changed) {
        if (kind === 'tools') handler.notify.toolsChanged();
        else if (kind === 'resources') handler.notify.resourcesChanged();
        else handler.notify.promptsChanged();
      }
    }
  }
}

/** The server a request target names ('' for /mcp), or null when it names no endpoint of the gateway. */
function nameIn(target: string): string | null {
  const path = new URL(target, 'http://x').pathname;
  if (path === '/mcp') return '';
  const m = /^\/servers\/([^/]+)\/mcp$/.exec(path);
  if (!m) return null;
  try {
    const name = decodeURIComponent(m[1]);
    return name === '' ? null : name;
  } catch {
    return null;
  }
}

function viewKey(view: View): string {
  return view === undefined ? '' : `/${view}`;
}

function notifyList(server: Server, kind: 'tools' | 'resources' | 'prompts'): Promise<void> {
  const sent = kind === 'tools' ? server.sendToolListChanged() : kind === 'resources' ? server.sendResourceListChanged() : server.sendPromptListChanged();
  return sent.catch(() => undefined);
}

/** The protocol versions a classic (2025-era) client names; 2026-07-28 and later are the modern era's. */
const CLASSIC_VERSIONS: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < '2026-07-28'));
const REQUEST_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

/**
 * Whether a POST body is a plain classic request, which `classifyInboundRequest` would call legacy:
 * a JSON-RPC request of exactly the keys it may have, whose params carry no `_meta` (so no
 * 2026-07-28 envelope claim), under no version header or a classic one. The SDK's classifier
 * checks every body against three zod schemas first, building an error for each that does not
 * match: under load a twentieth of the gateway's CPU. Anything else is left to it.
 */
export function plainClassicRequest(body: unknown, versionHeader: string | string[] | undefined): boolean {
  if (versionHeader !== undefined && (typeof versionHeader !== 'string' || !CLASSIC_VERSIONS.has(versionHeader))) return false;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { jsonrpc, id, method, params } = body as Record<string, unknown>;
  if (jsonrpc !== '2.0' || typeof method !== 'string' || !(typeof id === 'string' || Number.isSafeInteger(id))) return false;
  for (const key in body) if (!REQUEST_KEYS.has(key)) return false;
  return params === undefined || (typeof params === 'object' && params !== null && !Array.isArray(params) && !('_meta' in params));
}

/** A classic POST must accept both answers a server may give (the SDK's server transport refuses it otherwise, 406). */
function acceptable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && accept.includes('text/event-stream');
}

function optionalHeader<K extends string>(key: K, value: string | string[] | undefined): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

/** The shape of a JSON-RPC 2.0 message: a request, a notification, or a response. */
function isJsonRpcMessage(m: unknown): m is JSONRPCMessage {
  if (typeof m !== 'object' || m === null || (m as { jsonrpc?: unknown }).jsonrpc !== '2.0') return false;
  const { id, method } = m as { id?: unknown; method?: unknown };
  const hasId = typeof id === 'string' || typeof id === 'number';
  if (typeof method === 'string') return id === undefined || hasId;
  return hasId && ('result' in m || 'error' in m);
}

function send(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendWhole(res, status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers }, message);
}

/** The request's body, read with stream events (an async iterator per request cost the gateway more than the read). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined | 'too large'> {
  if (req.method !== 'POST') return Promise.resolve(undefined);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.resolve('too large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      resolve('too large');
    };
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function parseJson(body: Buffer | undefined): unknown {
  if (!body || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The Web Request the SDK handles. Its body is left out when `parsed` has it already (the SDK reads that). */
function toRequest(req: IncomingMessage, body: Buffer | undefined, port: number, parsed: unknown): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  const controller = new AbortController();
  req.on('close', () => controller.abort());
  return new Request(`http://${LOOPBACK}:${port}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(parsed === undefined && body && body.length > 0 ? { body: new Uint8Array(body) } : {}),
    signal: controller.signal,
  });
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => (headers[key] = value));
  // Corked until the next turn of the event loop: the head and the events the SDK writes at once
  // (a call's result, often its only event) leave in one write rather than one each.
  res.cork();
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  let flush: NodeJS.Immediate | undefined = setImmediate(() => ((flush = undefined), res.uncork()));
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      if (!flush) {
        res.cork();
        flush = setImmediate(() => ((flush = undefined), res.uncork()));
      }
      res.write(chunk.value);
    }
  } catch {
    // The client went away.
  }
  if (flush) clearImmediate(flush);
  res.end();
}
