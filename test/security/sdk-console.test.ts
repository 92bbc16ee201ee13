// The SDK's console lines. The MCP SDK prints some conditions with console.warn, quoting the
// authorization server's answer; a hostile or careless one echoes the refresh token or the code it
// refuses. Against a real hub, a real SDK client and an authorization server that echoes them (in an
// OAuth error_description, and in a non-JSON error body), nothing printed to stdout or stderr
// carries them, and the SDK's lines are in the hub's log, scrubbed.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore, TokenStore, type OAuthSession } from '../../src/core/oauth/token-store';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitFor } from '../helpers';

const RT = 'rt-Echoed7Refresh2Token9Value4Qx';
const AT = 'at-Stored3Access8Token1Value6Zp';
const CODE = 'SplxlOBeZQQYbYS6WxSbIA';
const tally = { cases: 0, sdkLines: 0, secretsPrinted: 0, secretsLogged: 0 };

type TokenAnswer = (form: URLSearchParams) => { status: number; type: string; body: string };

/** Where the authorization server puts what it was sent, when it refuses it. */
const ECHOES: Record<string, TokenAnswer> = {
  'an OAuth error_description': (form) => ({
    status: 400,
    type: 'application/json',
    body: JSON.stringify({ error: 'invalid_grant', error_description: `grant ${form.get('refresh_token') ?? form.get('code')} is revoked or was already used` }),
  }),
  'a non-JSON error body': (form) => ({ status: 500, type: 'text/plain', body: `upstream rejected ${form.get('refresh_token') ?? form.get('code')} (try again later)` }),
};

/** Every write to stdout and stderr while `run` runs (console writes there). */
async function printedDuring(run: () => Promise<void>): Promise<string> {
  const printed: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (write: typeof out) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      printed.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof out;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return printed.join('');
}

describe("the SDK's console output", () => {
  let answer: TokenAnswer = ECHOES['an OAuth error_description'];
  let as: Server;
  let resource: Server;
  let asUrl = '';
  let mcpUrl = '';
  const hubs: McpHub[] = [];

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const metadata = () => ({
    issuer: asUrl,
    authorization_endpoint: `${asUrl}/authorize`,
    token_endpoint: `${asUrl}/token`,
    registration_endpoint: `${asUrl}/register`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
  });

  before(async () => {
    // An authorization server that registers anyone, signs anyone in, and refuses every grant, echoing it.
    as = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', asUrl);
        const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        if (url.pathname.startsWith('/.well-known/')) return json(200, metadata());
        if (url.pathname === '/register') return json(201, { ...JSON.parse(Buffer.concat(chunks).toString('utf8')), client_id: 'echo-client' });
        if (url.pathname === '/authorize') {
          const back = new URL(url.searchParams.get('redirect_uri')!);
          back.searchParams.set('code', CODE);
          back.searchParams.set('state', url.searchParams.get('state')!);
          return res.writeHead(302, { location: back.href }).end();
        }
        if (url.pathname === '/token') {
          const a = answer(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
          return res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
        }
        res.writeHead(404).end();
      });
    });
    asUrl = await listen(as);
    // An MCP server that wants a token it never accepts, and names the authorization server.
    resource = createServer((req, res) => {
      req.resume();
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: mcpUrl, authorization_servers: [asUrl] }));
        return;
      }
      res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl).href}"` }).end();
    });
    mcpUrl = `${await listen(resource)}/mcp`;
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
  });
  after(async () => {
    as.closeAllConnections();
    resource.closeAllConnections();
    await Promise.all([new Promise((r) => as.close(r)), new Promise((r) => resource.close(r))]);
    console.log(
      `security[sdk-console]: echoing authorization servers ${tally.cases}, SDK lines routed to the log ${tally.sdkLines}, secrets printed ${tally.secretsPrinted}, secrets logged ${tally.secretsLogged}`,
    );
  });

  /** `warns`: whether the SDK prints a warning in this case (it does not for a code refused with a non-JSON body). */
  function judge(printed: string, logger: MemoryLogger, secrets: string[], warns = true) {
    tally.cases++;
    const sdkLines = logger.lines.filter((l) => l.includes('[mcp-sdk]'));
    tally.sdkLines += sdkLines.length;
    const inPrint = secrets.filter((s) => printed.includes(s));
    const inLog = secrets.filter((s) => logger.text().includes(s));
    tally.secretsPrinted += inPrint.length;
    tally.secretsLogged += inLog.length;
    assert.deepEqual(inPrint, [], `printed: ${printed.slice(0, 400)}`);
    assert.deepEqual(inLog, [], 'logged');
    if (warns) assert.ok(sdkLines.length > 0, `the SDK's warning is in the hub's log: ${logger.text().slice(0, 400)}`);
    assert.doesNotMatch(printed, /\[mcp-sdk\]/, 'the SDK printed nothing itself');
  }

  for (const [where, echo] of Object.entries(ECHOES)) {
    it(`a refused refresh whose refresh token comes back in ${where}`, async () => {
      answer = echo;
      const store = new MemorySecretStore();
      const session: OAuthSession = {
        resource: mcpUrl,
        issuer: asUrl,
        tokens: { access_token: AT, refresh_token: RT, token_type: 'Bearer' },
        expiresAt: Date.now() + 3_600_000,
        client: { client_id: 'echo-client', redirect_uri: 'http://127.0.0.1:1/callback', kind: 'dcr' },
        discovery: { authorizationServerUrl: asUrl, authorizationServerMetadata: metadata() },
        updatedAt: Date.now(),
      };
      await new TokenStore(store).update(mcpUrl, () => session);
      const logger = new MemoryLogger();
      const printed = await printedDuring(async () => {
        const h = createOAuthHub({ store, browser: new FakeBrowser(), logger });
        hubs.push(h);
        await h.applyConfig(entries({ echo: { url: mcpUrl } }), { trusted: true });
        await waitFor(h, 'echo', (s) => s.state.kind === 'authRequired' || s.state.kind === 'error', 15_000);
      });
      judge(printed, logger, [RT, RT.slice(3, 20), AT]);
    });

    it(`a refused authorization code that comes back in ${where}`, async () => {
      answer = echo;
      const logger = new MemoryLogger();
      const browser = new FakeBrowser(new ScriptedBrowser());
      const printed = await printedDuring(async () => {
        const h = createOAuthHub({ store: new MemorySecretStore(), browser, logger });
        hubs.push(h);
        await h.applyConfig(entries({ echo: { url: mcpUrl } }), { trusted: true });
        await waitFor(h, 'echo', (s) => s.state.kind === 'authRequired', 15_000);
        await h.authenticate('echo').catch(() => undefined);
      });
      assert.equal(browser.opened.length, 1, 'the sign-in reached the token request');
      judge(printed, logger, [CODE], where === 'an OAuth error_description');
    });
  }

  it('counted no secret printed or logged', () => {
    assert.deepEqual({ printed: tally.secretsPrinted, logged: tally.secretsLogged }, { printed: 0, logged: 0 });
  });
});
