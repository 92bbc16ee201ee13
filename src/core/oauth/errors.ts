/**
 * OAuth failures with stable codes, so callers dispatch on `code` rather than on message text.
 * Messages are for people; they never contain a token, code, verifier or client secret, and never
 * echo an attacker-controlled value such as a mismatched issuer.
 */
import { HubError } from '../errors';

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
  | 'callback_port_in_use'
  | 'invalid_scope'
  | 'issuer_not_allowed'
  | 'redirect_refused'
  | 'store_unavailable'
  | 'store_newer_version'
  | 'assertion_unavailable'
  | 'idp_sign_in_required'
  | 'idp_refused'
  | 'enterprise_refused';

export class OAuthFlowError extends HubError {
  /**
   * @param message our own words, safe for a notification; never text from a server.
   * @param detail text from the server or authorization server (an error_description, a body),
   *   untrusted: it goes only to the panel's details and the log, through the scrubber.
   */
  constructor(
    override readonly code: OAuthFlowErrorCode,
    message: string,
    detail?: string,
  ) {
    super(code, message, detail);
    this.name = 'OAuthFlowError';
  }
}

export function isOAuthFlowError(error: unknown, code?: OAuthFlowErrorCode): error is OAuthFlowError {
  return error instanceof OAuthFlowError && (code === undefined || error.code === code);
}
