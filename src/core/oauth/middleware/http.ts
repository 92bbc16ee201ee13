/**
 * What the middlewares need to know of a request and to hand on a response they read: which OAuth
 * exchange a request is (told by its body, never kept), and a response rebuilt from what was read.
 */

/** A token request's form body (a form with grant_type, what the SDK sends for every grant), read without keeping it. */
export function tokenRequestForm(init: RequestInit | undefined): URLSearchParams | undefined {
  const body = init?.body;
  if (body instanceof URLSearchParams) return body.has('grant_type') ? body : undefined;
  if (typeof body !== 'string' || /^\s*[[{]/.test(body)) return undefined;
  const form = new URLSearchParams(body);
  return form.has('grant_type') ? form : undefined;
}

/** A token revocation request's form body (RFC 7009: `token`, and no grant_type), read without keeping it. */
export function revocationForm(init: RequestInit | undefined): URLSearchParams | undefined {
  const body = init?.body;
  const form = body instanceof URLSearchParams ? body : typeof body === 'string' && !/^\s*[[{]/.test(body) ? new URLSearchParams(body) : undefined;
  return form?.has('token') && !form.has('grant_type') ? form : undefined;
}

/**
 * Whether a request is a token request (a form body with grant_type), a revocation (a form body
 * with token) or a client registration (a JSON body with redirect_uris or grant_types): never an
 * MCP message, whatever its URL.
 */
export function isOAuthExchange(init: RequestInit | undefined): boolean {
  if (tokenRequestForm(init) || revocationForm(init)) return true;
  const body = init?.body;
  if (typeof body !== 'string' || !body.trimStart().startsWith('{')) return false;
  // What the SDK sends: JSON.stringify of a JSON-RPC message, which starts so (a registration never has "jsonrpc"): no parse per MCP request.
  if (body.trimStart().startsWith('{"jsonrpc":')) return false;
  try {
    const json = JSON.parse(body) as unknown;
    // JSON-RPC messages have "jsonrpc"; registrations never do.
    return typeof json === 'object' && json !== null && !('jsonrpc' in json) && ('redirect_uris' in json || 'grant_types' in json);
  } catch {
    return false;
  }
}

/** The RFC 8414 and OpenID discovery locations the SDK tries (buildDiscoveryUrls), path-inserted or appended. */
export function isAuthorizationServerMetadataRequest(input: string | URL, init: RequestInit | undefined): boolean {
  if ((init?.method ?? 'GET').toUpperCase() !== 'GET') return false;
  const path = new URL(String(input)).pathname;
  return path.startsWith('/.well-known/oauth-authorization-server') || path.includes('/.well-known/openid-configuration');
}

/** What a request is for, in words: the token endpoint for any grant, else by path. */
export function describeRequest(url: URL, init?: RequestInit): string {
  if (tokenRequestForm(init)) return 'the token endpoint';
  if (revocationForm(init)) return 'the revocation endpoint';
  const p = url.pathname;
  if (p.includes('oauth-protected-resource')) return 'the protected resource metadata';
  if (p.includes('oauth-authorization-server') || p.includes('openid-configuration')) return 'the authorization server metadata';
  if (/token/.test(p)) return 'the token endpoint';
  if (/regist/.test(p)) return 'the registration endpoint';
  return 'the authorization server';
}

export function mediaType(response: Response): string {
  return (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

/** The JSON of a body already read as `text`, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `response` again, with the body it had (read as `text`). */
export function withBody(response: Response, text: string): Response {
  return new Response(text === '' ? null : text, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** `response` with `body` as its JSON (content-type set, content-length dropped). */
export function jsonResponse(response: Response, body: Record<string, unknown>): Response {
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers });
}
