/**
 * What discovery found, checked before anything is registered, sent or opened (saveDiscoveryState),
 * closing the gaps SDK 2.4.0 leaves there:
 *  - discoveryChecks: the authorization server metadata must exist (v2 guesses /authorize without
 *    it; only the 2025-03-26 layout of a server that publishes no metadata at all is its own
 *    authorization server at the default endpoints), it must offer PKCE S256 (v2 checks only a
 *    listed method; no list at all is pkce_unadvertised, which auth.pkce "assume-s256" answers) and,
 *    for the browser sign-in, the authorization_code grant; its endpoints must be safe URLs;
 *  - issuerPolicy: its `issuer` must be the URL it was fetched for (v2's exact check is skipped: a
 *    trailing-slash difference is accepted with a warning, auth.acceptIssuer names one more).
 */
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Logger } from '../ports';
import { metadataIssuerMismatch, OAuthFlowError } from './errors';
import { sameIssuer, showUrl } from './issuer';
import { JWT_BEARER_GRANT, type ProviderMode } from './grant';
import { checkTokenEndpoint, checkUrl, guardFor, type Resolver } from './url-guard';

export interface DiscoveryCheckContext {
  readonly serverUrl: string;
  readonly settings: AuthSettings;
  readonly mode: ProviderMode;
  readonly logger: Logger;
  readonly resolver?: Resolver;
}

export async function checkDiscovery(state: OAuthDiscoveryState, ctx: DiscoveryCheckContext): Promise<void> {
  const { mode } = ctx;
  const metadata = state.authorizationServerMetadata;
  const asUrl = state.authorizationServerUrl;
  const nonInteractive = mode.kind === 'clientCredentials' || mode.kind === 'assertion';
  if (!metadata) {
    // 2025-03-26 back-compat: a server with neither protected resource metadata nor
    // authorization server metadata is its own authorization server at the default endpoints
    // (/authorize, /token, /register). Anywhere else, missing metadata is refused, not guessed.
    if (!state.resourceMetadata && new URL(asUrl).origin === new URL(ctx.serverUrl).origin) {
      checkTokenEndpoint(new URL('/token', asUrl).href, 'the default token endpoint (/token, as the server publishes no metadata)');
      ctx.logger.info('no OAuth metadata: using the 2025-03-26 default endpoints on the server itself');
      return;
    }
    throw new OAuthFlowError(
      'no_metadata',
      `The authorization server ${new URL(asUrl).origin} publishes no metadata (RFC 8414 or OpenID discovery); MCP Hub does not guess its endpoints. If it has metadata elsewhere, set auth.metadata to its URL; if it has none, set auth.endpoints (authorization, token).`,
    );
  }
  checkIssuer(metadata.issuer, asUrl, ctx);
  const grants = metadata.grant_types_supported;
  if (mode.kind === 'assertion' && mode.grant === 'workload' && grants && !grants.includes(JWT_BEARER_GRANT)) {
    throw new OAuthFlowError('grant_unsupported', `The authorization server ${showUrl(asUrl)} does not offer the JWT bearer grant that workload identity uses.`);
  }
  if (mode.kind === 'interactive' && grants && !grants.includes('authorization_code')) {
    const hint = grants.includes('client_credentials') ? ' It offers client_credentials: set auth.clientId with auth.clientSecret or auth.privateKey.' : '';
    throw new OAuthFlowError('grant_unsupported', `The authorization server ${showUrl(asUrl)} does not offer the browser sign-in (authorization_code grant).${hint}`);
  }
  if (!nonInteractive && !metadata.code_challenge_methods_supported) {
    // auth.pkce "assume-s256" fills the field in (assumeS256 in middleware/quirks.ts) before it gets here.
    throw new OAuthFlowError(
      'pkce_unadvertised',
      `The authorization server ${showUrl(asUrl)} publishes no code_challenge_methods_supported, and MCP requires PKCE with S256; if it supports S256 (as Entra ID and Cognito do), set auth.pkce: "assume-s256".`,
    );
  }
  if (!nonInteractive && !metadata.code_challenge_methods_supported?.includes('S256')) {
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
  for (const [url, what] of endpoints) if (url) await checkUrl(url, what, guardFor(ctx.serverUrl, ctx.resolver));
  // The SDK would refuse it only at the token request, after registration and the browser sign-in.
  checkTokenEndpoint(metadata.token_endpoint, 'the token_endpoint');
}

/**
 * issuerPolicy: RFC 8414 wants the metadata's issuer identical to the URL it was fetched for. A
 * difference of a trailing slash only is accepted with a warning (common, and harmless); any other
 * difference is refused unless auth.acceptIssuer names exactly that issuer, for a server known to
 * be misconfigured.
 */
function checkIssuer(issuer: string, asUrl: string, ctx: DiscoveryCheckContext): void {
  if (issuer === asUrl) return;
  if (sameIssuer(issuer, asUrl)) {
    ctx.logger.warn(`the authorization server's issuer differs from its URL by a trailing slash (${showUrl(issuer)}); accepting it`);
    return;
  }
  if (ctx.settings.acceptIssuer !== undefined && issuer === ctx.settings.acceptIssuer) {
    ctx.logger.warn(`the authorization server at ${showUrl(asUrl)} names the issuer ${showUrl(issuer)}; accepting it as auth.acceptIssuer says`);
    return;
  }
  throw new OAuthFlowError('metadata_issuer_mismatch', metadataIssuerMismatch(showUrl(asUrl)), `issuer: ${issuer}`);
}
