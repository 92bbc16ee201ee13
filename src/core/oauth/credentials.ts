/**
 * issuerBoundCredentials: a client secret or private key from settings goes only to the issuer it
 * belongs to: auth.issuer, else the one bound at the first sign-in that used it (SDK 2.4.0 stamps
 * an issuer on what it stores, but not on credentials from settings). Also the private_key_jwt
 * client authentication those credentials make, whose assertion is a credential too.
 */
import { createPrivateKeyJwtAuth, type AddClientAuthentication, type OAuthDiscoveryState } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import { OAuthFlowError } from './errors';
import { issuerOf, sameIssuer, showUrl } from './issuer';
import type { TokenStore } from './token-store';

export interface CredentialsContext {
  readonly serverUrl: string;
  readonly settings: AuthSettings;
  readonly store: TokenStore;
}

/**
 * Throws unless the client secret or private key from settings may go to the authorization server
 * `target` names: auth.issuer when set, else the issuer bound at the first sign-in (none bound yet:
 * any, and the sign-in binds it). Without such credentials, no-op.
 */
export async function assertCredentialsMayGoTo(ctx: CredentialsContext, target: OAuthDiscoveryState | string | undefined): Promise<void> {
  const { settings, serverUrl, store } = ctx;
  if (!settings.clientId || !(settings.clientSecret || settings.privateKey)) return;
  const expected = settings.issuer ?? (await store.boundIssuer(serverUrl, settings.clientId));
  if (!expected) return;
  const actual = typeof target === 'string' ? target : issuerOf(target);
  if (actual !== undefined && sameIssuer(expected, actual)) return;
  throw new OAuthFlowError(
    'issuer_not_allowed',
    `The client credentials in settings belong to ${showUrl(expected)}, but ${showUrl(serverUrl)} now names the authorization server ${actual === undefined ? '(none known)' : showUrl(actual)}; MCP Hub did not send them. Set auth.issuer if this is intended.`,
  );
}

/** The first tokens got with a client secret or key bind it to their issuer (unless auth.issuer names one). */
export async function bindCredentials(ctx: CredentialsContext, discovery: OAuthDiscoveryState | undefined): Promise<void> {
  const { settings, serverUrl, store } = ctx;
  const clientId = settings.clientId;
  const bindTo = issuerOf(discovery);
  if (clientId && (settings.clientSecret || settings.privateKey) && !settings.issuer && bindTo) {
    if (!(await store.boundIssuer(serverUrl, clientId))) await store.bindIssuer(serverUrl, clientId, bindTo);
  }
}

/**
 * private_key_jwt client authentication with auth.privateKey, checked like any credential first;
 * undefined without a private key. `discovery` is the one the flow uses; `knownIssuer` the session's.
 */
export function privateKeyJwt(
  ctx: CredentialsContext,
  knownIssuer: string | undefined,
  discovery: () => Promise<OAuthDiscoveryState | undefined>,
): AddClientAuthentication | undefined {
  const { settings } = ctx;
  if (!settings.privateKey || !settings.clientId) return undefined;
  const { clientId, privateKey } = settings;
  return async (headers, params, url, metadata) => {
    await assertCredentialsMayGoTo(ctx, metadata?.issuer ?? (await discovery()) ?? new URL(url).origin);
    const authenticate = createPrivateKeyJwtAuth({
      issuer: clientId,
      subject: clientId,
      privateKey: parseKey(privateKey),
      alg: settings.privateKeyAlg ?? 'RS256',
      audience: metadata?.issuer ?? knownIssuer ?? String(url),
    });
    await authenticate(headers, params, url, metadata);
  };
}

/** A private key from settings: a PEM string, or a JWK as a JSON string. */
function parseKey(text: string): string | Record<string, unknown> {
  const t = text.trim();
  if (t.startsWith('{')) return JSON.parse(t) as Record<string, unknown>;
  return t;
}
