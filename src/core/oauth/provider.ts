/**
 * Our OAuthClientProvider: the SDK runs discovery, registration, PKCE and token requests; this class supplies identity and storage
 * for one server, in one of four modes (ProviderMode), and closes the gaps SDK 2.4.0 still has at this seam. Some are told apart in
 * their own files (discovery-checks.ts, clients.ts, credentials.ts); these stay here:
 *  - stagedSignIn: the SDK (v2 too) stores discovery, client and tokens one by one as it goes, and drops tokens to force a new
 *    authorization, so a failed sign-in would leave a broken or no session. A sign-in provider (interactive, or client credentials
 *    from Authenticate) keeps this flow's discovery and client in memory, reports no tokens (so the SDK authorizes afresh rather than
 *    refreshing) and commits discovery, client, tokens and issuer in one write in saveTokens, as one account among the server's
 *    (accounts.ts). Until then the stored session is untouched; invalidateCredentials clears only the flow's state.
 *  - noUnaskedBrowser (v2 runs auth() on a 401 mid call): a provider built for a transport (passive) never opens a browser or
 *    registers a client; it raises interaction_required, which the hub shows as authRequired.
 *  - crossWindowRotation (invalidateCredentials 'tokens'): before dropping tokens after invalid_grant, re-read the store; another
 *    window may have rotated them;
 *  - resourceIndicatorOff (validateResourceURL): auth.resourceIndicator false leaves `resource` out.
 *  - expiresIn (saveTokens; v2 stores no expiry): `expires_in` becomes an absolute expiry for proactive refresh;
 *  - signedInAccount (saveTokens; v2 hands over the id_token with the tokens and reads nothing of it): who signed in is taken from
 *    the id_token's claims (else, at a browser sign-in, from the userinfo endpoint) and kept with the session; the id_token is not stored.
 */
import { randomBytes } from 'node:crypto';
import {
  type AddClientAuthentication,
  type DpopSession,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Clock, Logger } from '../ports';
import { scrubber } from '../scrub';
import { issuerOf } from './issuer';
import { base, committedSession, renewedSession } from './session';
import { idTokenClaims, signedInAs, type SignedInAs } from './account';
import { namesNobody, placeOf, signInPlace, type AccountRef } from './accounts';
import type { DpopKey } from './dpop';
import { chooseClient, clientMetadataFor, registrationScope, type StoredClient } from './clients';
import { assertCredentialsMayGoTo, bindCredentials, privateKeyJwt, type CredentialsContext } from './credentials';
import { checkDiscovery } from './discovery-checks';
import { grantParams, type ProviderMode } from './grant';
import { interactionRequired, OAuthFlowError } from './errors';
import { checkUrl, guardFor, type Resolver } from './url-guard';
import type { OAuthSession, TokenStore } from './token-store';

export interface ProviderOptions {
  readonly serverUrl: string;
  readonly settings: AuthSettings;
  readonly store: TokenStore;
  readonly mode: ProviderMode;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly resolver?: Resolver;
  /** The DPoP session where dpopPolicy uses DPoP (DpopPolicy in dpop.ts); the SDK signs with it. */
  readonly dpop?: () => Promise<DpopSession | undefined>;
  /** A client a sign-in that did not complete registered (spareRegistration), preferred where it fits. */
  readonly spareClient?: StoredClient;
  /** Who signed in, when the tokens of a browser sign-in carry no id_token (ServerAuth asks the userinfo endpoint). */
  readonly lookUpAccount?: (tokens: OAuthTokens, discovery: OAuthDiscoveryState | undefined) => Promise<SignedInAs | undefined>;
  /** The entry's account: its auth.account pin, or undefined for the active account (accounts.ts). */
  readonly account?: AccountRef;
}

/** What one sign-in has learned so far; kept in memory until its tokens are committed. */
interface StagedFlow {
  discovery?: OAuthDiscoveryState;
  /** undefined: not chosen yet; null: none to reuse (register a new one). */
  client?: StoredClient | null;
  /** A DPoP key made for this flow when there was no session to hold one. */
  dpopKey?: DpopKey;
  /** Set when the sign-in ended (cancel, timeout, stop): nothing may be committed any more. */
  ended?: OAuthFlowError;
  /** `client` was registered by this flow (not reused). */
  registered?: boolean;
}

export class HubOAuthProvider implements OAuthClientProvider {
  private verifier: string | undefined;
  private lastState: string | undefined;
  /** The session as last read or written by this provider. */
  private session: OAuthSession | undefined;
  /** stagedSignIn: this sign-in's own discovery and client, until saveTokens commits them. */
  private readonly flow: StagedFlow = {};
  readonly addClientAuthentication?: AddClientAuthentication;
  /**
   * resourceIndicatorOff (auth.resourceIndicator false; the SDK always sends RFC 8707 `resource` when
   * there is protected resource metadata): the SDK's hook answering no resource, so authorization and
   * token requests leave it out, for authorization servers that refuse it next to scopes (Entra ID v2).
   */
  readonly validateResourceURL?: (serverUrl: string | URL, resource?: string) => Promise<URL | undefined>;

  constructor(
    private readonly options: ProviderOptions,
    initial?: OAuthSession,
  ) {
    this.session = initial;
    const { settings } = options;
    if (settings.resourceIndicator === false) this.validateResourceURL = async () => undefined;
    scrubber.remember(...[settings.clientSecret, settings.privateKey].filter((x): x is string => !!x));
    const issuer = initial?.issuer ?? initial?.discovery?.authorizationServerMetadata?.issuer;
    const auth = privateKeyJwt(this.credentials, issuer, () => this.currentDiscovery());
    if (auth) this.addClientAuthentication = auth;
  }

  private get credentials(): CredentialsContext {
    return this.options;
  }

  private get mode(): ProviderMode {
    return this.options.mode;
  }

  /** stagedSignIn applies: an interactive sign-in, or client credentials from Authenticate. */
  get staged(): boolean {
    return this.mode.kind === 'interactive' || ((this.mode.kind === 'clientCredentials' || this.mode.kind === 'assertion') && this.mode.staged === true);
  }

  /** A grant without a browser: client credentials or a JWT assertion. */
  private get nonInteractive(): boolean {
    return this.mode.kind === 'clientCredentials' || this.mode.kind === 'assertion';
  }

  /** Ends this sign-in: nothing it learned may be committed after this. */
  end(reason: OAuthFlowError): void {
    this.flow.ended ??= reason;
  }

  private assertNotEnded(): void {
    if (this.flow.ended) throw this.flow.ended;
  }

  /** The discovery this flow uses (staged), or the stored one. */
  stagedDiscovery(): OAuthDiscoveryState | undefined {
    return this.staged ? this.flow.discovery : undefined;
  }

  /** The DPoP key made for this flow, committed with its tokens (DpopPolicy in dpop.ts). */
  get stagedDpopKey(): DpopKey | undefined {
    return this.flow.dpopKey;
  }
  set stagedDpopKey(key: DpopKey | undefined) {
    this.flow.dpopKey = key;
  }

  get redirectUrl(): string | undefined {
    if (this.mode.kind === 'interactive') return this.mode.redirectUri;
    if (this.nonInteractive) return undefined;
    // Passive: refresh needs a redirect URL to count as an interactive client; it is never used.
    return this.session?.client?.redirect_uri ?? 'http://127.0.0.1/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.mode.kind === 'interactive' ? this.options.settings.clientMetadataUrl : undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    return clientMetadataFor(this.options.settings, this.mode, this.redirectUrl);
  }

  state(): string {
    this.lastState = randomBytes(32).toString('base64url');
    return this.lastState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { settings } = this.options;
    if (settings.clientId) {
      const discovery = await this.currentDiscovery();
      await this.assertCredentialsMayGoTo(discovery);
      // Stamped with the issuer it was just checked against (SEP-2352), so the SDK has no unstamped client to warn of.
      const issuer = issuerOf(discovery);
      return { client_id: settings.clientId, ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}), ...(issuer ? { issuer } : {}) };
    }
    if (this.staged) {
      // Chosen once per flow, so the client the code was issued to is the one committed with the tokens.
      if (this.flow.client === undefined) {
        const candidates = { stored: (await this.read())?.client, issuer: issuerOf(this.flow.discovery) };
        this.flow.client = chooseClient(this.mode, { ...candidates, ...(this.options.spareClient ? { spare: this.options.spareClient } : {}) }, this.options.logger) ?? null;
      }
      return this.flow.client ?? undefined;
    }
    const client = (await this.read())?.client;
    if (!client && this.mode.kind === 'passive') throw interactionRequired();
    return client;
  }

  /** The client this flow registered itself (dynamic registration), if any: a spare when the flow does not complete. */
  get registeredClient(): StoredClient | undefined {
    return this.flow.registered && this.flow.client?.kind === 'dcr' ? this.flow.client : undefined;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (this.options.settings.clientId) return; // pre-registered: nothing to store
    if (this.mode.kind === 'passive') throw interactionRequired();
    const kind = info.client_id === this.clientMetadataUrl ? 'cimd' : 'dcr';
    const client: StoredClient = { ...info, redirect_uri: this.redirectUrl, kind };
    if (this.staged) {
      if (this.flow.client?.client_id === info.client_id) {
        this.flow.client = { ...this.flow.client, ...client }; // the SDK stamping the issuer on a reused client
        return;
      }
      this.flow.client = client;
      this.flow.registered = kind === 'dcr';
    } else {
      await this.write((s) => ({ ...base(s, this.options.serverUrl), client }));
    }
    this.options.logger.info(kind === 'cimd' ? 'using the client ID metadata document' : 'registered a client (dynamic client registration)');
  }

  /** scopeBoundRegistration (clients.ts): the scope to register again with, when this flow's client is held to less than `scope`. */
  async registrationScopeFor(scope: string | undefined): Promise<string | undefined> {
    if (!scope || !this.staged || this.options.settings.clientId) return undefined;
    await this.clientInformation();
    return registrationScope(this.flow.client ?? undefined, scope, issuerOf(this.flow.discovery));
  }

  /** The SDK signs token requests with this session, and MCP requests too once the token is DPoP-bound. */
  async dpop(): Promise<DpopSession | undefined> {
    return this.options.dpop?.();
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    // stagedSignIn: with tokens at hand the SDK would only refresh them, never authorize anew.
    if (this.staged) return undefined;
    return (await this.read())?.tokens;
  }

  async saveTokens(received: OAuthTokens): Promise<void> {
    scrubber.remember(...[received.access_token, received.refresh_token, received.id_token].filter((x): x is string => !!x));
    // signedInAccount: the claims are what is kept of the id_token.
    const { id_token: idToken, ...tokens } = received;
    const fromIdToken = signedInAs(idTokenClaims(idToken));
    const now = this.options.clock.now();
    const grant = this.mode.kind === 'clientCredentials' ? ('client_credentials' as const) : this.mode.kind === 'assertion' ? this.mode.grant : undefined;
    const { serverUrl } = this.options;
    if (!this.staged) {
      const named = { ...(fromIdToken.account ? { account: fromIdToken.account } : {}), ...(fromIdToken.subject ? { subject: fromIdToken.subject } : {}) };
      const renewal = { serverUrl, now, grant, passive: this.mode.kind === 'passive', known: this.session?.tokens, ...named };
      await this.write((s) => renewedSession(s, tokens, renewal, this.options.logger));
      // A machine-to-machine server gets its tokens here, on the transport, not through a sign-in.
      if (this.nonInteractive) await bindCredentials(this.credentials, this.session?.discovery);
      return;
    }
    // stagedSignIn: discovery, client, tokens and issuer of this flow replace the stored session in one write.
    const flow = this.flow;
    this.assertNotEnded();
    // Client credentials sign in a machine, not a person: nobody to look up.
    const who = fromIdToken.subject || fromIdToken.account || grant ? fromIdToken : ((await this.options.lookUpAccount?.(tokens, flow.discovery)) ?? {});
    // The sign-in may have ended while the userinfo endpoint answered.
    this.assertNotEnded();
    const unnamed = namesNobody(flow.discovery?.authorizationServerMetadata, idToken);
    const { at, accountKey, label } = signInPlace(tokens.issuer ?? issuerOf(flow.discovery), who, this.options.settings.account, unnamed);
    const { account } = who;
    const client = this.options.settings.clientId ? undefined : (flow.client ?? undefined);
    const staged = { ...(flow.discovery ? { discovery: flow.discovery } : {}), ...(client ? { client } : {}), ...(flow.dpopKey ? { dpopKey: flow.dpopKey } : {}) };
    const commit = { serverUrl, now, grant, ...(account ? { account } : {}), ...(accountKey ? { accountKey } : {}), ...(label ? { label } : {}) };
    // A sign-in for the unpinned entries makes its account the active one.
    await this.write((s) => committedSession(s, tokens, staged, commit), { key: at }, !this.options.account);
    await bindCredentials(this.credentials, flow.discovery);
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (this.mode.kind !== 'interactive') throw interactionRequired();
    await checkUrl(authorizationUrl.href, 'the authorization endpoint', guardFor(this.options.serverUrl, this.options.resolver));
    const metadata = (this.staged ? this.flow.discovery : this.session?.discovery)?.authorizationServerMetadata;
    await this.mode.onAuthorizationUrl(authorizationUrl, this.lastState ?? '', {
      ...(metadata?.issuer ? { issuer: metadata.issuer } : {}),
      required: (metadata as { authorization_response_iss_parameter_supported?: boolean } | undefined)?.authorization_response_iss_parameter_supported === true,
    });
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (!this.verifier) throw new OAuthFlowError('state_mismatch', 'No sign-in is in progress for this server.');
    return this.verifier;
  }

  /** The grant's own parameters where there is no browser: client credentials, or the JWT bearer grant's assertion (grant.ts). */
  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    const { settings, serverUrl } = this.options;
    return grantParams(this.mode, settings.scope ?? scope, serverUrl, () => this.currentDiscovery());
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const known = this.session?.tokens?.refresh_token;
    if (scope === 'verifier') {
      this.verifier = undefined;
      return;
    }
    if (this.staged) {
      // stagedSignIn: a sign-in never deletes the stored session; only Log Out does, or the
      // authorization server refusing its refresh token (through the passive provider).
      if (scope === 'all' || scope === 'client') this.flow.client = null;
      if (scope === 'all' || scope === 'discovery') this.flow.discovery = undefined;
      return;
    }
    await this.write((s) => {
      if (!s) return undefined;
      if (scope === 'tokens' && s.tokens?.refresh_token && s.tokens.refresh_token !== known) {
        this.options.logger.info('tokens were renewed elsewhere (another window); keeping them');
        return s;
      }
      const next: { -readonly [K in keyof OAuthSession]: OAuthSession[K] } = { ...s };
      if (scope === 'all' || scope === 'tokens') {
        delete next.tokens;
        delete next.expiresAt;
      }
      if (scope === 'all' || scope === 'client') delete next.client;
      if (scope === 'all' || scope === 'discovery') delete next.discovery;
      return next;
    });
  }

  async discoveryState(): Promise<OAuthDiscoveryState | undefined> {
    return this.currentDiscovery();
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await checkDiscovery(state, this.options);
    if (this.staged) this.flow.discovery = state;
    else await this.write((s) => ({ ...base(s, this.options.serverUrl), discovery: state }));
  }

  private async currentDiscovery(): Promise<OAuthDiscoveryState | undefined> {
    return this.staged ? this.flow.discovery : (await this.read())?.discovery;
  }

  /** issuerBoundCredentials (credentials.ts): throws unless the credentials in settings may go where `target` names. */
  assertCredentialsMayGoTo(target: OAuthDiscoveryState | string | undefined): Promise<void> {
    return assertCredentialsMayGoTo(this.credentials, target);
  }

  /** The latest stored session (another window may have changed it). */
  async read(): Promise<OAuthSession | undefined> {
    this.session = await this.options.store.get(this.options.serverUrl, this.ref);
    return this.session;
  }

  /** The account this provider works on: the one it read (another may become active meanwhile), else the entry's. */
  private get ref(): AccountRef {
    return this.session ? { key: placeOf(this.session) } : this.options.account;
  }

  private async write(change: (s: OAuthSession | undefined) => OAuthSession | undefined, ref = this.ref, activate = false): Promise<void> {
    this.session = await this.options.store.update(this.options.serverUrl, change, ref, activate);
  }
}
