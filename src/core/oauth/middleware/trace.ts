/**
 * traceOAuthRequests: every OAuth request of a server, reported to its OAuth trace (oauth/trace.ts)
 * once it has its answer or has failed: method, URL, what kind of request its body made it, status,
 * duration and the OAuth error code. Never the body, nor anything of it but the grant type. Not an
 * SDK gap: the trace is ours, and it sees what the middlewares inside it decided (a refresh that
 * joined another, a request refused before it went out).
 */
import type { Middleware } from '@modelcontextprotocol/client';
import { isRecord } from '../../../protocol';
import { OAuthFlowError, oauthErrorCode } from '../errors';
import type { TracedRequest } from '../trace';
import { isOAuthExchange, parseJson, revocationForm, tokenRequestForm } from './http';
import { refreshNote } from './refresh';

export function traceOAuthRequests(onRequest: ((request: TracedRequest) => void) | undefined): Middleware {
  return (next) => async (input, init) => {
    if (!onRequest) return next(input, init);
    const started = performance.now();
    const form = tokenRequestForm(init);
    const grantType = form?.get('grant_type');
    const traced = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url: new URL(String(input)),
      ...(grantType ? { grantType } : {}),
      ...(revocationForm(init) ? { revocation: true } : !form && isOAuthExchange(init) ? { registration: true } : {}),
    };
    const report = (outcome: { status?: number; error?: string; note?: string }) => onRequest({ ...traced, ...outcome, ms: performance.now() - started });
    let response: Response;
    try {
      response = await next(input, init);
    } catch (error) {
      report({ error: error instanceof OAuthFlowError ? error.code : 'failed' });
      throw error;
    }
    const error = response.status >= 400 ? await oauthErrorOf(response) : undefined;
    const note = refreshNote(response);
    report({ status: response.status, ...(error ? { error } : {}), ...(note ? { note } : {}) });
    return response;
  };
}

/** The RFC 6749 `error` code of a failed OAuth response, when it is one; nothing else of the body. */
async function oauthErrorOf(response: Response): Promise<string | undefined> {
  const body = parseJson(await response.clone().text());
  return isRecord(body) ? oauthErrorCode(body.error) : undefined;
}
