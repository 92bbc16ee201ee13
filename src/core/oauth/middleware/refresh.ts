/**
 * refreshCollapse (SDK 2.4.0 has no single-flight refresh): concurrent refresh_token grants with the
 * same refresh token become one request, whose answer each of them gets (with rotating refresh
 * tokens the second would otherwise fail with invalid_grant and end the session), within this
 * window and, through `coordinate`, across windows: before a refresh goes out, the window that
 * holds the refresh lease is waited for, and its tokens are answered as if the token endpoint had
 * sent them (see oauth/refresh.ts for the lease).
 */
import type { Middleware } from '@modelcontextprotocol/client';
import type { Logger } from '../../ports';
import { tokenRequestForm } from './http';

/**
 * What to do with a refresh_token grant: `proceed` sends it (then `done` is called); otherwise
 * `tokens` is the other window's result (none: the session was ended there).
 */
export type RefreshDecision = { readonly proceed: true; readonly done: () => Promise<void> } | { readonly proceed: false; readonly tokens?: Record<string, unknown> };

export interface RefreshCollapseOptions {
  readonly logger: Logger;
  /** Consulted before a refresh_token grant goes out: another window may be refreshing, or may have refreshed already. */
  readonly coordinate?: (refreshToken: string) => Promise<RefreshDecision>;
}

/** A joined refresh's answer is kept this long for late joiners; the map never grows past what is under way. */
const REFRESH_REUSE_MS = 10_000;

/** An answer read whole, so each request that joined it gets its own copy. */
interface Buffered {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

/** How a refresh was answered when it did not go out itself (for the OAuth trace; see `refreshNote`). */
const notes = new WeakMap<Response, string>();

/** Why a refresh's answer did not come from the token endpoint for this request, if it did not. */
export function refreshNote(response: Response): string | undefined {
  return notes.get(response);
}

export function refreshCollapse(options: RefreshCollapseOptions): Middleware {
  const refreshes = new Map<string, { answer: Promise<Buffered & { note?: string }>; at: number }>();
  return (next) => {
    async function acrossWindows(refreshToken: string, input: string | URL, init: RequestInit | undefined): Promise<Buffered & { note?: string }> {
      const decision = options.coordinate ? await options.coordinate(refreshToken) : undefined;
      if (!decision || decision.proceed) {
        try {
          return await buffer(await next(input, init));
        } finally {
          await decision?.done();
        }
      }
      options.logger.debug('refresh: another window refreshed already; using its tokens');
      const body = decision.tokens ?? { error: 'invalid_grant', error_description: 'The session was ended in another window.' };
      return {
        status: decision.tokens ? 200 : 400,
        statusText: '',
        headers: new Headers({ 'content-type': 'application/json' }),
        body: new TextEncoder().encode(JSON.stringify(body)),
        note: decision.tokens ? 'another window had refreshed already; its tokens were used' : 'the session was ended in another window',
      };
    }

    return async (input, init) => {
      const form = tokenRequestForm(init);
      const refreshToken = form?.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null;
      if (!refreshToken) return next(input, init);
      const now = Date.now();
      for (const [k, v] of refreshes) if (now - v.at > REFRESH_REUSE_MS) refreshes.delete(k);
      const existing = refreshes.get(refreshToken);
      let answer: Buffered & { note?: string };
      if (existing) {
        options.logger.debug('refresh: joined a refresh already under way');
        answer = { ...(await existing.answer), note: 'joined a refresh already under way' };
      } else {
        const shared = acrossWindows(refreshToken, input, init);
        refreshes.set(refreshToken, { answer: shared, at: now });
        shared.catch(() => refreshes.delete(refreshToken));
        answer = await shared;
      }
      // The bytes are shared with requests that joined this refresh: each gets its own copy.
      const { status, statusText, headers } = answer;
      const response = new Response(status === 204 || status === 304 ? null : answer.body.slice(), { status, statusText, headers });
      if (answer.note) notes.set(response, answer.note);
      return response;
    };
  };
}

async function buffer(response: Response): Promise<Buffered> {
  return { status: response.status, statusText: response.statusText, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
}
