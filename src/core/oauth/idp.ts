/**
 * The company identity provider (mcpHub.enterprise.idp) for Enterprise-Managed Authorization
 * (SEP-990): one OpenID Connect sign-in (authorization code + PKCE, in the browser, through the same
 * loopback callback server as every sign-in), whose ID token is then exchanged at the IdP (RFC 8693)
 * for an Identity Assertion JWT Authorization Grant (ID-JAG) per MCP server's authorization server.
 * The SDK does the protocol (discovery, authorization URL, code exchange, refresh, token exchange);
 * this decides when, keeps the session and says what went wrong in our words.
 *
 * The session (ID token, refresh token, the IdP's metadata and who signed in) is kept in the token
 * store under the issuer URL: secret storage, keyed by the IdP's host, like every session. An ID
 * token about to expire is refreshed first; one that cannot be renewed means signing in again.
 * A VS Code authentication provider (e.g. Microsoft's, for Entra ID) can supply the ID token
 * instead of this sign-in (`external`); its session is then VS Code's to keep.
 */
import { randomBytes } from 'node:crypto';
import {
  exchangeAuthorization,
  refreshAuthorization,
  requestJwtAuthorizationGrant,
  startAuthorization,
  OAuthError,
  type AuthorizationServerMetadata,
  type FetchLike,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import type { EnterpriseIdpSettings } from '../config';
import { Emitter } from '../events';
import type { BrowserOpener, Clock, Disposable, Logger } from '../ports';
import { scrubber } from '../scrub';
import { accountFromClaims, idTokenClaims, storedAccount, type Account } from './account';
import { CallbackServer } from './callback-server';
import { OAuthFlowError } from './errors';
import { idpMetadata, refused } from './idp-metadata';
import { createOAuthFetch } from './oauth-fetch';
import { sameIssuer, showUrl } from './issuer';
import { untilAborted } from './sign-in-attempt';
import { secretKeyFor, type OAuthSession, type TokenStore } from './token-store';
import type { Resolver } from './url-guard';

/** Where an IdP's ID token comes from when VS Code holds the sign-in (an authentication provider). */
export interface IdTokenSource {
  /** E.g. "Microsoft", for messages. */
  readonly label: string;
  /** The current ID token; `interactive` may ask the person to sign in. Undefined when there is none. */
  idToken(interactive: boolean): Promise<string | undefined>;
  readonly onDidChange?: (listener: () => void) => Disposable;
}

export interface IdpStatus {
  /** The IdP's issuer as configured. */
  readonly issuer: string;
  readonly signedIn: boolean;
  readonly account?: Account;
  /** Epoch ms when the ID token expires (it is refreshed before use). */
  readonly expiresAt?: number;
  /** Who keeps the sign-in: MCP Hub (its own session) or a VS Code authentication provider. */
  readonly via: 'hub' | 'vscode';
  /** A sign-in is under way. */
  readonly signingIn: boolean;
}

export interface IdpDeps {
  readonly store: TokenStore;
  readonly browser: BrowserOpener;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly externalUri?: (uri: string) => Promise<string>;
  readonly resolver?: Resolver;
  /** The client secret, already resolved from its ${input:…} (never from settings text). */
  readonly clientSecret?: string;
  /** A VS Code authentication provider supplying the ID token instead of MCP Hub's sign-in. */
  readonly external?: IdTokenSource;
}

export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ID_JAG_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';

const SIGN_IN_TIMEOUT_MS = 300_000;
/** An ID token this close to expiry is renewed before it is exchanged. */
const ID_TOKEN_MARGIN_MS = 60_000;
const BASE_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

export class EnterpriseIdp {
  private readonly fetch: FetchLike;
  private readonly _onDidChange = new Emitter<void>();
  /** Fires when the sign-in changes (here or in another window) or a sign-in starts or ends. */
  readonly onDidChange = this._onDidChange.event;
  private signing: { promise: Promise<void>; abort: AbortController } | undefined;
  private refreshing: Promise<string | undefined> | undefined;
  private readonly subscriptions: Disposable[] = [];

  constructor(
    readonly settings: EnterpriseIdpSettings,
    private readonly deps: IdpDeps,
  ) {
    if (deps.clientSecret) scrubber.remember(deps.clientSecret);
    this.fetch = createOAuthFetch({ serverUrl: settings.issuer, logger: deps.logger, onChallenge: () => undefined, ...(deps.resolver ? { resolver: deps.resolver } : {}) });
    const key = secretKeyFor(settings.issuer);
    this.subscriptions.push(deps.store.onDidChange((secretKey) => secretKey === key && this._onDidChange.fire()));
    if (deps.external?.onDidChange) this.subscriptions.push(deps.external.onDidChange(() => this._onDidChange.fire()));
  }

  /** The IdP's host, for messages ("Sign in to login.example.com"). */
  get label(): string {
    return this.deps.external?.label ?? new URL(this.settings.issuer).host;
  }

  private session(): Promise<OAuthSession | undefined> {
    return this.deps.store.get(this.settings.issuer);
  }

  async status(): Promise<IdpStatus> {
    const signingIn = this.signing !== undefined;
    if (this.deps.external) {
      const token = await this.deps.external.idToken(false).catch(() => undefined);
      const claims = idTokenClaims(token);
      const account = accountFromClaims(claims);
      return { issuer: this.settings.issuer, signedIn: token !== undefined, via: 'vscode', signingIn, ...(account ? { account } : {}) };
    }
    const s = await this.session().catch(() => undefined);
    const usable = !!s?.tokens?.id_token && (!!s.tokens.refresh_token || (s.expiresAt ?? 0) > this.deps.clock.now());
    const account = storedAccount(s?.account);
    return {
      issuer: this.settings.issuer,
      signedIn: usable,
      via: 'hub',
      signingIn,
      ...(usable && account ? { account } : {}),
      ...(usable && s?.expiresAt ? { expiresAt: s.expiresAt } : {}),
    };
  }

  /**
   * The browser sign-in to the IdP; one at a time (a second call waits for the first). Resolves once
   * the session is stored; rejects with an OAuthFlowError in our words.
   */
  signIn(signal?: AbortSignal): Promise<void> {
    if (this.deps.external) return this.deps.external.idToken(true).then((t) => (t ? undefined : Promise.reject(this.signInRequired())));
    if (this.signing) return this.signing.promise;
    const abort = new AbortController();
    const onAbort = () => abort.abort(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const promise = this.runSignIn(abort.signal).finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.signing = undefined;
      this._onDidChange.fire();
    });
    this.signing = { promise, abort };
    this._onDidChange.fire();
    return promise;
  }

  /** Cancels a sign-in under way. */
  cancelSignIn(): void {
    this.signing?.abort.abort(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
  }

  private metadata(): Promise<AuthorizationServerMetadata> {
    return idpMetadata(this.settings.issuer, this.fetch, this.deps.resolver);
  }

  private client() {
    return { client_id: this.settings.clientId, ...(this.deps.clientSecret ? { client_secret: this.deps.clientSecret } : {}) };
  }

  private async runSignIn(signal: AbortSignal): Promise<void> {
    const reason = () => (signal.reason instanceof Error ? signal.reason : new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    const until = <T>(work: Promise<T>): Promise<T> => untilAborted(work, signal, reason);
    const { logger, clock } = this.deps;
    const metadata = await until(this.metadata());
    const callback = await CallbackServer.start({ logger, ...(this.settings.callbackPort ? { port: this.settings.callbackPort } : {}) });
    const timer = clock.setTimeout(() => this.signing?.abort.abort(new OAuthFlowError('timeout', 'Signing in to the company IdP timed out after 5 minutes.')), SIGN_IN_TIMEOUT_MS);
    signal.addEventListener('abort', () => callback.abort(signal.reason as OAuthFlowError), { once: true });
    try {
      const redirectUri = this.deps.externalUri ? await until(this.deps.externalUri(callback.redirectUri)) : callback.redirectUri;
      const forwarded = new URL(redirectUri);
      if (forwarded.host !== new URL(callback.redirectUri).host) callback.allowHost(forwarded.host);
      const offered = metadata.scopes_supported;
      const scope = [
        ...new Set([...BASE_SCOPES.filter((s) => s === 'openid' || !offered || offered.includes(s)), ...(this.settings.scope?.split(' ').filter(Boolean) ?? [])]),
      ].join(' ');
      const state = randomBytes(32).toString('base64url');
      const { authorizationUrl, codeVerifier } = await until(
        startAuthorization(this.settings.issuer, { metadata, clientInformation: this.client(), redirectUrl: redirectUri, scope, state }),
      );
      scrubber.remember(codeVerifier);
      callback.expect(state, metadata.issuer, (metadata as { authorization_response_iss_parameter_supported?: boolean }).authorization_response_iss_parameter_supported === true);
      logger.info(`opening the browser to sign in to the company IdP at ${authorizationUrl.origin}`);
      if (!(await this.deps.browser.open(authorizationUrl.href))) logger.warn('the browser could not be opened for the company IdP sign-in');
      const { code, iss } = await until(callback.result());
      // A token endpoint that refuses the code may echo it; every surface masks it.
      scrubber.remember(code);
      const tokens = await until(
        exchangeAuthorization(this.settings.issuer, {
          metadata,
          clientInformation: this.client(),
          authorizationCode: code,
          ...(iss ? { iss } : {}),
          codeVerifier,
          redirectUri,
          fetchFn: this.fetch,
        }),
      ).catch((error: unknown) => {
        throw refused(error, 'the sign-in');
      });
      if (signal.aborted) throw signal.reason;
      await this.save(tokens, metadata, undefined);
      logger.info('signed in to the company IdP');
    } finally {
      clock.clearTimeout(timer);
      await callback.close();
    }
  }

  /** Checks the ID token (issuer, audience, expiry) and stores the session in one write. */
  private async save(tokens: OAuthTokens, metadata: AuthorizationServerMetadata, previous: OAuthSession | undefined): Promise<string> {
    scrubber.remember(tokens.access_token, tokens.refresh_token, tokens.id_token);
    const idToken = tokens.id_token ?? previous?.tokens?.id_token;
    const claims = idTokenClaims(idToken);
    if (!idToken || !claims) throw new OAuthFlowError('invalid_metadata', 'The company IdP answered without an ID token; it must allow MCP Hub the openid scope.');
    const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (typeof claims.iss !== 'string' || !sameIssuer(claims.iss, this.settings.issuer) || !audience.includes(this.settings.clientId)) {
      throw new OAuthFlowError('invalid_metadata', 'The ID token from the company IdP is not for MCP Hub (its issuer or audience differs).');
    }
    const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
    const account = accountFromClaims(claims);
    const now = this.deps.clock.now();
    await this.deps.store.update(this.settings.issuer, () => ({
      resource: this.settings.issuer,
      issuer: metadata.issuer,
      discovery: { authorizationServerUrl: this.settings.issuer, authorizationServerMetadata: metadata },
      tokens: { ...tokens, id_token: idToken, ...(tokens.refresh_token || !previous?.tokens?.refresh_token ? {} : { refresh_token: previous.tokens.refresh_token }) },
      ...(expiresAt ? { expiresAt } : {}),
      // A sign-in obtains; a renewal (with the previous session) refreshes.
      ...(previous ? { refreshedAt: now, ...(previous.obtainedAt !== undefined ? { obtainedAt: previous.obtainedAt } : {}) } : { obtainedAt: now }),
      ...(account ? { account } : {}),
      updatedAt: now,
    }));
    return idToken;
  }

  /** A current ID token: the stored one, renewed first when it is about to expire. Undefined when signed out. */
  async idToken(): Promise<string | undefined> {
    if (this.deps.external) return this.deps.external.idToken(false);
    const s = await this.session();
    const token = s?.tokens?.id_token;
    if (!s || !token) return undefined;
    if ((s.expiresAt ?? Infinity) - ID_TOKEN_MARGIN_MS > this.deps.clock.now()) return token;
    if (!s.tokens?.refresh_token) return undefined;
    this.refreshing ??= this.renew(s).finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async renew(s: OAuthSession): Promise<string | undefined> {
    const metadata = s.discovery?.authorizationServerMetadata ?? (await this.metadata());
    try {
      const tokens = await refreshAuthorization(this.settings.issuer, { metadata, clientInformation: this.client(), refreshToken: s.tokens!.refresh_token!, fetchFn: this.fetch });
      // Without a new ID token the old one stays expired: that is a sign-in again.
      if (!tokens.id_token) {
        this.deps.logger.info('the company IdP renewed the session without a new ID token; signing in again is needed');
        return undefined;
      }
      const idToken = await this.save(tokens, metadata, s);
      this.deps.logger.info('renewed the company IdP session');
      return idToken;
    } catch (error) {
      const code = error instanceof OAuthError ? error.code : undefined;
      this.deps.logger.warn(`renewing the company IdP session failed${code ? ` (${code})` : ''}`);
      if (code === 'invalid_grant') await this.deps.store.delete(this.settings.issuer);
      return undefined;
    }
  }

  /**
   * The ID-JAG for an MCP server's authorization server (`audience`, its issuer) and resource, by
   * RFC 8693 token exchange at the IdP. Throws idp_sign_in_required without a session, and
   * idp_refused (with the IdP's error code) when the IdP says no.
   */
  async authorizationGrant(target: { audience: string; resource: string; scope?: string }): Promise<string> {
    const idToken = await this.idToken();
    if (!idToken) throw this.signInRequired();
    const s = this.deps.external ? undefined : await this.session();
    const metadata = s?.discovery?.authorizationServerMetadata ?? (await this.metadata());
    try {
      const result = await requestJwtAuthorizationGrant({
        tokenEndpoint: metadata.token_endpoint,
        audience: target.audience,
        resource: target.resource,
        idToken,
        clientId: this.settings.clientId,
        ...(this.deps.clientSecret ? { clientSecret: this.deps.clientSecret } : {}),
        ...(target.scope ? { scope: target.scope } : {}),
        fetchFn: this.fetch,
      });
      scrubber.remember(result.jwtAuthGrant);
      return result.jwtAuthGrant;
    } catch (error) {
      throw refused(error, `access to ${showUrl(target.resource)}`);
    }
  }

  private signInRequired(): OAuthFlowError {
    return new OAuthFlowError('idp_sign_in_required', `Sign in to your company IdP (${this.label}) first.`);
  }

  /** Deletes the IdP session (servers signed in through it are signed out by the hub). */
  async signOut(): Promise<void> {
    this.cancelSignIn();
    await this.deps.store.delete(this.settings.issuer);
    this.deps.logger.info('signed out of the company IdP');
  }

  dispose(): void {
    this.cancelSignIn();
    for (const s of this.subscriptions) s.dispose();
    this._onDidChange.dispose();
  }
}
