/**
 * What real authorization servers do that SDK 2.4.0 does not accept, as the SDK's own fetch
 * middlewares (`(next: FetchLike) => FetchLike`), one per named gap, composed in `quirkMiddlewares`:
 *  - assumeS256 (auth.pkce "assume-s256"; Entra ID and Cognito support PKCE S256 but their metadata
 *    has no code_challenge_methods_supported, which discoveryChecks requires): the authorization
 *    server metadata gets `code_challenge_methods_supported: ["S256"]`, only where the field is absent;
 *  - formEncodedTokenResponses (the SDK reads token responses as JSON only; GitHub OAuth apps answer
 *    application/x-www-form-urlencoded unless the request's Accept is honoured): a form-encoded token
 *    response becomes the same fields as JSON (strings, as sent: the SDK coerces `expires_in`);
 *  - commaSeparatedScopes (RFC 6749 §3.3 scopes are space-separated; GitHub and Slack separate them
 *    with commas, `scope=repo%2Cgist`, and the hub reads granted scopes split on spaces for step-up):
 *    a token response's `scope` with commas and no space is space-separated;
 *  - nestedUserTokens (RFC 6749 §5.1 puts the token at the top; Slack's oauth.v2.access, for user
 *    scopes, puts the user's token under `authed_user` and none at the top): that token, its type,
 *    scope, expiry and refresh token are read as the response's own.
 * All but assumeS256 apply without an option: they change only how a token response is read, never
 * what is sent or to whom, and only for responses to token requests (a form body with grant_type).
 * Nor need these anything here: an `expires_in` sent as a string (the SDK's token schema coerces it
 * to a number), and an error sent with HTTP 200, `{"ok": false, "error": "invalid_code"}` as Slack
 * answers (the SDK reads any answer with `error` as the OAuth error it names).
 */
import type { Middleware } from '@modelcontextprotocol/client';
import { isRecord } from '../../../protocol';
import type { AuthSettings } from '../../config';
import { isAuthorizationServerMetadataRequest, jsonResponse, mediaType, parseJson, tokenRequestForm, withBody } from './http';

/** The middlewares an entry's settings call for, in the order they wrap the hub's OAuth fetch. */
export function quirkMiddlewares(settings: AuthSettings | undefined): Middleware[] {
  return [formEncodedTokenResponses, nestedUserTokens, commaSeparatedScopes, ...(settings?.pkce === 'assume-s256' ? [assumeS256] : [])];
}

/** auth.pkce "assume-s256": an authorization server metadata document without code_challenge_methods_supported lists S256. */
export const assumeS256: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (!isAuthorizationServerMetadataRequest(input, init) || !response.ok) return response;
  return rewriteJson(response, (metadata) => (isRecord(metadata) && metadata.code_challenge_methods_supported === undefined ? withAssumedS256(metadata) : undefined));
};

/** Metadata with `code_challenge_methods_supported: ["S256"]` where it has none (also for auth.metadata at a path of its own). */
export function withAssumedS256<T extends Record<string, unknown>>(metadata: T): T {
  return metadata.code_challenge_methods_supported === undefined ? { ...metadata, code_challenge_methods_supported: ['S256'] } : metadata;
}

/** A token response sent as application/x-www-form-urlencoded, as the JSON object the SDK expects. */
export const formEncodedTokenResponses: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (!tokenRequestForm(init) || mediaType(response) !== 'application/x-www-form-urlencoded') return response;
  const fields = Object.fromEntries(new URLSearchParams(await response.text()));
  return jsonResponse(response, fields);
};

/** A token response's comma-separated `scope` (GitHub), space-separated. */
export const commaSeparatedScopes: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (!tokenRequestForm(init) || !response.ok) return response;
  return rewriteJson(response, (body) => {
    if (!isRecord(body) || typeof body.scope !== 'string' || !body.scope.includes(',') || body.scope.includes(' ')) return undefined;
    return { ...body, scope: body.scope.split(',').filter(Boolean).join(' ') };
  });
};

/** The user's token under `authed_user`, with none at the top (Slack, user scopes), read as the response's own. */
export const nestedUserTokens: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (!tokenRequestForm(init) || !response.ok) return response;
  return rewriteJson(response, (body) => {
    if (!isRecord(body) || body.access_token !== undefined || !isRecord(body.authed_user) || typeof body.authed_user.access_token !== 'string') return undefined;
    const { authed_user: user, ...rest } = body;
    const lifted = Object.fromEntries(['access_token', 'token_type', 'scope', 'expires_in', 'refresh_token'].filter((k) => user[k] !== undefined).map((k) => [k, user[k]]));
    return { ...rest, ...lifted };
  });
};

/** `change` applied to a JSON body; the response as it was when the body is not JSON or `change` answers undefined. */
async function rewriteJson(response: Response, change: (body: unknown) => Record<string, unknown> | undefined): Promise<Response> {
  const text = await response.text();
  const changed = change(parseJson(text));
  return changed ? jsonResponse(response, changed) : withBody(response, text);
}
