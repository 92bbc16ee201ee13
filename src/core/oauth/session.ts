/**
 * The stored session of a server: what it says, as the panel and the connection read it (who is
 * signed in and until when, never a token; when it ends for good), and what new tokens make of it
 * (a renewal, or a sign-in's commit). Pure: the provider (provider.ts) writes what these answer.
 *  - expiresIn (v2 stores no expiry): `expires_in` becomes an absolute expiry for proactive refresh.
 */
import type { OAuthDiscoveryState, OAuthTokens } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Logger } from '../ports';
import { claimText, storedAccount, type Account } from './account';
import { accountKeyFor, isNamed, placeOf } from './accounts';
import type { StoredClient } from './clients';
import type { DpopKey } from './dpop';
import { issuerOf } from './issuer';
import type { OAuthSession } from './token-store';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface SessionInfo {
  readonly issuer?: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: number;
  /** Epoch ms of the sign-in the tokens come from. */
  readonly obtainedAt?: number;
  /** Epoch ms of the last refresh of those tokens; absent until one happened. */
  readonly refreshedAt?: number;
  /** Who signed in, when the authorization server said (id_token claims or userinfo; scrubbed, capped). */
  readonly account?: Account;
  /** The entry's auth.account, where the server names nobody: the person's label for the account (scrubbed, capped). */
  readonly label?: string;
}

/** The stored session, or a new one for `serverUrl` to build on. */
export function base(s: OAuthSession | undefined, serverUrl: string): OAuthSession {
  return s ?? { resource: serverUrl, updatedAt: 0 };
}

/** The panel's view of a session with tokens; undefined without. */
export function sessionInfo(s: OAuthSession | undefined): SessionInfo | undefined {
  if (!s?.tokens) return undefined;
  const account = storedAccount(s.account);
  const label = typeof s.label === 'string' ? claimText(s.label) : undefined;
  return {
    ...(s.issuer ? { issuer: s.issuer } : {}),
    scopes: s.tokens.scope?.split(' ').filter(Boolean) ?? [],
    ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
    ...(typeof s.obtainedAt === 'number' ? { obtainedAt: s.obtainedAt } : {}),
    ...(typeof s.refreshedAt === 'number' ? { refreshedAt: s.refreshedAt } : {}),
    ...(account ? { account } : {}),
    ...(label ? { label } : {}),
  };
}

/**
 * When a session ends for good: its expiry, when it has no refresh token and no other way to a new
 * token (client credentials, a JWT assertion: `machine`); else undefined.
 */
export function unrenewableExpiry(s: OAuthSession | undefined, settings: AuthSettings, machine: boolean): number | undefined {
  if (!s?.tokens || s.tokens.refresh_token || s.expiresAt === undefined || s.grant !== undefined) return undefined;
  if (settings.grantType === 'jwt-bearer' || machine) return undefined;
  return s.expiresAt;
}

/** expiresIn: the absolute expiry and the lifetime of tokens received `now`; both undefined without expires_in. */
function expiry(tokens: OAuthTokens, now: number): { expiresAt: number | undefined; lifetimeMs: number | undefined } {
  return typeof tokens.expires_in === 'number'
    ? { expiresAt: now + tokens.expires_in * 1000, lifetimeMs: tokens.expires_in * 1000 }
    : { expiresAt: undefined, lifetimeMs: undefined };
}

export interface Renewal {
  readonly serverUrl: string;
  readonly now: number;
  /** How these tokens were had: client credentials or an assertion; undefined for a refresh. */
  readonly grant: OAuthSession['grant'];
  /** Saved by a transport's provider (a refresh, never a sign-in). */
  readonly passive: boolean;
  /** The tokens the refresh started from. */
  readonly known: OAuthTokens | undefined;
  /** Who the answer names (an id_token's claims), if it names anyone. */
  readonly account?: Account;
  /** The subject that answer names, exactly as sent (accounts.ts keys sessions on it). */
  readonly subject?: string;
}

/**
 * Whether a renewal's answer may tell who the session's account is: only when it names the same
 * account (OpenID Connect Core 12.2: a refreshed id_token has the original `sub`). An answer naming
 * another subject, or a named session's claims without one, would make the session show (and an
 * auth.account pin match) another account than the one its tokens are for; a subject given to a session
 * that named nobody would move it to another account's place.
 */
function sameAccount(s: OAuthSession | undefined, r: Renewal): boolean {
  if (!s?.tokens) return true;
  if (!isNamed(s)) return r.subject === undefined;
  return r.subject !== undefined && accountKeyFor(s.issuer, r.subject) === placeOf(s);
}

/**
 * The session after tokens that renew it (a refresh, or a machine's token on its transport). A
 * refresh that ends after Log Out does not bring the session back (undefined), nor does one that
 * ends after a sign-in committed newer tokens overwrite them (`s` as it is). A refresh keeps how
 * the session was had (an enterprise session stays one) and the account of the sign-in unless its
 * answer names one.
 */
export function renewedSession(s: OAuthSession | undefined, tokens: OAuthTokens, r: Renewal, logger: Logger): OAuthSession | undefined {
  if (r.passive) {
    if (!s) return undefined;
    if (s.tokens && r.known && s.tokens.access_token !== r.known.access_token && s.tokens.refresh_token !== tokens.refresh_token) {
      logger.info('the session changed while refreshing (signed in again); keeping the new one');
      return s;
    }
  }
  const named = r.account && sameAccount(s, r);
  if (r.account && !named) logger.warn('the renewed tokens name another account than the session; the session keeps its account');
  return {
    ...(s ?? { resource: r.serverUrl, updatedAt: 0 }),
    ...(tokens.issuer ? { issuer: tokens.issuer } : {}),
    tokens,
    grant: r.grant ?? (r.passive ? s?.grant : undefined),
    ...expiry(tokens, r.now),
    // Tokens that replace tokens are a refresh; the first ones (a machine's first request) are obtained.
    ...(s?.tokens ? { refreshedAt: r.now } : { obtainedAt: r.now, refreshedAt: undefined }),
    ...(named ? { account: r.account } : {}),
  };
}

/**
 * stagedSignIn: the session a sign-in commits in one write, replacing whatever was stored for its
 * account: its discovery, client (none for a client from settings), tokens and issuer. The DPoP key
 * the flow signed with goes with its tokens (they are bound to it), else the stored one stays.
 */
export function committedSession(
  s: OAuthSession | undefined,
  tokens: OAuthTokens,
  staged: { readonly discovery?: OAuthDiscoveryState; readonly client?: StoredClient; readonly dpopKey?: DpopKey },
  commit: {
    readonly serverUrl: string;
    readonly now: number;
    readonly grant: OAuthSession['grant'];
    readonly account?: Account;
    readonly accountKey?: string;
    readonly label?: string;
  },
): OAuthSession {
  const issuer = tokens.issuer ?? issuerOf(staged.discovery);
  const { expiresAt, lifetimeMs } = expiry(tokens, commit.now);
  const next: Writable<OAuthSession> = {
    resource: commit.serverUrl,
    updatedAt: 0,
    ...(issuer ? { issuer } : {}),
    ...(staged.discovery ? { discovery: staged.discovery } : {}),
    tokens,
    ...(commit.grant ? { grant: commit.grant } : {}),
    ...(expiresAt !== undefined ? { expiresAt, ...(lifetimeMs !== undefined ? { lifetimeMs } : {}) } : {}),
    // A sign-in: no refresh has happened to these tokens yet.
    obtainedAt: commit.now,
    ...(commit.account ? { account: commit.account } : {}),
    ...(commit.accountKey ? { accountKey: commit.accountKey } : {}),
    ...(commit.label ? { label: commit.label } : {}),
  };
  if (staged.client) next.client = staged.client;
  const dpopKey = staged.dpopKey ?? s?.dpopKey;
  if (dpopKey) next.dpopKey = dpopKey;
  return next;
}
