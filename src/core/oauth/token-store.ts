/**
 * OAuth sessions in secret storage, one secret per server host. The secret holds the session of each
 * resource (server URL) on that host, so two servers on one host never overwrite each other. Every
 * write re-reads the secret first: another window may have changed it since.
 */
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { Disposable, SecretStore } from '../ports';
import type { DpopKey } from './dpop';

export const SECRET_PREFIX = 'mcpHub.oauth/';
/** Short-lived refresh leases between windows live under their own prefix. */
export const LEASE_PREFIX = 'mcpHub.oauthLease/';

export interface OAuthSession {
  /** The protected resource (the MCP server URL) the tokens are for. */
  readonly resource: string;
  /** The issuer of the authorization server that minted the tokens (and registered the client). */
  readonly issuer?: string;
  readonly discovery?: OAuthDiscoveryState;
  /** The client identity used with this issuer, with the redirect URI it was registered for. */
  readonly client?: OAuthClientInformationMixed & { readonly redirect_uri?: string; readonly kind?: 'dcr' | 'cimd' | 'preregistered' };
  readonly tokens?: OAuthTokens;
  /** Set when the tokens came from the client_credentials grant (machine to machine, no browser). */
  readonly grant?: 'client_credentials';
  /** Epoch ms when the access token expires, from `expires_in` at the time it was received. */
  readonly expiresAt?: number;
  /** The access token's lifetime (`expires_in`) in ms, which sets how early it is refreshed. */
  readonly lifetimeMs?: number;
  /** The DPoP key the tokens are bound to, where the authorization server uses DPoP. */
  readonly dpopKey?: DpopKey;
  readonly updatedAt: number;
}

interface HostSecret {
  readonly v: 1;
  readonly sessions: Record<string, OAuthSession>;
}

/** The secret key of a server URL's host, e.g. `mcpHub.oauth/mcp.example.com:8443`. */
export function secretKeyFor(serverUrl: string): string {
  return SECRET_PREFIX + new URL(serverUrl).host.toLowerCase();
}

/** The session key of a server URL: the URL without fragment. */
export function resourceKey(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.hash = '';
  return u.href;
}

function parse(raw: string | undefined): HostSecret {
  if (!raw) return { v: 1, sessions: {} };
  try {
    const value = JSON.parse(raw) as HostSecret;
    if (value && value.v === 1 && typeof value.sessions === 'object' && value.sessions !== null) return value;
  } catch {
    // A damaged secret reads as empty; the next sign-in replaces it.
  }
  return { v: 1, sessions: {} };
}

export class TokenStore {
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly secrets: SecretStore) {}

  async get(serverUrl: string): Promise<OAuthSession | undefined> {
    const host = parse(await this.secrets.get(secretKeyFor(serverUrl)));
    return host.sessions[resourceKey(serverUrl)];
  }

  /**
   * Read-modify-write of one server's session, serialised per host within this process and always
   * starting from what is stored now. Returning undefined deletes the session.
   */
  update(serverUrl: string, change: (current: OAuthSession | undefined) => OAuthSession | undefined): Promise<OAuthSession | undefined> {
    const key = secretKeyFor(serverUrl);
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      const host = parse(await this.secrets.get(key));
      const rk = resourceKey(serverUrl);
      const updated = change(host.sessions[rk]);
      const sessions = { ...host.sessions };
      if (updated) sessions[rk] = { ...updated, resource: rk, updatedAt: Date.now() };
      else delete sessions[rk];
      if (Object.keys(sessions).length === 0) await this.secrets.delete(key);
      else await this.secrets.store(key, JSON.stringify({ v: 1, sessions } satisfies HostSecret));
      return updated ? sessions[rk] : undefined;
    });
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  delete(serverUrl: string): Promise<unknown> {
    return this.update(serverUrl, () => undefined);
  }

  /**
   * A best-effort lock between windows for one refresh: with rotating refresh tokens (and an
   * authorization server that revokes the grant when a used refresh token comes back), two windows
   * refreshing at once would sign each other out. True when `owner` holds the lease now.
   */
  async acquireLease(serverUrl: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const key = LEASE_PREFIX + resourceKey(serverUrl);
    const read = async () => {
      try {
        return JSON.parse((await this.secrets.get(key)) ?? 'null') as { owner: string; until: number } | null;
      } catch {
        return null;
      }
    };
    const current = await read();
    if (current && current.owner !== owner && current.until > now) return false;
    await this.secrets.store(key, JSON.stringify({ owner, until: now + ttlMs }));
    // Last writer wins: read back to see whether another window wrote at the same moment.
    return (await read())?.owner === owner;
  }

  async releaseLease(serverUrl: string, owner: string): Promise<void> {
    const key = LEASE_PREFIX + resourceKey(serverUrl);
    const raw = await this.secrets.get(key);
    if (raw && raw.includes(JSON.stringify(owner))) await this.secrets.delete(key);
  }

  /** Fires with the affected host's secret key whenever any window changes a session. */
  onDidChange(listener: (secretKey: string) => void): Disposable {
    return this.secrets.onDidChange((key) => {
      if (key.startsWith(SECRET_PREFIX)) listener(key);
    });
  }
}

/** An in-memory SecretStore: for tests, the conformance adapter, and two "windows" sharing one store. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Set<(key: string) => void>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.fire(key);
  }
  async delete(key: string): Promise<void> {
    if (this.values.delete(key)) this.fire(key);
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
  onDidChange(listener: (key: string) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  private fire(key: string): void {
    // Like VS Code, listeners hear about the change asynchronously.
    queueMicrotask(() => {
      for (const l of [...this.listeners]) l(key);
    });
  }
}
