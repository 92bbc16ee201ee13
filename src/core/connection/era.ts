/**
 * Which MCP protocol era a server speaks, and how the hub finds out without the SDK's pitfalls.
 *
 * - stdio: one process, never two. The classic `initialize` goes first; a server that refuses it
 *   (-32022) gets the 2026-07-28 revision on the same process (`SharedStdio`), and so does one
 *   remembered as modern.
 * - HTTP: `server/discover` with a probe whose budget grows with the server's timeout, falling back
 *   to a fresh classic connect on every outcome that is not an authorization challenge (the SDK
 *   gives up on a 5xx or an unusable 2xx); a classic handshake refused as too old (-32022) means the
 *   probe was only slow, so the 2026-07-28 revision is asked again within the server's timeout.
 * - What was learned is remembered per server (`EraMemory`, keyed by a hash), so the next start
 *   costs no probe: a modern server is adopted from its stored `server/discover` result, a classic
 *   HTTP server gets `initialize` (and SSE) straight away until the verdict is a week old.
 */
import { createHash } from 'node:crypto';
import { OAuthClientFlowError, OAuthError, ProtocolError, SdkHttpError, type DiscoverResult, type Transport } from '@modelcontextprotocol/client';
import type { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { ProtocolSetting, ServerConfig } from '../config';
import { isOAuthFlowError } from '../oauth/errors';
import { httpStatus, isScopeRefusal, isUnauthorized, UNSUPPORTED_PROTOCOL_VERSION } from '../failure';

/** The 2026-07-28 revision: no `initialize`, `server/discover`, `_meta` on every request. */
export const MODERN_REVISION = '2026-07-28';
/** The newest revision of the classic era (the `initialize` handshake). */
export const CLASSIC_REVISION = '2025-11-25';

export type EraVerdict =
  /** Classic handshake; `sse` when the server turned out to speak only the legacy HTTP+SSE transport. */
  | { readonly era: 'legacy'; readonly sse?: boolean; readonly at: number }
  /** The 2026-07-28 revision, with the server's `server/discover` answer to adopt next time. */
  | { readonly era: 'modern'; readonly discover: DiscoverResult; readonly at: number };

/** Where verdicts are kept between starts (VS Code's global state in the editor). Keys are hashes, never URLs or commands. */
export interface EraMemory {
  get(key: string): EraVerdict | undefined;
  set(key: string, verdict: EraVerdict | undefined): void;
}

export class InMemoryEraMemory implements EraMemory {
  private readonly map = new Map<string, EraVerdict>();
  get(key: string): EraVerdict | undefined {
    return this.map.get(key);
  }
  set(key: string, verdict: EraVerdict | undefined): void {
    if (verdict) this.map.set(key, verdict);
    else this.map.delete(key);
  }
}

/**
 * A classic verdict stops being trusted after a week: an upgraded server still answers
 * `initialize`, so a stale classic verdict would never correct itself.
 */
export const LEGACY_VERDICT_MS = 7 * 24 * 3600 * 1000;

/** The key a server's verdict is kept under: what identifies the server, hashed (URLs and args may hold secrets). */
export function eraKey(config: ServerConfig): string {
  const identity = config.type === 'stdio' ? ['stdio', config.command, ...config.args, config.cwd ?? ''] : ['http', config.url];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

/** The verdict to use now: none when pinned, when absent, or when a classic one is past its horizon. */
export function usableVerdict(verdict: EraVerdict | undefined, setting: ProtocolSetting, now: number): EraVerdict | undefined {
  if (setting !== 'auto' || !verdict) return undefined;
  if (verdict.era === 'legacy' && now - verdict.at > LEGACY_VERDICT_MS) return undefined;
  return verdict;
}

/**
 * The server refused the classic handshake because it speaks only newer revisions: -32022 as a
 * JSON-RPC error (stdio), or in the body of the HTTP 400 that a 2026-07-28 server gives a 2025-era POST.
 */
export function refusesClassic(error: unknown): boolean {
  if (error instanceof ProtocolError) return error.code === UNSUPPORTED_PROTOCOL_VERSION;
  if (!(error instanceof SdkHttpError) || error.status !== 400) return false;
  const text = (error.data as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string') return false;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } } | null;
    return body?.error?.code === UNSUPPORTED_PROTOCOL_VERSION;
  } catch {
    return false;
  }
}

/**
 * How long each of the two `server/discover` probes may wait before the classic handshake is tried:
 * a quarter of the server's own timeout, at least 5 s (or a third of a timeout shorter than 15 s).
 * A slow modern server refused by the classic handshake is still asked again in its own revision.
 */
export function probeBudgetMs(timeoutMs: number): number {
  return Math.max(Math.min(5_000, timeoutMs / 3), timeoutMs / 4);
}

/** An authorization challenge (or an OAuth failure): never evidence about the era, never a reason to fall back. */
export function isAuthFailure(error: unknown): boolean {
  return isUnauthorized(error) || isScopeRefusal(error) || error instanceof OAuthError || error instanceof OAuthClientFlowError || isOAuthFlowError(error);
}

/** The spec's backwards compatibility: a 4xx (other than 401/403) to the initialize POST means a legacy HTTP+SSE server. */
export function isLegacyStatus(error: unknown): boolean {
  const code = httpStatus(error);
  return code !== undefined && code >= 400 && code < 500 && code !== 401 && code !== 403;
}

/**
 * One stdio child for successive SDK Clients: starts the process once, and can keep it alive
 * through the close that a refused handshake makes, so the next era is tried on the same process.
 * It is not the SDK's own class, so the SDK probes in place rather than spawning a sibling.
 */
export class SharedStdio implements Transport {
  onmessage?: Transport['onmessage'];
  onerror?: Transport['onerror'];
  onclose?: Transport['onclose'];
  private started: Promise<void> | undefined;
  private keepAlive = false;

  constructor(private readonly inner: StdioClientTransport) {
    inner.onmessage = (message) => this.onmessage?.(message);
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => this.onclose?.();
  }

  get pid(): number | null {
    return this.inner.pid;
  }

  get stderr(): StdioClientTransport['stderr'] {
    return this.inner.stderr;
  }

  start(): Promise<void> {
    return (this.started ??= this.inner.start());
  }

  send(message: Parameters<Transport['send']>[0]): Promise<void> {
    return this.inner.send(message);
  }

  /** Runs one handshake; when it fails and `keep(error)` says so, the process survives the client's close. */
  async handshake<T>(connect: () => Promise<T>, keep: (error: unknown) => boolean): Promise<T> {
    this.keepAlive = true;
    try {
      return await connect();
    } catch (error) {
      if (!keep(error)) await this.inner.close();
      // The SDK chains handlers it finds on a transport: the next client must not feed the refused one.
      this.onmessage = undefined;
      this.onerror = undefined;
      this.onclose = undefined;
      throw error;
    } finally {
      this.keepAlive = false;
    }
  }

  async close(): Promise<void> {
    if (this.keepAlive) return;
    await this.inner.close();
  }

  /** Ends the process whatever is under way (Stop during a handshake). */
  terminate(): Promise<void> {
    return this.inner.close();
  }
}
