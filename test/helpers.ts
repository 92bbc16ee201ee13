import { createServer } from 'node:net';
import { join } from 'node:path';
import { McpHub, type HubServer } from '../src/core/hub';
import { DEFAULT_TIMEOUT_SECONDS, parseServers, type ConfigEntry } from '../src/core/config';
import { systemClock, type Clock, type ElicitationHandler, type Logger, type SamplingHandler, type TimerHandle } from '../src/core/ports';
import type { ServerStateKind } from '../src/core/state';
import type { RetryPolicy } from '../src/core/connection';
import type { EraMemory } from '../src/core/connection/era';

export const root = join(__dirname, '..');
export const stdioFixture = join(root, 'test/fixtures/stdio-server.mjs');
export const modernStdioFixture = join(root, 'test/fixtures/modern-stdio-server.mjs');
export const everythingServer = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** A logger that keeps every line, so tests can assert on what was (and was not) logged. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  trace = (m: string) => void this.lines.push(`trace ${m}`);
  debug = (m: string) => void this.lines.push(`debug ${m}`);
  info = (m: string) => void this.lines.push(`info ${m}`);
  warn = (m: string) => void this.lines.push(`warn ${m}`);
  error = (m: string) => void this.lines.push(`error ${m}`);
  text(): string {
    return this.lines.join('\n');
  }
}

export const fastRetry: RetryPolicy = { initialDelayMs: 100, maxDelayMs: 400, healthyAfterMs: 60_000 };

export function createHub(
  options: { logger?: Logger; clock?: Clock; retry?: RetryPolicy; elicitation?: ElicitationHandler; sampling?: SamplingHandler; eras?: EraMemory } = {},
): McpHub {
  return new McpHub({
    logger: options.logger ?? new MemoryLogger(),
    clock: options.clock ?? systemClock,
    clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
    retry: options.retry ?? fastRetry,
    ...(options.elicitation ? { elicitation: options.elicitation } : {}),
    ...(options.sampling ? { sampling: options.sampling } : {}),
    ...(options.eras ? { eras: options.eras } : {}),
  });
}

export function entries(servers: Record<string, unknown>, source: 'user' | 'workspace' = 'user'): ConfigEntry[] {
  return parseServers(servers, source);
}

export function stdioEntry(env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return { command: process.execPath, args: [stdioFixture], env, ...extra };
}

/**
 * How long a test waits for a server unless it says otherwise: as long as the hub itself would wait
 * for it (the server's own timeout), and 5 s more. A busy machine slows a start down; it never makes
 * a test fail that the product would have passed.
 */
function budgetFor(hub: McpHub, name: string): number {
  return (hub.server(name)?.config?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000 + 5_000;
}

/** Resolves with the server once `predicate` holds, checking on every change; rejects after `ms` (by default the server's own timeout). */
export function waitFor(hub: McpHub, name: string, predicate: (s: HubServer) => boolean, ms = budgetFor(hub, name)): Promise<HubServer> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = hub.server(name);
      if (s && predicate(s)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
        return true;
      }
      return false;
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${name}; last state ${JSON.stringify(hub.server(name)?.state)}`));
    }, ms);
    const sub = hub.onDidChange((c) => c.name === name && check());
    check();
  });
}

export function waitForKind(hub: McpHub, name: string, kind: ServerStateKind, ms?: number): Promise<HubServer> {
  return waitFor(hub, name, (s) => s.state.kind === kind, ms);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function pidOf(hub: McpHub, name: string): Promise<number> {
  const result = await hub.callTool(name, 'whoami');
  const text = (result.content[0] as { text: string }).text;
  return Number(/pid=(\d+)/.exec(text)![1]);
}

/** A BrowserOpener that hands each URL to a scripted browser, as `vscode.env.openExternal` would. */
export class FakeBrowser {
  readonly opened: string[] = [];
  readonly results: Array<Promise<{ finalUrl: string; status: number; body: string }>> = [];
  /** The person at the browser; undefined is one who never signs in. Tests may swap it between sign-ins. */
  constructor(public browser?: { open(url: string): Promise<{ finalUrl: string; status: number; body: string }> }) {}
  async open(url: string): Promise<boolean> {
    this.opened.push(url);
    if (this.browser) this.results.push(this.browser.open(url));
    return true;
  }
  /** The result of the most recent navigation (the callback page, or where the script stopped). */
  async last() {
    return this.results[this.results.length - 1];
  }
}

export function createOAuthHub(options: { store: import('../src/core/ports').SecretStore; browser: FakeBrowser; logger?: Logger; retry?: RetryPolicy }) {
  // Late require keeps helpers.ts free of OAuth imports for the plain hub tests.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: loaded only when an OAuth hub is made.
  const { TokenStore } = require('../src/core/oauth/token-store') as typeof import('../src/core/oauth/token-store');
  return new McpHub({
    logger: options.logger ?? new MemoryLogger(),
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
    retry: options.retry ?? fastRetry,
    oauth: { store: new TokenStore(options.store, { logger: options.logger ?? new MemoryLogger() }), browser: options.browser },
  });
}

/** A clock that moves only when told to; due timers fire in order. */
export class FakeClock implements Clock {
  private time = 1_000_000;
  private next = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id as unknown as TimerHandle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as unknown as number);
  }
  /** Moves time forward, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = end;
  }
  pending(): number {
    return this.timers.size;
  }
}

/** A port free on 127.0.0.1 just now (the system's choice, so never one that another program holds). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
