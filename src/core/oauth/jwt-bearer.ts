/**
 * The JWT bearer grant's decisions (RFC 7523), apart from the sign-in that runs it (ServerAuth):
 * whether a server signs in through the company IdP (and whether the hub may do so unasked), where each assertion comes from (an ID-JAG
 * from the IdP, or the workload's own token), and how a refusal is told.
 */
import type { AuthorizationServerMetadata, OAuthDiscoveryState } from '@modelcontextprotocol/client';
import { fromFolder, type AuthSettings, type ConfigSource } from '../config';
import { readAssertion } from './assertion';
import { OAuthFlowError } from './errors';
import type { EnterpriseIdp } from './idp';
import { issuerOf, JWT_BEARER_GRANT, showUrl } from './provider';

export type AssertionGrant = 'enterprise' | 'workload';
export type AssertionTarget = { issuer: string; resource: string; scope?: string };

/**
 * Whether the hub may hand this server the person's company identity by itself (the sign-in after
 * the IdP sign-in, or on connect): only where the person chose that, `auth.enterprise: true` in
 * their user settings, or their organisation did, in its policy (a managed server). An
 * authorization server that advertises the JWT bearer grant is no such choice: any server can
 * advertise it, and an ID-JAG names the person (subject, name, email). Nor is a workspace's setting
 * (a shared folder cannot choose where you sign in, nor who learns who you are); it counts on the
 * person's Authenticate only.
 */
export function enterpriseChosen(config: { readonly source: ConfigSource; readonly auth?: AuthSettings }): boolean {
  return !fromFolder(config.source) && config.auth?.enterprise === true && !config.auth.grantType;
}

/**
 * Whether a sign-in goes through the company IdP (Enterprise-Managed Authorization): an IdP is
 * configured, no grantType is set, and either the person chose it for the server (enterpriseChosen),
 * or the person asked for this server's sign-in (`personAsked`: their Authenticate) and auth.enterprise
 * is true or the authorization server advertises the JWT bearer grant; never with auth.enterprise
 * false, nor once the IdP route was refused where the authorization server offers the browser instead.
 */
export function usesEnterprise(
  config: { readonly source: ConfigSource; readonly auth?: AuthSettings },
  metadata: AuthorizationServerMetadata | undefined,
  context: { idpConfigured: boolean; refused: boolean; personAsked: boolean },
): boolean {
  const settings = config.auth ?? {};
  if (settings.grantType || settings.enterprise === false || !context.idpConfigured) return false;
  if (context.refused && offersBrowser(metadata)) return false;
  if (enterpriseChosen(config)) return true;
  return context.personAsked && (settings.enterprise === true || !!metadata?.grant_types_supported?.includes(JWT_BEARER_GRANT));
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
