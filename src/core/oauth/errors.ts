/**
 * OAuth failures with stable codes, so callers dispatch on `code` rather than on message text.
 * Messages are for people; they never contain a token, code, verifier or client secret, and never
 * echo an attacker-controlled value such as a mismatched issuer.
 */
export type OAuthFlowErrorCode =
  | 'unsafe_url'
  | 'unreachable'
  | 'invalid_metadata'
  | 'issuer_mismatch'
  | 'pkce_unsupported'
  | 'grant_unsupported'
  | 'no_metadata'
  | 'authorization_denied'
  | 'state_mismatch'
  | 'cancelled'
  | 'timeout'
  | 'interaction_required'
  | 'response_too_large'
  | 'step_up_limit'
  | 'callback_port_in_use';

export class OAuthFlowError extends Error {
  constructor(
    readonly code: OAuthFlowErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OAuthFlowError';
  }
}

export function isOAuthFlowError(error: unknown, code?: OAuthFlowErrorCode): error is OAuthFlowError {
  return error instanceof OAuthFlowError && (code === undefined || error.code === code);
}
