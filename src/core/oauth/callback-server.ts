/**
 * The loopback redirect target of one sign-in. Bound to 127.0.0.1 only. It accepts exactly one
 * request: a top-level GET navigation to its path, addressed to one of its own hosts, with exactly
 * one `state` equal to the expected one (compared in constant time) and, when the authorization
 * server announced it, the expected `iss`. Anything else gets a fixed 4xx page and the flow goes on
 * waiting; an `error` from the authorization server ends the flow. Its pages reflect no input and
 * carry a CSP that allows nothing.
 *
 * Any local process or web page can send requests here, so every request is answered and none can
 * throw, stall the flow, or hold the port: request targets are parsed by hand (origin-form only,
 * at most MAX_TARGET_LENGTH), headers are capped by Node (maxHeaderSize → 431), half-sent requests
 * are dropped after REQUEST_TIMEOUT_MS, and a body is never read. Requests naming another Host
 * (DNS rebinding) get 421; requests a page makes with fetch or a form (Origin, or a Sec-Fetch-Mode
 * other than navigate) get 403.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BAD_REQUEST_PAGE, CALLBACK_PATH, FAILURE_PAGE, judgeRedirect, PAGE_HEADERS, parseTarget, SUCCESS_PAGE, type Outcome, type Verdict } from './callback-request';
import { OAuthFlowError } from './errors';
import type { Logger } from '../ports';

export { CALLBACK_PATH } from './callback-request';

/** The longest request target (or pasted URL) judged at all; longer ones get 414. */
export const MAX_TARGET_LENGTH = 8 * 1024;
/** Node answers 431 when the request line and headers together exceed this. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** A request that has not arrived in full by then is dropped (slowloris). */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface CallbackResult {
  readonly code: string;
  /** The RFC 9207 issuer the response named (already checked here), for the SDK's own check. */
  readonly iss?: string;
}

/**
 * What the authorization server's redirect said, for the sign-in's trace: whether it brought a code
 * (never the code itself) or its `error` code (only a well-formed one).
 */
export interface CallbackAnswer {
  readonly ok: boolean;
  readonly error?: string;
}

function ignore(): void {}

export interface CallbackServerOptions {
  /** A fixed port (auth.callbackPort) so the redirect URI can be registered in advance; else ephemeral. */
  readonly port?: number;
  readonly logger: Logger;
}

export class CallbackServer {
  private expectedState: string | undefined;
  private expectedIssuer: string | undefined;
  private issuerRequired = false;
  private settled = false;
  private received: CallbackAnswer | undefined;
  private readonly hosts: Set<string>;
  private resolveOutcome!: (outcome: Outcome) => void;
  private readonly outcome = new Promise<Outcome>((resolve) => (this.resolveOutcome = resolve));

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly logger: Logger,
  ) {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  }

  static async start(options: CallbackServerOptions): Promise<CallbackServer> {
    const server = createServer({
      maxHeaderSize: MAX_HEADER_BYTES,
      headersTimeout: REQUEST_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: 1_000,
      keepAliveTimeout: 1_000,
    });
    // An idle socket (sent nothing, or stopped sending) is destroyed after this.
    server.setTimeout(REQUEST_TIMEOUT_MS);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE' ? new OAuthFlowError('callback_port_in_use', `The callback port ${options.port} (auth.callbackPort) is in use by another program.`) : error,
        );
      });
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const callback = new CallbackServer(server, port, options.logger);
    server.on('request', (req, res) => callback.onRequest(req, res));
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => callback.onClientError(error, socket));
    // Unanswered, Node would just drop these: give them a status like every other request.
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => callback.refuseRaw(socket, 405));
    server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => callback.refuseRaw(socket, 400));
    server.on('error', (error) => options.logger.debug(`callback: server error (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`));
    return callback;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}${CALLBACK_PATH}`;
  }

  /**
   * Also accepts requests whose Host is `host` (`name` or `name:port`): the host of the redirect URI
   * after VS Code mapped it for remote development (asExternalUri), which a port forwarder may keep.
   */
  allowHost(host: string): void {
    const normal = host.trim().toLowerCase();
    if (!/^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(normal)) {
      throw new TypeError('allowHost takes a host name with an optional port, like example.com:8443.');
    }
    this.hosts.add(normal);
  }

  /** Arms the server for the authorization request just built. */
  expect(state: string, issuer: string | undefined, issuerRequired: boolean): void {
    this.expectedState = state;
    this.expectedIssuer = issuer;
    this.issuerRequired = issuerRequired;
  }

  /** The redirect this server took, once it took one (not when the flow was ended from outside). */
  get answer(): CallbackAnswer | undefined {
    return this.received;
  }

  /** Resolves with the code, or rejects with the authorization server's error. */
  async result(): Promise<CallbackResult> {
    const outcome = await this.outcome;
    if (!outcome.ok) throw outcome.error;
    return { code: outcome.code, ...(outcome.iss !== undefined ? { iss: outcome.iss } : {}) };
  }

  /**
   * Takes a redirect URL the user pasted (remote development, where the browser cannot reach this
   * server). Returns an error message for a URL that is not this flow's redirect, undefined if taken.
   * Judged like a request, except for the host: the pasted URL may name whatever host VS Code mapped.
   */
  acceptPastedUrl(raw: string): string | undefined {
    const text = raw.trim();
    if (text.length > MAX_TARGET_LENGTH) return 'That address is too long to be a sign-in redirect.';
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return 'That is not a URL. Paste the whole address from the browser, starting with http.';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'That is not a URL. Paste the whole address from the browser, starting with http.';
    const target = parseTarget(url.pathname + url.search);
    if (!target) return 'That address is not well formed.';
    const verdict = this.judge(target.path, target.params);
    if (verdict.kind === 'bad') return verdict.why;
    this.take(verdict.outcome);
    void this.close();
    return undefined;
  }

  private judge(path: string, params: URLSearchParams): Verdict {
    if (this.settled) return { kind: 'bad', why: 'This sign-in has already finished.' };
    return judgeRedirect(path, params, { state: this.expectedState, issuer: this.expectedIssuer, issuerRequired: this.issuerRequired });
  }

  /** Why a request is refused before its target is judged, with the status to answer. */
  private screen(req: IncomingMessage): { status: number; why: string; extra?: Record<string, string> } | undefined {
    const target = req.url ?? '';
    if (target.length > MAX_TARGET_LENGTH) return { status: 414, why: 'the request target is too long' };
    if (req.method !== 'GET') return { status: 405, why: 'not a GET', extra: { Allow: 'GET' } };
    const host = req.headers.host?.toLowerCase();
    if (!host || !this.hosts.has(host)) return { status: 421, why: 'it names another host' };
    const mode = req.headers['sec-fetch-mode'];
    if (req.headers.origin !== undefined || (mode !== undefined && mode !== 'navigate')) {
      return { status: 403, why: 'it was not a top-level navigation' };
    }
    return undefined;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', ignore);
    res.on('error', ignore);
    try {
      const refused = this.screen(req);
      if (refused) {
        this.logger.debug(`callback: refused a request (${refused.why})`);
        this.respond(res, refused.status, BAD_REQUEST_PAGE, refused.extra);
        return;
      }
      const target = parseTarget(req.url ?? '');
      const verdict: Verdict = target ? this.judge(target.path, target.params) : { kind: 'bad', why: 'the request target is malformed' };
      if (verdict.kind === 'bad') {
        this.logger.debug(`callback: rejected a request (${verdict.why})`);
        this.respond(res, 400, BAD_REQUEST_PAGE);
        return;
      }
      // Settle now, close once the page has gone out.
      this.take(verdict.outcome);
      res.on('close', () => void this.close());
      this.respond(res, verdict.outcome.ok ? 200 : 400, verdict.outcome.ok ? SUCCESS_PAGE : FAILURE_PAGE);
    } catch {
      // Nothing above should throw; if it does, the request still gets an answer and the flow waits.
      this.logger.debug('callback: a request could not be handled');
      if (!res.headersSent) this.respond(res, 400, BAD_REQUEST_PAGE);
      else res.destroy();
    }
  }

  /** Requests Node could not parse (bad request line, too many header bytes, timeout). */
  private onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.logger.debug(`callback: dropped a malformed request (${status})`);
    this.refuseRaw(socket, status);
  }

  /** Answers on the bare socket with a status and no body, then closes it. */
  private refuseRaw(socket: Duplex, status: number): void {
    socket.on('error', ignore);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
    // A peer that never reads cannot keep the socket past this.
    (socket as Socket).setTimeout?.(1_000, () => socket.destroy());
  }

  private respond(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...PAGE_HEADERS, ...extra, Connection: 'close' });
    res.end(body);
  }

  private settle(outcome: Outcome): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.resolveOutcome(outcome);
    return true;
  }

  /** Settles with the redirect's outcome and remembers what it said. */
  private take(outcome: Outcome): void {
    if (this.settle(outcome)) this.received = outcome.ok ? { ok: true } : { ok: false, ...(outcome.error.oauthError ? { error: outcome.error.oauthError } : {}) };
  }

  private finish(outcome: Outcome): void {
    this.settle(outcome);
    void this.close();
  }

  /** Ends the flow from outside (Cancel, timeout) and frees the port. */
  abort(error: OAuthFlowError): void {
    this.finish({ ok: false, error });
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
