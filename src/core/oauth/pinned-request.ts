/**
 * One HTTP request of the OAuth flow on Node's own http/https, whose socket connects only to an
 * address the given `lookup` hands out (the SSRF guard's `guardedLookup`): the name is resolved and
 * checked once, and that same answer is what the socket connects to, so a second resolution (DNS
 * rebinding) cannot differ. TLS still verifies the certificate against the host name. Redirects are
 * not followed here; the caller checks and follows each hop.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';

/** Statuses whose responses carry no body (a Response refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

export function pinnedRequest(lookup: LookupFunction): (url: URL, init: RequestInit) => Promise<Response> {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      // A timeout or cancel rejects with the signal's own reason (a TimeoutError for AbortSignal.timeout).
      const abortReason = (): Error => (signal?.reason instanceof Error ? signal.reason : new Error('The request was aborted.'));
      if (signal?.aborted) {
        reject(abortReason());
        return;
      }
      const headers = new Headers(init.headers);
      const body = bodyText(init.body);
      if (init.body instanceof URLSearchParams && !headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
      if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: init.method ?? 'GET', headers: Object.fromEntries(headers), lookup, agent: false }, (res: IncomingMessage) => {
        const responseHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 502;
        if (NULL_BODY.has(status)) res.resume();
        resolve(
          new Response(NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status: status < 200 || status > 599 ? 502 : status,
            statusText: res.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
      const onAbort = () => req.destroy(abortReason());
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', (error) => reject(signal?.aborted ? abortReason() : error));
      req.end(body);
    });
}

function bodyText(body: RequestInit['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  // The SDK's OAuth requests send strings or URLSearchParams; anything else is not ours to guess.
  throw new TypeError('Unsupported request body for an OAuth request.');
}
