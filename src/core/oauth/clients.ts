/**
 * Which client a browser sign-in uses, and what MCP Hub registers, closing gaps SDK 2.4.0 has:
 *  - redirectBoundRegistration: a dynamically registered client is reused only for the exact
 *    redirect URI it was registered with;
 *  - spareRegistration: a client registered by a sign-in that then did not complete (cancelled,
 *    denied, timed out) is offered to the next one, which uses it where it fits rather than
 *    registering yet another;
 *  - scopeBoundRegistration (v2 never registers again): an authorization server may hold a
 *    registered client to the scope it registered; a sign-in that asks for more registers again
 *    with the union.
 */
import type { OAuthClientMetadata } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Logger } from '../ports';
import { sameIssuer } from './issuer';
import { JWT_BEARER_GRANT, type ProviderMode } from './grant';
import type { OAuthSession } from './token-store';
import { isLoopbackHost } from './url-guard';

export const CLIENT_NAME = 'MCP Hub';

/** The client stored with a session. */
export type StoredClient = NonNullable<OAuthSession['client']>;

/** What MCP Hub registers (or describes in a metadata document) for `mode`, with `redirect` for a browser sign-in. */
export function clientMetadataFor(settings: AuthSettings, mode: ProviderMode, redirect: string | undefined): OAuthClientMetadata {
  const authMethod = settings.privateKey ? 'private_key_jwt' : settings.clientSecret ? 'client_secret_basic' : 'none';
  if (mode.kind === 'clientCredentials' || mode.kind === 'assertion') {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [],
      grant_types: [mode.kind === 'assertion' ? JWT_BEARER_GRANT : 'client_credentials'],
      token_endpoint_auth_method: authMethod,
      ...(settings.scope ? { scope: settings.scope } : {}),
    };
  }
  const uri = redirect!;
  // application_type is not in the SDK's type but is sent as given.
  return {
    client_name: CLIENT_NAME,
    // SEP-837: a loopback redirect makes this a native app; a forwarded https one (Codespaces) a web app.
    application_type: isLoopbackRedirect(uri) ? 'native' : 'web',
    redirect_uris: [uri],
    // The SDK adds offline_access to the scope wherever the authorization server lists it and these
    // include refresh_token. A client registered in advance may be allowed only the scopes it was
    // registered for, so it gets exactly the scope chosen; a client we register asks for a refresh token.
    grant_types: settings.clientId ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: authMethod,
    ...(settings.scope ? { scope: settings.scope } : {}),
  };
}

/**
 * The client a browser sign-in starts with: the spare one where it fits (same redirect URI, same
 * issuer), else the stored one where it may be reused, else none (register one).
 */
export function chooseClient(
  mode: ProviderMode,
  candidates: { readonly spare?: StoredClient; readonly stored?: StoredClient; readonly issuer?: string },
  logger: Logger,
): StoredClient | undefined {
  const { spare, stored, issuer } = candidates;
  const redirectUri = mode.kind === 'interactive' ? mode.redirectUri : undefined;
  const spareFits =
    spare && redirectUri !== undefined && spare.redirect_uri === redirectUri && (typeof spare.issuer !== 'string' || (issuer !== undefined && sameIssuer(spare.issuer, issuer)));
  if (spareFits) {
    logger.info('reusing the client registered by the sign-in that did not complete');
    return spare;
  }
  if (stored && redirectUri !== undefined && stored.kind === 'dcr' && stored.redirect_uri !== redirectUri) {
    logger.info('the redirect URI changed since the client was registered; registering again');
    return undefined;
  }
  return stored;
}

/**
 * scopeBoundRegistration: the scope to register again with (what `client` holds plus `scope`) when
 * its registration response limited it to a scope that leaves out part of `scope`; undefined when
 * the client will do. A registration response without `scope` means the authorization server does
 * not hold the client to one; a client stamped for another issuer is not reused at all (the SDK
 * registers anew).
 */
export function registrationScope(client: StoredClient | undefined, scope: string, issuer: string | undefined): string | undefined {
  // The registration response as stored: RFC 7591 echoes the registered metadata, scope included.
  const registered = (client as { scope?: unknown } | undefined)?.scope;
  if (!client || client.kind !== 'dcr' || typeof registered !== 'string') return undefined;
  if (!issuer || (typeof client.issuer === 'string' && !sameIssuer(client.issuer, issuer))) return undefined;
  const held = new Set(registered.split(' ').filter(Boolean));
  const asked = scope.split(' ').filter(Boolean);
  if (asked.every((x) => held.has(x))) return undefined;
  return [...new Set([...held, ...asked])].join(' ');
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    return isLoopbackHost(new URL(uri).hostname);
  } catch {
    return false;
  }
}
