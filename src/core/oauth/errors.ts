/**
 * OAuth failures with stable codes, so callers dispatch on `code` rather than on message text.
 * Messages are for people; they never contain a token, code, verifier or client secret, and never
 * echo an attacker-controlled value such as a mismatched issuer.
 */
import { HubError, type OAuthFlowErrorCode } from '../errors';

export type { OAuthFlowErrorCode } from '../errors';

export class OAuthFlowError extends HubError {
  /** The RFC 6749 `error` the authorization server answered (a well-formed one only), when one is why. */
  readonly oauthError?: string;

  /**
   * @param message our own words, safe for a notification; never text from a server.
   * @param detail text from the server or authorization server (an error_description, a body),
   *   untrusted: it goes only to the panel's details and the log, through the scrubber.
   * @param options.cause the error this one tells in our words (an SDK error, a socket error).
   * @param options.oauthError the authorization server's own error code, for callers that dispatch on it.
   */
  constructor(
    override readonly code: OAuthFlowErrorCode,
    message: string,
    detail?: string,
    options?: { readonly cause?: unknown; readonly oauthError?: string },
  ) {
    super(code, message, detail, options);
    this.name = 'OAuthFlowError';
    const oauthError = oauthErrorCode(options?.oauthError);
    if (oauthError) this.oauthError = oauthError;
  }
}

/** What an error from elsewhere says, for `detail` (untrusted, scrubbed wherever shown), capped. */
export function errorText(error: unknown): string | undefined {
  return error instanceof Error && error.message ? error.message.slice(0, 2000) : undefined;
}

/** An OAuth error code as an authorization server sent it, kept only when it looks like one (RFC 6749 §5.2). */
export function oauthErrorCode(raw: unknown): string | undefined {
  // RFC 6749 codes are lowercase words joined by underscores; a token-shaped or marked-up value is not one.
  return typeof raw === 'string' && /^[a-z_]{1,64}$/.test(raw) ? raw : undefined;
}

/** A passive provider (or a quiet sign-in) that would need the person. */
export function interactionRequired(): OAuthFlowError {
  return new OAuthFlowError('interaction_required', 'Sign-in is required.');
}

export function isOAuthFlowError(error: unknown, code?: OAuthFlowErrorCode): error is OAuthFlowError {
  return error instanceof OAuthFlowError && (code === undefined || error.code === code);
}

/** The sentence of `response_issuer_mismatch`, the same wherever the check fails (our callback server or the SDK). */
export const RESPONSE_ISSUER_MISMATCH =
  'The browser came back with an authorization response from another issuer than the one this sign-in was started with (RFC 9207); MCP Hub refused it. Another authorization server may be interfering: try again, and check the server if it persists.';

/**
 * The sentence of `metadata_issuer_mismatch`. The issuer named is left out: it is the server's
 * value (the details show it, scrubbed, for auth.acceptIssuer).
 */
export function metadataIssuerMismatch(fetchedFor: string): string {
  return `The authorization server metadata fetched for ${fetchedFor} names a different issuer than that address (RFC 8414), so MCP Hub refused it. If this server is known to do so (a multi-tenant endpoint, for example), set auth.acceptIssuer to the issuer it names (shown in the details).`;
}

/**
 * The sentence of `resource_refused`: an authorization response with RFC 8707 invalid_target, as
 * Entra ID v2 answers a `resource` next to scopes (AADSTS9010010) at its authorization endpoint.
 */
export const RESOURCE_REFUSED =
  'The authorization server refused the resource parameter (RFC 8707) that names this server (invalid_target). If it does not take resource next to scopes (as Entra ID v2 does not: AADSTS9010010), set auth.resourceIndicator: false.';
