/**
 * The hub's one error family: every failure of ours carries a stable code in snake_case (one of the
 * union `ErrorCode`), a message in our own words (safe for a notification), apart from it whatever
 * untrusted text the other side sent (`detail`, scrubbed wherever it is shown), and the error it
 * tells in our words as `cause` (an SDK error, a socket error; for code that dispatches, never
 * shown). Callers dispatch on `code` and `instanceof`, never on message text. OAuth failures
 * (`OAuthFlowError`, oauth/errors.ts) and a registry's (`RegistryError`) are members of the family with
 * codes of their own, listed here so the family's codes are in one place.
 */

export type HubErrorCode =
  | 'not_running'
  | 'tool_not_allowed'
  | 'unknown_server'
  | 'no_oauth'
  | 'auth_required'
  /** A tool was refused for lack of scope (403 insufficient_scope): more permission, not a sign-in. */
  | 'insufficient_scope'
  /** The server still refuses a tool after signing in again with the scopes it asked for. */
  | 'scope_refused'
  | 'needs_input'
  /** No company IdP is configured (mcpHub.enterprise.idp). */
  | 'no_idp'
  /** A start did not finish within the server's timeout. */
  | 'start_timeout'
  /** A running server stopped answering, or its process exited. */
  | 'connection_lost'
  /** The MCP server refused the token a sign-in had just got for it (audience, resource or scope). */
  | 'token_refused'
  /** The session reached its expiry and has no refresh token to renew it. */
  | 'session_expired'
  /** The organisation's policy requires the server: it cannot be stopped. */
  | 'managed_required'
  /** A tool's MCP App could not be shown: its ui:// resource is missing, not an app, malformed or too large. */
  | 'app_unavailable'
  /** An MCP App asked for a tool call it may not make (another tool's visibility, a filtered tool, a refusal). */
  | 'app_call_refused'
  /** An MCP App asked for more than its share (tool calls at once or per minute). */
  | 'app_rate_limited';

/** Codes of the OAuth wing's errors (`OAuthFlowError`, oauth/errors.ts). */
export type OAuthFlowErrorCode =
  | 'unsafe_url'
  | 'unreachable'
  | 'invalid_metadata'
  /** The authorization server's metadata names another issuer than the URL it was fetched for (RFC 8414 §3.3). */
  | 'metadata_issuer_mismatch'
  /** The authorization response came from another issuer than the sign-in's (RFC 9207 `iss`). */
  | 'response_issuer_mismatch'
  /** The authorization server does not register MCP Hub as a client (refused, or no registration endpoint). */
  | 'registration_refused'
  | 'pkce_unsupported'
  /** The metadata lists no code_challenge_methods_supported at all (auth.pkce "assume-s256" answers it). */
  | 'pkce_unadvertised'
  /** The authorization server refused the RFC 8707 `resource` parameter (auth.resourceIndicator false answers it). */
  | 'resource_refused'
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
  | 'enterprise_refused'
  /** The browser signed in as another account than the entry's auth.account. */
  | 'account_mismatch'
  /** Switch Account on an entry pinned to one account, or to an account no longer stored. */
  | 'account_pinned'
  | 'account_not_found'
  /** Sign in with another account on a server that names nobody: a second account needs an entry with auth.account. */
  | 'account_unnamed';

/** Codes of a registry's errors (`RegistryError`, registry/client.ts). */
export type RegistryErrorCode =
  /** mcpHub.registry.url (or a provenance URL) is not an https URL, or http off this machine. */
  | 'registry_url_invalid'
  | 'registry_unreachable'
  | 'registry_timeout'
  | 'registry_http_error'
  | 'registry_not_found'
  | 'registry_redirected'
  | 'registry_too_large'
  | 'registry_not_json'
  | 'registry_invalid_answer'
  | 'registry_cancelled';

/** Every code an error of the family carries. */
export type ErrorCode = HubErrorCode | OAuthFlowErrorCode | RegistryErrorCode;

export class HubError extends Error {
  /**
   * @param message our own words, safe for a notification; never text from a server.
   * @param detail text from the other side (an error_description, a body), untrusted: it goes only
   *   to the panel's details and the log, through the scrubber.
   * @param options.cause the error this one tells in our words.
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HubError';
  }
}

/** Raised by the hub's own checks and lifecycle, with a code from HubErrorCode. */
export function hubError(code: HubErrorCode, message: string, detail?: string, options?: { readonly cause?: unknown }): HubError {
  return new HubError(code, message, detail, options);
}

export function isHubError(error: unknown, code?: ErrorCode): error is HubError {
  return error instanceof HubError && (code === undefined || error.code === code);
}
