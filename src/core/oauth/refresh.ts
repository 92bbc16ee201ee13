/**
 * Refresh, the other lifecycle of a session: the access token is renewed shortly before it expires
 * (scheduled while connected), when a transport is made on a session about to expire (on demand),
 * and by the SDK on a 401 (through the passive provider). Concurrent refreshes share one; two
 * windows never spend the same rotating refresh token: the one holding the lease in the token store
 * refreshes, the other waits for it and adopts its tokens (`coordinate`, which refreshCollapse
 * consults before a refresh_token grant goes out).
 *
 * What happens when a refresh fails: the trace and the log say why (wording.ts), the stored session
 * is left as it is, and the transport's next request tries again through the passive provider. If
 * the authorization server refuses the refresh token (invalid_grant), that provider drops the
 * tokens (unless another window has renewed them: crossWindowRotation in provider.ts) and the
 * server asks for sign-in (failure.ts, classifyFailure); an outage is retried like any other.
 */
import { randomBytes } from 'node:crypto';
import { refreshAuthorization, type FetchLike } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Clock, Logger, TimerHandle } from '../ports';
import { scrubber } from '../scrub';
import { placeOf } from './accounts';
import type { RefreshDecision } from './middleware/refresh';
import type { HubOAuthProvider } from './provider';
import type { OAuthSession, TokenStore } from './token-store';
import type { OAuthTrace } from './trace';
import { inOurWords } from './wording';

/** Refresh this long before the access token expires (a quarter of its lifetime for short-lived tokens). */
const REFRESH_MARGIN_MS = 60_000;
const LEASE_TTL_MS = 15_000;
const LEASE_POLL_MS = 200;

/** When a session's access token is due for refresh; undefined when it has no expiry. */
export function refreshAt(s: OAuthSession): number | undefined {
  if (!s.expiresAt) return undefined;
  const lifetime = s.lifetimeMs ?? REFRESH_MARGIN_MS * 4;
  return s.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}

/** What refresh is given: the server's store, fetch and trace, and the provider a refresh saves through. */
export interface RefreshContext {
  readonly serverUrl: string;
  readonly settings: AuthSettings;
  readonly store: TokenStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly fetch: FetchLike;
  readonly trace: Pick<OAuthTrace, 'add'>;
  session(): Promise<OAuthSession | undefined>;
  /** The provider a refresh saves its tokens through: passive, or client credentials for a machine. */
  refreshProvider(session: OAuthSession): Promise<HubOAuthProvider>;
}

export class Refresher {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  /** Names this window in refresh leases. */
  private readonly leaseOwner = randomBytes(8).toString('hex');
  /** Refresh tokens whose refresh another window made: this window adopted its tokens (ifDue says so). */
  private readonly adopted = new Set<string>();

  constructor(private readonly ctx: RefreshContext) {}

  /** Keeps the access token fresh while connected: refresh shortly before it expires. */
  async schedule(): Promise<void> {
    this.cancel();
    const s = await this.ctx.session();
    const at = s && refreshAt(s);
    if (!s?.tokens?.refresh_token || at === undefined) return;
    const delay = Math.max(0, at - this.ctx.clock.now());
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      void this.ifDue().then(() => this.schedule());
    }, delay);
  }

  cancel(): void {
    if (this.timer !== undefined) this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Refreshes when the token is within the margin of expiry; concurrent callers share one refresh. */
  ifDue(known?: OAuthSession): Promise<void> {
    if (this.running) return this.running;
    const run = this.refresh(known).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async refresh(known: OAuthSession | undefined): Promise<void> {
    const { settings, clock, logger } = this.ctx;
    const s = known ?? (await this.ctx.session());
    const refreshToken = s?.tokens?.refresh_token;
    const at = s && refreshAt(s);
    if (!s || !refreshToken || at === undefined || at > clock.now()) return;
    const discovery = s.discovery;
    const client = settings.clientId ? { client_id: settings.clientId, ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}) } : s.client;
    if (!discovery || !client) return;
    const provider = await this.ctx.refreshProvider(s);
    try {
      await provider.assertCredentialsMayGoTo(discovery);
      // refreshAuthorization signs the grant (and retries use_dpop_nonce) only when given the session.
      const dpop = await provider.dpop();
      const tokens = await refreshAuthorization(discovery.authorizationServerUrl, {
        ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
        clientInformation: client,
        refreshToken,
        // resourceIndicatorOff: as auth() does through validateResourceURL.
        ...(settings.resourceIndicator === false ? {} : { resource: new URL(discovery.resourceMetadata?.resource ?? this.ctx.serverUrl) }),
        ...(provider.addClientAuthentication ? { addClientAuthentication: provider.addClientAuthentication } : {}),
        ...(dpop ? { dpop } : {}),
        fetchFn: this.ctx.fetch,
      });
      if (this.adopted.delete(refreshToken)) {
        // Another window refreshed: its tokens are stored already, with its refresh time.
        scrubber.remember(...[tokens.access_token, tokens.refresh_token].filter((x): x is string => !!x));
        logger.info('adopted the access token another window had just refreshed');
        return;
      }
      await provider.saveTokens({ ...tokens, ...(s.issuer ? { issuer: s.issuer } : {}) });
      logger.info('refreshed the access token before it expired');
    } catch (error) {
      this.adopted.delete(refreshToken);
      // Another window may have rotated the refresh token; its tokens are in the store already.
      const now = await this.ctx.session();
      if (now?.tokens?.refresh_token !== refreshToken) return;
      const failure = inOurWords(error, 'refresh');
      this.ctx.trace.add({ kind: 'error', label: 'Token refresh failed', note: `${failure.code}: ${failure.message}` });
      // The transport's next request tries again through the passive provider, which reports it.
      logger.warn(`refreshing the access token failed: ${failure.message}${failure.detail ? ` (${scrubber.detail(failure.detail)})` : ''}`);
    }
  }

  /** One refresh across windows: take the lease, or wait for the window holding it and use its tokens. */
  async coordinate(refreshToken: string): Promise<RefreshDecision> {
    const { store, serverUrl, clock } = this.ctx;
    const renewed = async (): Promise<RefreshDecision | undefined> => {
      const s = await this.ctx.session();
      if (!s?.tokens) return { proceed: false };
      if (s.tokens.refresh_token === refreshToken) return undefined;
      this.adopted.add(refreshToken);
      const { issuer: _issuer, ...tokens } = s.tokens;
      const expiresIn = s.expiresAt ? Math.max(0, Math.floor((s.expiresAt - clock.now()) / 1000)) : undefined;
      return { proceed: false, tokens: { ...tokens, ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) } };
    };
    const already = await renewed();
    if (already) return already;
    const owner = this.leaseOwner;
    // One lease per account: two accounts of one server refresh independently.
    const current = await this.ctx.session();
    const account = current ? placeOf(current) : undefined;
    for (let waited = 0; ; waited += LEASE_POLL_MS) {
      if (await store.acquireLease(serverUrl, owner, LEASE_TTL_MS, clock.now(), account)) {
        // The holder before us may have finished between our reads.
        const late = await renewed();
        if (late) {
          await store.releaseLease(serverUrl, owner, account);
          return late;
        }
        return { proceed: true, done: () => store.releaseLease(serverUrl, owner, account) };
      }
      if (waited >= LEASE_TTL_MS) return { proceed: true, done: async () => undefined };
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      const result = await renewed();
      if (result) return result;
    }
  }
}
