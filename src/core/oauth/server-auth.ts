/**
 * Everything OAuth for one remote server, put together: the fetch its transports use
 * (oauth-fetch.ts), the provider they get when a session exists, the sign-in (sign-in.ts), refresh
 * (refresh.ts), step-up (step-up.ts), DPoP (dpop.ts) and Log Out. The SDK's auth() does the
 * protocol; the pieces decide when. See README.md in this folder for a map.
 */
import { discoverOAuthProtectedResourceMetadata, type FetchLike, type OAuthClientProvider, type OAuthDiscoveryState, type OAuthTokens } from '@modelcontextprotocol/client';
import type { RemoteServerConfig } from '../config';
import type { StepUp as StepUpResult } from '../failure';
import type { BrowserOpener, Clock, Logger } from '../ports';
import { scrubber } from '../scrub';
import { fetchUserinfo, type SignedInAs } from './account';
import { placeOf } from './accounts';
import { DpopPolicy } from './dpop';
import type { StoredClient } from './clients';
import { hasClientCredentials, isMachineToMachine, type ProviderMode } from './grant';
import type { EnterpriseIdp } from './idp';
import { assertionMode, enterpriseChosen } from './jwt-bearer';
import { createOAuthFetch } from './oauth-fetch';
import { HubOAuthProvider } from './provider';
import { Refresher } from './refresh';
import { revokeSession } from './revocation';
import { sameOrigin, SignInFlow, type SignInHooks } from './sign-in';
import { ServerAccounts } from './server-accounts';
import { StepUp } from './step-up';
import { sessionInfo, unrenewableExpiry, type SessionInfo } from './session';
import { secretKeyFor, type OAuthSession, type TokenStore } from './token-store';
import { OAuthTrace } from './trace';
import { guardFor, type Resolver } from './url-guard';
import { sameIssuer } from './issuer';

export { DEFAULT_SIGN_IN_TIMEOUT_S, type SignInHooks } from './sign-in';
export type { SessionInfo } from './session';

export interface OAuthDeps {
  readonly store: TokenStore;
  readonly browser: BrowserOpener;
  /** The company IdP (mcpHub.enterprise.idp) when one is configured, for enterprise-managed servers. */
  readonly idp?: () => EnterpriseIdp | undefined;
  /** Maps the loopback callback URI to one the user's browser can reach (vscode.env.asExternalUri). */
  readonly externalUri?: (uri: string) => Promise<string>;
  readonly resolver?: Resolver;
}

export class ServerAuth {
  readonly fetch: FetchLike;
  /** The host's secret key: store changes for it concern this server. */
  readonly secretKey: string;
  /** The steps of the last sign-ins and the refreshes after them, in memory. */
  readonly trace: OAuthTrace;
  /** Which of the server's accounts this entry uses, and Switch Account (server-accounts.ts). */
  readonly accounts: ServerAccounts;
  private readonly stepUp: StepUp;
  private readonly dpop: DpopPolicy;
  private readonly refresher: Refresher;
  private readonly flow: SignInFlow;
  /** The userinfo endpoint while it is being asked (it names the trace's step, and is an OAuth path). */
  private userinfoEndpoint: string | undefined;

  constructor(
    private readonly config: RemoteServerConfig,
    private readonly deps: OAuthDeps & { readonly logger: Logger; readonly clock: Clock; readonly network?: FetchLike },
  ) {
    this.secretKey = secretKeyFor(config.url);
    const { clientSecret, privateKey } = config.auth ?? {};
    scrubber.remember(...[clientSecret, privateKey].filter((x): x is string => !!x));
    const { store, logger, clock } = deps;
    const session = () => this.session();
    this.accounts = new ServerAccounts(config.url, store, config.auth?.account);
    this.trace = new OAuthTrace(clock);
    this.stepUp = new StepUp(logger, async () => (await this.session())?.tokens?.scope?.split(' ').filter(Boolean) ?? []);
    this.dpop = new DpopPolicy({
      session,
      signIn: () => this.flow.provider,
      keep: async (key) => (await store.update(config.url, (cur) => (cur ? { ...cur, dpopKey: cur.dpopKey ?? key } : cur), this.accounts.ref))?.dpopKey,
    });
    this.fetch = createOAuthFetch({
      serverUrl: config.url,
      // The 2025-03-26 default endpoints, used only when the server publishes no metadata at all;
      // a userinfo endpoint on the server's own origin while it is asked; auth.metadata there.
      oauthPaths: () => ['/authorize', '/token', '/register', ...[this.userinfoEndpoint, config.auth?.metadata].flatMap((u) => sameOrigin(u, config.url)?.pathname ?? [])],
      logger,
      onChallenge: (c) => {
        this.stepUp.record(c);
        this.dpop.challenged(c.scheme);
      },
      ...(deps.resolver ? { resolver: deps.resolver } : {}),
      coordinateRefresh: (refreshToken) => this.refresher.coordinate(refreshToken),
      onRequest: (r) => this.trace.request(r, this.userinfoEndpoint ? { userinfoEndpoint: this.userinfoEndpoint } : {}),
      ...(config.auth ? { auth: config.auth } : {}),
      ...(deps.network ? { network: deps.network } : {}),
    });
    const { fetch, trace } = this;
    this.refresher = new Refresher({
      serverUrl: config.url,
      settings: this.settings,
      store,
      clock,
      logger,
      fetch,
      trace,
      session,
      refreshProvider: async (s) => this.provider(s, (await this.isMachineToMachine(s)) ? { kind: 'clientCredentials' } : { kind: 'passive' }),
    });
    this.flow = new SignInFlow({
      config,
      fetch,
      trace,
      stepUp: this.stepUp,
      store,
      browser: deps.browser,
      logger,
      clock,
      ...(deps.externalUri ? { externalUri: deps.externalUri } : {}),
      ...(deps.idp ? { idp: deps.idp } : {}),
      session,
      provider: (s, mode, spare) => this.provider(s, mode, spare),
    });
  }

  private get settings() {
    return this.config.auth ?? {};
  }

  session(): Promise<OAuthSession | undefined> {
    return this.deps.store.get(this.config.url, this.accounts.ref);
  }

  /** Whether this server signs in with no browser (client credentials, a JWT assertion): see grant.ts. */
  async isMachineToMachine(session?: OAuthSession): Promise<boolean> {
    const s = this.settings;
    if (s.grantType || !hasClientCredentials(s)) return isMachineToMachine(s, undefined);
    return isMachineToMachine(s, session ?? (await this.session()));
  }

  /**
   * Whether the hub may sign this server in through the company IdP by itself, now: the server was
   * chosen for the company identity (enterpriseChosen), it has no session yet, and an IdP session is
   * at hand. No request goes to the server before that: a server nobody chose is not even asked.
   */
  async enterpriseReady(): Promise<boolean> {
    const idp = this.deps.idp?.();
    if (!idp || !enterpriseChosen(this.config) || this.flow.enterpriseRefused || this.flow.underway) return false;
    if ((await this.session().catch(() => undefined))?.tokens) return false;
    return (await idp.status()).signedIn;
  }

  /** After a 403 insufficient_scope: the scopes to ask for (step-up.ts). */
  takeStepUp(): Promise<StepUpResult | undefined> {
    return this.stepUp.take();
  }

  /** When the stored session ends for good (no refresh token, no other way to a new token: session.ts); else undefined. */
  async unrenewableExpiry(): Promise<number | undefined> {
    const s = await this.session().catch(() => undefined);
    return unrenewableExpiry(s, this.settings, !!s?.tokens && (await this.isMachineToMachine(s)));
  }

  /**
   * Whether the server now names other authorization servers than the one the session came from (it
   * moved, SEP-2352): a 401 right after a sign-in then asks for a sign-in there, not a refused token.
   * One request for the protected-resource metadata; any failure answers no.
   */
  async authorizationServerMoved(): Promise<boolean> {
    const issuer = (await this.session().catch(() => undefined))?.issuer;
    // Named in settings (auth.metadata, auth.endpoints): what the server names does not count.
    if (!issuer || this.settings.metadata || this.settings.endpoints) return false;
    const resourceMetadataUrl = sameOrigin(this.stepUp.lastChallenge?.resourceMetadataUrl, this.config.url);
    try {
      const metadata = await discoverOAuthProtectedResourceMetadata(this.config.url, resourceMetadataUrl ? { resourceMetadataUrl } : {}, this.fetch);
      const named = metadata.authorization_servers ?? [];
      return named.length > 0 && !named.some((n) => sameIssuer(n, issuer));
    } catch {
      return false;
    }
  }

  /** Whether the stored session was had through the company IdP (it ends when the IdP sign-in does). */
  async viaIdp(): Promise<boolean> {
    return (await this.session().catch(() => undefined))?.grant === 'enterprise';
  }

  /** What the panel shows of the session (session.ts); never a token. */
  async sessionInfo(): Promise<SessionInfo | undefined> {
    return sessionInfo(await this.session());
  }

  /**
   * Who a browser sign-in's access token belongs to, from the OpenID Connect userinfo endpoint of the
   * authorization server's metadata, when it has one (the tokens carried no id_token). Failures are
   * ignored: the session then names no account (accounts.ts), nothing else.
   */
  private async lookUpAccount(tokens: OAuthTokens, discovery: OAuthDiscoveryState | undefined): Promise<SignedInAs | undefined> {
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

  private provider(session: OAuthSession | undefined, mode: ProviderMode, spareClient?: StoredClient): HubOAuthProvider {
    const { store, logger, clock, resolver } = this.deps;
    return new HubOAuthProvider(
      {
        serverUrl: this.config.url,
        settings: this.settings,
        store,
        mode,
        logger,
        clock,
        ...(resolver ? { resolver } : {}),
        dpop: () => this.dpop.session(),
        lookUpAccount: (tokens, discovery) => this.lookUpAccount(tokens, discovery),
        account: this.accounts.ref,
        ...(mode.kind === 'interactive' && spareClient ? { spareClient } : {}),
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
    const idp = () => this.deps.idp?.();
    // Workload identity and enterprise sessions get a new token with a new assertion, no browser.
    if (this.settings.grantType === 'jwt-bearer') return this.provider(session, assertionMode('workload', this.settings, idp, false));
    if (await this.isMachineToMachine(session)) return this.provider(session, { kind: 'clientCredentials' });
    this.accounts.connectingWith(session);
    if (!session?.tokens) return undefined;
    await this.refresher.ifDue(session);
    // A new ID-JAG for a server signed in through the IdP before (chosen then), unless it is now set not to.
    const viaIdp = session.grant === 'enterprise' && idp() && this.settings.enterprise !== false;
    return this.provider(await this.session(), viaIdp ? assertionMode('enterprise', this.settings, idp, false) : { kind: 'passive' });
  }

  /** Keeps the access token fresh while connected (refresh.ts). */
  scheduleRefresh(): Promise<void> {
    return this.refresher.schedule();
  }

  cancelRefresh(): void {
    this.refresher.cancel();
  }

  /** Refreshes when the token is within the margin of expiry; concurrent callers share one refresh. */
  refreshIfDue(known?: OAuthSession): Promise<void> {
    return this.refresher.ifDue(known);
  }

  /** The sign-in (sign-in.ts): resolves once the new session is stored; rejects with an OAuthFlowError in our words. */
  signIn(hooks: SignInHooks): Promise<void> {
    return this.flow.run(hooks);
  }

  /** Remote development without a reachable redirect: the user pastes the final URL. */
  pasteRedirectUrl(url: string): string | undefined {
    return this.flow.pasteRedirectUrl(url);
  }

  /**
   * Deletes the session of this entry's account by its key (the server's other accounts stay, one made active meanwhile too), a
   * sign-in under way ending first. Then, not waited for, its tokens are revoked where the server offers it (revocation.ts).
   */
  async logout(): Promise<void> {
    const session = await this.session().catch(() => undefined);
    this.flow.signOut();
    this.refresher.cancel();
    this.stepUp.reset();
    if (session) await this.deps.store.delete(this.config.url, { key: placeOf(session) });
    this.trace.add({ kind: 'info', label: 'Signed out' });
    if (session?.tokens) void this.revoke(session).catch(() => this.deps.logger.warn('revoking the tokens failed'));
  }

  private revoke(session: OAuthSession): Promise<void> {
    const provider = this.provider(session, { kind: 'passive' });
    return revokeSession(session, {
      settings: this.settings,
      fetch: this.fetch,
      logger: this.deps.logger,
      trace: this.trace,
      assertCredentialsMayGoTo: (s) => provider.assertCredentialsMayGoTo(s.discovery),
      ...(provider.addClientAuthentication ? { clientAssertion: provider.addClientAuthentication } : {}),
    });
  }

  /** Stops timers and ends a sign-in under way (its promise rejects with 'cancelled', its port is freed). */
  dispose(): void {
    this.flow.dispose();
    this.refresher.cancel();
    this.trace.dispose();
  }
}
