/**
 * What the loopback callback server (callback-server.ts) makes of a redirect, apart from the
 * server: the request target parsed by hand (origin-form only; broken percent-encoding refused),
 * the redirect judged against the sign-in it should belong to (its path, each parameter at most
 * once, `state` compared in constant time, the RFC 9207 `iss`), the authorization server's `error`
 * in our words, and the fixed pages answered, which reflect no input and carry a CSP that allows
 * nothing. Never throws.
 */
import { sameSecret } from '../same-secret';
import { scrubber } from '../scrub';
import { OAuthFlowError, oauthErrorCode, RESOURCE_REFUSED, RESPONSE_ISSUER_MISMATCH } from './errors';

export const CALLBACK_PATH = '/callback';

export type Outcome = { ok: true; code: string; iss?: string } | { ok: false; error: OAuthFlowError };
export type Verdict = { kind: 'bad'; why: string } | { kind: 'done'; outcome: Outcome };

/** What the sign-in armed the server with: the `state` it sent, and the issuer it expects back. */
export interface Expected {
  readonly state: string | undefined;
  readonly issuer: string | undefined;
  /** The authorization server announced `iss` (authorization_response_iss_parameter_supported). */
  readonly issuerRequired: boolean;
}

/** Parameters that must appear at most once: a duplicate could mean two different answers. */
const SINGLE_PARAMS = ['state', 'code', 'iss', 'error', 'error_description', 'error_uri'] as const;

export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:15px system-ui,sans-serif;max-width:34em;margin:4em auto;padding:0 1em;color:#222}h1{font-size:1.3em}</style>
</head><body><h1>${title}</h1><p>${body}</p></body></html>`;
}

export const SUCCESS_PAGE = page('Signed in to MCP Hub', 'You can close this tab and return to VS Code.');
export const FAILURE_PAGE = page('Sign-in did not complete', 'The authorization server did not grant access. Return to VS Code for details.');
export const BAD_REQUEST_PAGE = page('Not a valid sign-in response', 'This page only accepts the redirect of an MCP Hub sign-in in progress.');

/**
 * The path and query of an origin-form request target (`/callback?…`), or undefined for anything
 * else: `*`, absolute-form, `//host…`, or broken percent-encoding. Never throws.
 */
export function parseTarget(target: string): { path: string; params: URLSearchParams } | undefined {
  if (!target.startsWith('/') || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const bare = hash < 0 ? target : target.slice(0, hash);
  const q = bare.indexOf('?');
  const path = q < 0 ? bare : bare.slice(0, q);
  const query = q < 0 ? '' : bare.slice(q + 1);
  return wellEncoded(path) && wellEncoded(query) ? { path, params: new URLSearchParams(query) } : undefined;
}

/** URLSearchParams decodes leniently; refuse what a strict decoder refuses (`%zz`, `%ff`). */
function wellEncoded(text: string): boolean {
  try {
    decodeURIComponent(text.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}

/** A redirect judged: not this sign-in's (`bad`, and the flow goes on waiting), or its outcome. */
export function judgeRedirect(path: string, params: URLSearchParams, expected: Expected): Verdict {
  if (path !== CALLBACK_PATH) return { kind: 'bad', why: `The redirect path must be ${CALLBACK_PATH}.` };
  if (SINGLE_PARAMS.some((name) => params.getAll(name).length > 1)) {
    return { kind: 'bad', why: 'The redirect repeats a parameter that must appear once.' };
  }
  const state = params.get('state');
  if (!expected.state || !state || !sameSecret(state, expected.state)) {
    return { kind: 'bad', why: 'The redirect does not belong to this sign-in (its state does not match).' };
  }
  const iss = params.get('iss');
  if (iss !== null ? expected.issuer !== undefined && iss !== expected.issuer : expected.issuerRequired) {
    // Do not echo the received issuer: it is attacker-controlled.
    return { kind: 'done', outcome: { ok: false, error: new OAuthFlowError('response_issuer_mismatch', RESPONSE_ISSUER_MISMATCH) } };
  }
  const error = params.get('error');
  // error_uri is never used: a link chosen by the server is not ours to show.
  if (error !== null) return { kind: 'done', outcome: { ok: false, error: authorizationError(error, params.get('error_description')) } };
  const code = params.get('code');
  if (!code) return { kind: 'bad', why: 'The redirect has no authorization code.' };
  return { kind: 'done', outcome: { ok: true, code, ...(iss !== null ? { iss } : {}) } };
}

/**
 * The authorization server's `error` in our words. Only a well-formed RFC 6749 code is shown (a
 * token-shaped value or markup is not repeated, even in our words), and kept as `oauthError`.
 */
function authorizationError(error: string, description: string | null): OAuthFlowError {
  const code = oauthErrorCode(error);
  const detail = description ? scrubber.detail(description) : undefined;
  const options = code ? { oauthError: code } : {};
  if (code === 'invalid_scope') {
    return new OAuthFlowError('invalid_scope', 'The authorization server refused the requested scope (invalid_scope).', detail, options);
  }
  if (code === 'invalid_target') return new OAuthFlowError('resource_refused', RESOURCE_REFUSED, detail, options);
  return new OAuthFlowError('authorization_denied', `The authorization server refused the sign-in${code ? ` (${code})` : ''}.`, detail, options);
}
