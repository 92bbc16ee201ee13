/**
 * Which grant a server signs in with, apart from the flows that run them: the browser
 * (authorization_code, the default), client credentials (a machine to machine server), or the JWT
 * bearer grant (workload identity, or the company IdP: jwt-bearer.ts decides that one); and the
 * mode a provider (provider.ts) runs in for it, or for a transport (passive: it never signs in).
 */
import type { AuthorizationServerMetadata, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import { OAuthFlowError } from './errors';
import { issuerOf } from './issuer';
import type { OAuthSession } from './token-store';

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

/** A client ID with a secret or a private key: enough for the client_credentials grant. */
export function hasClientCredentials(s: AuthSettings): boolean {
  return !!s.clientId && !!(s.clientSecret || s.privateKey);
}

/**
 * Whether a server signs in with no browser and renews with no refresh token: set so in
 * auth.grantType, or chosen at the last sign-in (see usesClientCredentials) and kept with the session.
 */
export function isMachineToMachine(settings: AuthSettings, session: OAuthSession | undefined): boolean {
  if (settings.grantType) return settings.grantType === 'client_credentials' || settings.grantType === 'jwt-bearer';
  if (!hasClientCredentials(settings)) return false;
  return session?.grant === 'client_credentials';
}

/**
 * Without auth.grantType, a sign-in uses client credentials when they are configured (a client
 * secret or private key) and the authorization server offers client_credentials but not the
 * browser sign-in (authorization_code): a machine-to-machine server.
 */
export function usesClientCredentials(settings: AuthSettings, metadata: AuthorizationServerMetadata | undefined): boolean {
  if (settings.grantType) return settings.grantType === 'client_credentials';
  const grants = metadata?.grant_types_supported;
  return hasClientCredentials(settings) && !!grants?.includes('client_credentials') && !grants.includes('authorization_code');
}

/**
 * The token request of a grant with no browser (the SDK's prepareTokenRequest): client credentials,
 * or the JWT bearer grant with an assertion made or read now for this authorization server and
 * resource. Undefined for the browser's authorization code, which the SDK builds itself.
 */
export async function grantParams(
  mode: ProviderMode,
  scope: string | undefined,
  serverUrl: string,
  discovery: () => Promise<OAuthDiscoveryState | undefined>,
): Promise<URLSearchParams | undefined> {
  let params: URLSearchParams;
  if (mode.kind === 'assertion') {
    const known = await discovery();
    const issuer = issuerOf(known);
    if (!known || !issuer) throw new OAuthFlowError('invalid_metadata', 'The authorization server is not known yet.');
    const resource = known.resourceMetadata?.resource ?? serverUrl;
    params = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: await mode.assertion({ issuer, resource, ...(scope ? { scope } : {}) }) });
  } else if (mode.kind === 'clientCredentials') {
    params = new URLSearchParams({ grant_type: 'client_credentials' });
  } else {
    return undefined;
  }
  if (scope) params.set('scope', scope);
  return params;
}
