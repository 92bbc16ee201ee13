// The fetch middleware that closes SDK gaps, against a scripted base fetch (no network).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOAuthFetch, type Challenge } from '../../src/core/oauth/oauth-fetch';
import { noopLogger } from '../../src/core/ports';

const SERVER = 'https://mcp.example.com/mcp';
const publicDns = async () => ['93.184.216.34'];

function scripted(handler: (url: URL, init?: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: string; init?: RequestInit }> = [];
  const base = async (url: string | URL, init?: RequestInit) => {
    calls.push({ url: String(url), ...(init ? { init } : {}) });
    return handler(new URL(String(url)), init);
  };
  return { base, calls };
}

describe('OAuth fetch middleware', () => {
  it('collapses concurrent refreshes with the same refresh token into one request', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { base, calls } = scripted(async () => {
      await gate;
      return Response.json({ access_token: 'new', token_type: 'Bearer', refresh_token: 'rt2' });
    });
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    const body = () => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt1' });
    const all = Promise.all([1, 2, 3].map(() => f('https://auth.example.com/token', { method: 'POST', body: body() })));
    await new Promise((r) => setTimeout(r, 20));
    release();
    const responses = await all;
    assert.equal(calls.length, 1);
    for (const r of responses) assert.deepEqual(await r.json(), { access_token: 'new', token_type: 'Bearer', refresh_token: 'rt2' });
  });

  it("answers with another window's fresh tokens instead of spending a rotated refresh token", async () => {
    const { base, calls } = scripted(() => Response.json({}));
    const f = createOAuthFetch({
      serverUrl: SERVER,
      logger: noopLogger,
      onChallenge: () => undefined,
      baseFetch: base,
      resolver: publicDns,
      coordinateRefresh: async () => ({ proceed: false, tokens: { access_token: 'from-other-window', token_type: 'Bearer', expires_in: 100 } }),
    });
    const r = await f('https://auth.example.com/token', { method: 'POST', body: 'grant_type=refresh_token&refresh_token=old' });
    assert.equal(calls.length, 0);
    assert.equal(((await r.json()) as { access_token: string }).access_token, 'from-other-window');
  });

  it('refuses OAuth URLs that fail the SSRF guard, and redirects to them', async () => {
    const { base, calls } = scripted((url) =>
      url.hostname === 'auth.example.com' ? new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/latest' } }) : Response.json({}),
    );
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    await assert.rejects(f('https://10.1.2.3/.well-known/oauth-authorization-server'), /it points to a private address/);
    await assert.rejects(f('https://auth.example.com/.well-known/openid-configuration'), /must use https/);
    assert.deepEqual(
      calls.map((c) => c.url),
      ['https://auth.example.com/.well-known/openid-configuration'],
    );
  });

  it('checks host names before an injected fetch is called', async () => {
    const { base, calls } = scripted(() => Response.json({}));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: async () => ['93.184.216.34', '10.0.0.7'] });
    await assert.rejects(f('https://auth.example.com/.well-known/oauth-authorization-server'), {
      code: 'unsafe_url',
      message: 'Refused the authorization server metadata (https://auth.example.com): its host name resolves to a private address.',
    });
    assert.equal(calls.length, 0);
  });

  it('refuses loopback OAuth endpoints for a server that is not on loopback', async () => {
    const { base, calls } = scripted(() => Response.json({}));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    for (const url of ['http://127.0.0.1:8080/token', 'http://localhost:1/.well-known/oauth-authorization-server', 'https://[::1]/register']) {
      await assert.rejects(f(url, { method: 'POST', body: 'grant_type=authorization_code&code=c' }), { code: 'unsafe_url' }, url);
    }
    assert.equal(calls.length, 0);
  });

  it('refuses a redirect answering a token or registration request, naming only the origin', async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const { base, calls } = scripted(() => new Response(null, { status, headers: { location: 'https://other.example.net/token?code=leak' } }));
      const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
      await assert.rejects(
        f('https://auth.example.com/oauth/token?tenant=x', { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'secret-code' }) }),
        {
          code: 'redirect_refused',
          message: `The token endpoint (https://auth.example.com) answered with a redirect (HTTP ${status}); MCP Hub does not resend credentials to another address.`,
        },
      );
      await assert.rejects(f('https://auth.example.com/register', { method: 'POST', body: JSON.stringify({ client_name: 'x' }) }), {
        code: 'redirect_refused',
        message: `The registration endpoint (https://auth.example.com) answered with a redirect (HTTP ${status}); MCP Hub does not resend credentials to another address.`,
      });
      assert.deepEqual(
        calls.map((c) => c.url),
        ['https://auth.example.com/oauth/token?tenant=x', 'https://auth.example.com/register'],
        `HTTP ${status}`,
      );
    }
  });

  it('follows metadata redirects without credentials once they leave the origin', async () => {
    const { base, calls } = scripted((url) => {
      if (url.pathname === '/a') return new Response(null, { status: 302, headers: { location: '/b' } });
      if (url.pathname === '/b') return new Response(null, { status: 301, headers: { location: 'https://meta.example.org/c' } });
      return Response.json({ issuer: 'https://auth.example.com' });
    });
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    const headers = { Authorization: 'Bearer at', Cookie: 'c=1', 'Proxy-Authorization': 'Basic x', DPoP: 'proof', Accept: 'application/json' };
    const r = await f('https://auth.example.com/a', { headers });
    assert.ok(r instanceof Response);
    assert.deepEqual(await r.json(), { issuer: 'https://auth.example.com' });
    const sent = calls.map((c) => [c.url, Object.fromEntries(new Headers(c.init?.headers))]);
    const all = { authorization: 'Bearer at', cookie: 'c=1', 'proxy-authorization': 'Basic x', dpop: 'proof', accept: 'application/json' };
    assert.deepEqual(sent, [
      ['https://auth.example.com/a', all],
      ['https://auth.example.com/b', all],
      ['https://meta.example.org/c', { accept: 'application/json' }],
    ]);
  });

  it('bounds a redirect loop', async () => {
    const { base, calls } = scripted((url) => new Response(null, { status: 302, headers: { location: url.pathname === '/x' ? '/y' : '/x' } }));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    await assert.rejects(f('https://auth.example.com/x?state=s'), {
      code: 'redirect_refused',
      message: 'The authorization server (https://auth.example.com) redirected more than 3 times.',
    });
    assert.equal(calls.length, 4);
  });

  it('does not follow protected resource metadata on another origin', async () => {
    const { base, calls } = scripted(() => Response.json({}));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns });
    await assert.rejects(f('https://evil.example.net/.well-known/oauth-protected-resource/mcp'), /Ignored protected resource metadata on another origin/);
    assert.equal(calls.length, 0);
  });

  it('bounds OAuth response sizes', async () => {
    const big = 'x'.repeat(2048);
    const { base } = scripted(() => new Response(big, { headers: { 'content-type': 'application/json' } }));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns, maxBytes: 1024 });
    await assert.rejects(f('https://auth.example.com/.well-known/oauth-authorization-server'), /sent more than 1 KiB/);
  });

  it('times out an OAuth request that does not answer', async () => {
    const base = (_u: string | URL, init?: RequestInit) =>
      new Promise<Response>((_r, reject) => init?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' }))));
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: base, resolver: publicDns, timeoutMs: 50 });
    // AbortSignal.timeout does not keep Node alive by itself; the editor's process is, a test is not.
    const keepAlive = setTimeout(() => undefined, 5_000);
    await assert.rejects(f('https://auth.example.com/token', { method: 'POST' }), /The token endpoint did not answer within 0.05 s/);
    clearTimeout(keepAlive);
  });

  it("records the server's challenges and stops a 401 loop on the event stream", async () => {
    const challenges: Challenge[] = [];
    const { base } = scripted(
      () =>
        new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="read write"' },
        }),
    );
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: (c) => challenges.push(c), baseFetch: base, resolver: publicDns });
    for (let i = 0; i < 3; i++) assert.equal((await f(SERVER, { method: 'GET' })).status, 401);
    await assert.rejects(f(SERVER, { method: 'GET' }), /kept answering 401 on its event stream/);
    assert.deepEqual(challenges[0], {
      status: 401,
      scheme: 'bearer',
      resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
      scope: 'read write',
    });
  });

  it("records a DPoP challenge's scheme, but not a use_dpop_nonce the SDK's DPoP wrapper retries", async () => {
    const challenges: Challenge[] = [];
    const { base } = scripted((_url, init) =>
      new Headers(init?.headers).has('dpop')
        ? new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n1' } })
        : new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP algs="ES256"' } }),
    );
    const f = createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: (c) => challenges.push(c), baseFetch: base, resolver: publicDns });
    assert.equal((await f(SERVER, { method: 'POST', body: '{}' })).status, 401);
    assert.deepEqual(challenges, [{ status: 401, scheme: 'dpop' }]);
    const nonce = await f(SERVER, { method: 'POST', body: '{}', headers: { Authorization: 'DPoP at', DPoP: 'proof' } });
    assert.equal(nonce.headers.get('dpop-nonce'), 'n1', 'the challenge reaches the SDK, which retries with the nonce');
    assert.equal(challenges.length, 1);
  });
});
