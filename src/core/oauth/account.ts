/**
 * Who is signed in, as the authorization server tells it: the claims `name`, `email`,
 * `preferred_username` and `sub` of an OpenID Connect id_token, else of its userinfo endpoint. This
 * is display information for the panel, never an authorization decision. Every claim is untrusted
 * text: it is scrubbed and capped before it is kept.
 *
 * MCP Hub does not add `openid profile email` to the scopes it asks for: the scope is chosen by the
 * MCP authorization spec's rules (auth.scope, the challenge, the resource's scopes_supported), and an
 * authorization server may hold a client to exactly those. So an account is known when that scope
 * brings an id_token (e.g. auth.scope includes `openid`), or when the authorization server's
 * userinfo endpoint answers for the access token; otherwise the session simply has none.
 */
import type { FetchLike } from '@modelcontextprotocol/client';
import { isRecord } from '../../protocol';
import { scrubber } from '../scrub';
import { checkUrl, type GuardOptions } from './url-guard';

export interface Account {
  readonly name?: string;
  readonly email?: string;
  readonly username?: string;
  readonly subject?: string;
}

const CLAIM_MAX = 200;
/** No id_token worth reading is this long; a longer one is not decoded at all. */
const ID_TOKEN_MAX = 64 * 1024;
export const USERINFO_TIMEOUT_MS = 5_000;

/** A claim as we keep it: a non-empty string, scrubbed, at most CLAIM_MAX characters. */
export function claimText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = scrubber.message(value.slice(0, CLAIM_MAX * 4));
  if (text === '') return undefined;
  if (text.length <= CLAIM_MAX) return text;
  let end = CLAIM_MAX - 1;
  if (/[\ud800-\udbff]/.test(text[end - 1])) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** The account in a claims object (an id_token payload, a userinfo answer); undefined when it names nobody. */
export function accountFromClaims(claims: unknown): Account | undefined {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return undefined;
  const c = claims as Record<string, unknown>;
  const account: { -readonly [K in keyof Account]: Account[K] } = {};
  const name = claimText(c.name);
  const email = claimText(c.email);
  const username = claimText(c.preferred_username);
  const subject = claimText(c.sub);
  if (name) account.name = name;
  if (email) account.email = email;
  if (username) account.username = username;
  if (subject) account.subject = subject;
  return Object.keys(account).length > 0 ? account : undefined;
}

/**
 * The account an id_token names. Only the payload is decoded; the signature is not checked. That is
 * enough here: the token came straight from the token endpoint over the channel every token is
 * trusted on, and what it says is only shown to the person who signed in. The id_token itself is
 * not kept (provider.ts drops it from the stored tokens).
 */
export function accountFromIdToken(idToken: unknown): Account | undefined {
  return accountFromClaims(idTokenClaims(idToken));
}

/** Longer subjects than this are no subject we key on (the claim is untrusted input). */
const SUBJECT_MAX = 1024;

/** The subject (`sub`) of a claims object exactly as sent, when it is a usable string. */
export function subjectOf(claims: unknown): string | undefined {
  const sub = typeof claims === 'object' && claims !== null ? (claims as { sub?: unknown }).sub : undefined;
  return typeof sub === 'string' && sub !== '' && sub.length <= SUBJECT_MAX ? sub : undefined;
}

/** Who signed in: the account as shown, and the subject exactly as sent, which sessions are keyed on (accounts.ts), never shown. */
export interface SignedInAs {
  readonly account?: Account;
  readonly subject?: string;
}

/** Who a claims object (an id_token's, a userinfo answer) names; empty when nobody. */
export function signedInAs(claims: unknown): SignedInAs {
  const account = accountFromClaims(claims);
  const subject = subjectOf(claims);
  return { ...(account ? { account } : {}), ...(subject ? { subject } : {}) };
}

/** The payload of an id_token (a JWS), decoded without checking its signature; undefined when it is not one. */
export function idTokenClaims(idToken: unknown): Record<string, unknown> | undefined {
  if (typeof idToken !== 'string' || idToken.length > ID_TOKEN_MAX) return undefined;
  const parts = idToken.split('.');
  // A JWS has three parts; a JWE (five) would need our key to read.
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** A stored account read back: only the known fields, each a string passed through claimText again. */
export function storedAccount(value: unknown): Account | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const a = value as Record<string, unknown>;
  return accountFromClaims({ name: a.name, email: a.email, preferred_username: a.username, sub: a.subject });
}

/**
 * Asks the OpenID Connect userinfo endpoint who the access token belongs to: one GET, through the
 * OAuth fetch (guarded, bounded), time-boxed. Undefined on any failure: the account is a nicety.
 */
export async function fetchUserinfo(fetchFn: FetchLike, endpoint: string, accessToken: string, guard: GuardOptions): Promise<SignedInAs | undefined> {
  try {
    const url = await checkUrl(endpoint, 'the userinfo endpoint', guard);
    const response = await fetchFn(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(USERINFO_TIMEOUT_MS),
    });
    if (!response.ok || !/^application\/(?:[\w.+-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      return undefined;
    }
    return signedInAs(await response.json());
  } catch {
    return undefined;
  }
}
