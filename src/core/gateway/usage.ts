/**
 * Who uses the gateway, kept from its traffic hook (traffic.ts) in bounded memory: the classic
 * client sessions open now and the 2026-07-28 clients seen in the last hour (each with its calls),
 * calls per server over a rolling hour in one-minute buckets, and the last errors. A client's name
 * and version are its own words: scrubbed and capped here, once, before anything shows them (server
 * names and methods are the hub's own: its settings' keys, and the methods it routes).
 * Nothing of a call's arguments or results is ever given to this store.
 */
import { Emitter } from '../events';
import { systemClock, type Clock } from '../ports';
import { scrubber } from '../scrub';
import type { GatewayClientView, GatewayErrorView, GatewayServerUsageView, GatewayUsageView } from '../../protocol';
import type { ClientSessionInfo, ForwardedCallInfo, GatewayTraffic, ModernClientInfo } from './traffic';

const MINUTE_MS = 60_000;
/** The rolling window of the per-server counts, in one-minute buckets. */
export const USAGE_WINDOW_MINUTES = 60;
/** The errors kept, newest first. */
export const MAX_ERRORS = 20;
/** Clients kept at most (classic sessions are capped by the gateway too); the longest unseen goes first. */
export const MAX_CLIENTS = 100;
/** Servers counted at most; one not called for longest goes first. */
export const MAX_SERVERS = 500;
/** A client's name or version as shown: at most this many characters. */
export const CLIENT_TEXT_MAX = 100;

interface Client {
  readonly era: 'classic' | '2026-07-28';
  readonly name: string;
  readonly version: string;
  readonly server?: string;
  readonly since: number;
  lastSeen: number;
  calls: number;
  failed: number;
}

/** One server's calls in one minute. */
interface Bucket {
  minute: number;
  calls: number;
  toolCalls: number;
  failed: number;
}

export class GatewayUsage implements GatewayTraffic {
  /** Classic sessions by their number; 2026-07-28 clients by endpoint, name and version. */
  private readonly clients = new Map<string, Client>();
  /** Per server, a ring of one-minute buckets (index: minute modulo the window). */
  private readonly buckets = new Map<string, Bucket[]>();
  private errors: GatewayErrorView[] = [];
  private readonly _onDidChange = new Emitter<void>();
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly clock: Clock = systemClock) {}

  clientConnected(info: ClientSessionInfo): void {
    const now = this.clock.now();
    this.keep(`s${info.session}`, { era: 'classic', ...who(info), ...endpoint(info.view), since: now, lastSeen: now, calls: 0, failed: 0 });
    this._onDidChange.fire();
  }

  clientDisconnected(session: number): void {
    if (this.clients.delete(`s${session}`)) this._onDidChange.fire();
  }

  clientRequested(info: ModernClientInfo): void {
    this.modern(info);
    this._onDidChange.fire();
  }

  called(info: ForwardedCallInfo): void {
    const now = this.clock.now();
    const client = info.session !== undefined ? this.clients.get(`s${info.session}`) : info.modern ? this.modern(info.modern) : undefined;
    if (client) {
      client.lastSeen = now;
      client.calls++;
      if (!info.ok) client.failed++;
    }
    const bucket = this.bucket(info.server, now);
    bucket.calls++;
    if (info.method === 'tools/call') bucket.toolCalls++;
    if (!info.ok) {
      bucket.failed++;
      const error: GatewayErrorView = {
        at: now,
        server: info.server,
        method: info.method,
        ...(client ? { client: label(client) } : {}),
        message: messageOf(info),
      };
      this.errors = [error, ...this.errors].slice(0, MAX_ERRORS);
    }
    this._onDidChange.fire();
  }

  /** What the usage tab shows now: clients (most recently seen first), servers called in the window (most calls first), the last errors. */
  snapshot(): GatewayUsageView {
    const now = this.clock.now();
    this.forgetQuiet(now);
    const clients: GatewayClientView[] = [...this.clients.values()]
      .sort((a, b) => b.lastSeen - a.lastSeen)
      .map((c) => ({
        name: c.name,
        version: c.version,
        era: c.era,
        ...(c.server !== undefined ? { server: c.server } : {}),
        since: c.since,
        lastSeen: c.lastSeen,
        calls: c.calls,
        failed: c.failed,
      }));
    const oldest = minuteOf(now) - USAGE_WINDOW_MINUTES + 1;
    const servers: GatewayServerUsageView[] = [];
    for (const [server, ring] of this.buckets) {
      const live = ring.filter((b) => b.minute >= oldest);
      if (live.length === 0) {
        this.buckets.delete(server);
        continue;
      }
      const sum = (k: 'calls' | 'toolCalls' | 'failed') => live.reduce((n, b) => n + b[k], 0);
      servers.push({ server, calls: sum('calls'), toolCalls: sum('toolCalls'), failed: sum('failed') });
    }
    servers.sort((a, b) => b.calls - a.calls || a.server.localeCompare(b.server));
    return { clients, servers, errors: [...this.errors], windowMinutes: USAGE_WINDOW_MINUTES };
  }

  dispose(): void {
    this._onDidChange.dispose();
  }

  /** The 2026-07-28 client a request names, seen now (added if new). */
  private modern(info: ModernClientInfo): Client {
    const now = this.clock.now();
    const shown = who(info);
    const key = `m${info.view === undefined ? '' : `/${info.view}`}\u0000${shown.name}\u0000${shown.version}`;
    const known = this.clients.get(key);
    if (known) {
      known.lastSeen = now;
      return known;
    }
    return this.keep(key, { era: '2026-07-28', ...shown, ...endpoint(info.view), since: now, lastSeen: now, calls: 0, failed: 0 });
  }

  private keep(key: string, client: Client): Client {
    this.clients.set(key, client);
    if (this.clients.size > MAX_CLIENTS) {
      const [longest] = [...this.clients.entries()].sort((a, b) => a[1].lastSeen - b[1].lastSeen);
      this.clients.delete(longest[0]);
    }
    return client;
  }

  /** 2026-07-28 clients not seen for the window are gone: they have no session whose end would say so. */
  private forgetQuiet(now: number): void {
    for (const [key, c] of this.clients) if (c.era === '2026-07-28' && now - c.lastSeen > USAGE_WINDOW_MINUTES * MINUTE_MS) this.clients.delete(key);
  }

  private bucket(server: string, now: number): Bucket {
    let ring = this.buckets.get(server);
    if (!ring) {
      ring = [];
      this.buckets.set(server, ring);
      if (this.buckets.size > MAX_SERVERS) this.dropQuietestServer();
    }
    const minute = minuteOf(now);
    const slot = minute % USAGE_WINDOW_MINUTES;
    let bucket = ring[slot];
    if (!bucket || bucket.minute !== minute) ring[slot] = bucket = { minute, calls: 0, toolCalls: 0, failed: 0 };
    return bucket;
  }

  private dropQuietestServer(): void {
    const last = (ring: Bucket[]) => Math.max(...ring.filter(Boolean).map((b) => b.minute), -Infinity);
    const [quietest] = [...this.buckets.entries()].sort((a, b) => last(a[1]) - last(b[1]));
    this.buckets.delete(quietest[0]);
  }
}

function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS);
}

/** A client's own name and version as shown: scrubbed (secrets masked, one line) and capped. */
function who(info: { name: string; version: string }): { name: string; version: string } {
  const clean = (text: string) => capped(scrubber.message(text));
  return { name: clean(info.name) || '(unnamed client)', version: clean(info.version) };
}

function capped(text: string): string {
  const chars = [...text];
  return chars.length <= CLIENT_TEXT_MAX ? text : `${chars.slice(0, CLIENT_TEXT_MAX - 1).join('')}…`;
}

function endpoint(view: string | undefined): { server?: string } {
  return view === undefined ? {} : { server: view };
}

function label(c: Client): string {
  return c.version ? `${c.name} ${c.version}` : c.name;
}

/** Why a call failed, in words that hold none of its arguments or results. */
function messageOf(info: ForwardedCallInfo): string {
  if (info.error !== undefined) return scrubber.message(info.error);
  if (info.code !== undefined) return `The server answered with JSON-RPC error ${info.code}${CODES[info.code] ? ` (${CODES[info.code]})` : ''}.`;
  return info.method === 'tools/call' ? 'The tool answered with an error result.' : 'The call failed.';
}

const CODES: Readonly<Record<number, string>> = {
  [-32700]: 'parse error',
  [-32600]: 'invalid request',
  [-32601]: 'method not found',
  [-32602]: 'invalid params',
  [-32603]: 'internal error',
  [-32002]: 'resource not found',
};
