// The middlewares that close SDK gaps (src/core/oauth/middleware/), each against the SDK function
// that meets the gap, with a scripted fetch (no network): each first shows the gap without its
// middleware, then that the middleware closes it. The quirks of authorization servers are in
// quirks.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  discoverAuthorizationServerMetadata,
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  OAuthError,
  refreshAuthorization,
  requestJwtAuthorizationGrant,
  type FetchLike,
} from '@modelcontextprotocol/client';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { recordChallenges, sseUnauthorizedLoop, type Challenge } from '../../src/core/oauth/middleware/challenges';
import { boundedOAuthResponses, crossOriginRedirects, crossOriginResourceMetadata, ssrfGuard } from '../../src/core/oauth/middleware/network';
import { refreshCollapse } from '../../src/core/oauth/middleware/refresh';
import { tokenExchangeErrors } from '../../src/core/oauth/middleware/token-exchange';
import { guardFor } from '../../src/core/oauth/url-guard';
import { noopLogger } from '../../src/core/ports';

const IDP = 'https://idp.example.com';
const AS = 'https://auth.example.com';
const SERVER = 'https://mcp.example.com/mcp';
const metadata = {
  issuer: AS,
  authorization_endpoint: `${AS}/authorize`,
  token_endpoint: `${AS}/token`,
  response_types_supported: ['code'],
  code_challenge_methods_supported: ['S256'],
};

/** A fetch that records what it is asked and answers with `handler`. */
function scripted(handler: (url: URL, init?: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const fetchFn: FetchLike = async (url, init) => {
    calls.push({ url: String(url), headers: Object.fromEntries(new Headers(init?.headers)) });
    return handler(new URL(String(url)), init);
  };
  return { fetchFn, calls };
}

describe('tokenExchangeErrors', () => {
  const exchange = (fetchFn: FetchLike) =>
    requestJwtAuthorizationGrant({ tokenEndpoint: `${IDP}/token`, audience: 'https://as.example.com', resource: 'https://mcp.example.com', idToken: 'id', clientId: 'c', fetchFn });
  const refusing: FetchLike = async () => Response.json({ error: 'access_denied', error_description: 'policy says no' }, { status: 400 });

  it("turns the IdP's OAuth error response into the SDK's OAuthError with its code", async () => {
    await assert.rejects(exchange(refusing), (e: Error) => {
      assert.ok(!(e instanceof OAuthError), 'the gap: a plain Error, its code only in the message');
      assert.match(e.message, /^Token exchange failed: access_denied - policy says no$/);
      return true;
    });
    await assert.rejects(exchange(tokenExchangeErrors(refusing)), (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.code, 'access_denied');
      return true;
    });
  });

  it('leaves successes, other grants and answers that are not OAuth errors as they were', async () => {
    const ok = tokenExchangeErrors(async () => Response.json({ access_token: 'jag', issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag', token_type: 'N_A' }));
    assert.equal((await exchange(ok)).jwtAuthGrant, 'jag');
    const html = tokenExchangeErrors(async () => new Response('<h1>busy</h1>', { status: 503 }));
    await assert.rejects(exchange(html), (e: Error) => !(e instanceof OAuthError) && /status 503/.test(e.message));
    const other = tokenExchangeErrors(refusing);
    const r = await other(`${IDP}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r' }) });
    assert.equal(r.status, 400, 'a refresh refused is the SDK’s to read');
    assert.equal(((await r.json()) as { error: string }).error, 'access_denied');
  });

  it('keeps only a well-formed code', async () => {
    const odd = tokenExchangeErrors(async () => Response.json({ error: '<b>x</b>' }, { status: 400 }));
    await assert.rejects(exchange(odd), (e: Error) => !(e instanceof OAuthError));
  });
});

describe('ssrfGuard', () => {
  const publicDns = async () => ['93.184.216.34'];
  const guarded = (fetchFn: FetchLike) => ssrfGuard({ serverUrl: SERVER, guard: guardFor(SERVER, publicDns), throughNext: true })(fetchFn);

  it('sends nothing to a private address an authorization server is named by', async () => {
    const { fetchFn, calls } = scripted(() => Response.json({ ...metadata, issuer: 'https://10.0.0.5' }));
    await discoverAuthorizationServerMetadata('https://10.0.0.5', { fetchFn });
    assert.ok(calls.length > 0, 'the gap: the SDK fetches metadata wherever it is named');
    calls.length = 0;
    await assert.rejects(discoverAuthorizationServerMetadata('https://10.0.0.5', { fetchFn: guarded(fetchFn) }), (e) => isOAuthFlowError(e, 'unsafe_url'));
    assert.equal(calls.length, 0);
  });

  it("says so when a name resolves to a private address, and leaves the server's own origin alone", async () => {
    const { fetchFn, calls } = scripted(() => Response.json({}));
    const rebinding = ssrfGuard({ serverUrl: SERVER, guard: guardFor(SERVER, async () => ['10.0.0.7']), throughNext: true })(fetchFn);
    await assert.rejects(rebinding(`${AS}/.well-known/oauth-authorization-server`), {
      code: 'unsafe_url',
      message: 'Refused the authorization server metadata (https://auth.example.com): its host name resolves to a private address.',
    });
    assert.equal((await rebinding('https://mcp.example.com/.well-known/oauth-protected-resource/mcp')).status, 200);
    assert.deepEqual(
      calls.map((c) => c.url),
      ['https://mcp.example.com/.well-known/oauth-protected-resource/mcp'],
    );
  });
});

describe('crossOriginRedirects', () => {
  const moved = () =>
    scripted((url) => (url.origin === AS ? new Response(null, { status: 302, headers: { location: 'https://cdn.example.net/as.json' } }) : Response.json(metadata)));

  it('follows a metadata document to another origin, without the credentials', async () => {
    const without = moved();
    assert.equal(await discoverAuthorizationServerMetadata(AS, { fetchFn: without.fetchFn }), undefined, 'the gap: the SDK follows only same-origin redirects');
    const { fetchFn, calls } = moved();
    const following = crossOriginRedirects(fetchFn);
    const withCredentials: FetchLike = (url, init) => following(url, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: 'Bearer at' } });
    const found = await discoverAuthorizationServerMetadata(AS, { fetchFn: withCredentials });
    assert.equal(found?.issuer, AS);
    const hop = calls.find((c) => c.url.startsWith('https://cdn.example.net'))!;
    assert.equal(hop.headers.authorization, undefined, 'Authorization stays with its origin');
    assert.equal(calls[0].headers.authorization, 'Bearer at');
  });

  it('never follows a redirect answering a token request', async () => {
    const { fetchFn, calls } = scripted(() => new Response(null, { status: 307, headers: { location: 'https://other.example.net/token' } }));
    await assert.rejects(crossOriginRedirects(fetchFn)(`${AS}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }) }), {
      code: 'redirect_refused',
    });
    assert.equal(calls.length, 1);
  });
});

describe('boundedOAuthResponses', () => {
  const huge = () => scripted(() => Response.json({ ...metadata, padding: 'x'.repeat(2 * 1024 * 1024) }));

  it('reads at most maxBytes of an OAuth response', async () => {
    assert.equal((await discoverAuthorizationServerMetadata(AS, { fetchFn: huge().fetchFn }))?.issuer, AS, 'the gap: the SDK reads 2 MiB whole');
    const bounded = boundedOAuthResponses({ timeoutMs: 30_000, maxBytes: 1024 * 1024 })(huge().fetchFn);
    await assert.rejects(discoverAuthorizationServerMetadata(AS, { fetchFn: bounded }), {
      code: 'response_too_large',
      message: 'The authorization server metadata sent more than 1024 KiB.',
    });
  });

  it('ends a request that does not answer within timeoutMs', async () => {
    const silent: FetchLike = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)));
    // AbortSignal.timeout does not keep Node alive by itself; the editor's process is, a test is not.
    const keepAlive = setTimeout(() => undefined, 5_000);
    try {
      await assert.rejects(boundedOAuthResponses({ timeoutMs: 50, maxBytes: 1024 })(silent)(`${AS}/token`, { method: 'POST', body: 'grant_type=refresh_token' }), {
        code: 'timeout',
        message: 'The token endpoint did not answer within 0.05 s.',
      });
    } finally {
      clearTimeout(keepAlive);
    }
  });
});

describe('crossOriginResourceMetadata', () => {
  it('does not fetch protected resource metadata a server names on another origin', async () => {
    const { fetchFn, calls } = scripted(() => Response.json({ resource: SERVER, authorization_servers: ['https://evil.example.net'] }));
    const elsewhere = new URL('https://evil.example.net/.well-known/oauth-protected-resource/mcp');
    await discoverOAuthProtectedResourceMetadata(SERVER, { resourceMetadataUrl: elsewhere }, fetchFn);
    assert.deepEqual(
      calls.map((c) => c.url),
      [elsewhere.href],
      'the gap: the SDK fetches it as named',
    );
    calls.length = 0;
    await assert.rejects(discoverOAuthProtectedResourceMetadata(SERVER, { resourceMetadataUrl: elsewhere }, crossOriginResourceMetadata(SERVER)(fetchFn)), { code: 'unsafe_url' });
    assert.equal(calls.length, 0);
    await discoverOAuthProtectedResourceMetadata(SERVER, {}, crossOriginResourceMetadata(SERVER)(fetchFn));
    assert.equal(calls.length, 1, "the server's own origin is asked");
  });
});

describe('refreshCollapse', () => {
  /** A token endpoint that rotates refresh tokens: each one is good once. */
  const rotating = () => {
    let gate!: () => void;
    const opened = new Promise<void>((r) => (gate = r));
    const spent = new Set<string>();
    const endpoint = scripted(async (_url, init) => {
      await opened;
      const rt = new URLSearchParams(init?.body as URLSearchParams | string).get('refresh_token')!;
      if (spent.has(rt)) return Response.json({ error: 'invalid_grant' }, { status: 400 });
      spent.add(rt);
      return Response.json({ access_token: `at-${spent.size}`, token_type: 'Bearer', refresh_token: `rt-${spent.size}` });
    });
    return { ...endpoint, open: gate };
  };
  const refresh = (fetchFn: FetchLike) => refreshAuthorization(AS, { metadata, clientInformation: { client_id: 'c' }, refreshToken: 'rt-0', fetchFn });

  it('makes concurrent refreshes with one refresh token one request, whose answer each gets', async () => {
    const without = rotating();
    const racing = Promise.allSettled([refresh(without.fetchFn), refresh(without.fetchFn)]);
    without.open();
    const settled = await racing;
    assert.deepEqual(
      settled.map((r) => r.status),
      ['fulfilled', 'rejected'],
      'the gap: the second spends a rotated refresh token (invalid_grant)',
    );
    const withIt = rotating();
    const f = refreshCollapse({ logger: noopLogger })(withIt.fetchFn);
    const both = Promise.all([refresh(f), refresh(f)]);
    withIt.open();
    const [a, b] = await both;
    assert.equal(withIt.calls.length, 1);
    assert.deepEqual(a, b);
  });

  it("answers with another window's tokens instead of spending the refresh token", async () => {
    const { fetchFn, calls } = scripted(() => Response.json({}));
    const f = refreshCollapse({ logger: noopLogger, coordinate: async () => ({ proceed: false, tokens: { access_token: 'theirs', token_type: 'Bearer', expires_in: 60 } }) })(
      fetchFn,
    );
    assert.equal((await refresh(f)).access_token, 'theirs');
    assert.equal(calls.length, 0);
  });
});

describe('recordChallenges', () => {
  const dpop = () => scripted(() => new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP algs="ES256", scope="files:read", error="invalid_token"' } }));

  it("records a challenge's scheme and parameters, DPoP as well as Bearer", async () => {
    const { fetchFn } = dpop();
    assert.ok(!('scheme' in extractWWWAuthenticateParams(await fetchFn(SERVER))), 'the gap: the SDK reads the parameters, not the scheme');
    const challenges: Challenge[] = [];
    await recordChallenges((c) => challenges.push(c))(fetchFn)(SERVER, { method: 'POST', body: '{}' });
    assert.deepEqual(challenges, [{ status: 401, scheme: 'dpop', scope: 'files:read', error: 'invalid_token' }]);
  });
});

describe('sseUnauthorizedLoop', () => {
  it('fails the event stream after a few 401s in a row instead of reconnecting for ever', async () => {
    const { fetchFn } = scripted(() => new Response(null, { status: 401 }));
    for (let i = 0; i < 10; i++) assert.equal((await fetchFn(SERVER, { method: 'GET' })).status, 401, 'the gap: nothing ends the loop');
    const f = sseUnauthorizedLoop()(fetchFn);
    for (let i = 0; i < 3; i++) assert.equal((await f(SERVER, { method: 'GET' })).status, 401);
    await assert.rejects(f(SERVER, { method: 'GET' }), /kept answering 401 on its event stream \(3 times\)/);
    assert.equal((await f(SERVER, { method: 'POST', body: '{}' })).status, 401, 'a POST is the transport’s to answer');
  });
});
