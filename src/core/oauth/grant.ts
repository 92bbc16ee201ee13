/**
 * Which grant a server signs in with, apart from the flows that run them: the browser
 * (authorization_code, the default), client credentials (a machine to machine server), or the JWT
 * bearer grant (workload identity, or the company IdP: jwt-bearer.ts decides that one).
 */
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { OAuthSession } from './token-store';

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
