/**
 * The JWT bearer grant's decisions (RFC 7523), apart from the sign-in that runs it (ServerAuth):
 * whether a server signs in through the company IdP, where each assertion comes from (an ID-JAG
 * from the IdP, or the workload's own token), and how a refusal is told.
 */
import type { AuthorizationServerMetadata, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import { readAssertion } from './assertion';
import { OAuthFlowError } from './errors';
import type { EnterpriseIdp } from './idp';
import { issuerOf, JWT_BEARER_GRANT, showUrl } from './provider';

export type AssertionGrant = 'enterprise' | 'workload';
export type AssertionTarget = { issuer: string; resource: string; scope?: string };

/**
 * Whether a sign-in goes through the company IdP (Enterprise-Managed Authorization): an IdP is
 * configured, no grantType is set, auth.enterprise is not false, and the authorization server
 * advertises the JWT bearer grant (or auth.enterprise is true); unless the IdP route was refused
 * and the authorization server offers the browser sign-in instead.
 */
export function usesEnterprise(settings: AuthSettings, metadata: AuthorizationServerMetadata | undefined, idpConfigured: boolean, refused: boolean): boolean {
  if (settings.grantType || settings.enterprise === false || !idpConfigured) return false;
  const grants = metadata?.grant_types_supported;
  if (refused && offersBrowser(metadata)) return false;
  return settings.enterprise === true || !!grants?.includes(JWT_BEARER_GRANT);
}

/** Where each assertion comes from: the workload's token (read now), or an ID-JAG the IdP makes for the target. */
export function assertionSource(grant: AssertionGrant, settings: AuthSettings, idp: () => EnterpriseIdp | undefined): (target: AssertionTarget) => Promise<string> {
  const source = settings.assertion;
  if (grant === 'workload' && source) return () => readAssertion(source);
  return async (target) => {
    const company = idp();
    if (!company) throw new OAuthFlowError('idp_sign_in_required', 'No company IdP is configured (mcpHub.enterprise.idp).');
    return company.authorizationGrant({ audience: target.issuer, resource: target.resource, ...(target.scope ? { scope: target.scope } : {}) });
  };
}

/**
 * A refused enterprise sign-in in our words: who refused (the IdP, or the server's authorization
 * server), with the error code, and that the next Authenticate uses the browser where it is offered.
 * `inOurWords` is the failure as any sign-in would tell it. `refused` says the IdP route said no.
 */
export function enterpriseRefusal(error: unknown, inOurWords: OAuthFlowError, discovery: OAuthDiscoveryState): { error: OAuthFlowError; refused: boolean } {
  const fallback = offersBrowser(discovery.authorizationServerMetadata) ? ' Authenticate again to sign in in the browser instead.' : '';
  if (error instanceof OAuthFlowError && error.code === 'idp_sign_in_required') return { error, refused: false };
  if (error instanceof OAuthFlowError && error.code === 'idp_refused') {
    return { error: new OAuthFlowError('idp_refused', `${error.message}${fallback}`, error.detail), refused: true };
  }
  if (inOurWords.code !== 'authorization_denied' && inOurWords.code !== 'invalid_scope') return { error: inOurWords, refused: false };
  const code = /\(([a-z_]+)\)\.$/.exec(inOurWords.message)?.[1];
  const as = issuerOf(discovery);
  const message = `The authorization server ${as ? showUrl(as) : ''} refused the company IdP's grant${code ? ` (${code})` : ''}.${fallback}`;
  return { error: new OAuthFlowError('enterprise_refused', message, inOurWords.detail), refused: true };
}

function offersBrowser(metadata: AuthorizationServerMetadata | undefined): boolean {
  const grants = metadata?.grant_types_supported;
  return !grants || grants.includes('authorization_code');
}
