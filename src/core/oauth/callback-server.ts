/**
 * The loopback redirect target of one sign-in. Bound to 127.0.0.1 only. It accepts exactly one
 * request: GET on its path with the expected `state` (compared in constant time) and, when the
 * authorization server announced it, the expected `iss`. Anything else gets a 400 page and the
 * flow goes on waiting; an `error` from the authorization server ends the flow. Its pages reflect
 * no input and carry a CSP that allows nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { OAuthFlowError } from './errors';
import type { Logger } from '../ports';

export const CALLBACK_PATH = '/callback';

export interface CallbackResult {
  readonly code: string;
}

type Outcome = { ok: true; code: string } | { ok: false; error: OAuthFlowError };

const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:15px system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.3em}</style>
</head><body><h1>${title}</h1><p>${body}</p></body></html>`;
}

const SUCCESS_PAGE = page('Signed in to MCP Hub', 'You can close this tab and return to VS Code.');
const FAILURE_PAGE = page('Sign-in did not complete', 'The authorization server did not grant access. Return to VS Code for details.');
const BAD_REQUEST_PAGE = page('Not a valid sign-in response', 'This page only accepts the redirect of an MCP Hub sign-in in progress.');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

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
  private resolveOutcome!: (outcome: Outcome) => void;
  private readonly outcome = new Promise<Outcome>((resolve) => (this.resolveOutcome = resolve));

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static async start(options: CallbackServerOptions): Promise<CallbackServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'EADDRINUSE'
            ? new OAuthFlowError('callback_port_in_use', `The callback port ${options.port} (auth.callbackPort) is in use by another program.`)
            : error,
        );
      });
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const callback = new CallbackServer(server, port, options.logger);
    server.on('request', (req, res) => callback.onRequest(req, res));
    return callback;
  }

  get redirectUri(): string {
    return `http://127.0.0.1:${this.port}${CALLBACK_PATH}`;
  }

  /** Arms the server for the authorization request just built. */
  expect(state: string, issuer: string | undefined, issuerRequired: boolean): void {
    this.expectedState = state;
    this.expectedIssuer = issuer;
    this.issuerRequired = issuerRequired;
  }

  /** Resolves with the code, or rejects with the authorization server's error. */
  async result(): Promise<CallbackResult> {
    const outcome = await this.outcome;
    if (!outcome.ok) throw outcome.error;
    return { code: outcome.code };
  }

  /**
   * Takes a redirect URL the user pasted (remote development, where the browser cannot reach this
   * server). Returns an error message for a URL that is not this flow's redirect, undefined if taken.
   */
  acceptPastedUrl(raw: string): string | undefined {
    let url: URL;
    try {
      url = new URL(raw.trim());
    } catch {
      return 'That is not a URL. Paste the whole address from the browser, starting with http.';
    }
    const verdict = this.judge(url.pathname, url.searchParams);
    if (verdict.kind === 'bad') return verdict.why;
    this.finish(verdict.outcome);
    return undefined;
  }

  private judge(path: string, params: URLSearchParams): { kind: 'bad'; why: string } | { kind: 'done'; outcome: Outcome } {
    if (this.settled) return { kind: 'bad', why: 'This sign-in has already finished.' };
    if (path !== CALLBACK_PATH) return { kind: 'bad', why: `The redirect path must be ${CALLBACK_PATH}.` };
    const state = params.get('state');
    if (!this.expectedState || !state || !sameSecret(state, this.expectedState)) {
      return { kind: 'bad', why: 'The redirect does not belong to this sign-in (its state does not match).' };
    }
    const iss = params.get('iss');
    if (iss !== null ? this.expectedIssuer !== undefined && iss !== this.expectedIssuer : this.issuerRequired) {
      // Do not echo the received issuer: it is attacker-controlled.
      return {
        kind: 'done',
        outcome: { ok: false, error: new OAuthFlowError('issuer_mismatch', 'The authorization response came from an unexpected issuer (RFC 9207 iss check failed).') },
      };
    }
    const error = params.get('error');
    if (error) {
      const description = params.get('error_description');
      const text = description ? `${error}: ${description}` : error;
      return { kind: 'done', outcome: { ok: false, error: new OAuthFlowError('authorization_denied', `The authorization server refused: ${text.slice(0, 300)}`) } };
    }
    const code = params.get('code');
    if (!code) return { kind: 'bad', why: 'The redirect has no authorization code.' };
    return { kind: 'done', outcome: { ok: true, code } };
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') {
      this.respond(res, 405, BAD_REQUEST_PAGE, { Allow: 'GET' });
      return;
    }
    const verdict = this.judge(url.pathname, url.searchParams);
    if (verdict.kind === 'bad') {
      this.logger.debug(`callback: rejected a request (${verdict.why})`);
      this.respond(res, 400, BAD_REQUEST_PAGE);
      return;
    }
    // Settle now, close once the page has gone out.
    this.settle(verdict.outcome);
    res.on('close', () => void this.close());
    this.respond(res, verdict.outcome.ok ? 200 : 400, verdict.outcome.ok ? SUCCESS_PAGE : FAILURE_PAGE);
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
