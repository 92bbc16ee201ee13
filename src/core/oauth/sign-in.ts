/**
 * The sign-in flow of one server: discovery, then the grant it uses (the browser with PKCE, client
 * credentials, or the JWT bearer grant with the workload's token or the company IdP's ID-JAG), with
 * one attempt at a time (sign-in-attempt.ts). The SDK's auth() runs the protocol; this decides what
 * to run, names the scope (a step-up's included, see step-up.ts) and tells each step to the trace.
 * A session stored before stays untouched until the new tokens replace it (stagedSignIn in
 * provider.ts), so a sign-in that fails, is cancelled or times out leaves it working; what it says
 * then is wording.ts's.
 */
import { auth, discoverOAuthServerInfo, registerClient, type AuthorizationServerMetadata, type FetchLike, type OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { RemoteServerConfig } from '../config';
import type { BrowserOpener, Clock, Logger } from '../ports';
import { scrubber } from '../scrub';
import { askForAccount, placeFor } from './accounts';
import { CallbackServer } from './callback-server';
import { configuredDiscovery } from './configured-discovery';
import { interactionRequired, OAuthFlowError } from './errors';
import type { EnterpriseIdp } from './idp';
import { issuerOf } from './issuer';
import { assertionMode, enterpriseRefusal, usesEnterprise, type AssertionGrant } from './jwt-bearer';
import type { StoredClient } from './clients';
import { usesClientCredentials, type ProviderMode } from './grant';
import type { HubOAuthProvider } from './provider';
import { SignInAttempt } from './sign-in-attempt';
import type { StepUp } from './step-up';
import type { OAuthSession, TokenStore } from './token-store';
import type { OAuthTrace } from './trace';
import { formatSeconds, inOurWords, registrationRefused, showableScopes } from './wording';

export const DEFAULT_SIGN_IN_TIMEOUT_S = 300;

export interface SignInHooks {
  readonly signal: AbortSignal;
  /** Started by the hub, not the person: only a server chosen for the company identity (auth.enterprise: true), never a browser page. */
  readonly quiet?: boolean;
  /** The redirect URI is known (the panel shows it and offers to copy it). */
  readonly onRedirectUri?: (uri: string) => void;
  /** Sign in with another account: the authorization server is asked to let the person choose (accounts.ts). */
  readonly another?: boolean;
}

/** What a sign-in flow is given: the server, the fetch and trace of its OAuth, and how to make a provider. */
export interface SignInContext {
  readonly config: RemoteServerConfig;
  readonly fetch: FetchLike;
  readonly trace: OAuthTrace;
  readonly stepUp: StepUp;
  readonly store: TokenStore;
  readonly browser: BrowserOpener;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Maps the loopback callback URI to one the user's browser can reach (vscode.env.asExternalUri). */
  readonly externalUri?: (uri: string) => Promise<string>;
  readonly idp?: () => EnterpriseIdp | undefined;
  session(): Promise<OAuthSession | undefined>;
  /** A provider for this server, offered the client a sign-in that did not complete registered (spareRegistration). */
  provider(session: OAuthSession | undefined, mode: ProviderMode, spareClient?: StoredClient): HubOAuthProvider;
}

export class SignInFlow {
  /** The sign-in under way, if any: ending it is how Cancel, timeout, stop and Log Out stop it. */
  private attempt: SignInAttempt | undefined;
  /** spareRegistration: the client the last sign-in registered before it failed, for the next one. */
  private spareClient: StoredClient | undefined;
  /** Set when the company IdP or the authorization server refused an enterprise sign-in: the next Authenticate uses the browser. */
  private refusedEnterprise = false;
  private disposed = false;

  constructor(private readonly ctx: SignInContext) {}

  private get settings() {
    return this.ctx.config.auth ?? {};
  }

  /** Whether a sign-in is under way. */
  get underway(): boolean {
    return this.attempt !== undefined;
  }

  /** The provider of the sign-in under way (it knows its discovery before anything is stored). */
  get provider(): HubOAuthProvider | undefined {
    return this.attempt?.provider;
  }

  get enterpriseRefused(): boolean {
    return this.refusedEnterprise;
  }

  /**
   * The sign-in (browser, client credentials or the JWT bearer grant). Resolves once the new
   * session is stored; rejects with an OAuthFlowError in our words.
   */
  async run(hooks: SignInHooks): Promise<void> {
    this.attempt?.end(new OAuthFlowError('cancelled', 'Another sign-in started.'));
    const attempt = new SignInAttempt();
    this.attempt = attempt;
    this.ctx.trace.beginSignIn();
    const onAbort = () => attempt.end(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    hooks.signal.addEventListener('abort', onAbort);
    if (hooks.signal.aborted) onAbort();
    if (this.disposed) attempt.end(stoppedError());
    try {
      await this.discoverAndSignIn(attempt, hooks);
      this.spareClient = undefined;
      this.ctx.trace.add({ kind: 'info', label: 'Signed in' });
    } catch (error) {
      // A client registered on the way is kept for the next try (the authorization server keeps it too).
      this.spareClient = attempt.provider?.registeredClient ?? this.spareClient;
      const failure = attempt.ended ?? inOurWords(error, attempt.phase, attempt.scope);
      this.ctx.trace.add({ kind: 'error', label: 'Sign-in did not complete', note: `${failure.code}: ${failure.message}` });
      throw failure;
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
      if (attempt.timer !== undefined) this.ctx.clock.clearTimeout(attempt.timer);
      await attempt.close();
      if (this.attempt === attempt) this.attempt = undefined;
    }
  }

  /** Remote development without a reachable redirect: the user pastes the final URL. */
  pasteRedirectUrl(url: string): string | undefined {
    const callback = this.attempt?.callback;
    if (!callback) return 'No sign-in is waiting for a redirect.';
    return callback.acceptPastedUrl(url);
  }

  /** Log Out: a sign-in under way ends, and no spare client is offered any more. */
  signOut(): void {
    this.attempt?.end(new OAuthFlowError('cancelled', 'Signed out.'));
    this.spareClient = undefined;
  }

  /** The server stops: a sign-in under way ends (its promise rejects with 'cancelled', its port is freed), and none starts. */
  dispose(): void {
    this.disposed = true;
    this.attempt?.end(stoppedError());
  }

  private async discoverAndSignIn(attempt: SignInAttempt, hooks: SignInHooks): Promise<void> {
    const { config, fetch: fetchFn } = this.ctx;
    // Every sign-in discovers afresh: the server may name another authorization server now, and
    // credentials from the old one must not be reused there (SEP-2352; the SDK re-registers when
    // the issuer differs from the one a stored client was registered with).
    attempt.phase = 'discovery';
    const resourceMetadataUrl = sameOrigin(this.ctx.stepUp.lastChallenge?.resourceMetadataUrl, config.url);
    // auth.metadata or auth.endpoints, where set, stand for discovery (configured-discovery.ts).
    // Else the SDK's exact issuer check is skipped: the issuer policy (saveDiscoveryState) decides,
    // with the trailing-slash leniency and auth.acceptIssuer, before anything is sent to the server.
    const discovery: OAuthDiscoveryState =
      (await attempt.until(configuredDiscovery(this.settings, fetchFn))) ??
      (await attempt.until(
        discoverOAuthServerInfo(config.url, { fetchFn, skipIssuerMetadataValidation: true, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) }).then((info) => ({
          ...info,
          ...(resourceMetadataUrl ? { resourceMetadataUrl: resourceMetadataUrl.href } : {}),
        })),
      ));
    const metadata = discovery.authorizationServerMetadata;
    const grant = this.settings.grantType === 'jwt-bearer' ? 'workload' : this.usesEnterprise(metadata, !hooks.quiet) ? 'enterprise' : undefined;
    if (hooks.quiet && grant !== 'enterprise') throw interactionRequired();
    if (grant) return this.assertionSignIn(attempt, hooks, discovery, grant);
    if (usesClientCredentials(this.settings, metadata)) return this.clientCredentialsSignIn(attempt, discovery);
    return this.browserSignIn(attempt, hooks, discovery, resourceMetadataUrl);
  }

  private usesEnterprise(metadata: AuthorizationServerMetadata | undefined, personAsked: boolean): boolean {
    return usesEnterprise(this.ctx.config, metadata, { idpConfigured: this.ctx.idp?.() !== undefined, refused: this.refusedEnterprise, personAsked });
  }

  /** Nothing to ask the user: a token with the configured client credentials. */
  private async clientCredentialsSignIn(attempt: SignInAttempt, discovery: OAuthDiscoveryState): Promise<void> {
    const provider = attempt.use(this.ctx.provider(undefined, { kind: 'clientCredentials', staged: true }));
    await attempt.until(provider.saveDiscoveryState(discovery));
    await attempt.until(provider.assertCredentialsMayGoTo(discovery));
    attempt.phase = 'token';
    attempt.scope = this.settings.scope;
    await attempt.until(auth(provider, { serverUrl: this.ctx.config.url, fetchFn: this.ctx.fetch, skipIssuerMetadataValidation: true }));
    this.ctx.logger.info('signed in with client credentials');
  }

  /** The browser sign-in: callback server, registration if needed, the authorization page, the code for tokens. */
  private async browserSignIn(attempt: SignInAttempt, hooks: SignInHooks, discovery: OAuthDiscoveryState, resourceMetadataUrl: URL | undefined): Promise<void> {
    const { config, logger, clock, trace } = this.ctx;
    const callback = attempt.useCallback(await this.startCallback());
    const timeoutS = this.settings.signInTimeout ?? DEFAULT_SIGN_IN_TIMEOUT_S;
    attempt.timer = clock.setTimeout(() => attempt.end(new OAuthFlowError('timeout', `Sign-in timed out after ${formatSeconds(timeoutS)}.`)), timeoutS * 1000);
    const redirectUri = this.ctx.externalUri ? await attempt.until(this.ctx.externalUri(callback.redirectUri)) : callback.redirectUri;
    // Remote development forwards the callback under another host name: accept that Host too.
    const forwarded = new URL(redirectUri);
    if (forwarded.host !== new URL(callback.redirectUri).host) callback.allowHost(forwarded.host);
    hooks.onRedirectUri?.(redirectUri);
    let opened: Promise<void> | undefined;
    const mode: ProviderMode = {
      kind: 'interactive',
      redirectUri,
      onAuthorizationUrl: async (url, state, issuer) => {
        if (attempt.ended) throw attempt.ended;
        callback.expect(state, issuer.issuer, issuer.required);
        askForAccount(url, discovery.authorizationServerMetadata, {
          ...(this.settings.account ? { pin: this.settings.account } : {}),
          ...(hooks.another ? { another: true } : {}),
        });
        logger.info(`opening the browser to sign in at ${url.origin}`);
        // The authorization URL without its query (state, PKCE challenge); the scope asked for is said apart.
        const scope = showableScopes(url.searchParams.get('scope'));
        trace.add({ kind: 'authorize', label: 'Browser opened for sign-in', url: url.href, ...(scope ? { note: `scope ${scope}` } : {}) });
        opened = this.ctx.browser.open(url.href).then((ok) => {
          if (!ok) {
            logger.warn('the browser could not be opened; paste the redirect URL instead');
            trace.add({ kind: 'info', label: 'The browser could not be opened' });
          }
        });
      },
    };
    const provider = attempt.use(this.ctx.provider(await this.ctx.session(), mode, this.spareClient));
    await attempt.until(provider.saveDiscoveryState(discovery));
    await attempt.until(provider.assertCredentialsMayGoTo(discovery));
    const scope = this.ctx.stepUp.scopeToAsk(this.settings.scope, discovery.resourceMetadata?.scopes_supported);
    attempt.scope = scope;
    attempt.phase = 'registration';
    await attempt.until(this.assertClientAvailable(provider, discovery));
    await this.registerForScope(attempt, provider, discovery, scope);
    // The issuer was checked by issuerPolicy (a trailing-slash difference accepted, with a warning).
    const options = { serverUrl: config.url, fetchFn: this.ctx.fetch, skipIssuerMetadataValidation: true, ...(scope ? { scope } : {}) };
    const first = await attempt.until(auth(provider, { ...options, ...(resourceMetadataUrl ? { resourceMetadataUrl } : {}) }));
    if (first === 'AUTHORIZED') return;
    attempt.phase = 'authorization';
    await attempt.until(opened ?? Promise.resolve());
    const { code, iss } = await attempt.until(callback.result()).finally(() => {
      const answer = callback.answer;
      if (!answer) return; // ended from here (cancel, timeout): the sign-in's error step says so
      const note = answer.ok ? 'with an authorization code' : answer.error ? `error=${answer.error}` : 'refused (not from the expected issuer)';
      trace.add({ kind: 'callback', label: 'Callback received', url: callback.redirectUri, note });
    });
    attempt.phase = 'token';
    // A token endpoint that refuses the code may echo it (the SDK prints its answer); every surface masks it.
    scrubber.remember(code);
    await attempt.until(auth(provider, { ...options, authorizationCode: code, ...(iss ? { iss } : {}) }));
    this.ctx.stepUp.signedIn();
    logger.info('signed in');
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

  /** scopeBoundRegistration: one registration for the union of scopes, before the browser trip, where the client is held to fewer. */
  private async registerForScope(attempt: SignInAttempt, provider: HubOAuthProvider, discovery: OAuthDiscoveryState, scope: string | undefined): Promise<void> {
    const union = await attempt.until(provider.registrationScopeFor(scope));
    if (!union) return;
    this.ctx.logger.info(`the registered client is limited to fewer scopes; registering again for ${union}`);
    const registered = await attempt.until(
      registerClient(discovery.authorizationServerUrl, {
        ...(discovery.authorizationServerMetadata ? { metadata: discovery.authorizationServerMetadata } : {}),
        clientMetadata: { ...provider.clientMetadata, scope: union },
        scope: union,
        fetchFn: this.ctx.fetch,
      }),
    );
    // Stamped as the SDK stamps what it registers: with the issuer the metadata names (checked by issuerPolicy).
    await attempt.until(provider.saveClientInformation({ ...registered, issuer: issuerOf(discovery) ?? String(discovery.authorizationServerUrl) }));
  }

  /**
   * The JWT bearer grant, no browser page for this server: with the workload's token, or with an
   * ID-JAG the company IdP makes for this server's authorization server. Without an IdP session
   * (and not quiet), the IdP sign-in runs first, once for every enterprise server.
   */
  private async assertionSignIn(attempt: SignInAttempt, hooks: SignInHooks, discovery: OAuthDiscoveryState, grant: AssertionGrant): Promise<void> {
    const { config, trace, logger } = this.ctx;
    const idp = grant === 'enterprise' ? this.ctx.idp?.() : undefined;
    if (idp && !(await attempt.until(idp.idToken()))) {
      if (hooks.quiet) throw new OAuthFlowError('idp_sign_in_required', `Sign in to your company IdP (${idp.label}) first.`);
      attempt.phase = 'authorization';
      trace.add({ kind: 'info', label: `Signing in to the company IdP (${idp.label})` });
      await attempt.until(idp.signIn(hooks.signal));
    }
    const provider = attempt.use(
      this.ctx.provider(
        undefined,
        assertionMode(grant, this.settings, () => this.ctx.idp?.(), true),
      ),
    );
    await attempt.until(provider.saveDiscoveryState(discovery));
    await attempt.until(provider.assertCredentialsMayGoTo(discovery));
    attempt.phase = 'token';
    attempt.scope = this.settings.scope;
    if (grant === 'enterprise') trace.add({ kind: 'info', label: 'Token exchange at the company IdP, then the JWT bearer grant' });
    try {
      await attempt.until(auth(provider, { serverUrl: config.url, fetchFn: this.ctx.fetch, skipIssuerMetadataValidation: true }));
    } catch (error) {
      if (grant !== 'enterprise' || attempt.ended) throw error;
      const refusal = enterpriseRefusal(error, inOurWords(error, 'token'), discovery);
      if (refusal.refused) this.refusedEnterprise = true;
      throw refusal.error;
    }
    this.refusedEnterprise = false;
    if (idp) {
      // Who is signed in is who the company IdP says (the JWT bearer grant names nobody).
      const account = (await idp.status()).account;
      if (account) await this.ctx.store.update(config.url, (s) => (s ? { ...s, account } : s), { key: placeFor(issuerOf(discovery), undefined) });
    }
    logger.info(grant === 'enterprise' ? 'signed in through the company IdP' : 'signed in with the workload identity token');
  }

  /**
   * The callback server: on auth.callbackPort when set; else on the port of the last sign-in, so
   * the client registered then (for that exact redirect URI) is reused; else on a free port.
   */
  private async startCallback(): Promise<CallbackServer> {
    const logger = this.ctx.logger;
    if (this.settings.callbackPort) return CallbackServer.start({ port: this.settings.callbackPort, logger });
    const previous = (await this.ctx.session())?.client?.redirect_uri;
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
}

function stoppedError(): OAuthFlowError {
  return new OAuthFlowError('cancelled', 'The server was stopped.');
}

/** `url` when it is on the origin of `serverUrl` (a resource_metadata URL the server may name), else undefined. */
export function sameOrigin(url: string | undefined, serverUrl: string): URL | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.origin === new URL(serverUrl).origin ? u : undefined;
  } catch {
    return undefined;
  }
}
