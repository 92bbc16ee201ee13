/**
 * Discovery from settings, for servers without it (each off by default, a warning on the row while
 * on): auth.metadata names the authorization server's metadata document (RFC 8414 or OpenID), for a
 * server whose discovery does not find it; auth.endpoints names the endpoints outright, for an
 * authorization server that publishes no metadata at all. Either takes the place of RFC 9728 / RFC
 * 8414 discovery; what it yields is checked like discovered metadata (checkDiscovery: issuer, PKCE,
 * safe endpoints) before anything is sent. No protected resource metadata is needed for it: the SDK
 * sends `resource` only where the server publishes that.
 */
import { isSpecType, type AuthorizationServerMetadata, type FetchLike, type OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { AuthEndpoints, AuthSettings } from '../config';
import { errorText, OAuthFlowError } from './errors';
import { showUrl } from './issuer';
import { withAssumedS256 } from './middleware/quirks';

/** The discovery auth.metadata or auth.endpoints stand for; undefined when neither is set. */
export async function configuredDiscovery(settings: AuthSettings, fetchFn: FetchLike): Promise<OAuthDiscoveryState | undefined> {
  if (settings.endpoints) return endpointsDiscovery(settings.endpoints, settings.issuer);
  if (settings.metadata) return metadataDiscovery(settings.metadata, settings, fetchFn);
  return undefined;
}

/**
 * auth.endpoints as metadata: the issuer is auth.issuer, else the origin of the authorization
 * endpoint (an authorization response's RFC 9207 `iss` is held to it); PKCE S256 is assumed, as
 * MCP requires it and there is nothing to say otherwise.
 */
function endpointsDiscovery(endpoints: AuthEndpoints, issuer: string | undefined): OAuthDiscoveryState {
  const named = issuer ?? new URL(endpoints.authorization).origin;
  const metadata: AuthorizationServerMetadata = {
    issuer: named,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    ...(endpoints.registration ? { registration_endpoint: endpoints.registration } : {}),
    ...(endpoints.revocation ? { revocation_endpoint: endpoints.revocation } : {}),
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  };
  return { authorizationServerUrl: named, authorizationServerMetadata: metadata };
}

/**
 * auth.metadata, fetched (through the guarded OAuth fetch) and read as RFC 8414 or OpenID metadata.
 * The issuer it must name is the one its URL is the metadata of (RFC 8414 §3.1, OpenID Discovery
 * §4: the well-known path inserted after the origin or appended to the issuer), to which
 * issuerPolicy (discovery-checks.ts) then holds it, with auth.acceptIssuer as for discovered
 * metadata; a document at some other path must name an issuer on its own origin (or auth.acceptIssuer).
 */
async function metadataDiscovery(url: string, settings: AuthSettings, fetchFn: FetchLike): Promise<OAuthDiscoveryState> {
  const where = `${showUrl(url)} (auth.metadata)`;
  const response = await fetchFn(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    await response.body?.cancel();
    throw new OAuthFlowError('no_metadata', `The authorization server metadata at ${where} could not be read (HTTP ${response.status}); check auth.metadata.`);
  }
  let document: unknown;
  try {
    document = await response.json();
  } catch (error) {
    throw new OAuthFlowError('invalid_metadata', `The authorization server metadata at ${where} is not JSON.`, errorText(error), { cause: error });
  }
  if (!isSpecType.OAuthMetadata(document) && !isSpecType.OpenIdProviderDiscoveryMetadata(document)) {
    throw new OAuthFlowError('invalid_metadata', `The document at ${where} is not authorization server metadata (RFC 8414 or OpenID Connect discovery).`);
  }
  const metadata = (settings.pkce === 'assume-s256' ? withAssumedS256(document) : document) as AuthorizationServerMetadata;
  const expected = issuerOfMetadataUrl(url);
  if (expected !== undefined) return { authorizationServerUrl: expected, authorizationServerMetadata: metadata };
  const named = metadata.issuer;
  if ((URL.canParse(named) && new URL(named).origin === new URL(url).origin) || named === settings.acceptIssuer) {
    return { authorizationServerUrl: named, authorizationServerMetadata: metadata };
  }
  throw new OAuthFlowError(
    'metadata_issuer_mismatch',
    `The authorization server metadata at ${where} names an issuer on another origin, so MCP Hub refused it. If that is intended, set auth.acceptIssuer to the issuer it names (shown in the details).`,
    `issuer: ${named}`,
  );
}

const WELL_KNOWN = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];

/** The issuer whose metadata `url` is by its well-known path (inserted after the origin, or appended), else undefined. */
export function issuerOfMetadataUrl(url: string): string | undefined {
  const u = new URL(url);
  if (u.search || u.hash) return undefined;
  for (const suffix of WELL_KNOWN) {
    if (u.pathname === suffix || u.pathname.startsWith(`${suffix}/`)) return u.origin + u.pathname.slice(suffix.length);
    if (u.pathname.endsWith(suffix)) return u.origin + u.pathname.slice(0, -suffix.length);
  }
  return undefined;
}
