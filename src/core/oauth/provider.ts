/**
 * Our OAuthClientProvider: the SDK runs discovery, registration, PKCE and token requests; this
 * class supplies identity and storage, and closes the gaps SDK 2.4.0 still has at this seam:
 *  - discoveryChecks (saveDiscoveryState): the authorization server metadata must exist (v2 guesses
 *    /authorize without it), it must offer PKCE S256 (v2 checks only a listed method; no list at
 *    all is pkce_unadvertised, which auth.pkce "assume-s256" answers) and, for the
 *    browser sign-in, the authorization_code grant, and its endpoints must be safe URLs; its
 *    `issuer` goes through issuerPolicy (v2's exact check is skipped: a trailing-slash difference is
 *    accepted with a warning, auth.acceptIssuer names one more);
 *  - resourceIndicatorOff (validateResourceURL): auth.resourceIndicator false leaves `resource` out.
 *  - expiresIn (saveTokens; v2 stores no expiry): `expires_in` becomes an absolute expiry for proactive refresh;
 *  - redirectBoundRegistration (clientInformation): a DCR registration is reused only for the exact
 *    redirect URI it was registered with;
 *  - spareRegistration (clientInformation, registeredClient): a client registered by a sign-in that
 *    then did not complete (cancelled, denied, timed out) is offered to the next one, which uses it
 *    where it fits rather than registering yet another;
 *  - crossWindowRotation (invalidateCredentials 'tokens'): before dropping tokens after
 *    invalid_grant, re-read the store; another window may have rotated them;
 *  - noUnaskedBrowser (v2 runs auth() on a 401 mid call): a provider built for a transport (passive) never opens a browser or
 *    registers a client; it raises interaction_required, which the hub shows as authRequired.
 *  - stagedSignIn: the SDK (v2 too) stores discovery, client and tokens one by one as it goes, and drops
 *    tokens to force a new authorization, so a failed sign-in would leave a broken or no session.
 *    A sign-in provider (interactive, or client credentials from Authenticate) keeps this flow's
 *    discovery and client in memory, reports no tokens (so the SDK authorizes afresh rather than
 *    refreshing) and commits discovery, client, tokens and issuer in one write in saveTokens.
 *    Until then the stored session is untouched; invalidateCredentials clears only the flow's state.
 *  - scopeBoundRegistration (registrationScopeFor; v2 never re-registers): an authorization server may hold a registered
 *    client to the scope it registered; a sign-in that asks for more registers again with the union.
 *  - issuerBoundCredentials (assertCredentialsMayGoTo): a client secret or private key from settings
 *    goes only to the issuer it belongs to (auth.issuer, else the one bound at the first sign-in;
 *    v2 stamps an issuer on what it stores, but not on credentials from settings).
 *  - signedInAccount (saveTokens; v2 hands over the id_token with the tokens and reads nothing of it):
 *    who signed in is taken from the id_token's claims (else, at a browser sign-in, from the userinfo
 *    endpoint) and kept with the session; the id_token itself is not stored.
 */
import { randomBytes } from 'node:crypto';
import {
  type AddClientAuthentication,
  type DpopSession,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  createPrivateKeyJwtAuth,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Clock, Logger } from '../ports';
import { scrubber } from '../scrub';
import { issuerOf, sameIssuer, showUrl } from './issuer';
import { accountFromIdToken, type Account } from './account';
import type { DpopKey } from './dpop';
import { metadataIssuerMismatch, OAuthFlowError } from './errors';
import { checkTokenEndpoint, checkUrl, guardFor, isLoopbackHost, type Resolver } from './url-guard';
import type { OAuthSession, TokenStore } from './token-store';

export const CLIENT_NAME = 'MCP Hub';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export type ProviderMode =
  | { readonly kind: 'passive' }
  | {
      readonly kind: 'interactive';
      readonly redirectUri: string;
      /** Called with a checked authorization URL and the `state` it carries. */
      readonly onAuthorizationUrl: (url: URL, state: string, issuer: { issuer?: string; required: boolean }) => Promise<void>;
    }
  | {
      readonly kind: 'clientCredentials';
      /** A sign-in (Authenticate) rather than a transport: stage the flow, commit with the tokens. */
      readonly staged?: boolean;
    }
  | {
      /**
       * The RFC 7523 JWT bearer grant, no browser: an ID-JAG from the company IdP (enterprise) or
       * the workload's own token (workload). Used again instead of a refresh token.
       */
      readonly kind: 'assertion';
      readonly grant: 'enterprise' | 'workload';
      /** The assertion for the authorization server `issuer` and `resource`, made or read now. */
      readonly assertion: (target: { issuer: string; resource: string; scope?: string }) => Promise<string>;
      readonly staged?: boolean;
    };

/** The client stored with a session. */
export type StoredClient = NonNullable<OAuthSession['client']>;

export interface ProviderOptions {
  readonly serverUrl: string;
  readonly settings: AuthSettings;
  readonly store: TokenStore;
  readonly mode: ProviderMode;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly resolver?: Resolver;
  /** Extra scopes (step-up) to request on top of what the SDK picks. */
  readonly scope?: string;
  /** The DPoP session where dpopPolicy uses DPoP (DpopPolicy in dpop.ts); the SDK signs with it. */
  readonly dpop?: () => Promise<DpopSession | undefined>;
  /** A client a sign-in that did not complete registered (spareRegistration), preferred where it fits. */
  readonly spareClient?: StoredClient;
  /** Who signed in, when the tokens of a browser sign-in carry no id_token (ServerAuth asks the userinfo endpoint). */
  readonly lookUpAccount?: (tokens: OAuthTokens, discovery: OAuthDiscoveryState | undefined) => Promise<Account | undefined>;
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
    if (settings.privateKey && settings.clientId) {
      const issuer = initial?.issuer ?? initial?.discovery?.authorizationServerMetadata?.issuer;
      this.addClientAuthentication = async (headers, params, url, metadata) => {
        // issuerBoundCredentials: the assertion is a credential too.
        await this.assertCredentialsMayGoTo(metadata?.issuer ?? (await this.currentDiscovery()) ?? new URL(url).origin);
        const auth = createPrivateKeyJwtAuth({
          issuer: settings.clientId!,
          subject: settings.clientId!,
          privateKey: parseKey(settings.privateKey!),
          alg: settings.privateKeyAlg ?? 'RS256',
          audience: metadata?.issuer ?? issuer ?? String(url),
        });
        await auth(headers, params, url, metadata);
      };
    }
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
    const { settings } = this.options;
    const authMethod = settings.privateKey ? 'private_key_jwt' : settings.clientSecret ? 'client_secret_basic' : 'none';
    if (this.nonInteractive) {
      return {
        client_name: CLIENT_NAME,
        redirect_uris: [],
        grant_types: [this.mode.kind === 'assertion' ? JWT_BEARER_GRANT : 'client_credentials'],
        token_endpoint_auth_method: authMethod,
        ...(settings.scope ? { scope: settings.scope } : {}),
      };
    }
    const redirect = this.redirectUrl!;
    // application_type is not in the SDK's type but is sent as given.
    return {
      client_name: CLIENT_NAME,
      // SEP-837: a loopback redirect makes this a native app; a forwarded https one (Codespaces) a web app.
      application_type: isLoopbackRedirect(redirect) ? 'native' : 'web',
      redirect_uris: [redirect],
      // The SDK adds offline_access to the scope wherever the authorization server lists it and these
      // include refresh_token. A client registered in advance may be allowed only the scopes it was
      // registered for, so it gets exactly the scope chosen; a client we register asks for a refresh token.
      grant_types: settings.clientId ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: authMethod,
      ...(settings.scope ? { scope: settings.scope } : {}),
    };
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
      if (this.flow.client === undefined) this.flow.client = this.spare() ?? this.reusable((await this.read())?.client) ?? null;
      return this.flow.client ?? undefined;
    }
    const client = (await this.read())?.client;
    if (!client && this.mode.kind === 'passive') throw interactionRequired();
    return client;
  }

  /** spareRegistration: the spare client, when this flow may use it (same redirect URI, same issuer). */
  private spare(): StoredClient | undefined {
    const spare = this.options.spareClient;
    const issuer = issuerOf(this.flow.discovery);
    if (!spare || this.mode.kind !== 'interactive' || spare.redirect_uri !== this.mode.redirectUri) return undefined;
    if (typeof spare.issuer === 'string' && (issuer === undefined || !sameIssuer(spare.issuer, issuer))) return undefined;
    this.options.logger.info('reusing the client registered by the sign-in that did not complete');
    return spare;
  }

  /** The client this flow registered itself (dynamic registration), if any: a spare when the flow does not complete. */
  get registeredClient(): StoredClient | undefined {
    return this.flow.registered && this.flow.client?.kind === 'dcr' ? this.flow.client : undefined;
  }

  /** A stored client this sign-in may use again: a DCR client only for the redirect URI it was registered with. */
  private reusable(client: StoredClient | undefined): StoredClient | undefined {
    if (client && this.mode.kind === 'interactive' && client.kind === 'dcr' && client.redirect_uri !== this.mode.redirectUri) {
      this.options.logger.info('the redirect URI changed since the client was registered; registering again');
      return undefined;
    }
    return client;
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

  /**
   * scopeBoundRegistration: the scope to register again with (what the client holds plus `scope`)
   * when this flow would reuse a registered client whose registration response limited it to a
   * scope that leaves out part of `scope`; undefined when the client will do. A registration
   * response without `scope` means the authorization server does not hold the client to one.
   */
  async registrationScopeFor(scope: string | undefined): Promise<string | undefined> {
    if (!scope || !this.staged || this.options.settings.clientId) return undefined;
    await this.clientInformation();
    const client = this.flow.client;
    // The registration response as stored: RFC 7591 echoes the registered metadata, scope included.
    const registered = (client as { scope?: unknown } | null | undefined)?.scope;
    if (!client || client.kind !== 'dcr' || typeof registered !== 'string') return undefined;
    const issuer = issuerOf(this.flow.discovery);
    // A client stamped for another authorization server is not reused at all (the SDK registers anew).
    if (!issuer || (typeof client.issuer === 'string' && !sameIssuer(client.issuer, issuer))) return undefined;
    const held = new Set(registered.split(' ').filter(Boolean));
    const asked = scope.split(' ').filter(Boolean);
    if (asked.every((x) => held.has(x))) return undefined;
    return [...new Set([...held, ...asked])].join(' ');
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
    const account = accountFromIdToken(idToken);
    const now = this.options.clock.now();
    const expiry =
      typeof tokens.expires_in === 'number' ? { expiresAt: now + tokens.expires_in * 1000, lifetimeMs: tokens.expires_in * 1000 } : { expiresAt: undefined, lifetimeMs: undefined };
    const grant = this.mode.kind === 'clientCredentials' ? ('client_credentials' as const) : this.mode.kind === 'assertion' ? this.mode.grant : undefined;
    if (this.staged) return this.commit(tokens, grant, { ...expiry, obtainedAt: now }, account);
    const known = this.session?.tokens;
    await this.write((s) => {
      if (this.mode.kind === 'passive') {
        // A refresh that ends after Log Out must not bring the session back, nor one that ends after
        // a sign-in committed newer tokens overwrite them.
        if (!s) return undefined;
        if (s.tokens && known && s.tokens.access_token !== known.access_token && s.tokens.refresh_token !== tokens.refresh_token) {
          this.options.logger.info('the session changed while refreshing (signed in again); keeping the new one');
          return s;
        }
      }
      // A refresh keeps the account of the sign-in unless its answer names one.
      return {
        ...base(s, this.options.serverUrl),
        ...(tokens.issuer ? { issuer: tokens.issuer } : {}),
        tokens,
        // A refresh keeps how the session was had (an enterprise session stays one).
        grant: grant ?? (this.mode.kind === 'passive' ? s?.grant : undefined),
        ...expiry,
        // Tokens that replace tokens are a refresh; the first ones (a machine's first request) are obtained.
        ...(s?.tokens ? { refreshedAt: now } : { obtainedAt: now, refreshedAt: undefined }),
        ...(account ? { account } : {}),
      };
    });
    // A machine-to-machine server gets its tokens here, on the transport, not through a sign-in.
    if (this.nonInteractive) await this.bindCredentials(this.session?.discovery);
  }

  /** stagedSignIn: discovery, client, tokens and issuer of this flow replace the stored session in one write. */
  private async commit(
    tokens: OAuthTokens,
    grant: OAuthSession['grant'],
    times: { expiresAt?: number; lifetimeMs?: number; obtainedAt: number },
    fromIdToken: Account | undefined,
  ): Promise<void> {
    if (this.flow.ended) throw this.flow.ended;
    const { settings, serverUrl } = this.options;
    const flow = this.flow;
    // Client credentials sign in a machine, not a person: nobody to look up.
    const account = fromIdToken ?? (grant ? undefined : await this.options.lookUpAccount?.(tokens, flow.discovery));
    // The sign-in may have ended while the userinfo endpoint answered.
    if (flow.ended) throw flow.ended;
    const { obtainedAt, ...expiry } = times;
    const issuer = tokens.issuer ?? issuerOf(flow.discovery);
    await this.write((s) => {
      const next: { -readonly [K in keyof OAuthSession]: OAuthSession[K] } = {
        resource: serverUrl,
        updatedAt: 0,
        ...(issuer ? { issuer } : {}),
        ...(flow.discovery ? { discovery: flow.discovery } : {}),
        tokens,
        ...(grant ? { grant } : {}),
        ...(expiry.expiresAt !== undefined ? expiry : {}),
        // A sign-in: no refresh has happened to these tokens yet.
        obtainedAt,
        ...(account ? { account } : {}),
      };
      const client = settings.clientId ? undefined : flow.client;
      if (client) next.client = client;
      const dpopKey = s?.dpopKey ?? flow.dpopKey;
      if (dpopKey) next.dpopKey = dpopKey;
      return next;
    });
    await this.bindCredentials(flow.discovery);
  }

  /** issuerBoundCredentials: the first tokens got with a client secret or key bind it to their issuer. */
  private async bindCredentials(discovery: OAuthDiscoveryState | undefined): Promise<void> {
    const { settings, serverUrl, store } = this.options;
    const clientId = settings.clientId;
    const bindTo = issuerOf(discovery);
    if (clientId && (settings.clientSecret || settings.privateKey) && !settings.issuer && bindTo) {
      if (!(await store.boundIssuer(serverUrl, clientId))) await store.bindIssuer(serverUrl, clientId, bindTo);
    }
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

  async prepareTokenRequest(scope?: string): Promise<URLSearchParams | undefined> {
    if (this.mode.kind === 'assertion') {
      const discovery = await this.currentDiscovery();
      const issuer = issuerOf(discovery);
      if (!discovery || !issuer) throw new OAuthFlowError('invalid_metadata', 'The authorization server is not known yet.');
      const s = this.options.settings.scope ?? scope;
      const resource = discovery.resourceMetadata?.resource ?? this.options.serverUrl;
      const assertion = await this.mode.assertion({ issuer, resource, ...(s ? { scope: s } : {}) });
      const params = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion });
      if (s) params.set('scope', s);
      return params;
    }
    if (this.mode.kind !== 'clientCredentials') return undefined;
    const params = new URLSearchParams({ grant_type: 'client_credentials' });
    const s = this.options.settings.scope ?? scope;
    if (s) params.set('scope', s);
    return params;
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
    await this.checkDiscovery(state);
    if (this.staged) this.flow.discovery = state;
    else await this.write((s) => ({ ...base(s, this.options.serverUrl), discovery: state }));
  }

  private async currentDiscovery(): Promise<OAuthDiscoveryState | undefined> {
    return this.staged ? this.flow.discovery : (await this.read())?.discovery;
  }

  /**
   * issuerBoundCredentials: throws unless the client secret or private key from settings may go to
   * the authorization server `target` names: auth.issuer when set, else the issuer bound at the
   * first sign-in (none bound yet: any, and the sign-in binds it). Without such credentials, no-op.
   */
  async assertCredentialsMayGoTo(target: OAuthDiscoveryState | string | undefined): Promise<void> {
    const { settings, serverUrl, store } = this.options;
    if (!settings.clientId || !(settings.clientSecret || settings.privateKey)) return;
    const expected = settings.issuer ?? (await store.boundIssuer(serverUrl, settings.clientId));
    if (!expected) return;
    const actual = typeof target === 'string' ? target : issuerOf(target);
    if (actual !== undefined && sameIssuer(expected, actual)) return;
    throw new OAuthFlowError(
      'issuer_not_allowed',
      `The client credentials in settings belong to ${showUrl(expected)}, but ${showUrl(serverUrl)} now names the authorization server ${actual === undefined ? '(none known)' : showUrl(actual)}; MCP Hub did not send them. Set auth.issuer if this is intended.`,
    );
  }

  /**
   * issuerPolicy: RFC 8414 wants the metadata's issuer identical to the URL it was fetched for. A
   * difference of a trailing slash only is accepted with a warning (common, and harmless); any other
   * difference is refused unless auth.acceptIssuer names exactly that issuer, for a server known to
   * be misconfigured.
   */
  private checkIssuer(issuer: string, asUrl: string): void {
    if (issuer === asUrl) return;
    if (sameIssuer(issuer, asUrl)) {
      this.options.logger.warn(`the authorization server's issuer differs from its URL by a trailing slash (${showUrl(issuer)}); accepting it`);
      return;
    }
    if (this.options.settings.acceptIssuer !== undefined && issuer === this.options.settings.acceptIssuer) {
      this.options.logger.warn(`the authorization server at ${showUrl(asUrl)} names the issuer ${showUrl(issuer)}; accepting it as auth.acceptIssuer says`);
      return;
    }
    throw new OAuthFlowError('metadata_issuer_mismatch', metadataIssuerMismatch(showUrl(asUrl)), `issuer: ${issuer}`);
  }

  private async checkDiscovery(state: OAuthDiscoveryState): Promise<void> {
    const metadata = state.authorizationServerMetadata;
    const asUrl = state.authorizationServerUrl;
    if (!metadata) {
      // 2025-03-26 back-compat: a server with neither protected resource metadata nor
      // authorization server metadata is its own authorization server at the default endpoints
      // (/authorize, /token, /register). Anywhere else, missing metadata is refused, not guessed.
      if (!state.resourceMetadata && new URL(asUrl).origin === new URL(this.options.serverUrl).origin) {
        checkTokenEndpoint(new URL('/token', asUrl).href, 'the default token endpoint (/token, as the server publishes no metadata)');
        this.options.logger.info('no OAuth metadata: using the 2025-03-26 default endpoints on the server itself');
        return;
      }
      throw new OAuthFlowError(
        'no_metadata',
        `The authorization server ${new URL(asUrl).origin} publishes no metadata (RFC 8414 or OpenID discovery); MCP Hub does not guess its endpoints.`,
      );
    }
    this.checkIssuer(metadata.issuer, asUrl);
    const grants = metadata.grant_types_supported;
    if (this.mode.kind === 'assertion' && this.mode.grant === 'workload' && grants && !grants.includes(JWT_BEARER_GRANT)) {
      throw new OAuthFlowError('grant_unsupported', `The authorization server ${showUrl(asUrl)} does not offer the JWT bearer grant that workload identity uses.`);
    }
    if (this.mode.kind === 'interactive' && grants && !grants.includes('authorization_code')) {
      const hint = grants.includes('client_credentials') ? ' It offers client_credentials: set auth.clientId with auth.clientSecret or auth.privateKey.' : '';
      throw new OAuthFlowError('grant_unsupported', `The authorization server ${showUrl(asUrl)} does not offer the browser sign-in (authorization_code grant).${hint}`);
    }
    if (!this.nonInteractive && !metadata.code_challenge_methods_supported) {
      // auth.pkce "assume-s256" fills the field in (assumeS256 in middleware/quirks.ts) before it gets here.
      throw new OAuthFlowError(
        'pkce_unadvertised',
        `The authorization server ${showUrl(asUrl)} publishes no code_challenge_methods_supported, and MCP requires PKCE with S256; if it supports S256 (as Entra ID and Cognito do), set auth.pkce: "assume-s256".`,
      );
    }
    if (!this.nonInteractive && !metadata.code_challenge_methods_supported?.includes('S256')) {
      throw new OAuthFlowError(
        'pkce_unsupported',
        `The authorization server ${showUrl(asUrl)} does not advertise PKCE with S256 (code_challenge_methods_supported), which MCP requires.`,
      );
    }
    const endpoints: Array<[string | undefined, string]> = [
      [metadata.authorization_endpoint, 'the authorization endpoint'],
      [metadata.token_endpoint, 'the token endpoint'],
      [metadata.registration_endpoint, 'the registration endpoint'],
    ];
    for (const [url, what] of endpoints) if (url) await checkUrl(url, what, guardFor(this.options.serverUrl, this.options.resolver));
    // The SDK would refuse it only at the token request, after registration and the browser sign-in.
    checkTokenEndpoint(metadata.token_endpoint, 'the token_endpoint');
  }

  /** The latest stored session (another window may have changed it). */
  async read(): Promise<OAuthSession | undefined> {
    this.session = await this.options.store.get(this.options.serverUrl);
    return this.session;
  }

  private async write(change: (s: OAuthSession | undefined) => OAuthSession | undefined): Promise<void> {
    this.session = await this.options.store.update(this.options.serverUrl, change);
  }
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    return isLoopbackHost(new URL(uri).hostname);
  } catch {
    return false;
  }
}

function base(s: OAuthSession | undefined, serverUrl: string): OAuthSession {
  return s ?? { resource: serverUrl, updatedAt: 0 };
}

function interactionRequired(): OAuthFlowError {
  return new OAuthFlowError('interaction_required', 'Sign-in is required.');
}

/** A private key from settings: a PEM string, or a JWK as a JSON string. */
function parseKey(text: string): string | Record<string, unknown> {
  const t = text.trim();
  if (t.startsWith('{')) return JSON.parse(t) as Record<string, unknown>;
  return t;
}
