// The attacker is an MCP server or authorization server that names URLs (metadata endpoints,
// redirects) to make MCP Hub reach private networks, cloud metadata or services on this machine.
// Network safety: traffic goes only to listeners on 127.0.0.0/8. Hostile DNS answers come from a
// fake resolver; private answers are judged by the guard alone (checkUrl, guardedLookup), and the
// end-to-end cases use answers that would stay on this machine (loopback, 0.0.0.0) were the guard
// broken, with a listener there to notice.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { createOAuthFetch } from '../../src/core/oauth/oauth-fetch';
import { HubOAuthProvider } from '../../src/core/oauth/provider';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { checkUrl, guardedLookup, type GuardOptions, type Resolver } from '../../src/core/oauth/url-guard';
import { noopLogger, systemClock } from '../../src/core/ports';

const PUBLIC_SERVER = 'https://mcp.example.com/mcp';
const LOOPBACK_SERVER = 'http://127.0.0.1:9/mcp';

const counts = new Map<string, number>();
let allowed = 0;
/** Runs one hostile input; counts it, and counts it as allowed unless it was refused. */
async function hostile(category: string, attempt: () => Promise<unknown>, refused: (e: unknown) => boolean): Promise<unknown> {
  counts.set(category, (counts.get(category) ?? 0) + 1);
  try {
    await attempt();
  } catch (error) {
    if (refused(error)) return error;
    allowed++;
    throw error;
  }
  allowed++;
  assert.fail('allowed');
}
const unsafe = (e: unknown) => (e as { code?: string }).code === 'unsafe_url';
/** Refused, or not even a URL (fetch rejects it before anything is sent). */
const unsafeOrInvalid = (e: unknown) => unsafe(e) || (e as { code?: string }).code === 'ERR_INVALID_URL';

/** A resolver that records the names it is asked and answers from a table. */
function fakeDns(table: Record<string, string[] | ((call: number) => string[])>) {
  const asked: string[] = [];
  const resolver: Resolver = async (name) => {
    asked.push(name);
    const answer = table[name];
    if (!answer) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return typeof answer === 'function' ? answer(asked.filter((n) => n === name).length) : answer;
  };
  return { resolver, asked };
}

/** A fetch that must never be reached. */
function tripwire() {
  const calls: string[] = [];
  const fetch: FetchLike = async (url) => {
    calls.push(String(url));
    return new Response('{}');
  };
  return { fetch, calls };
}

/** A TCP listener on 127.0.0.1 that counts connections and drops them. */
async function listener(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { server, port: address.port, connections: () => n };
}

function lookupOnce(guard: GuardOptions, host: string, options: { all?: boolean; family?: number } = { all: true }) {
  return new Promise<{ error: Error | null; address: string | LookupAddress[] }>((resolve) => guardedLookup(guard)(host, options, (error, address) => resolve({ error, address })));
}

describe('SSRF: hostile addresses', () => {
  let sink: Awaited<ReturnType<typeof listener>>;
  before(async () => {
    sink = await listener();
  });
  after(async () => {
    await new Promise((r) => sink.server.close(r));
    const total = [...counts.values()].reduce((x, y) => x + y, 0);
    console.log(`security[ssrf]: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')} (${total} hostile inputs), allowed ${allowed}`);
  });

  // Literal hosts, as an attacker may write them; WHATWG URL normalises them before the guard.
  // prettier-ignore
  const addressForms: string[] = [
    'http://2130706433/', 'http://0x7f.1/', 'http://0177.0.0.1/', 'http://0x7f000001/', 'http://127.1/', 'http://017700000001/',
    'http://%31%32%37.0.0.1/', 'http://１２７.０.０.１/', 'http://127.0.0.1./', 'http://localhost/', 'http://LOCALHOST./', 'http://app.localhost/',
    'https://[::1]/', 'https://[0:0:0:0:0:0:0:1]/', 'https://127.0.0.2/',
    'https://167772161/', 'https://0xa.0.0.1/', 'https://012.0.0.1/', 'https://10.0.0.1./', 'https://172.16.0.1/', 'https://192.168.0.1/', 'https://0xc0.0xa8.1/',
    'https://169.254.169.254/', 'https://2852039166/', 'https://0xA9FEA9FE/', 'https://0251.0376.0251.0376/', 'https://169.254.0.1/',
    'https://0.0.0.0/', 'https://0/', 'https://0.1.2.3/', 'https://100.64.0.1/', 'https://198.18.0.1/', 'https://198.19.1.1/', 'https://192.0.0.1/',
    'https://192.0.2.1/', 'https://198.51.100.1/', 'https://203.0.113.1/', 'https://224.0.0.1/', 'https://239.255.255.250/', 'https://240.0.0.1/', 'https://255.255.255.255/',
    'https://[::ffff:10.0.0.1]/', 'https://[::ffff:a00:1]/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:169.254.169.254]/', 'https://[::ffff:8.8.8.8]/',
    'https://[::ffff:0:a00:1]/', 'https://[64:ff9b::a00:1]/', 'https://[64:ff9b::808:808]/', 'https://[64:ff9b:1::a00:1]/', 'https://[2002:a00:1::]/',
    'https://[2002:7f00:1::]/', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'https://[::a00:1]/', 'https://[::10.0.0.1]/', 'https://[::127.0.0.1]/',
    'https://[fe80::1%25eth0]/', 'https://[fe80::1]/', 'https://[::]/', 'https://[fd00::1]/', 'https://[fc00::1]/', 'https://[fec0::1]/', 'https://[ff02::1]/',
    'https://[2001:db8::1]/', 'https://[100::1]/', 'https://[4000::1]/',
  ];
  it('refuses every literal form of a non-public address, for a public server, without DNS or a request', async () => {
    const dns = fakeDns({});
    const sent = tripwire();
    const f = createOAuthFetch({ serverUrl: PUBLIC_SERVER, logger: noopLogger, onChallenge: () => undefined, baseFetch: sent.fetch, resolver: dns.resolver });
    for (const url of addressForms) {
      await hostile('address forms', () => checkUrl(url, 'the token endpoint', { allowLoopback: false, resolver: dns.resolver }), unsafe);
      await hostile('address forms', () => f(`${url}.well-known/oauth-authorization-server`), unsafeOrInvalid);
    }
    assert.deepEqual(dns.asked, []);
    assert.deepEqual(sent.calls, []);
  });

  it('refuses the same forms for a loopback server, except loopback itself', async () => {
    const refusedEvenForLoopback = addressForms.filter((u) => !/^http:\/\/|^https:\/\/(\[::1\]|\[0:0:0:0:0:0:0:1\]|127\.0\.0\.2)\/$/.test(u));
    for (const url of refusedEvenForLoopback) await hostile('address forms', () => checkUrl(url, 'x', { allowLoopback: true, resolver: fakeDns({}).resolver }), unsafe);
    // The loopback forms pass for a loopback server: the guard is not refusing everything.
    for (const url of addressForms.filter((u) => !refusedEvenForLoopback.includes(u))) {
      const checked = await checkUrl(url, 'x', { allowLoopback: true });
      assert.ok(['127.0.0.1', '127.0.0.2', '[::1]', 'localhost', 'localhost.', 'app.localhost'].includes(checked.hostname), url);
    }
  });

  // Names whose answers are hostile; each is judged with every answer together.
  // prettier-ignore
  const resolvedNames: Array<[string, string[]]> = [
    ['metadata.google.internal', ['169.254.169.254']], ['metadata.azure.example', ['169.254.169.254']], ['fd.example', ['fd00:ec2::254']],
    ['intranet.example', ['10.0.0.1']], ['router.example', ['192.168.0.1']], ['docker.example', ['172.17.0.1']], ['cgnat.example', ['100.64.0.1']],
    ['mixed.example', ['93.184.216.34', '10.0.0.1']], ['mixed6.example', ['2606:4700::1111', 'fd00::1']], ['mixed-late.example', ['93.184.216.34', '8.8.8.8', '169.254.169.254']],
    ['mapped.example', ['::ffff:169.254.169.254']], ['mapped-public.example', ['::ffff:8.8.8.8']], ['nat64.example', ['64:ff9b::a9fe:a9fe']],
    ['6to4.example', ['2002:a9fe:a9fe::1']], ['teredo.example', ['2001:0:4136:e378:8000:63bf:3fff:fdd2']], ['compat.example', ['::a9fe:a9fe']],
    ['zero.example', ['0.0.0.0']], ['any6.example', ['::']], ['linklocal6.example', ['fe80::1%eth0']], ['multicast.example', ['224.0.0.251']],
    ['bench.example', ['198.18.0.1']], ['broadcast.example', ['255.255.255.255']], ['self.example', ['127.0.0.1']], ['self6.example', ['::1']],
    ['garbage.example', ['not-an-address']],
  ];
  it('refuses names that resolve to any non-public address, for a public server', async () => {
    const table = Object.fromEntries(resolvedNames);
    for (const [name] of resolvedNames) {
      const dns = fakeDns(table);
      const guard = { allowLoopback: false, resolver: dns.resolver };
      const error = (await hostile('resolved names', () => checkUrl(`https://${name}/token`, 'the token endpoint', guard), unsafe)) as Error;
      assert.match(error.message, new RegExp(`^Refused the token endpoint \\(https://${name.replace(/\./g, '\\.')}\\): its host name resolves to `));
      // A socket asking the guard for the name is handed no address at all.
      const looked = await lookupOnce(guard, name);
      await hostile(
        'resolved names',
        async () => {
          if (looked.error) throw looked.error;
        },
        unsafe,
      );
      assert.equal(looked.address, '');
      assert.deepEqual(dns.asked, [name, name]);
    }
  });

  it('refuses end to end before connecting: answers that would land on this machine', async () => {
    // Were the guard broken, each of these answers would reach the listener on 127.0.0.1.
    const table = { 'self.example': ['127.0.0.1'], 'zero.example': ['0.0.0.0'], 'mapped.example': ['::ffff:127.0.0.1'], 'mixed.example': ['127.0.0.1', '93.184.216.34'] };
    const dns = fakeDns(table);
    const connectionsBefore = sink.connections();
    const f = createOAuthFetch({ serverUrl: PUBLIC_SERVER, logger: noopLogger, onChallenge: () => undefined, resolver: dns.resolver, timeoutMs: 2_000 });
    for (const name of Object.keys(table)) {
      await hostile('resolved names', () => f(`https://${name}:${sink.port}/.well-known/oauth-authorization-server`), unsafe);
    }
    assert.deepEqual(dns.asked, Object.keys(table));
    assert.equal(sink.connections(), connectionsBefore);
  });

  it('pins a connection to the answer it checked (DNS rebinding)', async () => {
    // The attacker's name answers a checked address first and a private one on every later call.
    const dns = fakeDns({ 'rebind.example': (call) => (call === 1 ? ['127.0.0.1'] : ['10.0.0.1']) });
    const connectionsBefore = sink.connections();
    const f = createOAuthFetch({ serverUrl: LOOPBACK_SERVER, logger: noopLogger, onChallenge: () => undefined, resolver: dns.resolver, timeoutMs: 2_000 });
    // The listener drops the TLS handshake: the request fails, after one connection to 127.0.0.1.
    await assert.rejects(f(`https://rebind.example:${sink.port}/.well-known/oauth-authorization-server`), { code: 'unreachable' });
    assert.equal(sink.connections(), connectionsBefore + 1);
    assert.equal(dns.asked.length, 1, 'one resolution per connection: the check is the connect');
    // The next connection asks again, gets the private answer, and never connects.
    await hostile('rebinding', () => f(`https://rebind.example:${sink.port}/token`, { method: 'POST', body: 'grant_type=refresh_token&refresh_token=rt' }), unsafe);
    assert.equal(dns.asked.length, 2);
    assert.equal(sink.connections(), connectionsBefore + 1);

    // What the socket is handed is exactly what was checked, from a single resolution.
    const flipping = fakeDns({ 'flip.example': (call) => (call === 1 ? ['93.184.216.34'] : ['169.254.169.254']) });
    const looked = await lookupOnce({ allowLoopback: false, resolver: flipping.resolver }, 'flip.example');
    assert.deepEqual(looked, { error: null, address: [{ address: '93.184.216.34', family: 4 }] });
    assert.deepEqual(flipping.asked, ['flip.example']);
    const again = await lookupOnce({ allowLoopback: false, resolver: flipping.resolver }, 'flip.example', {});
    await hostile(
      'rebinding',
      async () => {
        if (again.error) throw again.error;
      },
      unsafe,
    );
  });

  it('refuses loopback endpoints named by a public server, and sends nothing there', async () => {
    const dns = fakeDns({ 'sneaky.example': ['127.0.0.1'], 'as.example.com': ['93.184.216.34'] });
    const connectionsBefore = sink.connections();
    const f = createOAuthFetch({ serverUrl: PUBLIC_SERVER, logger: noopLogger, onChallenge: () => undefined, resolver: dns.resolver, timeoutMs: 2_000 });
    const p = sink.port;
    // prettier-ignore
    const urls = [
      `http://127.0.0.1:${p}/token`, `http://localhost:${p}/token`, `http://[::1]:${p}/token`, `https://127.0.0.1:${p}/token`, `http://127.1:${p}/token`,
      `http://2130706433:${p}/token`, `http://127.0.0.2:${p}/token`, `http://foo.localhost:${p}/token`, `https://sneaky.example:${p}/token`,
    ];
    for (const url of urls) {
      await hostile('loopback from a public server', () => f(url, { method: 'POST', body: 'grant_type=authorization_code&code=c' }), unsafe);
      await hostile('loopback from a public server', () => f(url.replace('/token', '/.well-known/oauth-authorization-server')), unsafe);
    }
    assert.equal(sink.connections(), connectionsBefore);

    // The provider's checks of the metadata endpoints and of the authorization URL, for the same server.
    const provider = (serverUrl: string) =>
      new HubOAuthProvider({
        serverUrl,
        settings: {},
        store: new TokenStore(new MemorySecretStore()),
        mode: { kind: 'passive' },
        logger: noopLogger,
        clock: systemClock,
        resolver: dns.resolver,
      });
    const discovery = (endpoint: string) => ({
      authorizationServerUrl: 'https://as.example.com',
      authorizationServerMetadata: {
        issuer: 'https://as.example.com',
        authorization_endpoint: 'https://as.example.com/authorize',
        token_endpoint: endpoint,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      },
    });
    for (const url of urls) await hostile('loopback from a public server', () => provider(PUBLIC_SERVER).saveDiscoveryState(discovery(url)), unsafe);
    await provider(LOOPBACK_SERVER).saveDiscoveryState(discovery(`http://127.0.0.1:${p}/token`));
  });

  it('allows loopback authorization servers for a loopback server', async () => {
    const http = await import('node:http');
    const seen: string[] = [];
    const as = http.createServer((req, res) => {
      seen.push(`${req.socket.localAddress} ${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: 'ok' }));
    });
    await new Promise<void>((r) => as.listen(0, '127.0.0.2', r));
    try {
      const port = (as.address() as { port: number }).port;
      const f = createOAuthFetch({ serverUrl: LOOPBACK_SERVER, logger: noopLogger, onChallenge: () => undefined, resolver: fakeDns({}).resolver });
      const r = await f(`http://127.0.0.2:${port}/.well-known/oauth-authorization-server`);
      assert.ok(r instanceof Response, 'the SDK gets a standard Response');
      assert.deepEqual(await r.json(), { issuer: 'ok' });
      assert.deepEqual(seen, ['127.0.0.2 GET /.well-known/oauth-authorization-server']);
    } finally {
      as.closeAllConnections();
      await new Promise((r) => as.close(r));
    }
  });

  // prettier-ignore
  const schemes = [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'data:application/json,{}',
    'file:///etc/passwd', 'file://localhost/etc/passwd', 'command:workbench.action.terminal.new', 'vscode://file/etc/passwd', 'ftp://as.example.com/token',
    'ws://127.0.0.1/', 'wss://as.example.com/', 'gopher://127.0.0.1:6379/_INFO', 'blob:https://as.example.com/x', 'about:blank', 'chrome://settings',
  ];
  it('refuses every scheme but https (and http on loopback)', async () => {
    const sent = tripwire();
    const f = createOAuthFetch({
      serverUrl: LOOPBACK_SERVER,
      logger: noopLogger,
      onChallenge: () => undefined,
      baseFetch: sent.fetch,
      resolver: fakeDns({ 'as.example.com': ['93.184.216.34'] }).resolver,
    });
    for (const url of schemes) {
      for (const allowLoopback of [false, true])
        await hostile('schemes', () => checkUrl(url, 'the authorization endpoint', { allowLoopback, resolver: fakeDns({}).resolver }), unsafe);
      await hostile('schemes', () => f(url), unsafe);
    }
    assert.deepEqual(sent.calls, []);
  });
});
