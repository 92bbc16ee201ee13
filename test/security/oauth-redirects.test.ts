// The attacker is an authorization server that answers with redirects: to move a token request
// (with its code, verifier or client secret) to another address, to carry credentials to another
// origin, to walk the flow to a private address, or to loop. Real HTTP servers on 127.0.0.1 and
// 127.0.0.2 (two loopback origins; the MCP server is on loopback, so loopback is allowed). Hostile
// DNS answers come from a fake resolver and would land on a loopback listener were the guard broken.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createOAuthFetch } from '../../src/core/oauth/oauth-fetch';
import type { Resolver } from '../../src/core/oauth/url-guard';
import { noopLogger } from '../../src/core/ports';

const SERVER = 'http://127.0.0.1:9/mcp';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Route = (url: URL, seen: Seen) => { status: number; location?: string; json?: unknown };

/** An HTTP server on `host` that records every request and answers by `route`. */
async function httpServer(host: string) {
  const seen: Seen[] = [];
  let route: Route = () => ({ status: 404 });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const answer = route(new URL(req.url ?? '/', `http://${host}`), s);
      res.writeHead(answer.status, { ...(answer.location ? { location: answer.location } : {}), 'content-type': 'application/json' });
      res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    seen,
    route: (r: Route) => {
      route = r;
      seen.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const counts = new Map<string, number>();
let allowed = 0;
/** Runs one hostile input, expecting the error code `code`; counts it, and counts what got through. */
async function hostile(category: string, code: string, attempt: () => Promise<unknown>): Promise<Error & { code?: string }> {
  counts.set(category, (counts.get(category) ?? 0) + 1);
  let error: (Error & { code?: string }) | undefined;
  try {
    await attempt();
  } catch (e) {
    error = e as Error & { code?: string };
  }
  if (error?.code !== code) allowed++;
  assert.equal(error?.code, code, error?.message ?? 'allowed');
  return error;
}

describe('OAuth redirects from a hostile authorization server', () => {
  let a: Awaited<ReturnType<typeof httpServer>>;
  let b: Awaited<ReturnType<typeof httpServer>>;
  let sink: { port: number; connections: number; close: () => Promise<void> };
  const oauthFetch = (resolver: Resolver = async () => []) => createOAuthFetch({ serverUrl: SERVER, logger: noopLogger, onChallenge: () => undefined, resolver, timeoutMs: 5_000 });

  before(async () => {
    a = await httpServer('127.0.0.1');
    b = await httpServer('127.0.0.2');
    const tcp = createTcpServer((socket) => {
      sink.connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    sink = { port: (tcp.address() as AddressInfo).port, connections: 0, close: () => new Promise<void>((r) => tcp.close(() => r())) };
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), sink.close()]);
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    console.log(`security[oauth-redirects]: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')} (${total} hostile inputs), allowed ${allowed}`);
  });

  it('refuses a redirect answering a token or registration request; the other origin receives nothing', async () => {
    const f = oauthFetch();
    for (const status of [307, 308, 301, 302, 303]) {
      for (const target of [`${b.origin}/token`, `${a.origin}/token-elsewhere`]) {
        a.route(() => ({ status, location: `${target}?code=leak` }));
        b.route(() => ({ status: 200, json: { access_token: 'stolen' } }));
        const token = new URLSearchParams({ grant_type: 'authorization_code', code: 'the-code', code_verifier: 'the-verifier', client_secret: 'the-secret' });
        const error = await hostile('credential redirects', 'redirect_refused', () =>
          f(`${a.origin}/token?tenant=t`, { method: 'POST', headers: { authorization: 'Basic Y2xpZW50OnNlY3JldA==' }, body: token }),
        );
        assert.equal(error.message, `The token endpoint (${a.origin}) answered with a redirect (HTTP ${status}); MCP Hub does not resend credentials to another address.`);
        await hostile('credential redirects', 'redirect_refused', () =>
          f(`${a.origin}/register`, { method: 'POST', body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:1/callback'] }) }),
        );
        assert.deepEqual(
          a.seen.map((s) => `${s.method} ${s.url}`),
          ['POST /token?tenant=t', 'POST /register'],
        );
        assert.equal(a.seen.filter((s) => s.url === '/token-elsewhere').length, 0);
        assert.deepEqual(b.seen, []);
      }
    }
  });

  it('follows a metadata redirect to another origin without the credentials', async () => {
    const f = oauthFetch();
    const credentials = { authorization: 'Bearer at-1', cookie: 'session=1', 'proxy-authorization': 'Basic cHJveHk6cHc=', dpop: 'proof' };
    a.route((url) => (url.pathname === '/.well-known/oauth-authorization-server' ? { status: 302, location: '/moved' } : { status: 301, location: `${b.origin}/metadata` }));
    b.route(() => ({ status: 200, json: { issuer: b.origin } }));
    const r = await f(`${a.origin}/.well-known/oauth-authorization-server`, { headers: { ...credentials, accept: 'application/json' } });
    assert.ok(r instanceof Response);
    assert.deepEqual(await r.json(), { issuer: b.origin });
    // Within the first origin the headers stay; the other origin gets none of them.
    assert.equal(a.seen.length, 2);
    for (const s of a.seen) for (const [k, v] of Object.entries(credentials)) assert.equal(s.headers[k], v);
    assert.equal(b.seen.length, 1);
    for (const name of Object.keys(credentials)) {
      counts.set('cross-origin credential headers', (counts.get('cross-origin credential headers') ?? 0) + 1);
      if (b.seen[0].headers[name] !== undefined) allowed++;
      assert.equal(b.seen[0].headers[name], undefined, name);
    }
    assert.equal(b.seen[0].headers.accept, 'application/json');
  });

  it('refuses a redirect chain to a private address before connecting', async () => {
    const asked: string[] = [];
    // Mixed answers: one private address refuses the name. Were the guard broken, the socket would
    // try 127.0.0.1 first and reach the listener, so nothing leaves this machine either way.
    const dns: Record<string, string[]> = {
      'internal.example': ['127.0.0.1', '10.0.0.1'],
      'metadata.google.internal': ['127.0.0.1', '169.254.169.254'],
      'router.example': ['127.0.0.1', '192.168.1.1'],
      'mapped.example': ['::ffff:127.0.0.1'],
      'zero.example': ['0.0.0.0'],
    };
    const f = oauthFetch(async (name) => {
      asked.push(name);
      return dns[name] ?? [];
    });
    const targets = [
      ...Object.keys(dns).map((name) => `https://${name}:${sink.port}/.well-known/openid-configuration`),
      `http://0.0.0.0:${sink.port}/`,
      `http://[::ffff:127.0.0.1]:${sink.port}/`,
      `http://[::]:${sink.port}/`,
      `http://user:pw@127.0.0.2:${sink.port}/`,
      `https://[::ffff:7f00:1]:${sink.port}/`,
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:application/json,{}',
    ];
    for (const target of targets) {
      a.route(() => ({ status: 302, location: `${b.origin}/hop` }));
      b.route(() => ({ status: 307, location: target }));
      const error = await hostile('redirect chains to private addresses', 'unsafe_url', () => f(`${a.origin}/.well-known/oauth-authorization-server?x=1`));
      assert.ok(!error.message.includes('?') && !error.message.includes('/hop'), error.message);
      assert.deepEqual([a.seen.length, b.seen.length], [1, 1], target);
    }
    assert.deepEqual(asked, Object.keys(dns));
    assert.equal(sink.connections, 0);
  });

  it('bounds redirect loops', async () => {
    const f = oauthFetch();
    a.route((url) => ({ status: 302, location: url.pathname === '/x' ? '/y' : '/x' }));
    let error = await hostile('redirect loops', 'redirect_refused', () => f(`${a.origin}/x`));
    assert.equal(error.message, `The authorization server (${a.origin}) redirected more than 3 times.`);
    assert.equal(a.seen.length, 4);

    a.route(() => ({ status: 302, location: `${b.origin}/pong` }));
    b.route(() => ({ status: 308, location: `${a.origin}/ping` }));
    error = await hostile('redirect loops', 'redirect_refused', () => f(`${a.origin}/.well-known/oauth-authorization-server`));
    assert.equal(error.message, `The authorization server metadata (${a.origin}) redirected more than 3 times.`);
    assert.equal(a.seen.length + b.seen.length, 4);

    a.route(() => ({ status: 303, location: '/.well-known/oauth-authorization-server' }));
    error = await hostile('redirect loops', 'redirect_refused', () => f(`${a.origin}/.well-known/oauth-authorization-server`));
    assert.equal(error.message, `The authorization server metadata (${a.origin}) redirected more than 3 times.`);
    assert.equal(a.seen.length, 4);
  });
});
