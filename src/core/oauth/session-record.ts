/**
 * One OAuth session as the token store keeps it (token-store.ts): the tokens of one account for one
 * protected resource, with how they were had and what they are bound to. Its own file, so the store
 * and what reads sessions (accounts.ts) share the type without importing each other.
 */
import type { OAuthClientInformationMixed, OAuthDiscoveryState, OAuthTokens } from '@modelcontextprotocol/client';
import type { Account } from './account';
import type { DpopKey } from './dpop';

export interface OAuthSession {
  /** The protected resource (the MCP server URL) the tokens are for. */
  readonly resource: string;
  /** The issuer of the authorization server that minted the tokens (and registered the client). */
  readonly issuer?: string;
  readonly discovery?: OAuthDiscoveryState;
  /** The client identity used with this issuer, with the redirect URI it was registered for. */
  readonly client?: OAuthClientInformationMixed & { readonly redirect_uri?: string; readonly kind?: 'dcr' | 'cimd' | 'preregistered' };
  readonly tokens?: OAuthTokens;
  /**
   * How the tokens were had without a browser: client_credentials (machine to machine), or the JWT
   * bearer grant with an ID-JAG from the company IdP (enterprise) or the workload's token (workload).
   */
  readonly grant?: 'client_credentials' | 'enterprise' | 'workload';
  /** Epoch ms when the access token expires, from `expires_in` at the time it was received. */
  readonly expiresAt?: number;
  /** The access token's lifetime (`expires_in`) in ms, which sets how early it is refreshed. */
  readonly lifetimeMs?: number;
  /** Epoch ms of the sign-in (or a machine's first token request) the tokens come from. */
  readonly obtainedAt?: number;
  /**
   * Epoch ms of the last refresh of those tokens; absent until one happened. (Sessions stored before
   * `obtainedAt` existed have this set at sign-in too.)
   */
  readonly refreshedAt?: number;
  /** Who signed in, when the authorization server said (claims scrubbed and capped, see account.ts). */
  readonly account?: Account;
  /** The DPoP key the tokens are bound to, where the authorization server uses DPoP. */
  readonly dpopKey?: DpopKey;
  /** Which account the session is among the resource's: issuer and subject hashed, or issuer and label (accounts.ts); absent when nobody was named. */
  readonly accountKey?: string;
  /** The entry's auth.account the session was signed in for where the server names nobody (accounts.ts): the person's label, unchecked. */
  readonly label?: string;
  readonly updatedAt: number;
}
