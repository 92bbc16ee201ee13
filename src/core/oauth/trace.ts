/**
 * What happened in a server's OAuth exchanges, for the panel and bug reports: the steps of the last
 * sign-ins and of the refreshes after them, in memory only. A step says what happened in our words,
 * where (origin and path) and how it ended (status, duration, an error code). Never a token, code,
 * verifier, client secret, assertion, state, query string or body: the fetch hands in only the
 * request's method, URL and kind, URLs are cut to origin and path here, and notes pass the scrubber.
 */
import type { TraceStepView } from '../../protocol';
import { Emitter } from '../events';
import type { Clock } from '../ports';
import { scrubber } from '../scrub';

export type OAuthTraceKind = 'metadata' | 'registration' | 'authorize' | 'callback' | 'token' | 'refresh' | 'userinfo' | 'revocation' | 'error' | 'info';

/** A step as the trace keeps it: the protocol's view of a step (protocol.ts), with its kind named. */
export interface OAuthTraceStep extends TraceStepView {
  readonly kind: OAuthTraceKind;
}

/** The most steps kept per server; the oldest go first. */
export const TRACE_MAX_STEPS = 200;
const LABEL_MAX = 100;
const URL_MAX = 300;
const NOTE_MAX = 300;

/** One OAuth request as the fetch saw it. The body is never part of it, only what kind it was. */
export interface TracedRequest {
  readonly method: string;
  readonly url: string | URL;
  /** The grant_type of a token request (read from its form body, which is not kept). */
  readonly grantType?: string;
  /** A client registration (a JSON body with redirect_uris or grant_types). */
  readonly registration?: boolean;
  /** A token revocation (RFC 7009: a form body with token). */
  readonly revocation?: boolean;
  /** Undefined when no response came (refused, unreachable, timed out). */
  readonly status?: number;
  readonly ms: number;
  /** The OAuth `error` code of a failed response, or our error code when no response came. */
  readonly error?: string;
  readonly note?: string;
}

/** The step for an OAuth request: what it was, told by its URL and the kind of its body. */
export function requestStep(r: TracedRequest, known: { readonly userinfoEndpoint?: string } = {}): Omit<OAuthTraceStep, 'at'> {
  let url: URL;
  try {
    url = new URL(String(r.url));
  } catch {
    url = new URL('invalid:');
  }
  const what = ((): Pick<OAuthTraceStep, 'kind' | 'label'> => {
    if (r.registration) return { kind: 'registration', label: 'Dynamic client registration' };
    if (r.revocation) return { kind: 'revocation', label: 'Token revocation' };
    if (r.grantType === 'refresh_token') return { kind: 'refresh', label: 'Token refresh' };
    if (r.grantType === 'authorization_code') return { kind: 'token', label: 'Token request' };
    if (r.grantType === 'client_credentials') return { kind: 'token', label: 'Token request (client credentials)' };
    if (r.grantType !== undefined) return { kind: 'token', label: 'Token request (another grant)' };
    const path = url.pathname;
    if (path.startsWith('/.well-known/oauth-protected-resource')) return { kind: 'metadata', label: 'Protected resource metadata' };
    if (path.startsWith('/.well-known/oauth-authorization-server')) return { kind: 'metadata', label: 'Authorization server metadata' };
    if (path.includes('/.well-known/openid-configuration')) return { kind: 'metadata', label: 'Authorization server metadata (OpenID)' };
    if (known.userinfoEndpoint !== undefined && sameEndpoint(url, known.userinfoEndpoint)) return { kind: 'userinfo', label: 'User info' };
    return { kind: 'info', label: 'Authorization server request' };
  })();
  const note = [r.error, r.note].filter((x) => x !== undefined && x !== '').join('; ');
  const shown = traceUrl(url);
  return {
    ...what,
    method: r.method,
    ...(shown ? { url: shown } : {}),
    ...(r.status !== undefined ? { status: r.status } : {}),
    ms: r.ms,
    ...(note ? { note } : {}),
  };
}

function sameEndpoint(url: URL, endpoint: string): boolean {
  try {
    const e = new URL(endpoint);
    return e.origin === url.origin && e.pathname === url.pathname;
  } catch {
    return false;
  }
}

/**
 * A URL for the trace: origin and path, nothing else (no userinfo, query or fragment, where codes,
 * states and tokens travel), only for http(s), capped.
 */
export function traceUrl(url: string | URL): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return cap(scrubber.url(parsed), URL_MAX);
}

/** The step as it may be kept: every field checked, every text scrubbed and capped. */
function clean(step: Omit<OAuthTraceStep, 'at'>, at: number): OAuthTraceStep {
  const url = step.url !== undefined ? traceUrl(step.url) : undefined;
  const method = step.method !== undefined && /^[A-Z]{1,10}$/.test(step.method) ? step.method : undefined;
  const status = Number.isInteger(step.status) && step.status! >= 100 && step.status! <= 599 ? step.status : undefined;
  const ms = typeof step.ms === 'number' && Number.isFinite(step.ms) && step.ms >= 0 ? Math.round(step.ms) : undefined;
  const note = step.note !== undefined ? cap(scrubber.message(step.note), NOTE_MAX) : '';
  return {
    at,
    kind: step.kind,
    label: cap(scrubber.message(step.label), LABEL_MAX),
    ...(method ? { method } : {}),
    ...(url ? { url } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(ms !== undefined ? { ms } : {}),
    ...(note ? { note } : {}),
  };
}

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never split a surrogate pair.
  if (/[\ud800-\udbff]/.test(text[end - 1] ?? '')) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * The trace of one server: a ring of at most `max` steps, grouped by sign-in. Each sign-in starts a
 * group; requests and refreshes after it join that group. `steps()` lists the newest sign-in first,
 * each group's steps in the order they happened.
 */
export class OAuthTrace {
  /** Oldest group first; steps before any sign-in (a restored session refreshing) form the first. */
  private readonly groups: OAuthTraceStep[][] = [[]];
  private count = 0;
  private readonly _onDidAdd = new Emitter<OAuthTraceStep>();
  /** Fires with each step as it is added, so a panel can follow a sign-in live. */
  readonly onDidAdd = this._onDidAdd.event;

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly max = TRACE_MAX_STEPS,
  ) {}

  /** A sign-in starts: a new group, opened by a step that says so. */
  beginSignIn(note?: string): void {
    if (this.groups[this.groups.length - 1].length > 0) this.groups.push([]);
    this.add({ kind: 'info', label: 'Sign-in started', ...(note ? { note } : {}) });
  }

  add(step: Omit<OAuthTraceStep, 'at'>): OAuthTraceStep {
    const kept = clean(step, this.clock.now());
    this.groups[this.groups.length - 1].push(kept);
    if (++this.count > this.max) {
      this.groups[0].shift();
      this.count--;
      if (this.groups[0].length === 0 && this.groups.length > 1) this.groups.shift();
    }
    this._onDidAdd.fire(kept);
    return kept;
  }

  /** Adds the step of an OAuth request (see requestStep). */
  request(r: TracedRequest, known?: { readonly userinfoEndpoint?: string }): void {
    this.add(requestStep(r, known));
  }

  /** Newest sign-in first; within one, oldest step first. */
  steps(): readonly OAuthTraceStep[] {
    return [...this.groups].reverse().flat();
  }

  dispose(): void {
    this._onDidAdd.dispose();
  }
}
