/**
 * What a sign-in or refresh that failed says, in our words: a stable code, a sentence written by us
 * (safe for a notification) and, apart from it, what the authorization server said (`detail`,
 * untrusted). The SDK's own refusals (v2's authErrors) are told by type, never by message text;
 * the original error is kept as `cause`.
 */
import { AuthorizationServerMismatchError, InsecureTokenEndpointError, IssuerMismatchError, OAuthError, RegistrationRejectedError } from '@modelcontextprotocol/client';
import { errorText, metadataIssuerMismatch, OAuthFlowError, oauthErrorCode, RESPONSE_ISSUER_MISMATCH } from './errors';
import { showUrl } from './issuer';

/** Where a flow is, so an SDK error can be told in our words. */
export type SignInPhase = 'discovery' | 'registration' | 'authorization' | 'token' | 'refresh';

/**
 * An error from the SDK's auth() in our words: its message may carry a server's error_description
 * or raw body, which goes to `detail` only. OAuthFlowErrors are ours already.
 */
export function inOurWords(error: unknown, phase: SignInPhase, scope?: string): OAuthFlowError {
  if (error instanceof OAuthFlowError) {
    if (error.code === 'invalid_scope') return scopeRefused(scope, error.detail, error);
    return error;
  }
  const detail = errorText(error);
  const cause = { cause: error };
  // The SDK's own refusals (v2), in our words; none of them names the attacker-controlled value.
  if (error instanceof InsecureTokenEndpointError) {
    return new OAuthFlowError('unsafe_url', 'The token endpoint is not https; MCP Hub sends credentials over http only to localhost, 127.0.0.1 or ::1.', detail, cause);
  }
  if (error instanceof IssuerMismatchError) {
    // The received issuer is attacker-controllable on the response path: it is not kept at all, not even as the cause.
    if (error.kind === 'authorization_response') return new OAuthFlowError('response_issuer_mismatch', RESPONSE_ISSUER_MISMATCH);
    return new OAuthFlowError('metadata_issuer_mismatch', metadataIssuerMismatch(error.expected ? showUrl(error.expected) : 'the authorization server'));
  }
  if (error instanceof RegistrationRejectedError) return registrationRefused(error.status, error.body.slice(0, 2000), error);
  if (error instanceof AuthorizationServerMismatchError) {
    return new OAuthFlowError(
      'issuer_not_allowed',
      'The server now names another authorization server than the one this sign-in or its client belongs to; sign in again.',
      undefined,
      cause,
    );
  }
  if (error instanceof OAuthError) {
    const sent = oauthErrorCode(error.code);
    const code = sent ?? 'server_error';
    if (code === 'invalid_scope') return scopeRefused(scope, detail, error);
    const what =
      phase === 'registration'
        ? 'refused to register MCP Hub as a client'
        : phase === 'refresh'
          ? 'refused to renew the session'
          : phase === 'discovery'
            ? 'answered discovery with an error'
            : 'refused the token request';
    return new OAuthFlowError('authorization_denied', `The authorization server ${what} (${code}).`, detail, { cause: error, ...(sent ? { oauthError: sent } : {}) });
  }
  if (phase === 'registration') return registrationRefused('failed', detail, error);
  const message =
    phase === 'discovery' ? 'The OAuth metadata of the server or its authorization server could not be used.' : 'The authorization server answered in a way MCP Hub cannot use.';
  return new OAuthFlowError('invalid_metadata', message, detail, cause);
}

/** The authorization server did not register MCP Hub as a client: the fix is a client registered in advance. */
export function registrationRefused(why: 'no_endpoint' | 'failed' | number, detail?: string, cause?: unknown): OAuthFlowError {
  const how =
    why === 'no_endpoint'
      ? 'does not offer dynamic client registration'
      : why === 'failed'
        ? 'did not register MCP Hub as a client'
        : `refused to register MCP Hub as a client (HTTP ${why})`;
  return new OAuthFlowError(
    'registration_refused',
    `The authorization server ${how}. Set auth.clientId (and auth.clientSecret, if the client has one) to a client registered with it in advance.`,
    detail,
    cause !== undefined ? { cause } : undefined,
  );
}

function scopeRefused(scope: string | undefined, detail: string | undefined, cause: unknown): OAuthFlowError {
  const shown = showableScopes(scope);
  return new OAuthFlowError(
    'invalid_scope',
    `The authorization server does not allow MCP Hub the scope ${shown || 'it asked for'}; ask its administrator to allow it, or set auth.scope to what it allows.`,
    detail,
    { cause, oauthError: 'invalid_scope' },
  );
}

/** Scope names fit to show (in a sentence or a trace note): nothing else of what was asked. */
export function showableScopes(scope: string | null | undefined): string {
  return (
    scope
      ?.split(' ')
      .filter((x) => /^[\w:./-]{1,64}$/.test(x))
      .join(' ') ?? ''
  );
}

export function formatSeconds(s: number): string {
  return s >= 60 && s % 60 === 0 ? `${s / 60} minute${s === 60 ? '' : 's'}` : `${s} s`;
}
