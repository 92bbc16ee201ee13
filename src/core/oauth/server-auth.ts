/**
 * Everything OAuth for one remote server: the fetch its transports use, the provider they get when
 * a session exists, the interactive sign-in (callback server + browser), proactive refresh,
 * step-up scopes and logout. The SDK's auth() does the protocol; this decides when. Each step of a
 * sign-in or refresh goes to the server's OAuth trace (trace.ts): the requests through the fetch,
 * the browser, the callback and the outcome from here.
 */
import { randomBytes } from 'node:crypto';
import {
  auth,
  discoverOAuthProtectedResourceMetadata,
  discoverOAuthServerInfo,
  refreshAuthorization,
  registerClient,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  applyMiddlewares,
  AuthorizationServerMismatchError,
  InsecureTokenEndpointError,
  IssuerMismatchError,
  OAuthError,
  RegistrationRejectedError,
  type AuthorizationServerMetadata,
  type DpopSession,
  type FetchLike,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import type { AuthSettings, RemoteServerConfig } from '../config';
import type { BrowserOpener, Clock, Logger, TimerHandle } from '../ports';
import { scrubber } from '../scrub';
import { fetchUserinfo, storedAccount, type Account } from './account';
import type { EnterpriseIdp } from './idp';
import { CallbackServer } from './callback-server';
import { DPOP_ALG, dpopSessionFor, generateDpopKey, type DpopKey } from './dpop';
import { metadataIssuerMismatch, OAuthFlowError, RESPONSE_ISSUER_MISMATCH } from './errors';
import { createOAuthFetch, type Challenge, type RefreshDecision } from './oauth-fetch';
import { quirkMiddlewares } from './quirks';
import { assertionSource, enterpriseChosen, enterpriseRefusal, usesEnterprise, type AssertionGrant } from './jwt-bearer';
import { HubOAuthProvider, issuerOf, showUrl, type ProviderMode, type StoredClient } from './provider';
import { secretKeyFor, type OAuthSession, type TokenStore } from './token-store';
import { OAuthTrace } from './trace';
import { guardFor, type Resolver } from './url-guard';

export interface OAuthDeps {
  readonly store: TokenStore;
  readonly browser: BrowserOpener;
  /** The company IdP (mcpHub.enterprise.idp) when one is configured, for enterprise-managed servers. */
  readonly idp?: () => EnterpriseIdp | undefined;
  /** Maps the loopback callback URI to one the user's browser can reach (vscode.env.asExternalUri). */
  readonly externalUri?: (uri: string) => Promise<string>;
  readonly resolver?: Resolver;
}

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
  /** Started by the hub, not the person: only a server chosen for the company identity (auth.enterprise: true), never a browser page. */
  readonly quiet?: boolean;
  /** The redirect URI is known (the panel shows it and offers to copy it). */
  readonly onRedirectUri?: (uri: string) => void;
}

export class ServerAuth {
  readonly fetch: FetchLike;
  private challenge: Challenge | undefined;
  private stepUp: { scopes: Set<string>; attempts: number } | undefined;
  /** The sign-in under way, if any: ending it is how Cancel, timeout, stop and Log Out stop it. */
  private attempt: SignInAttempt | undefined;
  private disposed = false;
  private refreshTimer: TimerHandle | undefined;
  private refreshing: Promise<void> | undefined;
  /** The host's secret key: store changes for it concern this server. */
  readonly secretKey: string;
  /** Names this window in refresh leases. */
  private readonly leaseOwner = randomBytes(8).toString('hex');
  /** The steps of the last sign-ins and the refreshes after them, in memory. */
  readonly trace: OAuthTrace;
  /** The userinfo endpoint while it is being asked (it names the trace's step, and is an OAuth path). */
  private userinfoEndpoint: string | undefined;
  /** spareRegistration: the client the last sign-in registered before it failed, for the next one. */
  private spareClient: StoredClient | undefined;

  constructor(
    private readonly config: RemoteServerConfig,
    private readonly deps: OAuthDeps & { readonly logger: Logger; readonly clock: Clock; readonly network?: FetchLike },
  ) {
    this.secretKey = secretKeyFor(config.url);
    const { clientSecret, privateKey } = config.auth ?? {};
    scrubber.remember(...[clientSecret, privateKey].filter((x): x is string => !!x));
    this.trace = new OAuthTrace(deps.clock);
    this.fetch = applyMiddlewares(...quirkMiddlewares(config.auth))(
      createOAuthFetch({
        serverUrl: config.url,
        // The 2025-03-26 default endpoints, used only when the server publishes no metadata at all;
        // and a userinfo endpoint on the server's own origin while it is asked.
        oauthPaths: () => ['/authorize', '/token', '/register', ...sameOriginPath(this.userinfoEndpoint, config.url)],
        logger: deps.logger,
        onChallenge: (c) => this.onChallenge(c),
        ...(deps.resolver ? { resolver: deps.resolver } : {}),
        ...(deps.network ? { network: deps.network } : {}),
        coordinateRefresh: (refreshToken) => this.coordinateRefresh(refreshToken),
        onRequest: (r) => this.trace.request(r, this.userinfoEndpoint ? { userinfoEndpoint: this.userinfoEndpoint } : {}),
      }),
    );
  }

  private dpopKeyCreation: Promise<DpopKey> | undefined;

  /** Set when the server's challenge used the DPoP scheme (RFC 9449 §7.1). */
  private resourceAsksDpop = false;

  /**
   * dpopPolicy (the SDK uses DPoP wherever provider.dpop() answers a session, and never reads
   * dpop_signing_alg_values_supported): the session's DPoP key. A session gets one at sign-in when
   * both sides use DPoP: the authorization server offers ES256 and the resource asks for DPoP (its
   * challenge's scheme, or dpop_* fields in its RFC 9728 metadata). A resource that only knows
   * Bearer keeps Bearer. A session holding a key keeps using it (its tokens may be bound to it).
   */
  private async dpopKey(): Promise<DpopKey | undefined> {
    const s = await this.session();
    // A sign-in under way knows its discovery before anything is stored (stagedSignIn).
    const flow = this.attempt?.provider;
    if (!s && !flow) return undefined;
    const key = s?.dpopKey ?? flow?.stagedDpopKey;
    if (key) return key;
    const discovery = flow?.stagedDiscovery() ?? s?.discovery;
    const asAlgs = (discovery?.authorizationServerMetadata as { dpop_signing_alg_values_supported?: unknown } | undefined)?.dpop_signing_alg_values_supported;
    const prm = discovery?.resourceMetadata as { dpop_signing_alg_values_supported?: unknown; dpop_bound_access_tokens_required?: unknown } | undefined;
    const resourceWants = this.resourceAsksDpop || prm?.dpop_bound_access_tokens_required === true || Array.isArray(prm?.dpop_signing_alg_values_supported);
    if (!Array.isArray(asAlgs) || !asAlgs.includes(DPOP_ALG) || !resourceWants) return undefined;
    // No session to hold the key yet: the flow keeps it and commits it with its tokens.
    if (!s) return (flow!.stagedDpopKey ??= generateDpopKey());
    this.dpopKeyCreation ??= (async () => {
      const created = generateDpopKey();
      const saved = await this.deps.store.update(this.config.url, (cur) => (cur ? { ...cur, dpopKey: cur.dpopKey ?? created } : cur));
      return saved?.dpopKey ?? created;
    })().finally(() => (this.dpopKeyCreation = undefined));
    return this.dpopKeyCreation;
  }

  /** The SDK's DPoP session for the key (one per key, so the servers' nonces are remembered). */
  private dpopSessionCache: { id: string; session: Promise<DpopSession> } | undefined;

  /** What provider.dpop() answers: the SDK signs with this wherever dpopPolicy chose DPoP. */
  private async dpopSession(): Promise<DpopSession | undefined> {
    const key = await this.dpopKey();
    if (!key) return undefined;
    const id = `${key.privateJwk.x}.${key.privateJwk.y}`;
    if (this.dpopSessionCache?.id !== id) {
      const session = dpopSessionFor(key);
      session.catch(() => this.dpopSessionCache?.session === session && (this.dpopSessionCache = undefined));
      this.dpopSessionCache = { id, session };
    }
    return this.dpopSessionCache.session;
  }

  /** Refresh tokens whose refresh another window made: this window adopted its tokens (refreshIfDue says so). */
  private readonly adopted = new Set<string>();

  /** One refresh across windows: take the lease, or wait for the window holding it and use its tokens. */
  private async coordinateRefresh(refreshToken: string): Promise<RefreshDecision> {
    const store = this.deps.store;
    const renewed = async (): Promise<RefreshDecision | undefined> => {
      const s = await this.session();
      if (!s?.tokens) return { proceed: false };
      if (s.tokens.refresh_token === refreshToken) return undefined;
      this.adopted.add(refreshToken);
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
    if (s.grantType) return s.grantType === 'client_credentials' || s.grantType === 'jwt-bearer';
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

  /** Set when the company IdP or the authorization server refused an enterprise sign-in: the next Authenticate uses the browser. */
  private enterpriseRefused = false;

  private usesEnterprise(metadata: AuthorizationServerMetadata | undefined, personAsked: boolean): boolean {
    return usesEnterprise(this.config, metadata, { idpConfigured: this.deps.idp?.() !== undefined, refused: this.enterpriseRefused, personAsked });
  }

  /** The provider mode of the JWT bearer grant: the company IdP's ID-JAG, or the workload's token. */
  private assertionMode(grant: AssertionGrant, staged: boolean): ProviderMode {
    return { kind: 'assertion', grant, assertion: assertionSource(grant, this.settings, () => this.deps.idp?.()), staged };
  }

  /**
   * Whether the hub may sign this server in through the company IdP by itself, now: the server was
   * chosen for the company identity (enterpriseChosen), it has no session yet, and an IdP session is
   * at hand. No request goes to the server before that: a server nobody chose is not even asked.
   */
  async enterpriseReady(): Promise<boolean> {
    const idp = this.deps.idp?.();
    if (!idp || !enterpriseChosen(this.config) || this.enterpriseRefused || this.attempt) return false;
    if ((await this.session().catch(() => undefined))?.tokens) return false;
    return (await idp.status()).signedIn;
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

  /**
   * When the stored session ends for good: its expiry, when it has no refresh token and no other
   * way to a new token (client credentials, a JWT assertion); else undefined.
   */
  async unrenewableExpiry(): Promise<number | undefined> {
    const s = await this.session().catch(() => undefined);
    if (!s?.tokens || s.tokens.refresh_token || s.expiresAt === undefined || s.grant !== undefined) return undefined;
    if (this.settings.grantType === 'jwt-bearer' || (await this.isMachineToMachine(s))) return undefined;
    return s.expiresAt;
  }

  /**
   * Whether the server now names other authorization servers than the one the session came from (it
   * moved, SEP-2352): a 401 right after a sign-in then asks for a sign-in there, not a refused token.
   * One request for the protected-resource metadata; any failure answers no.
   */
  async authorizationServerMoved(): Promise<boolean> {
    const issuer = (await this.session().catch(() => undefined))?.issuer;
    if (!issuer) return false;
    const resourceMetadataUrl = sameOrigin(this.challenge?.resourceMetadataUrl, this.config.url);
    try {
      const metadata = await discoverOAuthProtectedResourceMetadata(this.config.url, resourceMetadataUrl ? { resourceMetadataUrl } : {}, this.fetch);
      const named = (metadata.authorization_servers ?? []).map(withoutSlash);
      return named.length > 0 && !named.includes(withoutSlash(issuer));
    } catch {
      return false;
    }
  }

  /** Whether the stored session was had through the company IdP (it ends when the IdP sign-in does). */
  async viaIdp(): Promise<boolean> {
    return (await this.session().catch(() => undefined))?.grant === 'enterprise';
  }

  async sessionInfo(): Promise<SessionInfo | undefined> {
    const s = await this.session();
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
   * Who a browser sign-in's access token belongs to, from the OpenID Connect userinfo endpoint of the
   * authorization server's metadata, when it has one (the tokens carried no id_token). Failures are
   * ignored: the account is shown, never relied on.
   */
  private async lookUpAccount(tokens: OAuthTokens, discovery: OAuthDiscoveryState | undefined): Promise<Account | undefined> {
    const endpoint = (discovery?.authorizationServerMetadata as { userinfo_endpoint?: unknown } | undefined)?.userinfo_endpoint;
    // A DPoP-bound token needs a proof for each use; the account is not worth one.
    if (typeof endpoint !== 'string' || tokens.token_type.toLowerCase() !== 'bearer') return undefined;
    this.userinfoEndpoint = endpoint;
    try {
      return await fetchUserinfo(this.fetch, endpoint, tokens.access_token, guardFor(this.config.url, this.deps.resolver));
    } finally {
      this.userinfoEndpoint = undefined;
    }
  }

  private provider(session: OAuthSession | undefined, mode: ProviderMode): HubOAuthProvider {
    return new HubOAuthProvider(
      {
        serverUrl: this.config.url,
        settings: this.settings,
        store: this.deps.store,
        mode,
        logger: this.deps.logger,
        clock: this.deps.clock,
        ...(this.deps.resolver ? { resolver: this.deps.resolver } : {}),
        dpop: () => this.dpopSession(),
        lookUpAccount: (tokens, discovery) => this.lookUpAccount(tokens, discovery),
        ...(mode.kind === 'interactive' && this.spareClient ? { spareClient: this.spareClient } : {}),
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
    // Workload identity and enterprise sessions get a new token with a new assertion, no browser.
    if (this.settings.grantType === 'jwt-bearer') return this.provider(session, this.assertionMode('workload', false));
    if (await this.isMachineToMachine(session)) return this.provider(session, { kind: 'clientCredentials' });
    if (!session?.tokens) return undefined;
    // A new ID-JAG for a server signed in through the IdP before (chosen then), unless it is now set not to.
    if (session.grant === 'enterprise' && this.deps.idp?.() && this.settings.enterprise !== false) {
      await this.refreshIfDue(session);
      return this.provider(await this.session(), this.assertionMode('enterprise', false));
    }
    await this.refreshIfDue(session);
    return this.provider(await this.session(), { kind: 'passive' });
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
      const client = this.settings.clientId
        ? { client_id: this.settings.clientId, ...(this.settings.clientSecret ? { client_secret: this.settings.clientSecret } : {}) }
        : s.client;
      if (!discovery || !client) return;
      const provider = this.provider(s, (await this.isMachineToMachine(s)) ? { kind: 'clientCredentials' } : { kind: 'passive' });
      try {
        await provider.assertCredentialsMayGoTo(discovery);
        // refreshAuthorization signs the grant (and retries use_dpop_nonce) only when given the session.
        const dpop = await provider.dpop();
        const tokens = await refreshAuthorization(discovery.authorizationServerUrl, {
          ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
          clientInformation: client,
          refreshToken,
          // resourceIndicatorOff: as auth() does through validateResourceURL.
          ...(this.settings.resourceIndicator === false ? {} : { resource: new URL(discovery.resourceMetadata?.resource ?? this.config.url) }),
          ...(provider.addClientAuthentication ? { addClientAuthentication: provider.addClientAuthentication } : {}),
          ...(dpop ? { dpop } : {}),
          fetchFn: this.fetch,
        });
        if (this.adopted.delete(refreshToken)) {
          // Another window refreshed: its tokens are stored already, with its refresh time.
          scrubber.remember(...[tokens.access_token, tokens.refresh_token].filter((x): x is string => !!x));
          this.deps.logger.info('adopted the access token another window had just refreshed');
          return;
        }
        await provider.saveTokens({ ...tokens, ...(s.issuer ? { issuer: s.issuer } : {}) });
        this.deps.logger.info('refreshed the access token before it expired');
      } catch (error) {
        this.adopted.delete(refreshToken);
        // Another window may have rotated the refresh token; its tokens are in the store already.
        const now = await this.session();
        if (now?.tokens?.refresh_token !== refreshToken) return;
        const failure = inOurWords(error, 'refresh');
        this.trace.add({ kind: 'error', label: 'Token refresh failed', note: `${failure.code}: ${failure.message}` });
        // The transport's next request tries again through the passive provider, which reports it.
        this.deps.logger.warn(`refreshing the access token failed: ${failure.message}${failure.detail ? ` (${scrubber.detail(failure.detail)})` : ''}`);
      }
    })().finally(() => {
      this.refreshing = undefined;
    });
    this.refreshing = run;
    return run;
  }

  /**
   * The sign-in (browser, or client credentials where the server is machine to machine). Resolves
   * once the new session is stored; rejects with an OAuthFlowError in our words. A session stored
   * before stays untouched until the new tokens replace it (stagedSignIn), so a sign-in that fails,
   * is cancelled or times out leaves it working.
   */
  async signIn(hooks: SignInHooks): Promise<void> {
    this.attempt?.end(new OAuthFlowError('cancelled', 'Another sign-in started.'));
    const attempt = new SignInAttempt();
    this.attempt = attempt;
    this.trace.beginSignIn();
    const onAbort = () => attempt.end(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    hooks.signal.addEventListener('abort', onAbort);
    if (hooks.signal.aborted) onAbort();
    if (this.disposed) attempt.end(stoppedError());
    try {
      await this.runSignIn(attempt, hooks);
      this.spareClient = undefined;
      this.trace.add({ kind: 'info', label: 'Signed in' });
    } catch (error) {
      // A client registered on the way is kept for the next try (the authorization server keeps it too).
      this.spareClient = attempt.provider?.registeredClient ?? this.spareClient;
      const failure = attempt.ended ?? inOurWords(error, attempt.phase, attempt.scope);
      this.trace.add({ kind: 'error', label: 'Sign-in did not complete', note: `${failure.code}: ${failure.message}` });
      throw failure;
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
      if (attempt.timer !== undefined) this.deps.clock.clearTimeout(attempt.timer);
      await attempt.close();
      if (this.attempt === attempt) this.attempt = undefined;
    }
  }

  private async runSignIn(attempt: SignInAttempt, hooks: SignInHooks): Promise<void> {
    // Every sign-in discovers afresh: the server may name another authorization server now, and
    // credentials from the old one must not be reused there (SEP-2352; the SDK re-registers when
    // the issuer differs from the one a stored client was registered with).
    attempt.phase = 'discovery';
    const resourceMetadataUrl = sameOrigin(this.challenge?.resourceMetadataUrl, this.config.url);
    // The SDK's exact issuer check is skipped: the issuer policy (saveDiscoveryState) decides, with
    // the trailing-slash leniency and auth.acceptIssuer, before anything is sent to the server.
    const info = await attempt.until(
      discoverOAuthServerInfo(this.config.url, { fetchFn: this.fetch, skipIssuerMetadataValidation: true, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) }),
    );
    const discovery: OAuthDiscoveryState = { ...info, ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}) };
    const metadata = info.authorizationServerMetadata;
    const grant = this.settings.grantType === 'jwt-bearer' ? 'workload' : this.usesEnterprise(metadata, !hooks.quiet) ? 'enterprise' : undefined;
    if (hooks.quiet && grant !== 'enterprise') throw new OAuthFlowError('interaction_required', 'Sign-in is required.');
    if (grant) return this.assertionSignIn(attempt, hooks, discovery, grant);
    if (this.usesClientCredentials(info.authorizationServerMetadata)) {
      // Nothing to ask the user: get a token with the configured client credentials.
      const provider = attempt.use(this.provider(undefined, { kind: 'clientCredentials', staged: true }));
      await attempt.until(provider.saveDiscoveryState(discovery));
      await attempt.until(provider.assertCredentialsMayGoTo(discovery));
      attempt.phase = 'token';
      attempt.scope = this.settings.scope;
      await attempt.until(auth(provider, { serverUrl: this.config.url, fetchFn: this.fetch, skipIssuerMetadataValidation: true }));
      this.deps.logger.info('signed in with client credentials');
      return;
    }
    const callback = attempt.useCallback(await this.startCallback());
    const timeoutS = this.settings.signInTimeout ?? DEFAULT_SIGN_IN_TIMEOUT_S;
    attempt.timer = this.deps.clock.setTimeout(() => attempt.end(new OAuthFlowError('timeout', `Sign-in timed out after ${formatSeconds(timeoutS)}.`)), timeoutS * 1000);
    const redirectUri = this.deps.externalUri ? await attempt.until(this.deps.externalUri(callback.redirectUri)) : callback.redirectUri;
    // Remote development forwards the callback under another host name: accept that Host too.
    const forwarded = new URL(redirectUri);
    if (forwarded.host !== new URL(callback.redirectUri).host) callback.allowHost(forwarded.host);
    hooks.onRedirectUri?.(redirectUri);
    let opened: Promise<void> | undefined;
    const provider = attempt.use(
      this.provider(await this.session(), {
        kind: 'interactive',
        redirectUri,
        onAuthorizationUrl: async (url, state, issuer) => {
          if (attempt.ended) throw attempt.ended;
          callback.expect(state, issuer.issuer, issuer.required);
          this.deps.logger.info(`opening the browser to sign in at ${url.origin}`);
          // The authorization URL without its query (state, PKCE challenge); the scope asked for is said apart.
          this.trace.add({ kind: 'authorize', label: 'Browser opened for sign-in', url: url.href, ...scopeNote(url.searchParams.get('scope')) });
          opened = this.deps.browser.open(url.href).then((ok) => {
            if (!ok) {
              this.deps.logger.warn('the browser could not be opened; paste the redirect URL instead');
              this.trace.add({ kind: 'info', label: 'The browser could not be opened' });
            }
          });
        },
      }),
    );
    await attempt.until(provider.saveDiscoveryState(discovery));
    await attempt.until(provider.assertCredentialsMayGoTo(discovery));
    // The scope the SDK would pick (SEP-835), named here so registration and authorization agree.
    const scope =
      this.settings.scope ??
      (this.stepUp ? [...this.stepUp.scopes].join(' ') : undefined) ??
      this.challenge?.scope ??
      (discovery.resourceMetadata?.scopes_supported?.join(' ') || undefined);
    attempt.scope = scope;
    attempt.phase = 'registration';
    await attempt.until(this.assertClientAvailable(provider, discovery));
    const union = await attempt.until(provider.registrationScopeFor(scope));
    if (union) {
      // scopeBoundRegistration: one registration for the union, before the browser trip.
      this.deps.logger.info(`the registered client is limited to fewer scopes; registering again for ${union}`);
      const registered = await attempt.until(
        registerClient(discovery.authorizationServerUrl, {
          ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
          clientMetadata: { ...provider.clientMetadata, scope: union },
          scope: union,
          fetchFn: this.fetch,
        }),
      );
      // Stamped as the SDK stamps what it registers: with the issuer the metadata names (checked by issuerPolicy).
      await attempt.until(provider.saveClientInformation({ ...registered, issuer: issuerOf(discovery) ?? String(discovery.authorizationServerUrl) }));
    }
    // The issuer was checked by issuerPolicy (a trailing-slash difference accepted, with a warning).
    const options = { serverUrl: this.config.url, fetchFn: this.fetch, skipIssuerMetadataValidation: true, ...(scope ? { scope } : {}) };
    const first = await attempt.until(auth(provider, { ...options, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) }));
    if (first === 'AUTHORIZED') return;
    attempt.phase = 'authorization';
    await attempt.until(opened ?? Promise.resolve());
    const { code, iss } = await attempt.until(callback.result()).finally(() => {
      const answer = callback.answer;
      if (!answer) return; // ended from here (cancel, timeout): the sign-in's error step says so
      const note = answer.ok ? 'with an authorization code' : answer.error ? `error=${answer.error}` : 'refused (not from the expected issuer)';
      this.trace.add({ kind: 'callback', label: 'Callback received', url: callback.redirectUri, note });
    });
    attempt.phase = 'token';
    // A token endpoint that refuses the code may echo it (the SDK prints its answer); every surface masks it.
    scrubber.remember(code);
    await attempt.until(auth(provider, { ...options, authorizationCode: code, ...(iss ? { iss } : {}) }));
    if (this.stepUp) this.stepUp.attempts++;
    this.deps.logger.info('signed in');
  }

  /**
   * A browser sign-in needs a client: from settings, a stored or spare registration, a Client ID
   * Metadata Document the authorization server takes, or dynamic registration. Without a
   * registration endpoint there is none to make (the SDK would say so only in a plain Error).
   */
  private async assertClientAvailable(provider: HubOAuthProvider, discovery: OAuthDiscoveryState): Promise<void> {
    const metadata = discovery.authorizationServerMetadata;
    if (!metadata || metadata.registration_endpoint) return;
    if (metadata.client_id_metadata_document_supported === true && provider.clientMetadataUrl) return;
    if (await provider.clientInformation()) return;
    throw registrationRefused('no_endpoint');
  }

  /**
   * The JWT bearer grant, no browser page for this server: with the workload's token, or with an
   * ID-JAG the company IdP makes for this server's authorization server. Without an IdP session
   * (and not quiet), the IdP sign-in runs first, once for every enterprise server.
   */
  private async assertionSignIn(attempt: SignInAttempt, hooks: SignInHooks, discovery: OAuthDiscoveryState, grant: AssertionGrant): Promise<void> {
    const idp = grant === 'enterprise' ? this.deps.idp?.() : undefined;
    if (idp && !(await attempt.until(idp.idToken()))) {
      if (hooks.quiet) throw new OAuthFlowError('idp_sign_in_required', `Sign in to your company IdP (${idp.label}) first.`);
      attempt.phase = 'authorization';
      this.trace.add({ kind: 'info', label: `Signing in to the company IdP (${idp.label})` });
      await attempt.until(idp.signIn(hooks.signal));
    }
    const provider = attempt.use(this.provider(undefined, this.assertionMode(grant, true)));
    await attempt.until(provider.saveDiscoveryState(discovery));
    await attempt.until(provider.assertCredentialsMayGoTo(discovery));
    attempt.phase = 'token';
    attempt.scope = this.settings.scope;
    if (grant === 'enterprise') this.trace.add({ kind: 'info', label: 'Token exchange at the company IdP, then the JWT bearer grant' });
    try {
      await attempt.until(auth(provider, { serverUrl: this.config.url, fetchFn: this.fetch, skipIssuerMetadataValidation: true }));
    } catch (error) {
      if (grant !== 'enterprise' || attempt.ended) throw error;
      const refusal = enterpriseRefusal(error, inOurWords(error, 'token'), discovery);
      if (refusal.refused) this.enterpriseRefused = true;
      throw refusal.error;
    }
    this.enterpriseRefused = false;
    if (idp) {
      // Who is signed in is who the company IdP says (the JWT bearer grant names nobody).
      const account = (await idp.status()).account;
      if (account) await this.deps.store.update(this.config.url, (s) => (s ? { ...s, account } : s));
    }
    this.deps.logger.info(grant === 'enterprise' ? 'signed in through the company IdP' : 'signed in with the workload identity token');
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
    const callback = this.attempt?.callback;
    if (!callback) return 'No sign-in is waiting for a redirect.';
    return callback.acceptPastedUrl(url);
  }

  /** Deletes the session (tokens, registration, discovery) from the store; a sign-in under way ends first. */
  async logout(): Promise<void> {
    this.attempt?.end(new OAuthFlowError('cancelled', 'Signed out.'));
    this.cancelRefresh();
    this.stepUp = undefined;
    this.challenge = undefined;
    this.spareClient = undefined;
    await this.deps.store.delete(this.config.url);
    this.trace.add({ kind: 'info', label: 'Signed out' });
  }

  /** Stops timers and ends a sign-in under way (its promise rejects with 'cancelled', its port is freed). */
  dispose(): void {
    this.disposed = true;
    this.cancelRefresh();
    this.attempt?.end(stoppedError());
    this.trace.dispose();
  }
}

type SignInPhase = 'discovery' | 'registration' | 'authorization' | 'token' | 'refresh';

/**
 * One sign-in. Ending it (Cancel, timeout, stop, Log Out, another sign-in) rejects whatever it waits
 * for, aborts its callback server and forbids its provider to commit anything.
 */
class SignInAttempt {
  ended: OAuthFlowError | undefined;
  callback: CallbackServer | undefined;
  provider: HubOAuthProvider | undefined;
  timer: TimerHandle | undefined;
  /** Where the flow is, so an SDK error can be told in our words. */
  phase: SignInPhase = 'discovery';
  scope: string | undefined;
  private readonly abort = new AbortController();

  end(reason: OAuthFlowError): void {
    if (this.ended) return;
    this.ended = reason;
    this.provider?.end(reason);
    this.callback?.abort(reason);
    this.abort.abort(reason);
  }

  use(provider: HubOAuthProvider): HubOAuthProvider {
    this.provider = provider;
    if (this.ended) provider.end(this.ended);
    return provider;
  }

  useCallback(callback: CallbackServer): CallbackServer {
    this.callback = callback;
    if (this.ended) {
      callback.abort(this.ended);
      throw this.ended;
    }
    return callback;
  }

  /** Settles as `work` does, or rejects as soon as the attempt ends. */
  until<T>(work: Promise<T>): Promise<T> {
    const signal = this.abort.signal;
    // Only end() aborts, and it sets `ended` first.
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(this.ended!);
    }
    return new Promise<T>((resolve, reject) => {
      const onEnd = () => reject(this.ended!);
      signal.addEventListener('abort', onEnd, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onEnd);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onEnd);
          reject(error);
        },
      );
    });
  }

  async close(): Promise<void> {
    this.end(new OAuthFlowError('cancelled', 'Sign-in ended.'));
    await this.callback?.close();
  }
}

function stoppedError(): OAuthFlowError {
  return new OAuthFlowError('cancelled', 'The server was stopped.');
}

/** OAuth error codes shown in a message: RFC 6749 style only. */
const OAUTH_CODE = /^[a-z_]{1,64}$/;

/**
 * An error from the SDK's auth() in our words: its message may carry a server's error_description
 * or raw body, which goes to `detail` only. OAuthFlowErrors are ours already.
 */
export function inOurWords(error: unknown, phase: SignInPhase, scope?: string): OAuthFlowError {
  if (error instanceof OAuthFlowError) {
    if (error.code === 'invalid_scope') return scopeRefused(scope, error.detail);
    return error;
  }
  const detail = error instanceof Error && error.message ? error.message.slice(0, 2000) : undefined;
  // The SDK's own refusals (v2), in our words; none of them names the attacker-controlled value.
  if (error instanceof InsecureTokenEndpointError) {
    return new OAuthFlowError('unsafe_url', 'The token endpoint is not https; MCP Hub sends credentials over http only to localhost, 127.0.0.1 or ::1.', detail);
  }
  if (error instanceof IssuerMismatchError) {
    // The received issuer is attacker-controllable on the response path: it is not kept at all.
    if (error.kind === 'authorization_response') return new OAuthFlowError('response_issuer_mismatch', RESPONSE_ISSUER_MISMATCH);
    return new OAuthFlowError('metadata_issuer_mismatch', metadataIssuerMismatch(error.expected ? showUrl(error.expected) : 'the authorization server'));
  }
  if (error instanceof RegistrationRejectedError) return registrationRefused(error.status, error.body.slice(0, 2000));
  if (error instanceof AuthorizationServerMismatchError) {
    return new OAuthFlowError('issuer_not_allowed', 'The server now names another authorization server than the one this sign-in or its client belongs to; sign in again.');
  }
  if (error instanceof OAuthError) {
    const code = OAUTH_CODE.test(error.code) ? error.code : 'server_error';
    if (code === 'invalid_scope') return scopeRefused(scope, detail);
    const what =
      phase === 'registration'
        ? 'refused to register MCP Hub as a client'
        : phase === 'refresh'
          ? 'refused to renew the session'
          : phase === 'discovery'
            ? 'answered discovery with an error'
            : 'refused the token request';
    return new OAuthFlowError('authorization_denied', `The authorization server ${what} (${code}).`, detail);
  }
  if (phase === 'registration') return registrationRefused('failed', detail);
  const message =
    phase === 'discovery' ? 'The OAuth metadata of the server or its authorization server could not be used.' : 'The authorization server answered in a way MCP Hub cannot use.';
  return new OAuthFlowError('invalid_metadata', message, detail);
}

/** The authorization server did not register MCP Hub as a client: the fix is a client registered in advance. */
function registrationRefused(why: 'no_endpoint' | 'failed' | number, detail?: string): OAuthFlowError {
  const how =
    why === 'no_endpoint'
      ? 'does not offer dynamic client registration'
      : why === 'failed'
        ? 'did not register MCP Hub as a client'
        : `refused to register MCP Hub as a client (HTTP ${why})`;
  return new OAuthFlowError(
    'registration_refused',
    `The authorization server ${how}. Set auth.clientId (and auth.clientSecret, if the client has one) to a client registered with it in advance.`,
    detail,
  );
}

function scopeRefused(scope: string | undefined, detail: string | undefined): OAuthFlowError {
  const shown = scope
    ?.split(' ')
    .filter((x) => /^[\w:./-]{1,64}$/.test(x))
    .join(' ');
  return new OAuthFlowError(
    'invalid_scope',
    `The authorization server does not allow MCP Hub the scope ${shown || 'it asked for'}; ask its administrator to allow it, or set auth.scope to what it allows.`,
    detail,
  );
}

/** A client ID with a secret or a private key: enough for the client_credentials grant. */
function hasClientCredentials(s: AuthSettings): boolean {
  return !!s.clientId && !!(s.clientSecret || s.privateKey);
}

function withoutSlash(url: string): string {
  return url.replace(/\/+$/, '');
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

/** The path of `url` when it is on the origin of `serverUrl` (a path of the authorization server there). */
function sameOriginPath(url: string | undefined, serverUrl: string): string[] {
  const u = sameOrigin(url, serverUrl);
  return u ? [u.pathname] : [];
}

/** The scope an authorization URL asks for, as a trace note: scope names only, nothing else of the query. */
function scopeNote(scope: string | null): { note?: string } {
  const names = scope
    ?.split(' ')
    .filter((x) => /^[\w:./-]{1,64}$/.test(x))
    .join(' ');
  return names ? { note: `scope ${names}` } : {};
}

function formatSeconds(s: number): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60} minute${s === 60 ? '' : 's'}` : `${s} s`;
}
