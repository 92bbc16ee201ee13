/**
 * What real authorization servers do that SDK 2.4.0 does not accept, as the SDK's own fetch
 * middlewares (`(next: FetchLike) => FetchLike`), one per named gap, composed in `quirkMiddlewares`:
 *  - assumeS256 (auth.pkce "assume-s256"; Entra ID and Cognito support PKCE S256 but their metadata
 *    has no code_challenge_methods_supported, which discoveryChecks requires): the authorization
 *    server metadata gets `code_challenge_methods_supported: ["S256"]`, only where the field is absent;
 *  - formEncodedTokenResponses (the SDK reads token responses as JSON only; GitHub OAuth apps answer
 *    application/x-www-form-urlencoded unless the request's Accept is honoured): a form-encoded token
 *    response becomes the same fields as JSON (strings, as sent: the SDK coerces `expires_in`);
 *  - commaSeparatedScopes (RFC 6749 §3.3 scopes are space-separated; GitHub separates them with
 *    commas, `scope=repo%2Cgist`, and the hub reads granted scopes split on spaces for step-up): a
 *    token response's `scope` with commas and no space is space-separated.
 * The last two apply without an option: they change only how a token response is spelled, never
 * what is sent or to whom, and only for responses to token requests (a form body with grant_type).
 * An `expires_in` sent as a string needs nothing here: the SDK's token schema coerces it to a number.
 */
import type { Middleware } from '@modelcontextprotocol/client';
import { isRecord } from '../../../protocol';
import type { AuthSettings } from '../../config';
import { isAuthorizationServerMetadataRequest, jsonResponse, mediaType, parseJson, tokenRequestForm, withBody } from './http';

/** The middlewares an entry's settings call for, in the order they wrap the hub's OAuth fetch. */
export function quirkMiddlewares(settings: AuthSettings | undefined): Middleware[] {
  return [formEncodedTokenResponses, commaSeparatedScopes, ...(settings?.pkce === 'assume-s256' ? [assumeS256] : [])];
}

/** auth.pkce "assume-s256": an authorization server metadata document without code_challenge_methods_supported lists S256. */
export const assumeS256: Middleware = (next) => async (input, init) => {
  const response = await next(input, init);
  if (!isAuthorizationServerMetadataRequest(input, init) || !response.ok) return response;
  return rewriteJson(response, (metadata) =>
    isRecord(metadata) && metadata.code_challenge_methods_supported === undefined ? { ...metadata, code_challenge_methods_supported: ['S256'] } : undefined,
  );
};

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

/** `change` applied to a JSON body; the response as it was when the body is not JSON or `change` answers undefined. */
async function rewriteJson(response: Response, change: (body: unknown) => Record<string, unknown> | undefined): Promise<Response> {
  const text = await response.text();
  const changed = change(parseJson(text));
  return changed ? jsonResponse(response, changed) : withBody(response, text);
}
