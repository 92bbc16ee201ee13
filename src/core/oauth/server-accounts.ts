/**
 * The accounts of one server entry (accounts.ts has the rules): which account the entry uses (its
 * auth.account pin, or the server's active account), the accounts there are to switch to, and
 * whether the account the entry connected with is still the one it should use (after Switch
 * Account, or a sign-in with another account, in this window or another).
 */
import { scrubber } from '../scrub';
import { claimText } from './account';
import { allOf, isNamed, namesNobody, placeOf, type AccountRef } from './accounts';
import { OAuthFlowError } from './errors';
import type { OAuthSession, TokenStore } from './token-store';

/** An account as the Switch Account list shows it: display text only (scrubbed, capped), and the key to switch by. */
export interface AccountChoice {
  readonly key: string;
  /** Name, email or user name; "Unnamed account" when the authorization server named nobody. */
  readonly label: string;
  /** The other of name and email/user name, when both are known. */
  readonly description?: string;
  /** The server's active account (the one unpinned entries use). */
  readonly active: boolean;
}

/** What the row and the list show of a session's account; a labelled one by its label. */
export function accountLabel(s: Pick<OAuthSession, 'account' | 'label'>): { label: string; description?: string } {
  if (s.label) return { label: `"${claimText(s.label) ?? ''}"`, description: 'as chosen in the browser: the server does not say who signed in' };
  const a = s.account;
  const handle = a?.email ?? a?.username;
  const label = scrubber.message(a?.name ?? handle ?? 'Unnamed account');
  return a?.name && handle ? { label, description: scrubber.message(handle) } : { label };
}

export class ServerAccounts {
  /** The account the entry's transport was last made with. */
  private used: string | undefined;

  constructor(
    private readonly serverUrl: string,
    private readonly store: TokenStore,
    /** The entry's auth.account, if set. */
    readonly pin: string | undefined,
  ) {}

  /** Which of the server's sessions the entry uses. */
  get ref(): AccountRef {
    return this.pin ? { pin: this.pin } : undefined;
  }

  /** The accounts signed in to the server (every window's), the active one first. */
  async list(): Promise<AccountChoice[]> {
    const accounts = await this.store.accounts(this.serverUrl);
    return allOf(accounts).map((s) => ({ key: placeOf(s), ...accountLabel(s), active: s === accounts.active }));
  }

  /** Switch Account: makes this account the active one; the store's change restarts the unpinned entries on it. */
  async switchTo(key: string): Promise<void> {
    if (this.pin) throw new OAuthFlowError('account_pinned', `This entry is pinned to the account "${scrubber.message(this.pin)}" (auth.account); remove the pin to switch.`);
    if (!(await this.store.activate(this.serverUrl, key))) throw new OAuthFlowError('account_not_found', 'That account is no longer signed in to this server.');
  }

  /**
   * Sign in with another account needs a server that says who signs in: where the entry's account is
   * one it did not name, a sign-in there would only replace it (accounts.ts), so it is refused, saying
   * what works instead. Our words only: nothing of the server's.
   */
  async assertCanAddAnother(): Promise<void> {
    const current = await this.store.get(this.serverUrl, this.ref);
    if (!current || isNamed(current) || !namesNobody(current.discovery?.authorizationServerMetadata, undefined, current.tokens?.scope)) return;
    throw new OAuthFlowError(
      'account_unnamed',
      'This server does not say who signs in, so its entries without auth.account share one account: signing in again would replace it. For a second account, add an entry for the same URL with "auth.account" set to a label of your choice (e.g. "work"), and Authenticate there.',
    );
  }

  /** The transport is being made with this session. */
  connectingWith(session: OAuthSession | undefined): void {
    this.used = session ? placeOf(session) : undefined;
  }

  /** Whether the entry should now use another account than the one it connected with. */
  async changed(): Promise<boolean> {
    if (this.used === undefined) return false;
    const now = await this.store.get(this.serverUrl, this.ref).catch(() => undefined);
    return now !== undefined && placeOf(now) !== this.used;
  }
}
