/**
 * tokenExchangeErrors (SDK 2.4.0's requestJwtAuthorizationGrant throws a plain Error whose message
 * carries the IdP's error code, "Token exchange failed: <code> - <description>"): an RFC 8693 token
 * exchange answered with an OAuth error response becomes the SDK's own OAuthError, with the IdP's
 * code as `code`, so the caller dispatches on it and never reads it back out of a message.
 */
import { OAuthError, type Middleware } from '@modelcontextprotocol/client';
import { isRecord } from '../../../protocol';
import { oauthErrorCode } from '../errors';
import { parseJson, tokenRequestForm, withBody } from './http';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

export const tokenExchangeErrors: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (response.ok || tokenRequestForm(init)?.get('grant_type') !== TOKEN_EXCHANGE_GRANT) return response;
  const text = await response.text();
  const body = parseJson(text);
  const code = isRecord(body) ? oauthErrorCode(body.error) : undefined;
  // Not an OAuth error response: the SDK says what it got, as before.
  if (!isRecord(body) || !code) return withBody(response, text);
  // The description is the IdP's text: it stays in the message, which callers keep as detail only.
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  throw new OAuthError(code, description ? `${code}: ${description}` : code);
};
