/**
 * What a stored session says, as the panel and the connection read it: who is signed in and until
 * when (never a token), and when it ends for good.
 */
import type { AuthSettings } from '../config';
import { storedAccount, type Account } from './account';
import type { OAuthSession } from './token-store';

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
}

/** The panel's view of a session with tokens; undefined without. */
export function sessionInfo(s: OAuthSession | undefined): SessionInfo | undefined {
  if (!s?.tokens) return undefined;
  const account = storedAccount(s.account);
  return {
    ...(s.issuer ? { issuer: s.issuer } : {}),
    scopes: s.tokens.scope?.split(' ').filter(Boolean) ?? [],
    ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
    ...(typeof s.obtainedAt === 'number' ? { obtainedAt: s.obtainedAt } : {}),
    ...(typeof s.refreshedAt === 'number' ? { refreshedAt: s.refreshedAt } : {}),
    ...(account ? { account } : {}),
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
