/**
 * Our OAuthClientProvider: the SDK runs discovery, registration, PKCE and token requests; this
 * class supplies identity and storage, and closes the SDK 1.32.2 gaps that belong at this seam:
 *  - discoveryChecks (saveDiscoveryState): the authorization server metadata must exist (no guessed
 *    endpoints), its `issuer` must match, it must offer PKCE S256 and, for the browser sign-in, the
 *    authorization_code grant, and its endpoints must be safe URLs;
 *  - expiresIn (saveTokens): `expires_in` becomes an absolute expiry for proactive refresh;
 *  - redirectBoundRegistration (clientInformation): a DCR registration is reused only for the exact
 *    redirect URI it was registered with;
 *  - crossWindowRotation (invalidateCredentials 'tokens'): before dropping tokens after
 *    invalid_grant, re-read the store; another window may have rotated them;
 *  - noUnaskedBrowser: a provider built for a transport (passive) never opens a browser or
 *    registers a client; it raises interaction_required, which the hub shows as authRequired.
 */
import { randomBytes } from 'node:crypto';
import type { AddClientAuthentication, OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { createPrivateKeyJwtAuth } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { AuthSettings } from '../config';
import type { Clock, Logger } from '../ports';
import { OAuthFlowError } from './errors';
import { checkUrl, isLoopbackHost, type Resolver } from './url-guard';
import type { OAuthSession, TokenStore } from './token-store';

export const CLIENT_NAME = 'MCP Hub';

export type ProviderMode =
  | { readonly kind: 'passive' }
  | {
      readonly kind: 'interactive';
      readonly redirectUri: string;
      /** Called with a checked authorization URL and the `state` it carries. */
      readonly onAuthorizationUrl: (url: URL, state: string, issuer: { issuer?: string; required: boolean }) => Promise<void>;
    }
  | { readonly kind: 'clientCredentials' };

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
}

/** Normalises an issuer for comparison (RFC 8414 requires identity; a trailing slash is forgiven). */
export function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export class HubOAuthProvider implements OAuthClientProvider {
  private verifier: string | undefined;
  private lastState: string | undefined;
  /** The session as last read or written by this provider. */
  private session: OAuthSession | undefined;
  readonly addClientAuthentication?: AddClientAuthentication;

  constructor(private readonly options: ProviderOptions, initial?: OAuthSession) {
    this.session = initial;
    const { settings } = options;
    if (settings.privateKey && settings.clientId) {
      const issuer = initial?.issuer ?? initial?.discovery?.authorizationServerMetadata?.issuer;
      this.addClientAuthentication = async (headers, params, url, metadata) => {
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

  get redirectUrl(): string | undefined {
    if (this.mode.kind === 'interactive') return this.mode.redirectUri;
    if (this.mode.kind === 'clientCredentials') return undefined;
    // Passive: refresh needs a redirect URL to count as an interactive client; it is never used.
    return this.session?.client?.redirect_uri ?? 'http://127.0.0.1/callback';
  }

  get clientMetadataUrl(): string | undefined {
    return this.mode.kind === 'interactive' ? this.options.settings.clientMetadataUrl : undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { settings } = this.options;
    const authMethod = settings.privateKey ? 'private_key_jwt' : settings.clientSecret ? 'client_secret_basic' : 'none';
    if (this.mode.kind === 'clientCredentials') {
      return { client_name: CLIENT_NAME, redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: authMethod, ...(settings.scope ? { scope: settings.scope } : {}) };
    }
    const redirect = this.redirectUrl!;
    // application_type is not in the SDK's type but is sent as given.
    return {
      client_name: CLIENT_NAME,
      // SEP-837: a loopback redirect makes this a native app; a forwarded https one (Codespaces) a web app.
      application_type: isLoopbackRedirect(redirect) ? 'native' : 'web',
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: authMethod,
      ...(settings.scope ? { scope: settings.scope } : {}),
    } as OAuthClientMetadata;
  }

  state(): string {
    this.lastState = randomBytes(32).toString('base64url');
    return this.lastState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { settings } = this.options;
    if (settings.clientId) {
      return { client_id: settings.clientId, ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}) };
    }
    const client = (await this.read())?.client;
    if (client && this.mode.kind === 'interactive' && client.kind === 'dcr' && client.redirect_uri !== this.mode.redirectUri) {
      this.options.logger.info('the redirect URI changed since the client was registered; registering again');
      return undefined;
    }
    if (!client && this.mode.kind === 'passive') throw interactionRequired();
    return client;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    if (this.options.settings.clientId) return; // pre-registered: nothing to store
    if (this.mode.kind === 'passive') throw interactionRequired();
    const kind = info.client_id === this.clientMetadataUrl ? 'cimd' : 'dcr';
    await this.write((s) => ({ ...base(s, this.options.serverUrl), client: { ...info, redirect_uri: this.redirectUrl, kind } }));
    this.options.logger.info(kind === 'cimd' ? 'using the client ID metadata document' : 'registered a client (dynamic client registration)');
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.read())?.tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    const now = this.options.clock.now();
    await this.write((s) => ({
      ...base(s, this.options.serverUrl),
      ...(tokens.issuer ? { issuer: tokens.issuer } : {}),
      tokens,
      grant: this.mode.kind === 'clientCredentials' ? 'client_credentials' : undefined,
      ...(typeof tokens.expires_in === 'number'
        ? { expiresAt: now + tokens.expires_in * 1000, lifetimeMs: tokens.expires_in * 1000 }
        : { expiresAt: undefined, lifetimeMs: undefined }),
    }));
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    if (this.mode.kind !== 'interactive') throw interactionRequired();
    await checkUrl(authorizationUrl.href, 'the authorization endpoint', this.options.resolver);
    const metadata = this.session?.discovery?.authorizationServerMetadata;
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

  prepareTokenRequest(scope?: string): URLSearchParams | undefined {
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
    return (await this.read())?.discovery;
  }

  async saveDiscoveryState(state: OAuthDiscoveryState): Promise<void> {
    await this.checkDiscovery(state);
    await this.write((s) => ({ ...base(s, this.options.serverUrl), discovery: state }));
  }

  private async checkDiscovery(state: OAuthDiscoveryState): Promise<void> {
    const metadata = state.authorizationServerMetadata;
    const asUrl = state.authorizationServerUrl;
    if (!metadata) {
      // 2025-03-26 back-compat: a server with neither protected resource metadata nor
      // authorization server metadata is its own authorization server at the default endpoints
      // (/authorize, /token, /register). Anywhere else, missing metadata is refused, not guessed.
      if (!state.resourceMetadata && new URL(asUrl).origin === new URL(this.options.serverUrl).origin) {
        this.options.logger.info('no OAuth metadata: using the 2025-03-26 default endpoints on the server itself');
        return;
      }
      throw new OAuthFlowError(
        'no_metadata',
        `The authorization server ${new URL(asUrl).origin} publishes no metadata (RFC 8414 or OpenID discovery); MCP Hub does not guess its endpoints.`,
      );
    }
    if (!sameIssuer(metadata.issuer, asUrl)) {
      throw new OAuthFlowError('issuer_mismatch', `The authorization server metadata fetched for ${new URL(asUrl).origin} names a different issuer; refusing it.`);
    }
    const grants = metadata.grant_types_supported;
    if (this.mode.kind === 'interactive' && grants && !grants.includes('authorization_code')) {
      const hint = grants.includes('client_credentials') ? ' It offers client_credentials: set auth.clientId with auth.clientSecret or auth.privateKey.' : '';
      throw new OAuthFlowError('grant_unsupported', `The authorization server ${metadata.issuer} does not offer the browser sign-in (authorization_code grant).${hint}`);
    }
    if (this.mode.kind !== 'clientCredentials' && !metadata.code_challenge_methods_supported?.includes('S256')) {
      throw new OAuthFlowError('pkce_unsupported', `The authorization server ${metadata.issuer} does not advertise PKCE with S256 (code_challenge_methods_supported), which MCP requires.`);
    }
    const endpoints: Array<[string | undefined, string]> = [
      [metadata.authorization_endpoint, 'the authorization endpoint'],
      [metadata.token_endpoint, 'the token endpoint'],
      [metadata.registration_endpoint, 'the registration endpoint'],
    ];
    for (const [url, what] of endpoints) if (url) await checkUrl(url, what, this.options.resolver);
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
