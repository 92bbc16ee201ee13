/**
 * The hub's one error family: every failure of ours carries a stable code in snake_case, a message
 * in our own words (safe for a notification) and, apart from it, whatever untrusted text the other
 * side sent (`detail`, scrubbed wherever it is shown). Callers dispatch on `code`, never on text.
 * OAuth failures (`OAuthFlowError`) are members of the family with codes of their own.
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

export class HubError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** Raised by the hub's own checks and lifecycle, with a code from HubErrorCode. */
export function hubError(code: HubErrorCode, message: string, detail?: string): HubError {
  return new HubError(code, message, detail);
}

export function isHubError(error: unknown, code?: string): error is HubError {
  return error instanceof HubError && (code === undefined || error.code === code);
}
