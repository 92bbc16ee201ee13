/**
 * The company IdP's OpenID Connect discovery, checked (its issuer, safe endpoints) and read leniently
 * where the SDK is strict about fields MCP Hub never uses; and the IdP's refusals in our words.
 */
import { discoverAuthorizationServerMetadata, OAuthError, type AuthorizationServerMetadata, type FetchLike } from '@modelcontextprotocol/client';
import { errorText, OAuthFlowError, oauthErrorCode } from './errors';
import { sameIssuer, showUrl } from './issuer';
import { checkTokenEndpoint, checkUrl, guardFor, type Resolver } from './url-guard';

export async function idpMetadata(issuer: string, fetchFn: FetchLike, resolver: Resolver | undefined): Promise<AuthorizationServerMetadata> {
  let metadata: AuthorizationServerMetadata | undefined;
  try {
    metadata = await discoverAuthorizationServerMetadata(issuer, { fetchFn });
  } catch (error) {
    // The SDK wants every field OpenID Connect makes required; an IdP that leaves out ones MCP Hub
    // never uses (response_types_supported, subject_types_supported…) is still usable.
    metadata = await lenientMetadata(issuer, fetchFn);
    if (!metadata) throw new OAuthFlowError('invalid_metadata', `The company IdP ${showUrl(issuer)} did not answer OpenID Connect discovery.`, errorText(error), { cause: error });
  }
  if (!metadata) throw new OAuthFlowError('no_metadata', `The company IdP ${showUrl(issuer)} publishes no OpenID Connect discovery document.`);
  if (!sameIssuer(metadata.issuer, issuer)) {
    throw new OAuthFlowError(
      'metadata_issuer_mismatch',
      `The discovery document of ${showUrl(issuer)} names another issuer; check mcpHub.enterprise.idp.issuer.`,
      `issuer: ${metadata.issuer}`,
    );
  }
  const guard = guardFor(issuer, resolver);
  await checkUrl(metadata.token_endpoint, "the IdP's token endpoint", guard);
  checkTokenEndpoint(metadata.token_endpoint, "the IdP's token_endpoint");
  if (metadata.authorization_endpoint) await checkUrl(metadata.authorization_endpoint, "the IdP's authorization endpoint", guard);
  return metadata;
}

/** The discovery document with the fields MCP Hub uses (issuer, endpoints), read through the guarded fetch. */
async function lenientMetadata(issuer: string, fetchFn: FetchLike): Promise<AuthorizationServerMetadata | undefined> {
  const base = issuer.replace(/\/+$/, '');
  try {
    const response = await fetchFn(`${base}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    const doc = (await response.json()) as Record<string, unknown>;
    if (typeof doc.issuer !== 'string' || typeof doc.token_endpoint !== 'string') return undefined;
    return { response_types_supported: ['code'], ...doc } as AuthorizationServerMetadata;
  } catch {
    return undefined;
  }
}

/** The IdP's refusal in our words; its own text goes to `detail` only. */
export function refused(error: unknown, what: string): OAuthFlowError {
  if (error instanceof OAuthFlowError) return error;
  // The token exchange's refusals are OAuthErrors too (tokenExchangeErrors).
  const code = error instanceof OAuthError ? oauthErrorCode(error.code) : undefined;
  return new OAuthFlowError('idp_refused', `Your company IdP refused ${what}${code ? ` (${code})` : ''}.`, errorText(error), {
    cause: error,
    ...(code ? { oauthError: code } : {}),
  });
}
