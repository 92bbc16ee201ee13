/**
 * What a failure means, as pure functions from (error, context) to our words: a stable code, a
 * message written by us (safe for a notification), and the cleaned text of whatever the server or
 * authorization server said (untrusted: only the panel's details and the log see it). Tested with
 * canned errors in test/unit/failure.test.ts.
 */
import { existsSync } from 'node:fs';
import { InsufficientScopeError, OAuthError, ProtocolError, SdkError, SdkErrorCode, SdkHttpError, SseError, UnauthorizedError } from '@modelcontextprotocol/client';
import { SERVERS_SETTING, type ServerConfig } from './config';
import { HubError, hubError } from './errors';
import { isOAuthFlowError, oauthErrorCode } from './oauth/errors';
import { scrubber } from './scrub';
import type { ServerEvent } from './state';

export interface Failure {
  /** Stable, for code and for people who search for it: e.g. 'http_500', 'command_not_found'. */
  readonly code: string;
  /** Our words. */
  readonly message: string;
  /** Cleaned text from the other side, when there was any. */
  readonly detail?: string;
}

/** One of our own codes ('not-running', 'http_500', 'mcp_-32602'): shown as it is. */
function ownCode(raw: string): string | undefined {
  return /^[a-z0-9_-]{1,64}$/.test(raw) ? raw : undefined;
}

function detailOf(text: string | undefined): { detail?: string } {
  const d = text === undefined ? '' : scrubber.detail(text).trim();
  return d ? { detail: d } : {};
}

/** Why a start or a running connection failed, for the error row. */
export function describeFailure(error: unknown, config: ServerConfig, stderrTail: readonly string[] = []): Failure {
  const e = error as NodeJS.ErrnoException & { cause?: { code?: string } };
  const stderr = stderrTail.length > 0 ? stderrTail.join('\n') : undefined;
  const where = config.type === 'stdio' ? '' : scrubber.url(config.url);
  if (config.type === 'stdio') {
    // spawn says ENOENT for a missing working directory too.
    if (e?.code === 'ENOENT' && config.cwd && !existsSync(config.cwd)) return { code: 'cwd_not_found', message: `Working directory not found: ${scrubber.message(config.cwd)}` };
    if (e?.code === 'ENOENT') return { code: 'command_not_found', message: `Command not found: ${scrubber.message(config.command)}`, ...detailOf(stderr) };
    if (e?.code === 'EACCES') return { code: 'command_not_executable', message: `Command is not executable: ${scrubber.message(config.command)}`, ...detailOf(stderr) };
  }
  if (e?.code === 'ECONNREFUSED' || e?.cause?.code === 'ECONNREFUSED') return { code: 'connection_refused', message: `Connection refused by ${where}` };
  const status = httpStatus(error);
  if (error instanceof SdkHttpError || error instanceof SseError) {
    const said = error.message.replace(/^(Streamable HTTP|SSE) error: /, '');
    if (status !== undefined && status > 0) return { code: `http_${status}`, message: `HTTP ${status} from ${where}.`, ...detailOf(said) };
    return { code: 'protocol_error', message: `The server at ${where} answered in a way MCP Hub does not understand.`, ...detailOf(said) };
  }
  if (error instanceof OAuthError) return oauthFailure(error);
  if (error instanceof UnauthorizedError) return { code: 'unauthorized', message: 'The server requires you to sign in (HTTP 401).' };
  if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) {
    return { code: 'request_timeout', message: `The server did not answer within ${config.timeoutSeconds} s.`, ...detailOf(stderr) };
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) {
    return { code: 'protocol_version', message: `The server at ${where || 'the command'} and MCP Hub share no protocol revision.`, ...detailOf(error.message) };
  }
  if ((error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) || (error instanceof ProtocolError && /connection closed/i.test(error.message))) {
    return config.type === 'stdio'
      ? { code: 'process_exited', message: 'The server process exited before it finished starting.', ...detailOf(stderr) }
      : { code: 'connection_closed', message: `The connection to ${where} was closed.` };
  }
  if (error instanceof ProtocolError && error.code === UNSUPPORTED_PROTOCOL_VERSION) {
    return { code: 'protocol_version', message: 'The server supports none of the protocol revisions MCP Hub speaks.', ...detailOf(error.message) };
  }
  if (error instanceof ProtocolError) return { code: `mcp_${error.code}`, message: `The server answered with an error (MCP error ${error.code}).`, ...detailOf(error.message) };
  // Ours (OAuth flow errors included): our code and words, and whatever the other side said.
  if (error instanceof HubError) return { code: error.code, message: error.message, ...detailOf(error.detail ?? stderr) };
  const text = error instanceof Error ? error.message : String(error);
  if (config.type === 'stdio' && /connection closed/i.test(text))
    return { code: 'process_exited', message: 'The server process exited before it finished starting.', ...detailOf(stderr) };
  if (text === 'fetch failed') return { code: 'unreachable', message: `Could not reach ${where}.`, ...detailOf(e?.cause ? String((e.cause as Error).message ?? '') : undefined) };
  return {
    code: 'failed',
    message: config.type === 'stdio' ? 'The server failed to start.' : `The connection to ${where} failed.`,
    ...detailOf(stderr ? `${text}\n${stderr}` : text),
  };
}

/** JSON-RPC error code for "Unsupported protocol version" (2026-07-28). */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/** The HTTP status an SDK transport error carries, if any. */
export function httpStatus(error: unknown): number | undefined {
  if (error instanceof SdkHttpError) return error.status;
  if (error instanceof SseError) return error.code;
  return undefined;
}

/** What a server's 403 insufficient_scope asks for: more scopes, or nothing more (signing in again did not help). */
export type StepUp = { readonly scopes: readonly string[] } | { readonly exhausted: true; readonly scopes: readonly string[] };

export interface FailureContext {
  readonly config: ServerConfig;
  /** The client carried credentials from a stored OAuth session. */
  readonly usesSession: boolean;
  /** The settings give the server its own Authorization header (so OAuth is not ours to run). */
  readonly hasAuthorizationHeader: boolean;
  readonly stderrTail: readonly string[];
  /** The step-up the server's last refusal asks for (see `isScopeRefusal`), if that is why it failed. */
  readonly stepUp?: StepUp;
  /** The start right after a sign-in saved new tokens: a refusal now is of a token just issued. */
  readonly freshSession?: boolean;
  /** When the session ended, if it has: expired, with no refresh token to renew it. */
  readonly sessionEndedAt?: number;
}

/** A failure that retrying may cure: the error row's words; the caller adds when it retries. */
export interface Retry {
  readonly retry: Failure;
}

/**
 * What a failed start or a lost connection means: a state event that waits for the user (sign in,
 * fix a header), or a failure to retry after a backoff. Pure: the caller applies it.
 */
export function classifyFailure(error: unknown, ctx: FailureContext): Extract<ServerEvent, { type: 'failed' | 'unauthorized' }> | Retry {
  const step = ctx.stepUp;
  const scopes = (s: StepUp) => s.scopes.map((x) => scrubber.message(x)).join(' ');
  // Signing in again has not helped; retrying on a timer would not either.
  if (step && 'exhausted' in step) {
    return {
      type: 'failed',
      code: 'scope_refused',
      message: `The server still refuses access after signing in again with scope ${scopes(step)}; the account may not be allowed to use it.`,
    };
  }
  if (step) return { type: 'unauthorized', code: 'insufficient_scope', reason: permissionText(ctx.config.name, step.scopes) };
  // Whatever failed, a session past its end cannot work again: that is the news, not the symptom.
  if (ctx.usesSession && ctx.sessionEndedAt !== undefined) {
    const ended = sessionExpired(ctx.sessionEndedAt);
    return { type: 'unauthorized', code: ended.code, reason: ended.message };
  }
  if (error instanceof OAuthError && ctx.usesSession && !TRANSIENT_OAUTH_ERRORS.has(error.code)) {
    // The authorization server refused to renew the session (invalid_target, invalid_client…):
    // retrying will not help; signing in again will.
    const f = describeFailure(error, ctx.config);
    return {
      type: 'unauthorized',
      code: f.code,
      reason: `The authorization server refused to renew the session (${f.code}); sign in again.`,
      ...(f.detail ? { detail: f.detail } : {}),
    };
  }
  if (isOAuthFlowError(error) && error.code !== 'interaction_required') {
    // Discovery or token trouble (unsafe URL, issuer mismatch, server down): sign-in cannot
    // proceed on its own; say why and let the user try again.
    const f = describeFailure(error, ctx.config);
    return { type: 'unauthorized', code: f.code, reason: f.message, ...(f.detail ? { detail: f.detail } : {}) };
  }
  if (isUnauthorized(error) || isOAuthFlowError(error, 'interaction_required')) {
    if (ctx.usesSession && ctx.freshSession) {
      // Signing in again would get the same token: no Authenticate, no retry; the row says why.
      const refused = tokenRefused();
      return { type: 'failed', code: refused.code, message: refused.message };
    }
    if (ctx.usesSession) return { type: 'unauthorized', code: 'session_rejected', reason: 'The session expired or was revoked; sign in again.' };
    if (ctx.hasAuthorizationHeader) {
      return {
        type: 'failed',
        code: 'header_rejected',
        message: `The server rejected the Authorization header set in ${SERVERS_SETTING}.${ctx.config.name}.headers (HTTP 401); check the header.`,
      };
    }
    return { type: 'unauthorized', code: 'unauthorized', reason: 'The server requires you to sign in (HTTP 401).' };
  }
  return { retry: describeFailure(error, ctx.config, ctx.stderrTail) };
}

/** The authorization server may be back soon: these are retried like any outage. */
const TRANSIENT_OAUTH_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

/**
 * Whether a request failed for lack of scope. The SDK answers a 403 insufficient_scope itself
 * (re-authorizing through our passive provider, which refuses with interaction_required), so either
 * error can stand for it; the session's recorded challenge says which scopes.
 */
export function isScopeRefusal(error: unknown): boolean {
  return httpStatus(error) === 403 || error instanceof InsufficientScopeError || isOAuthFlowError(error, 'interaction_required');
}

export function isUnauthorized(error: unknown): boolean {
  if (error instanceof UnauthorizedError) return true;
  return httpStatus(error) === 401;
}

/** Why a sign-in did not succeed: our words, whatever the flow threw. */
export function describeSignInFailure(error: unknown): Failure {
  if (error instanceof HubError || error instanceof OAuthError) return describeError(error);
  const text = error instanceof Error ? error.message : String(error);
  return { code: 'sign_in_failed', message: 'The sign-in failed.', ...detailOf(text) };
}

function oauthFailure(error: OAuthError): Failure {
  const code = oauthErrorCode(error.code) ?? 'oauth_error';
  return { code, message: `The authorization server refused the request (${code}).`, ...detailOf(error.message) };
}

/**
 * How a sign-in that got no tokens ends: a running server keeps running on its session (with a
 * notice); any other still needs sign-in.
 */
export function signInEnded(error: unknown, failure: Failure, running: boolean): Extract<ServerEvent, { type: 'authEnded' | 'unauthorized' }> {
  const detail = failure.detail ? { detail: failure.detail } : {};
  if (!running) return { type: 'unauthorized', reason: failure.message, code: failure.code, ...detail };
  const notice = isOAuthFlowError(error, 'cancelled')
    ? 'The sign-in for more permission was cancelled; the server keeps its current permissions.'
    : `The extra permission was not granted: ${failure.message}`;
  return { type: 'authEnded', notice, ...detail };
}

/**
 * A missing permission (403 insufficient_scope), in the one sentence the tool result (through the
 * gateway and VS Code's client), the panel's row and the log all use. It is no sign-in: the server
 * keeps its session, and Authenticate on its row asks for the extra scopes.
 */
export function permissionText(server: string, scopes: readonly string[], tool?: string): string {
  const asked = scopes.map((x) => scrubber.message(x)).join(' ');
  return `${server} needs more permission (scope ${asked})${tool === undefined ? '' : ` for ${scrubber.message(tool)}`}: grant it in MCP Hub (Authenticate on ${server}'s row)`;
}

/** A tool call refused for lack of scope: the error for the caller and, if more scope may help, the event that offers it. */
export function toolRefused(step: StepUp, server: string, tool: string): { error: HubError; event?: Extract<ServerEvent, { type: 'scopeNeeded' }> } {
  const scopes = step.scopes.map((x) => scrubber.message(x));
  if ('exhausted' in step) {
    const why = `still refuses ${scrubber.message(tool)} after signing in again with scope ${scopes.join(' ')}; the account may not be allowed to use it.`;
    return { error: hubError('scope_refused', `${server} ${why}`) };
  }
  // Authenticate then asks for the union of scopes.
  const message = permissionText(server, scopes, tool);
  return { error: hubError('insufficient_scope', message), event: { type: 'scopeNeeded', scopes, message } };
}

/** A time for a sentence: the panel's own format (date and time, short). */
export function formatTime(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The MCP server refused the token a sign-in had just got for it. */
export function tokenRefused(): HubError {
  return hubError(
    'token_refused',
    "The server refused the token it was just given at sign-in (HTTP 401). The authorization server most likely issued it for another audience or resource than this server's URL, or without a scope the server requires; signing in again would get the same token. Ask the administrator of the server or of its authorization server, or check auth.scope.",
  );
}

/** What the row says at sign-in of a session without a refresh token. */
export function sessionEndsNotice(at: number): string {
  return `Signed in without a refresh token, so the session ends at ${formatTime(at)} and cannot be renewed; Authenticate again then.`;
}

/** A session without a refresh token reached its expiry. */
export function sessionExpired(at: number): HubError {
  return hubError(
    'session_expired',
    `The session ended at ${formatTime(at)}: the authorization server gave no refresh token, so MCP Hub cannot renew it. Authenticate to sign in again.`,
  );
}

/** A start that did not finish within the server's timeout. */
export function startTimeout(config: ServerConfig): HubError {
  return hubError('start_timeout', `Timed out after ${config.timeoutSeconds} s waiting for the server to start (${SERVERS_SETTING}.${config.name}.timeout).`);
}

/** A running server that stopped answering, or whose process exited. */
export function connectionLost(message: string): HubError {
  return hubError('connection_lost', message);
}

/**
 * What a failure is, in our words, for anything thrown: our own errors keep their code and
 * message; the SDK's OAuth errors get a sentence of ours; anything else says only that it failed.
 * The row, the notification and the log are all made from this, so they cannot disagree.
 */
export function describeError(error: unknown): Failure {
  if (error instanceof HubError) return { code: ownCode(error.code) ?? 'error', message: error.message, ...detailOf(error.detail) };
  if (error instanceof OAuthError) return oauthFailure(error);
  return { code: 'error', message: 'The request failed.', ...detailOf(error instanceof Error ? error.message : String(error)) };
}

/** One line for the log: the same sentence and code as the row and the notification, then the details. */
export function logText(f: Failure): string {
  return `${f.message} [${f.code}]${f.detail ? `\n${f.detail}` : ''}`;
}

/**
 * A notification's sentence for a failure: the row's sentence and code (see describeError), with
 * every address in it left to the panel, and never the other side's text (VS Code renders links
 * in notifications; an address may be the authorization server's choice). The details go to the
 * panel and the log.
 */
export function notificationText(error: unknown, describe: (error: unknown) => Failure = describeError): string {
  return notificationSentence(describe(error));
}

/** The notification for a failure already described (a row's code and message). */
export function notificationSentence(f: Failure): string {
  const sentence = scrubber.message(f.message).replace(/\bhttps?:\/\/[^\s,;()]+/g, '(address in the panel)');
  return `${sentence} [${f.code}]${f.detail ? " See the server's details in the MCP Hub panel or log." : ''}`;
}
