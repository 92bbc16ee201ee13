/**
 * The MCP Apps sandbox proxy (SEP-1865 "Sandbox proxy"), served from a loopback HTTP server.
 *
 * Why a server: a frame the tool runner's webview makes from srcdoc, blob: or data: inherits the
 * webview's own Content-Security-Policy (a nonce for our script and nothing else), so an app's
 * inline scripts could never run there, and widening that policy for an app would widen it for the
 * webview. A document loaded from an http URL gets the policy its response sends instead. So each
 * app gets a session here: an unguessable path whose page answers with exactly the app's policy
 * (built from its `_meta.ui.csp`, app-resource.ts) and holds the proxy script below. The webview
 * frames that page with `sandbox="allow-scripts"` (an opaque origin: no access to the webview, its
 * storage or `acquireVsCodeApi`), VS Code maps the address for remote setups (asExternalUri, as
 * for Simple Browser), and the app's HTML arrives by postMessage and runs in a srcdoc frame inside
 * the proxy, which inherits exactly that policy.
 *
 * The server binds 127.0.0.1, answers GET only, checks Host against the addresses it was told it is
 * reached by, refuses requests a frame does not make (an Origin header, a Sec-Fetch-Dest other than
 * iframe), and compares the session secret in constant time. A page holds no secret of its own.
 *
 * The proxy script is hand-written because the MCP Apps SDK publishes none (its hosts' proxies are
 * examples); it only relays JSON-RPC between its parent and the app frame, as the spec says, and
 * never forwards `ui/notifications/sandbox-*` messages.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../ports';

export interface SandboxSession {
  /** The page's path on the server, e.g. `/app/<id>/<secret>`. */
  readonly path: string;
  dispose(): void;
}

const PROXY_SCRIPT = `(() => {
  'use strict';
  const SANDBOX = 'ui/notifications/sandbox-';
  const FEATURES = { camera: 'camera', microphone: 'microphone', geolocation: 'geolocation', clipboardWrite: 'clipboard-write' };
  const host = window.parent;
  let app;
  const reserved = (data) => typeof data === 'object' && data !== null && typeof data.method === 'string' && data.method.startsWith(SANDBOX);
  window.addEventListener('message', (event) => {
    const data = event.data;
    if (event.source === host) {
      if (reserved(data)) {
        if (app || data.method !== SANDBOX + 'resource-ready' || typeof data.params?.html !== 'string') return;
        const granted = data.params.permissions || {};
        app = document.createElement('iframe');
        app.setAttribute('sandbox', 'allow-scripts allow-forms');
        app.setAttribute('allow', Object.keys(FEATURES).filter((k) => granted[k]).map((k) => FEATURES[k]).join('; '));
        app.setAttribute('title', 'MCP App');
        app.srcdoc = data.params.html;
        document.body.append(app);
      } else if (app) app.contentWindow.postMessage(data, '*');
    } else if (app && event.source === app.contentWindow && !reserved(data)) host.postMessage(data, '*');
  });
  host.postMessage({ jsonrpc: '2.0', method: SANDBOX + 'proxy-ready', params: {} }, '*');
})();`;

const PROXY_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MCP App sandbox</title>
<style>html,body{margin:0;height:100%;overflow:hidden;background:transparent}iframe{display:block;border:0;width:100%;height:100%}</style>
</head><body><script>${PROXY_SCRIPT}</script></body></html>`;

const PATH = /^\/app\/([A-Za-z0-9_-]{16})\/([A-Za-z0-9_-]{43})$/;

interface Entry {
  readonly secret: Buffer;
  readonly policy: string;
}

export class AppSandboxServer {
  private server: Server | undefined;
  private listening: Promise<number> | undefined;
  private readonly sessions = new Map<string, Entry>();
  private readonly hosts = new Set<string>();

  constructor(private readonly logger: Logger) {}

  /** Starts the server (once) and returns its port. */
  start(): Promise<number> {
    this.listening ??= new Promise<number>((resolve, reject) => {
      const server = createServer((req, res) => this.handle(req, res));
      this.server = server;
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (!address || typeof address === 'string') return reject(new Error('The MCP Apps sandbox server has no port.'));
        this.hosts.add(`127.0.0.1:${address.port}`);
        this.hosts.add(`localhost:${address.port}`);
        server.unref();
        resolve(address.port);
      });
    });
    return this.listening;
  }

  /** Another `host:port` the pages are reached by (the address VS Code forwards them at). */
  allowHost(authority: string): void {
    this.hosts.add(authority.toLowerCase());
  }

  /** A page for one app, answering with `policy` as its Content-Security-Policy. */
  open(policy: string): SandboxSession {
    const id = randomBytes(12).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    this.sessions.set(id, { secret: Buffer.from(secret), policy });
    return { path: `/app/${id}/${secret}`, dispose: () => this.sessions.delete(id) };
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const refuse = (status: number, why: string) => {
      this.logger.warn(`MCP Apps sandbox: refused a request (${why})`);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end();
    };
    if (req.method !== 'GET') return refuse(405, `method ${String(req.method).slice(0, 10)}`);
    if (!this.hosts.has((req.headers.host ?? '').toLowerCase())) return refuse(421, 'unknown Host');
    if (req.headers.origin !== undefined) return refuse(403, 'an Origin header');
    const dest = req.headers['sec-fetch-dest'];
    if (dest !== undefined && dest !== 'iframe') return refuse(403, 'not a frame');
    const m = PATH.exec((req.url ?? '').split('?')[0]);
    const entry = m ? this.sessions.get(m[1]) : undefined;
    const given = Buffer.from(m?.[2] ?? '');
    if (!entry || given.length !== entry.secret.length || !timingSafeEqual(given, entry.secret)) return refuse(404, 'no such app');
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': entry.policy,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(PROXY_PAGE);
  }

  async close(): Promise<void> {
    this.sessions.clear();
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
