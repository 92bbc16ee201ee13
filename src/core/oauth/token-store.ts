/**
 * OAuth sessions in secret storage, one secret per server host. The secret holds the session of each
 * resource (server URL) on that host, so two servers on one host never overwrite each other. Every
 * write re-reads the secret first: another window may have changed it since.
 *
 * The secret is `{ v: 1, sessions: { [resource]: OAuthSession }, bindings?: { [clientId]: issuer } }`.
 * `sessions[resource]` is the resource's active account, which is all an older MCP Hub reads (and
 * refreshes, or deletes at Log Out); its other accounts are in `sessions` too, under the resource with
 * a fragment (`<resource>#account=<key>`, accounts.ts), which an older MCP Hub never reads or writes
 * but keeps. `bindings` ties a pre-registered client ID (and so its secret) to the one issuer it
 * belongs to; it outlives logout, and older readers ignore it. Fields this version does not know are kept on write.
 *
 * Nothing stored is lost by accident:
 * - a secret that is not JSON or not of this shape is copied, as it is, to `mcpHub.oauthCorrupt/<host>`
 *   (the newest one only) before anything replaces it, and the host then reads as signed out;
 * - a secret with another `v` (written by a newer MCP Hub) reads as signed out and is never written;
 * - a secret storage that fails (keyring locked) gives a typed `store_unavailable` error.
 * Every token and secret read or written is handed to the scrubber, so no surface shows it.
 */
import { isRecord } from '../../protocol';
import { noopLogger, type Disposable, type Logger, type SecretStore } from '../ports';
import { accountsOf, place, select, withAccounts, type AccountRef, type ResourceAccounts } from './accounts';
import { scrubber } from '../scrub';
import { OAuthFlowError } from './errors';
import type { OAuthSession } from './session-record';

export type { OAuthSession };

export { MemorySecretStore } from './memory-secret-store';

export const SECRET_PREFIX = 'mcpHub.oauth/';
/** Short-lived refresh leases between windows live under their own prefix. */
export const LEASE_PREFIX = 'mcpHub.oauthLease/';
/** The last unreadable host secret, kept so a damaged secret is never simply overwritten. */
export const CORRUPT_PREFIX = 'mcpHub.oauthCorrupt/';

interface HostSecret {
  readonly v: 1;
  readonly sessions: Record<string, OAuthSession>;
  /** Pre-registered client ID → the issuer its credentials may be sent to. */
  readonly bindings?: Record<string, string>;
}

/** How a stored host secret reads: usable, from a newer MCP Hub (hands off), or unreadable. */
type Parsed = { kind: 'ok'; secret: HostSecret } | { kind: 'newer' } | { kind: 'corrupt' };

/** The secret key of a server URL's host, e.g. `mcpHub.oauth/mcp.example.com:8443`. */
export function secretKeyFor(serverUrl: string): string {
  return SECRET_PREFIX + hostOf(serverUrl);
}

/** The session key of a server URL: the URL without fragment. */
export function resourceKey(serverUrl: string): string {
  const u = new URL(serverUrl);
  u.hash = '';
  return u.href;
}

/** A refresh lease: one per account of a resource (each account's refresh token is its own). */
function leaseKey(serverUrl: string, account: string | undefined): string {
  return LEASE_PREFIX + resourceKey(serverUrl) + (account ? `#${account}` : '');
}

function hostOf(serverUrl: string): string {
  return new URL(serverUrl).host.toLowerCase();
}

const EMPTY: HostSecret = { v: 1, sessions: {} };

function parse(raw: string | undefined): Parsed {
  if (!raw) return { kind: 'ok', secret: EMPTY };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { kind: 'corrupt' };
  }
  if (!isRecord(value)) return { kind: 'corrupt' };
  if (typeof value.v === 'number' && value.v !== 1) return { kind: 'newer' };
  if (value.v !== 1 || !isRecord(value.sessions) || !Object.values(value.sessions).every(isRecord)) return { kind: 'corrupt' };
  if (value.bindings !== undefined && !(isRecord(value.bindings) && Object.values(value.bindings).every((i) => typeof i === 'string'))) {
    return { kind: 'corrupt' };
  }
  return { kind: 'ok', secret: value as unknown as HostSecret };
}

/** Hands every secret value in a session to the scrubber. */
function remember(session: OAuthSession | undefined): void {
  if (!session) return;
  const client = session.client as { client_secret?: string; registration_access_token?: string } | undefined;
  scrubber.remember(
    session.tokens?.access_token,
    session.tokens?.refresh_token,
    session.tokens?.id_token,
    client?.client_secret,
    client?.registration_access_token,
    session.dpopKey?.privateJwk?.d,
  );
}

function newerVersion(host: string): OAuthFlowError {
  return new OAuthFlowError('store_newer_version', `The sign-in for ${host} was saved by a newer version of MCP Hub; update MCP Hub to use it.`);
}

function unavailable(host: string, doing: 'read' | 'saved', cause: unknown): OAuthFlowError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new OAuthFlowError(
    'store_unavailable',
    `VS Code secret storage is not available (it may be locked, or the system keyring unreachable), so the sign-in for ${host} could not be ${doing}.`,
    scrubber.detail(message),
  );
}

export interface TokenStoreOptions {
  /** Told when a damaged secret is moved aside (never its content). */
  readonly logger?: Logger;
}

export class TokenStore {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly logger: Logger;

  constructor(
    private readonly secrets: SecretStore,
    options: TokenStoreOptions = {},
  ) {
    this.logger = options.logger ?? noopLogger;
  }

  /**
   * The session of a server's account (the active one unless `ref` names another), or undefined when
   * there is none (or a newer MCP Hub saved it). Throws OAuthFlowError('store_unavailable') when secret storage fails.
   */
  async get(serverUrl: string, ref?: AccountRef): Promise<OAuthSession | undefined> {
    return select(await this.accounts(serverUrl), ref);
  }

  /** Every account signed in to a server: the active one, and the others (none when a newer MCP Hub saved them). */
  async accounts(serverUrl: string): Promise<ResourceAccounts> {
    const read = await this.read(serverUrl);
    return read.kind === 'ok' ? accountsOf(read.secret, resourceKey(serverUrl)) : { others: [] };
  }

  /** Makes the account with this key the server's active one (Switch Account); false when it is not stored. */
  activate(serverUrl: string, key: string): Promise<boolean> {
    return this.modify(serverUrl, (secret) => {
      const rk = resourceKey(serverUrl);
      const accounts = accountsOf(secret, rk);
      const chosen = select(accounts, { key });
      if (!chosen) return { next: secret, result: false };
      return { next: withAccounts(secret, rk, place(accounts, chosen, chosen, true)), result: true };
    });
  }

  /** Like get, but never throws (a server without OAuth still starts with a broken keyring); `error` says why there is none. */
  async tryGet(serverUrl: string, ref?: AccountRef): Promise<{ session?: OAuthSession; error?: OAuthFlowError }> {
    try {
      const read = await this.read(serverUrl);
      if (read.kind === 'newer') return { error: newerVersion(hostOf(serverUrl)) };
      const session = select(accountsOf(read.secret, resourceKey(serverUrl)), ref);
      return session ? { session } : {};
    } catch (error) {
      if (error instanceof OAuthFlowError) return { error };
      return { error: unavailable(hostOf(serverUrl), 'read', error) };
    }
  }

  /**
   * Read-modify-write of one account's session of a server (the active one unless `ref` names another),
   * serialised per host in this process, from what is stored now; undefined deletes it. Where the result
   * goes among the accounts, and whether it becomes the active one, is `place` (accounts.ts). Throws
   * 'store_newer_version' (nothing written) or 'store_unavailable'.
   */
  update(serverUrl: string, change: (s: OAuthSession | undefined) => OAuthSession | undefined, ref?: AccountRef, activate = false): Promise<OAuthSession | undefined> {
    return this.modify(serverUrl, (secret) => {
      const rk = resourceKey(serverUrl);
      const accounts = accountsOf(secret, rk);
      const current = select(accounts, ref);
      const changed = change(current);
      const updated = changed && { ...changed, resource: rk, updatedAt: Date.now() };
      remember(updated);
      return { next: withAccounts(secret, rk, place(accounts, current, updated, activate)), result: updated };
    });
  }

  /** Deletes one account's session of the server (Log Out); the other accounts and the issuer bindings on the host stay. */
  delete(serverUrl: string, ref?: AccountRef): Promise<unknown> {
    return this.update(serverUrl, () => undefined, ref);
  }

  /** The issuer a pre-registered client ID was bound to on this server's host, if any. */
  async boundIssuer(serverUrl: string, clientId: string): Promise<string | undefined> {
    const read = await this.read(serverUrl);
    const bindings = read.kind === 'ok' ? read.secret.bindings : undefined;
    return bindings && Object.hasOwn(bindings, clientId) ? bindings[clientId] : undefined;
  }

  /** Binds a pre-registered client ID to an issuer on this server's host (replacing any binding). */
  async bindIssuer(serverUrl: string, clientId: string, issuer: string): Promise<void> {
    await this.modify(serverUrl, (secret) => {
      // fromEntries defines own properties, so even a client ID of "__proto__" is plain data.
      const bindings = Object.fromEntries([...Object.entries(secret.bindings ?? {}).filter(([id]) => id !== clientId), [clientId, issuer]]);
      return { next: { ...secret, bindings }, result: undefined };
    });
  }

  /**
   * A best-effort lock between windows for one refresh: with rotating refresh tokens (and an
   * authorization server that revokes the grant when a used refresh token comes back), two windows
   * refreshing at once would sign each other out. True when `owner` holds the lease now.
   */
  async acquireLease(serverUrl: string, owner: string, ttlMs: number, now: number, account?: string): Promise<boolean> {
    const key = leaseKey(serverUrl, account);
    const host = hostOf(serverUrl);
    const read = async () => {
      const raw = await this.guard(host, 'read', () => this.secrets.get(key));
      try {
        return JSON.parse(raw ?? 'null') as { owner: string; until: number } | null;
      } catch {
        return null;
      }
    };
    const current = await read();
    if (current && current.owner !== owner && current.until > now) return false;
    await this.guard(host, 'saved', () => this.secrets.store(key, JSON.stringify({ owner, until: now + ttlMs })));
    // Last writer wins: read back to see whether another window wrote at the same moment.
    return (await read())?.owner === owner;
  }

  async releaseLease(serverUrl: string, owner: string, account?: string): Promise<void> {
    const key = leaseKey(serverUrl, account);
    const host = hostOf(serverUrl);
    const raw = await this.guard(host, 'read', () => this.secrets.get(key));
    if (raw && raw.includes(JSON.stringify(owner))) await this.guard(host, 'saved', () => this.secrets.delete(key));
  }

  /** Fires with the affected host's secret key whenever any window changes a session. */
  onDidChange(listener: (secretKey: string) => void): Disposable {
    return this.secrets.onDidChange((key) => {
      if (key.startsWith(SECRET_PREFIX)) listener(key);
    });
  }

  /** Reads the host secret; an unreadable one is moved aside first and reads as empty. */
  private async read(serverUrl: string): Promise<{ kind: 'ok'; secret: HostSecret } | { kind: 'newer' }> {
    const host = hostOf(serverUrl);
    const raw = await this.guard(host, 'read', () => this.secrets.get(SECRET_PREFIX + host));
    const parsed = parse(raw);
    if (parsed.kind === 'newer') return parsed;
    if (parsed.kind === 'corrupt') {
      await this.moveAside(host, raw!);
      return { kind: 'ok', secret: EMPTY };
    }
    for (const session of Object.values(parsed.secret.sessions)) remember(session);
    return parsed;
  }

  /** Keeps an unreadable secret under CORRUPT_PREFIX (the newest only), without looking inside. */
  private async moveAside(host: string, raw: string): Promise<void> {
    const key = CORRUPT_PREFIX + host;
    if ((await this.guard(host, 'read', () => this.secrets.get(key))) === raw) return;
    await this.guard(host, 'saved', () => this.secrets.store(key, raw));
    this.logger.warn(`oauth: the stored sign-in for ${host} was unreadable; it was kept as ${key} and the host now reads as signed out`);
  }

  /**
   * Read-modify-write of the host secret under the per-host lock. A secret from a newer MCP Hub is
   * never written; a host with neither sessions nor bindings left is deleted.
   */
  private modify<T>(serverUrl: string, change: (secret: HostSecret) => { next: HostSecret; result: T }): Promise<T> {
    const host = hostOf(serverUrl);
    const key = SECRET_PREFIX + host;
    return this.locked(key, async () => {
      const read = await this.read(serverUrl);
      if (read.kind === 'newer') throw newerVersion(host);
      const { next, result } = change(read.secret);
      const { bindings, ...rest } = next;
      const hasBindings = !!bindings && Object.keys(bindings).length > 0;
      if (Object.keys(next.sessions).length === 0 && !hasBindings) {
        await this.guard(host, 'saved', () => this.secrets.delete(key));
      } else {
        const value: HostSecret = { ...rest, v: 1, ...(hasBindings ? { bindings } : {}) };
        await this.guard(host, 'saved', () => this.secrets.store(key, JSON.stringify(value)));
      }
      return result;
    });
  }

  /** Runs `work` after every earlier locked work on `key` in this process has finished. */
  private locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  /** A secret storage call whose failure becomes a typed error in our words. */
  private async guard<T>(host: string, doing: 'read' | 'saved', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw unavailable(host, doing, error);
    }
  }
}
