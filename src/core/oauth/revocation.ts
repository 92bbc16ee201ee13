/**
 * Log Out revokes the session's tokens where the authorization server offers revocation (RFC 7009,
 * `revocation_endpoint` in its metadata, or auth.endpoints.revocation): the refresh token first
 * (at most servers that ends the grant, and so the access tokens made from it), then the access
 * token. The client authenticates as it does at the token endpoint. It is a courtesy to the server
 * and the person, never a condition: the session is deleted here before anything is sent, a failure
 * is told in the log and the trace (a status, an OAuth error code; never a token), and nothing is
 * retried. The requests go through the server's OAuth fetch: guarded, bounded and traced.
 */
import { selectClientAuthMethod, type AddClientAuthentication, type FetchLike, type OAuthClientInformationMixed } from '@modelcontextprotocol/client';
import type { AuthSettings } from '../config';
import type { Logger } from '../ports';
import { isRecord } from '../../protocol';
import { OAuthFlowError, oauthErrorCode } from './errors';
import { parseJson } from './middleware/http';
import type { OAuthSession } from './token-store';
import type { OAuthTrace } from './trace';
import { sdkSendsTokensTo } from './url-guard';

export interface RevocationContext {
  readonly settings: AuthSettings;
  readonly fetch: FetchLike;
  readonly logger: Logger;
  readonly trace: Pick<OAuthTrace, 'add'>;
  /** Throws unless the credentials in settings may go to this session's authorization server (credentials.ts). */
  readonly assertCredentialsMayGoTo: (session: OAuthSession) => Promise<void>;
  /** private_key_jwt client authentication, where settings have a private key. */
  readonly clientAssertion?: AddClientAuthentication;
}

/** Revokes what `session` holds; resolves whatever happens (see the header). */
export async function revokeSession(session: OAuthSession, ctx: RevocationContext): Promise<void> {
  const metadata = session.discovery?.authorizationServerMetadata as (Record<string, unknown> & { revocation_endpoint?: unknown }) | undefined;
  const endpoint = typeof metadata?.revocation_endpoint === 'string' ? metadata.revocation_endpoint : undefined;
  const tokens = session.tokens;
  if (!tokens) return;
  if (!endpoint) {
    ctx.logger.info('the authorization server offers no token revocation; the tokens stay valid until they expire');
    return;
  }
  // Over http, tokens go only where the SDK sends them: the loopback hosts.
  if (!sdkSendsTokensTo(endpoint)) {
    ctx.logger.warn('the revocation endpoint is not https; the tokens were not sent there and stay valid until they expire');
    return;
  }
  const client = clientOf(session, ctx.settings);
  if (!client) return;
  try {
    await ctx.assertCredentialsMayGoTo(session);
  } catch (error) {
    ctx.logger.warn(`the tokens were not revoked: ${error instanceof OAuthFlowError ? error.message : 'the client credentials may not go there'}`);
    return;
  }
  const methods = ['revocation_endpoint_auth_methods_supported', 'token_endpoint_auth_methods_supported'].map((k) => metadata?.[k]).find(Array.isArray) as string[] | undefined;
  const method = ctx.clientAssertion ? 'private_key_jwt' : selectClientAuthMethod(client, methods ?? []);
  const tokensToRevoke: Array<[string, 'refresh_token' | 'access_token']> = [
    ...(tokens.refresh_token ? [[tokens.refresh_token, 'refresh_token'] as [string, 'refresh_token']] : []),
    [tokens.access_token, 'access_token'],
  ];
  const outcomes: string[] = [];
  for (const [token, hint] of tokensToRevoke) {
    const what = hint === 'refresh_token' ? 'the refresh token' : 'the access token';
    let outcome: string;
    try {
      const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' });
      const params = new URLSearchParams({ token, token_type_hint: hint });
      await authenticate(method, client, headers, params, endpoint, ctx, metadata);
      const response = await ctx.fetch(endpoint, { method: 'POST', headers, body: params });
      if (response.ok) {
        await response.body?.cancel();
        outcome = `revoked ${what}`;
      } else {
        const body = parseJson(await response.text());
        const code = isRecord(body) ? oauthErrorCode(body.error) : undefined;
        outcome = `the authorization server did not revoke ${what} (HTTP ${response.status}${code ? `, ${code}` : ''})`;
      }
    } catch (error) {
      outcome = `revoking ${what} failed (${error instanceof OAuthFlowError ? error.code : 'failed'})`;
    }
    if (outcome.startsWith('revoked')) ctx.logger.info(outcome);
    else ctx.logger.warn(outcome);
    outcomes.push(outcome);
  }
  // One step that says how it ended, after the requests' own steps.
  ctx.trace.add({ kind: 'info', label: REVOKED, note: outcomes.join('; ') });
}

/** The trace step that ends a revocation at Log Out. */
export const REVOKED = 'Revocation at Log Out';

/** The client the tokens were issued to: from settings, or the registered one the session keeps. */
function clientOf(session: OAuthSession, settings: AuthSettings): OAuthClientInformationMixed | undefined {
  if (settings.clientId) return { client_id: settings.clientId, ...(settings.clientSecret ? { client_secret: settings.clientSecret } : {}) };
  return session.client;
}

/** Client authentication as at the token endpoint (RFC 7009 §2.1). */
async function authenticate(
  method: string,
  client: OAuthClientInformationMixed,
  headers: Headers,
  params: URLSearchParams,
  endpoint: string,
  ctx: RevocationContext,
  metadata: Record<string, unknown> | undefined,
): Promise<void> {
  if (method === 'private_key_jwt' && ctx.clientAssertion) {
    await ctx.clientAssertion(headers, params, endpoint, metadata as Parameters<AddClientAuthentication>[3]);
    return;
  }
  const secret = client.client_secret;
  if (method === 'client_secret_basic' && secret) {
    // As the SDK sends it to the token endpoint, so a client that gets tokens there is the same client here.
    headers.set('authorization', `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString('base64')}`);
    return;
  }
  params.set('client_id', client.client_id);
  if (method === 'client_secret_post' && secret) params.set('client_secret', secret);
}
