/**
 * Everything OAuth for one remote server: the fetch its transports use, the provider they get when
 * a session exists, the interactive sign-in (callback server + browser), proactive refresh,
 * step-up scopes and logout. The SDK's auth() does the protocol; this decides when.
 */
import { randomBytes } from 'node:crypto';
import { auth, discoverOAuthServerInfo, refreshAuthorization, type OAuthClientProvider, type OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { AuthSettings, RemoteServerConfig } from '../config';
import type { BrowserOpener, Clock, Logger, TimerHandle } from '../ports';
import { CallbackServer } from './callback-server';
import { DPOP_ALG, generateDpopKey, type DpopKey } from './dpop';
import { OAuthFlowError } from './errors';
import { createOAuthFetch, type Challenge, type RefreshDecision } from './oauth-fetch';
import { HubOAuthProvider } from './provider';
import { secretKeyFor, type OAuthSession, type TokenStore } from './token-store';
import type { Resolver } from './url-guard';

export interface OAuthDeps {
  readonly store: TokenStore;
  readonly browser: BrowserOpener;
  /** Maps the loopback callback URI to one the user's browser can reach (vscode.env.asExternalUri). */
  readonly externalUri?: (uri: string) => Promise<string>;
  readonly resolver?: Resolver;
}

export interface SessionInfo {
  readonly issuer?: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: number;
}

export const DEFAULT_SIGN_IN_TIMEOUT_S = 300;
/** Refresh this long before the access token expires (a quarter of its lifetime for short-lived tokens). */
const REFRESH_MARGIN_MS = 60_000;

function refreshAt(s: OAuthSession): number | undefined {
  if (!s.expiresAt) return undefined;
  const lifetime = s.lifetimeMs ?? REFRESH_MARGIN_MS * 4;
  return s.expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime / 4);
}
/** Step-up sign-ins for the same missing scopes before giving up. */
const MAX_STEP_UPS = 2;
const LEASE_TTL_MS = 15_000;
const LEASE_POLL_MS = 200;

export interface SignInHooks {
  readonly signal: AbortSignal;
  /** The redirect URI is known (the panel shows it and offers to copy it). */
  readonly onRedirectUri?: (uri: string) => void;
}

export class ServerAuth {
  readonly fetch: FetchLike;
  private challenge: Challenge | undefined;
  private stepUp: { scopes: Set<string>; attempts: number } | undefined;
  private callback: CallbackServer | undefined;
  private refreshTimer: TimerHandle | undefined;
  private refreshing: Promise<void> | undefined;
  /** The host's secret key: store changes for it concern this server. */
  readonly secretKey: string;
  /** Names this window in refresh leases. */
  private readonly leaseOwner = randomBytes(8).toString('hex');

  constructor(
    private readonly config: RemoteServerConfig,
    private readonly deps: OAuthDeps & { readonly logger: Logger; readonly clock: Clock },
  ) {
    this.secretKey = secretKeyFor(config.url);
    this.fetch = createOAuthFetch({
      serverUrl: config.url,
      // The 2025-03-26 default endpoints, used only when the server publishes no metadata at all.
      oauthPaths: () => ['/authorize', '/token', '/register'],
      logger: deps.logger,
      onChallenge: (c) => this.onChallenge(c),
      ...(deps.resolver ? { resolver: deps.resolver } : {}),
      coordinateRefresh: (refreshToken) => this.coordinateRefresh(refreshToken),
      dpop: () => this.dpopState(),
    });
  }

  private dpopKeyCreation: Promise<DpopKey> | undefined;

  /** Set when the server's challenge used the DPoP scheme (RFC 9449 §7.1). */
  private resourceAsksDpop = false;

  /**
   * The session's DPoP key. A session gets one at sign-in when both sides use DPoP: the
   * authorization server offers ES256 and the resource asks for DPoP (its challenge's scheme, or
   * dpop_* fields in its RFC 9728 metadata). A resource that only knows Bearer keeps Bearer.
   */
  private async dpopState(): Promise<{ key: DpopKey; boundToken: boolean } | undefined> {
    const s = await this.session();
    if (!s) return undefined;
    let key = s.dpopKey;
    if (!key) {
      const asAlgs = (s.discovery?.authorizationServerMetadata as { dpop_signing_alg_values_supported?: unknown } | undefined)?.dpop_signing_alg_values_supported;
      const prm = s.discovery?.resourceMetadata as { dpop_signing_alg_values_supported?: unknown; dpop_bound_access_tokens_required?: unknown } | undefined;
      const resourceWants = this.resourceAsksDpop || prm?.dpop_bound_access_tokens_required === true || Array.isArray(prm?.dpop_signing_alg_values_supported);
      if (!Array.isArray(asAlgs) || !asAlgs.includes(DPOP_ALG) || !resourceWants) return undefined;
      this.dpopKeyCreation ??= (async () => {
        const created = generateDpopKey();
        const saved = await this.deps.store.update(this.config.url, (cur) => (cur ? { ...cur, dpopKey: cur.dpopKey ?? created } : cur));
        return saved?.dpopKey ?? created;
      })().finally(() => (this.dpopKeyCreation = undefined));
      key = await this.dpopKeyCreation;
    }
    return { key, boundToken: s.tokens?.token_type?.toLowerCase() === 'dpop' };
  }

  /** One refresh across windows: take the lease, or wait for the window holding it and use its tokens. */
  private async coordinateRefresh(refreshToken: string): Promise<RefreshDecision> {
    const store = this.deps.store;
    const renewed = async (): Promise<RefreshDecision | undefined> => {
      const s = await this.session();
      if (!s?.tokens) return { proceed: false };
      if (s.tokens.refresh_token === refreshToken) return undefined;
      const { issuer: _issuer, ...tokens } = s.tokens;
      const expiresIn = s.expiresAt ? Math.max(0, Math.floor((s.expiresAt - this.deps.clock.now()) / 1000)) : undefined;
      return { proceed: false, tokens: { ...tokens, ...(expiresIn !== undefined ? { expires_in: expiresIn } : {}) } };
    };
    const already = await renewed();
    if (already) return already;
    const owner = this.leaseOwner;
    for (let waited = 0; ; waited += LEASE_POLL_MS) {
      if (await store.acquireLease(this.config.url, owner, LEASE_TTL_MS, this.deps.clock.now())) {
        // The holder before us may have finished between our reads.
        const late = await renewed();
        if (late) {
          await store.releaseLease(this.config.url, owner);
          return late;
        }
        return { proceed: true, done: () => store.releaseLease(this.config.url, owner) };
      }
      if (waited >= LEASE_TTL_MS) return { proceed: true, done: async () => undefined };
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS));
      const result = await renewed();
      if (result) return result;
    }
  }

  private get settings() {
    return this.config.auth ?? {};
  }

  /**
   * Whether this server signs in with client credentials rather than the browser: set so in
   * auth.grantType, or chosen at the last sign-in (see usesClientCredentials) and kept with the session.
   */
  async isMachineToMachine(session?: OAuthSession): Promise<boolean> {
    const s = this.settings;
    if (s.grantType) return s.grantType === 'client_credentials';
    if (!hasClientCredentials(s)) return false;
    return (session ?? (await this.session()))?.grant === 'client_credentials';
  }

  /**
   * Without auth.grantType, a sign-in uses client credentials when they are configured (a client
   * secret or private key) and the authorization server offers client_credentials but not the
   * browser sign-in (authorization_code): a machine-to-machine server.
   */
  private usesClientCredentials(metadata: AuthorizationServerMetadata | undefined): boolean {
    const s = this.settings;
    if (s.grantType) return s.grantType === 'client_credentials';
    const grants = metadata?.grant_types_supported;
    return hasClientCredentials(s) && !!grants?.includes('client_credentials') && !grants.includes('authorization_code');
  }

  private onChallenge(c: Challenge): void {
    this.challenge = c;
    if (c.scheme === 'dpop') this.resourceAsksDpop = true;
    if (c.status === 403 && c.error === 'insufficient_scope') {
      this.deps.logger.info(`the server asks for more scope${c.scope ? ` (${c.scope})` : ''}`);
    }
  }

  /**
   * After a 403 insufficient_scope: the scopes to ask for (union of what was granted and what is
   * asked), or undefined when the step-up limit is reached. The SDK would replace the scopes and,
   * holding a refresh token, only refresh (typescript-sdk #2255).
   */
  async takeStepUp(): Promise<{ scopes: string[] } | { exhausted: true; scopes: string[] } | undefined> {
    const c = this.challenge;
    if (!c || c.status !== 403 || c.error !== 'insufficient_scope') return undefined;
    const granted = (await this.session())?.tokens?.scope?.split(' ').filter(Boolean) ?? [];
    const wanted = new Set([...granted, ...(this.stepUp?.scopes ?? []), ...(c.scope?.split(' ').filter(Boolean) ?? [])]);
    const key = [...wanted].sort().join(' ');
    const previous = this.stepUp ? [...this.stepUp.scopes].sort().join(' ') : undefined;
    const attempts = previous === key ? this.stepUp!.attempts : 0;
    this.challenge = undefined;
    if (attempts >= MAX_STEP_UPS) return { exhausted: true, scopes: [...wanted] };
    this.stepUp = { scopes: wanted, attempts };
    return { scopes: [...wanted] };
  }

  session(): Promise<OAuthSession | undefined> {
    return this.deps.store.get(this.config.url);
  }

  async sessionInfo(): Promise<SessionInfo | undefined> {
    const s = await this.session();
    if (!s?.tokens) return undefined;
    return {
      ...(s.issuer ? { issuer: s.issuer } : {}),
      scopes: s.tokens.scope?.split(' ').filter(Boolean) ?? [],
      ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}),
    };
  }

  private provider(session: OAuthSession | undefined, machineToMachine: boolean): HubOAuthProvider {
    return new HubOAuthProvider(
      {
        serverUrl: this.config.url,
        settings: this.settings,
        store: this.deps.store,
        mode: machineToMachine ? { kind: 'clientCredentials' } : { kind: 'passive' },
        logger: this.deps.logger,
        clock: this.deps.clock,
        ...(this.deps.resolver ? { resolver: this.deps.resolver } : {}),
      },
      session,
    );
  }

  /**
   * The provider for a transport: one that can refresh but never asks the user. Undefined when
   * there is no session, so a 401 surfaces as "authentication required" without any discovery.
   */
  async transportProvider(): Promise<OAuthClientProvider | undefined> {
    const session = await this.session();
    if (await this.isMachineToMachine(session)) return this.provider(session, true);
    if (!session?.tokens) return undefined;
    await this.refreshIfDue(session);
    return this.provider(await this.session(), false);
  }

  /** Keeps the access token fresh while connected: refresh shortly before it expires. */
  async scheduleRefresh(): Promise<void> {
    this.cancelRefresh();
    const s = await this.session();
    const at = s && refreshAt(s);
    if (!s?.tokens?.refresh_token || at === undefined) return;
    const delay = Math.max(0, at - this.deps.clock.now());
    this.refreshTimer = this.deps.clock.setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refreshIfDue().then(() => this.scheduleRefresh());
    }, delay);
  }

  cancelRefresh(): void {
    if (this.refreshTimer !== undefined) this.deps.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Refreshes when the token is within the margin of expiry; concurrent callers share one refresh. */
  refreshIfDue(known?: OAuthSession): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const run = (async () => {
      const s = known ?? (await this.session());
      const refreshToken = s?.tokens?.refresh_token;
      const at = s && refreshAt(s);
      if (!s || !refreshToken || at === undefined || at > this.deps.clock.now()) return;
      const discovery = s.discovery;
      const client = this.settings.clientId ? { client_id: this.settings.clientId, ...(this.settings.clientSecret ? { client_secret: this.settings.clientSecret } : {}) } : s.client;
      if (!discovery || !client) return;
      const provider = this.provider(s, await this.isMachineToMachine(s));
      try {
        const tokens = await refreshAuthorization(discovery.authorizationServerUrl, {
          ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
          clientInformation: client,
          refreshToken,
          resource: new URL(discovery.resourceMetadata?.resource ?? this.config.url),
          ...(provider.addClientAuthentication ? { addClientAuthentication: provider.addClientAuthentication } : {}),
          fetchFn: this.fetch,
        });
        await provider.saveTokens({ ...tokens, ...(s.issuer ? { issuer: s.issuer } : {}) });
        this.deps.logger.info('refreshed the access token before it expired');
      } catch (error) {
        // Another window may have rotated the refresh token; its tokens are in the store already.
        const now = await this.session();
        if (now?.tokens?.refresh_token !== refreshToken) return;
        this.deps.logger.warn(`refreshing the access token failed: ${(error as Error).message}`);
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    this.refreshing = run;
    return run;
  }

  /** The interactive sign-in. Resolves once tokens are stored; rejects with an OAuthFlowError. */
  async signIn(hooks: SignInHooks): Promise<void> {
    // Every sign-in discovers afresh: the server may name another authorization server now, and
    // credentials from the old one must not be reused there (SEP-2352; the SDK re-registers when
    // the issuer differs from the one a stored client was registered with).
    const resourceMetadataUrl = sameOrigin(this.challenge?.resourceMetadataUrl, this.config.url);
    const info = await discoverOAuthServerInfo(this.config.url, { fetchFn: this.fetch, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) });
    const discovery: OAuthDiscoveryState = { ...info, ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}) };
    if (this.usesClientCredentials(info.authorizationServerMetadata)) {
      // Nothing to ask the user: get a token with the configured client credentials.
      const provider = this.provider(undefined, true);
      await provider.saveDiscoveryState(discovery);
      await auth(provider, { serverUrl: this.config.url, fetchFn: this.fetch });
      this.deps.logger.info('signed in with client credentials');
      return;
    }
    const callback = await this.startCallback();
    this.callback = callback;
    const timeoutS = this.settings.signInTimeout ?? DEFAULT_SIGN_IN_TIMEOUT_S;
    const timer = this.deps.clock.setTimeout(
      () => callback.abort(new OAuthFlowError('timeout', `Sign-in timed out after ${formatSeconds(timeoutS)}.`)),
      timeoutS * 1000,
    );
    const onAbort = () => callback.abort(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    hooks.signal.addEventListener('abort', onAbort);
    try {
      if (hooks.signal.aborted) onAbort();
      const redirectUri = this.deps.externalUri ? await this.deps.externalUri(callback.redirectUri) : callback.redirectUri;
      hooks.onRedirectUri?.(redirectUri);
      let opened: Promise<void> | undefined;
      const provider = new HubOAuthProvider(
        {
          serverUrl: this.config.url,
          settings: this.settings,
          store: this.deps.store,
          mode: {
            kind: 'interactive',
            redirectUri,
            onAuthorizationUrl: async (url, state, issuer) => {
              callback.expect(state, issuer.issuer, issuer.required);
              this.deps.logger.info(`opening the browser to sign in at ${url.origin}`);
              opened = this.deps.browser.open(url.href).then((ok) => {
                if (!ok) this.deps.logger.warn('the browser could not be opened; paste the redirect URL instead');
              });
            },
          },
          logger: this.deps.logger,
          clock: this.deps.clock,
          ...(this.deps.resolver ? { resolver: this.deps.resolver } : {}),
        },
        await this.session(),
      );
      // A new sign-in: old tokens would only be refreshed, never re-authorized with new scopes.
      await provider.invalidateCredentials('tokens');
      await provider.saveDiscoveryState(discovery);
      const scope = this.settings.scope ?? (this.stepUp ? [...this.stepUp.scopes].join(' ') : this.challenge?.scope);
      const first = await race(
        auth(provider, { serverUrl: this.config.url, fetchFn: this.fetch, ...(scope ? { scope } : {}), ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) }),
        callback,
      );
      if (first === 'AUTHORIZED') return;
      await opened;
      const { code } = await callback.result();
      await auth(provider, { serverUrl: this.config.url, authorizationCode: code, fetchFn: this.fetch, ...(scope ? { scope } : {}) });
      if (this.stepUp) this.stepUp.attempts++;
      this.deps.logger.info('signed in');
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
      this.deps.clock.clearTimeout(timer);
      callback.abort(new OAuthFlowError('cancelled', 'Sign-in ended.'));
      await callback.close();
      if (this.callback === callback) this.callback = undefined;
    }
  }

  /**
   * The callback server: on auth.callbackPort when set; else on the port of the last sign-in, so
   * the client registered then (for that exact redirect URI) is reused; else on a free port.
   */
  private async startCallback(): Promise<CallbackServer> {
    const logger = this.deps.logger;
    if (this.settings.callbackPort) return CallbackServer.start({ port: this.settings.callbackPort, logger });
    const previous = (await this.session())?.client?.redirect_uri;
    const port = previous?.startsWith('http://127.0.0.1:') ? Number(new URL(previous).port) : undefined;
    if (port) {
      try {
        return await CallbackServer.start({ port, logger });
      } catch {
        logger.debug(`the previous callback port ${port} is taken; using a free one`);
      }
    }
    return CallbackServer.start({ logger });
  }

  /** Remote development without a reachable redirect: the user pastes the final URL. */
  pasteRedirectUrl(url: string): string | undefined {
    if (!this.callback) return 'No sign-in is waiting for a redirect.';
    return this.callback.acceptPastedUrl(url);
  }

  /** Deletes the session (tokens, registration, discovery) from the store. */
  async logout(): Promise<void> {
    this.cancelRefresh();
    this.stepUp = undefined;
    this.challenge = undefined;
    await this.deps.store.delete(this.config.url);
  }

  dispose(): void {
    this.cancelRefresh();
    this.callback?.abort(new OAuthFlowError('cancelled', 'The server was stopped.'));
  }
}

/** Runs an auth() call, but lets a Cancel or timeout of the callback end the wait. */
async function race<T>(work: Promise<T>, callback: CallbackServer): Promise<T> {
  const aborted = callback.result().then(
    () => new Promise<never>(() => undefined),
    (error: unknown) => Promise.reject(error),
  );
  return Promise.race([work, aborted]);
}

/** A client ID with a secret or a private key: enough for the client_credentials grant. */
function hasClientCredentials(s: AuthSettings): boolean {
  return !!s.clientId && !!(s.clientSecret || s.privateKey);
}

function sameOrigin(url: string | undefined, serverUrl: string): URL | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.origin === new URL(serverUrl).origin ? u : undefined;
  } catch {
    return undefined;
  }
}

function formatSeconds(s: number): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60} minute${s === 60 ? '' : 's'}` : `${s} s`;
}
