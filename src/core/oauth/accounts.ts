/**
 * Several accounts per server: a resource (server URL) may hold one session per account, each
 * keyed by issuer and the account's subject, and one of them is the active account. An entry uses
 * the active one, or the one its auth.account pins (matched against subject, email or user name).
 * Pure: the token store (token-store.ts) keeps what these functions decide.
 *
 * The key is a hash of the issuer and the subject exactly as the authorization server sent it (the
 * stored `account` is scrubbed and capped for display, so two subjects could read the same there).
 * Where the authorization server names nobody (no id_token, no userinfo endpoint: GitHub OAuth apps),
 * an unpinned entry's session takes the one keyless place of its issuer, so signing in again there
 * replaces it; a pinned entry's takes the place of its issuer and auth.account as a label the person
 * chose (`labelKeyFor`), under a prefix no subject key has, so a label never equals or shadows a
 * subject's key. MCP Hub cannot check who signed in there. Two people's tokens are never merged.
 */
import { createHash } from 'node:crypto';
import { scrubber } from '../scrub';
import type { SignedInAs } from './account';
import { OAuthFlowError } from './errors';
import type { OAuthSession } from './session-record';

/** Which of a resource's sessions: the active one (undefined), the one a pin names, or the one with this key. */
export type AccountRef = undefined | { readonly pin: string } | { readonly key: string };

/** A resource's sessions: the active account (what older MCP Hubs read as the session) and the others. */
export interface ResourceAccounts {
  readonly active?: OAuthSession;
  readonly others: readonly OAuthSession[];
}

/** What a host secret holds of its resources' accounts (token-store.ts). */
interface StoredAccounts {
  readonly sessions: Record<string, OAuthSession>;
}

/**
 * Where a resource's other accounts are kept in `sessions`: under the resource with a fragment, a key
 * an older MCP Hub never reads or writes (its resource keys have no fragment) but keeps, and counts
 * as a session, so its Log Out of the last active session deletes no secret that holds them.
 */
function otherKey(rk: string, s: OAuthSession): string {
  return `${rk}#account=${placeOf(s)}`;
}

/**
 * The authorization request asks for an account: a pinned entry's sign-in names it (`login_hint`,
 * OpenID Connect); Sign in with another account, and a pinned sign-in where the server names nobody
 * (its label says nothing the server could check), ask the authorization server to let the person
 * choose: `prompt=select_account` where its metadata lists that value, else `prompt=login` (sign in
 * afresh), which every OpenID provider takes and plain OAuth servers ignore (RFC 6749 §3.1), so it
 * is also what a server listing no prompt_values_supported gets (oidc-provider refuses an unlisted
 * select_account). A server listing neither gets no prompt. Where the prompt is ignored, the browser
 * may come back as the account it is signed in to: that account's session is renewed and made active.
 *
 * GitHub's authorize endpoint ("1. Request a user's GitHub identity",
 * https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps) documents
 * `login`, which "Suggests a specific account to use for signing in and authorizing the app", and
 * `prompt`, which "Forces the account picker to appear if set to `select_account`. The account picker
 * will also appear if the application has a non-HTTP redirect URI or if the user has multiple accounts
 * signed in." `login` is not sent: a label is the person's own word ("work"), and GitHub would suggest
 * whichever GitHub account has that name. GitHub shows its picker to a loopback redirect anyway
 * ("Native apps ... will now always receive the account picker",
 * https://github.blog/changelog/2024-06-07-account-picker-updates-for-oauth-and-github-app-sign-in/).
 */
export function askForAccount(url: URL, metadata: unknown, ask: { readonly pin?: string; readonly another?: boolean }): void {
  if (ask.pin) url.searchParams.set('login_hint', ask.pin);
  if (!ask.another && !(ask.pin && namesNobody(metadata, undefined, url.searchParams.get('scope')))) return;
  const listed = (metadata as { prompt_values_supported?: unknown } | undefined)?.prompt_values_supported;
  const values = Array.isArray(listed) ? listed : undefined;
  const prompt = values?.includes('select_account') ? 'select_account' : !values || values.includes('login') ? 'login' : undefined;
  if (prompt) url.searchParams.set('prompt', prompt);
}

/**
 * Whether the authorization server names nobody: no id_token came (or, before the sign-in, none is
 * asked for: no `openid` in `scope`), and its metadata has no userinfo endpoint to ask.
 */
export function namesNobody(metadata: unknown, idToken: unknown, scope?: string | null): boolean {
  const userinfo = (metadata as { userinfo_endpoint?: unknown } | undefined)?.userinfo_endpoint;
  return typeof userinfo !== 'string' && idToken === undefined && !(scope ?? '').split(' ').includes('openid');
}

/**
 * Where a sign-in's session goes among the resource's accounts (`at`, for the store), and its key.
 * A pinned entry's sign-in that comes back as another account is refused: nothing is stored, and
 * every stored session stays as it was. Who came back goes only to the detail (untrusted text).
 * Where the server names nobody (`unnamed`), a pinned sign-in goes to the place of its label.
 */
export function signInPlace(
  issuer: string | undefined,
  who: SignedInAs,
  pin: string | undefined,
  unnamed = false,
): { readonly at: string; readonly accountKey?: string; readonly label?: string } {
  if (pin && unnamed && !who.subject) return { at: labelKeyFor(issuer, pin), accountKey: labelKeyFor(issuer, pin), label: pin };
  const accountKey = who.subject ? accountKeyFor(issuer, who.subject) : undefined;
  if (pin && !matchesPin({ issuer, ...(who.account ? { account: who.account } : {}), ...(accountKey ? { accountKey } : {}) }, pin)) {
    const shown = who.account?.email ?? who.account?.username ?? who.account?.name;
    throw new OAuthFlowError(
      'account_mismatch',
      `The sign-in came back as another account than this entry's auth.account "${scrubber.message(pin)}", so it was not kept; the other accounts are unchanged. Sign out of that account in the browser (or choose "${scrubber.message(pin)}" there) and Authenticate again.`,
      shown ? `Signed in as ${shown}.` : 'The authorization server offers to say who signed in (an id_token or userinfo) but did not, so auth.account cannot be checked there.',
    );
  }
  return { at: placeFor(issuer, who.subject), ...(accountKey ? { accountKey } : {}) };
}

/** The key of the account `subject` at `issuer`: not secret, not shown, the same in every window. */
export function accountKeyFor(issuer: string | undefined, subject: string): string {
  return createHash('sha256')
    .update(JSON.stringify([issuer ?? '', subject]))
    .digest('base64url')
    .slice(0, 32);
}

/**
 * The place of a session among its resource's accounts: its key; for a session stored before keys
 * existed, the key of its stored subject; else the one keyless place of its issuer.
 */
export function placeOf(s: Named): string {
  return s.accountKey ?? placeFor(s.issuer, s.account?.subject);
}

/**
 * The key of the account a person labelled `label` at `issuer`, where the server names nobody. Its
 * prefix is in no subject key (base64url) nor keyless place, so a label never equals a subject's key.
 */
export function labelKeyFor(issuer: string | undefined, label: string): string {
  return `label:${accountKeyFor(issuer, label)}`;
}

/** The place of the account `subject` at `issuer`; without a subject, the issuer's one keyless place. */
export function placeFor(issuer: string | undefined, subject: string | undefined): string {
  return subject ? accountKeyFor(issuer, subject) : `unnamed ${issuer ?? ''}`;
}

/** What names a session's account. */
type Named = Pick<OAuthSession, 'issuer' | 'account' | 'accountKey'>;

/** Whether the session's account is one the authorization server named (a subject), not a label nor nobody. */
export function isNamed(s: Named): boolean {
  return !placeOf(s).startsWith('unnamed ') && !isLabelled(s);
}

/** Whether the session is the account of a label (a pinned sign-in where the server names nobody). */
export function isLabelled(s: Named): boolean {
  return placeOf(s).startsWith('label:');
}

/**
 * Whether `s` is the account a pin names: its subject (exactly), or its email or user name (ASCII
 * case aside); a labelled session, its label exactly. A session that names nobody matches no pin.
 */
export function matchesPin(s: Named, pin: string): boolean {
  if (isLabelled(s)) return placeOf(s) === labelKeyFor(s.issuer, pin);
  if (!isNamed(s)) return false;
  if (placeOf(s) === accountKeyFor(s.issuer, pin)) return true;
  const folded = asciiLower(pin);
  return [s.account?.email, s.account?.username].some((claim) => claim !== undefined && asciiLower(claim) === folded);
}

/** A-Z only: Unicode's toLowerCase folds lookalikes (KELVIN SIGN to "k", ANGSTROM SIGN to "å") into another account's name. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** All sessions of a resource, the active one first. */
export function allOf(accounts: ResourceAccounts): OAuthSession[] {
  return [...(accounts.active ? [accounts.active] : []), ...accounts.others];
}

/**
 * The session a reference names, if stored. A pin prefers a subject match, then an account the
 * server named (the active one first), then a label.
 */
export function select(accounts: ResourceAccounts, ref: AccountRef): OAuthSession | undefined {
  if (ref === undefined) return accounts.active;
  const all = allOf(accounts);
  if ('key' in ref) return all.find((s) => placeOf(s) === ref.key);
  const matching = all.filter((s) => matchesPin(s, ref.pin));
  return matching.find((s) => placeOf(s) === accountKeyFor(s.issuer, ref.pin)) ?? matching.find(isNamed) ?? matching[0];
}

/**
 * The resource's accounts after `current` (as select found it) became `next` (undefined: removed).
 * `next` keeps the place of `current`; one that is another account's (a sign-in as that account)
 * replaces that account's session. It becomes active when it replaces the active session, when
 * `activate` (a sign-in for the unpinned entries), or when no account is active; a removed active
 * account leaves none active (its entries then need sign-in, or Switch Account).
 */
export function place(accounts: ResourceAccounts, current: OAuthSession | undefined, next: OAuthSession | undefined, activate = false): ResourceAccounts {
  const wasActive = current !== undefined && current === accounts.active;
  let active = wasActive ? undefined : accounts.active;
  let others = accounts.others.filter((s) => s !== current);
  if (!next) return { ...(active ? { active } : {}), others };
  const at = placeOf(next);
  others = others.filter((s) => placeOf(s) !== at);
  let makeActive = wasActive || activate || !active;
  if (active && placeOf(active) === at) {
    active = undefined;
    makeActive = true;
  }
  if (!makeActive) return { ...(active ? { active } : {}), others: [...others, next] };
  return { active: next, others: active ? [active, ...others] : others };
}

/** A resource's accounts as the secret holds them. */
export function accountsOf(secret: StoredAccounts, rk: string): ResourceAccounts {
  const active = Object.hasOwn(secret.sessions, rk) ? secret.sessions[rk] : undefined;
  // An older MCP Hub may have signed the active one in as an account kept beside it: the active session is that account's.
  const others = Object.entries(secret.sessions).flatMap(([key, s]) => (key.startsWith(`${rk}#account=`) && !(active && placeOf(active) === placeOf(s)) ? [s] : []));
  return { ...(active ? { active } : {}), others };
}

/** The secret with a resource's accounts replaced: the active one under the resource, the others beside it (otherKey). */
export function withAccounts<S extends StoredAccounts>(secret: S, rk: string, accounts: ResourceAccounts): S {
  const sessions: Record<string, OAuthSession> = Object.fromEntries([
    ...Object.entries(secret.sessions).filter(([key]) => key !== rk && !key.startsWith(`${rk}#account=`)),
    ...(accounts.active ? [[rk, accounts.active] as const] : []),
    ...accounts.others.map((s) => [otherKey(rk, s), s] as const),
  ]);
  return { ...secret, sessions };
}
