// OAuth 2.1 end to end under Node: a real authorization server (oidc-provider, with dynamic
// registration, PKCE and resource indicators) protecting a real SDK Streamable HTTP server behind
// the SDK's bearer-auth middleware. A scripted browser signs in and reaches our real callback server.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore, SECRET_PREFIX } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startHttpServer } from '../fixtures/http-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, freePort, MemoryLogger, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;
// 401s seen by the protected server when a hub connected (the one that led to sign-in).
const unauthorizedCounts = new WeakMap<McpHub, number>();
const unauthorizedBefore = (h: McpHub) => unauthorizedCounts.get(h) ?? 0;

describe('OAuth with a real authorization server', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  const hubs: McpHub[] = [];

  before(async () => {
    as = await startAuthorizationServer();
    mcp = await startProtectedMcpServer({ authorizationServer: as, stepUpTool: true });
  });
  after(async () => {
    await mcp.close();
    await as.close();
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
    as.setTokenTTL({ accessToken: 3600 });
  });

  function hub(store: MemorySecretStore, browser = new FakeBrowser(new ScriptedBrowser()), logger = new MemoryLogger()) {
    const h = createOAuthHub({ store, browser, logger });
    hubs.push(h);
    return { hub: h, browser, logger };
  }

  async function signedIn(store = new MemorySecretStore(), name = 'secure', url = mcp.url) {
    const h = hub(store);
    await h.hub.applyConfig(entries({ [name]: { url } }), { trusted: true });
    await waitForKind(h.hub, name, 'authRequired');
    await h.hub.authenticate(name);
    unauthorizedCounts.set(h.hub, mcp.stats.unauthorized);
    return { ...h, store };
  }

  it('shows authRequired on 401 without discovery or browser, then signs in through the browser and connects', async () => {
    const store = new MemorySecretStore();
    const { hub: h, browser, logger } = hub(store);
    const before = { metadata: as.stats.metadataRequests.length, prm: mcp.stats.metadataRequests };
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    const s = await waitForKind(h, 'secure', 'authRequired');
    assert.deepEqual(s.state, { kind: 'authRequired', code: 'unauthorized', reason: 'The server requires you to sign in (HTTP 401).' });
    assert.equal(browser.opened.length, 0, 'no browser opened unasked');
    assert.equal(as.stats.metadataRequests.length, before.metadata, 'no discovery before Authenticate');
    assert.equal(mcp.stats.metadataRequests, before.prm);

    const seen: string[] = [];
    h.onDidChange((c) => c.name === 'secure' && c.server && seen.push(c.server.state.kind));
    await h.authenticate('secure');
    const running = h.server('secure')!;
    assert.equal(running.state.kind, 'running');
    assert.ok(seen.includes('authenticating') && seen.includes('starting'));
    assert.equal(text(await h.callTool('secure', 'echo', { text: 'signed in' })), 'signed in');

    // The spec's checks, as the authorization server saw them.
    const authorize = as.stats.authorizationRequests.at(-1)!;
    assert.equal(authorize.code_challenge_method, 'S256');
    assert.equal(authorize.resource, mcp.url);
    assert.match(String(authorize.redirect_uri), /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.ok(String(authorize.state).length >= 43, 'state carries >= 128 bits');
    const token = as.stats.tokenRequests.at(-1)!;
    assert.equal(token.grant_type, 'authorization_code');
    assert.equal(token.resource, mcp.url);
    assert.ok(token.has_code_verifier);
    assert.equal(as.stats.registrations.at(-1)!.metadata.application_type, 'native');
    const page = await browser.last();
    assert.equal(page.status, 200);
    assert.match(page.body, /return to VS Code/);

    // The session: under the host key only, bound to the issuer, visible without tokens.
    assert.deepEqual(store.keys(), [`${SECRET_PREFIX}127.0.0.1:${mcp.port}`]);
    const secret = JSON.parse((await store.get(store.keys()[0]))!);
    const session = secret.sessions[mcp.url];
    assert.equal(session.issuer, as.issuer);
    assert.ok(session.tokens.access_token && session.tokens.refresh_token);
    assert.ok(session.expiresAt > Date.now());
    assert.equal(running.session?.issuer, as.issuer);
    // Scope from the 401 challenge (the spec's first choice), which names mcp:read.
    assert.deepEqual(running.session.scopes, ['mcp:read']);
    for (const secretValue of [session.tokens.access_token, session.tokens.refresh_token]) {
      assert.ok(!logger.text().includes(secretValue), 'no token in the logs');
      assert.ok(!JSON.stringify(h.servers()).includes(secretValue), 'no token in what the panel gets');
    }
  });

  it('restores a stored session at startup with zero discovery requests and no browser', async () => {
    const { store } = await signedIn();
    const counts = { metadata: as.stats.metadataRequests.length, prm: mcp.stats.metadataRequests, tokens: as.stats.tokenRequests.length, regs: as.stats.registrations.length };
    const second = hub(store);
    await second.hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(second.hub, 'secure', 'running');
    assert.equal(second.browser.opened.length, 0);
    assert.deepEqual(
      { metadata: as.stats.metadataRequests.length, prm: mcp.stats.metadataRequests, tokens: as.stats.tokenRequests.length, regs: as.stats.registrations.length },
      counts,
    );
  });

  it('costs no discovery request for a server that never answers 401', async () => {
    const open = await startHttpServer();
    try {
      const before = as.stats.metadataRequests.length;
      const { hub: h } = hub(new MemorySecretStore());
      await h.applyConfig(entries({ open: { url: open.url } }), { trusted: true });
      await waitForKind(h, 'open', 'running');
      assert.equal(open.stats.headersSeen.filter((x) => x.authorization).length, 0);
      assert.equal(as.stats.metadataRequests.length, before);
    } finally {
      await open.close();
    }
  });

  it('refreshes the access token before it expires, sending the resource', async () => {
    as.setTokenTTL({ accessToken: 4 });
    const { hub: h } = await signedIn();
    const refreshes = () => as.stats.tokenRequests.filter((t) => t.grant_type === 'refresh_token');
    const before = refreshes().length;
    // A 4 s token is refreshed a quarter of its lifetime before expiry, with no request failing first.
    while (refreshes().length === before) await new Promise((r) => setTimeout(r, 100));
    const refresh = refreshes().at(-1)!;
    assert.equal(refresh.status, 200);
    assert.equal(refresh.resource, mcp.url);
    assert.equal(mcp.stats.unauthorized, unauthorizedBefore(h), 'no 401 was needed');
    assert.equal(text(await h.callTool('secure', 'echo', { text: 'still here' })), 'still here');
  });

  it('lets three windows on one store share rotating refresh tokens without signing each other out', async () => {
    as.setTokenTTL({ accessToken: 4 });
    const { store } = await signedIn();
    const others = [hub(store), hub(store)];
    for (const o of others) {
      await o.hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
      await waitForKind(o.hub, 'secure', 'running');
    }
    const refreshes = () => as.stats.tokenRequests.filter((t) => t.grant_type === 'refresh_token');
    const before = refreshes().length;
    // Two refresh cycles: each window's timer fires at about the same moment each cycle.
    await new Promise((r) => setTimeout(r, 7_000));
    const made = refreshes().slice(before);
    assert.ok(made.length >= 1, 'refreshed');
    assert.ok(
      made.every((t) => t.status === 200),
      `no refresh failed (a reused rotating token is invalid_grant): ${JSON.stringify(made.map((t) => t.error))}`,
    );
    assert.ok(made.length <= 3, `about one refresh per cycle for all windows, not one per window: ${made.length}`);
    for (const h of [...hubs]) {
      assert.equal(h.server('secure')!.state.kind, 'running');
      assert.equal(text(await h.callTool('secure', 'echo', { text: 'ok' })), 'ok');
    }
  });

  it('steps up on 403 insufficient_scope with the union of scopes', async () => {
    const { hub: h } = await signedIn();
    const granted = h.server('secure')!.session!.scopes;
    await assert.rejects(
      h.callTool('secure', 'admin_action'),
      /: secure needs more permission \(scope mcp:read mcp:admin\) for admin_action: grant it in MCP Hub \(Authenticate on secure's row\)$/,
    );
    const s = h.server('secure')!;
    // The server keeps running on its session and offers the extra permission.
    assert.equal(s.state.kind, 'running');
    assert.ok(s.state.kind === 'running' && s.state.needsScope?.scopes.includes('mcp:admin'));
    await h.authenticate('secure');
    const authorize = as.stats.authorizationRequests.at(-1)!;
    // The union of what was granted and what the 403 asked for, not a replacement.
    const asked = String(authorize.scope).split(' ');
    for (const scope of [...granted, 'mcp:admin']) assert.ok(asked.includes(scope), `${scope} in ${asked.join(',')}`);
    assert.match(text(await h.callTool('secure', 'admin_action')), /admin_action done/);
  });

  it('logs out: deletes the session, stops the server, returns it to authRequired, in every window', async () => {
    const { hub: h, store } = await signedIn();
    const other = hub(store);
    await other.hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(other.hub, 'secure', 'running');
    await h.logout('secure');
    assert.deepEqual(h.server('secure')!.state, { kind: 'authRequired', reason: 'Signed out.' });
    assert.equal(h.server('secure')!.session, undefined);
    assert.deepEqual(store.keys(), []);
    await waitForKind(other.hub, 'secure', 'authRequired');
  });

  it('connects other windows when one signs in', async () => {
    const store = new MemorySecretStore();
    const other = hub(store);
    await other.hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(other.hub, 'secure', 'authRequired');
    await signedIn(store);
    await waitForKind(other.hub, 'secure', 'running');
    assert.equal(other.browser.opened.length, 0);
  });

  it('keeps the sessions of two servers on one host apart', async () => {
    // Another resource on the same host shares the secret: put its session there beside ours.
    const store = new MemorySecretStore();
    await signedIn(store, 'one', mcp.url);
    const key = store.keys()[0];
    const withOther = JSON.parse((await store.get(key))!);
    withOther.sessions[`${new URL(mcp.url).origin}/elsewhere`] = { resource: 'x', updatedAt: 1 };
    await store.store(key, JSON.stringify(withOther));
    const { hub: h } = hub(store);
    await h.applyConfig(entries({ one: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'one', 'running');
    await h.logout('one');
    const left = JSON.parse((await store.get(key))!);
    assert.deepEqual(Object.keys(left.sessions), [`${new URL(mcp.url).origin}/elsewhere`], 'logging out one resource leaves the other');
  });

  it('deletes the session when the server is removed from settings', async () => {
    const { hub: h, store } = await signedIn();
    await h.applyConfig([], { trusted: true });
    assert.deepEqual(store.keys(), []);
  });

  it('keeps the session when a removed entry differs only by its fragment from one that stays (the same resource)', async () => {
    const { hub: h, store } = await signedIn(new MemorySecretStore(), 'one');
    await h.applyConfig(entries({ one: { url: mcp.url }, two: { url: `${mcp.url}#work` } }), { trusted: true });
    await waitForKind(h, 'two', 'running');
    await h.applyConfig(entries({ one: { url: mcp.url } }), { trusted: true });
    assert.equal(store.keys().length, 1, 'the session is kept');
    assert.equal(h.server('one')!.state.kind, 'running');
    assert.ok(h.server('one')!.session, 'and the entry that stays is signed in');
  });

  it('cancels a sign-in in progress and returns to authRequired', async () => {
    const browser = new FakeBrowser(); // opens nothing: the user never signs in
    const { hub: h } = hub(new MemorySecretStore(), browser);
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    const signIn = h.authenticate('secure');
    const waiting = await waitFor(h, 'secure', (s) => s.state.kind === 'authenticating' && s.state.redirectUri !== undefined);
    while (browser.opened.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.ok(waiting.state.kind === 'authenticating' && waiting.state.redirectUri?.startsWith('http://127.0.0.1:'));
    const callbackPort = new URL(waiting.state.redirectUri!).port;
    await h.cancelAuthentication('secure');
    await assert.rejects(signIn, /Sign-in was cancelled/);
    assert.deepEqual(h.server('secure')!.state, { kind: 'authRequired', code: 'cancelled', reason: 'Sign-in was cancelled.' });
    await assert.rejects(fetch(`http://127.0.0.1:${callbackPort}/callback`), 'the callback server is closed');
  });

  it('times out a sign-in nobody finishes', async () => {
    const { hub: h } = hub(new MemorySecretStore(), new FakeBrowser());
    await h.applyConfig(entries({ secure: { url: mcp.url, auth: { signInTimeout: 1 } } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await assert.rejects(h.authenticate('secure'), /Sign-in timed out after 1 s/);
    assert.equal(h.server('secure')!.state.kind, 'authRequired');
  });

  it("ends the flow with the authorization server's error when the user denies consent", async () => {
    const { hub: h } = hub(new MemorySecretStore(), new FakeBrowser(new ScriptedBrowser({ deny: true })));
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await assert.rejects(h.authenticate('secure'), /The authorization server refused the sign-in \(access_denied\)\./);
    const s = h.server('secure')!;
    assert.ok(s.state.kind === 'authRequired' && s.state.reason.includes('access_denied'));
  });

  it('uses a fixed callback port from settings and registers again when the redirect URI changes', async () => {
    const port = await freePort();
    const store = new MemorySecretStore();
    const first = hub(store);
    await first.hub.applyConfig(entries({ secure: { url: mcp.url, auth: { callbackPort: port } } }), { trusted: true });
    await waitForKind(first.hub, 'secure', 'authRequired');
    const regs = as.stats.registrations.length;
    await first.hub.authenticate('secure');
    assert.equal(as.stats.authorizationRequests.at(-1)!.redirect_uri, `http://127.0.0.1:${port}/callback`);
    assert.equal(as.stats.registrations.length, regs + 1);
    // Same redirect URI: the registration is reused.
    await first.hub.logout('secure');
    await first.hub.applyConfig(entries({ secure: { url: mcp.url, auth: { callbackPort: port } } }), { trusted: true });
    assert.equal(as.stats.registrations.length, regs + 1);
  });

  it('signs in again on the same loopback port, so the registered client is reused', async () => {
    const { hub: h } = await signedIn();
    const regs = as.stats.registrations.length;
    const firstRedirect = as.stats.authorizationRequests.at(-1)!.redirect_uri;
    // A step-up sign-in keeps the client registration (logout would delete it with the session).
    await assert.rejects(h.callTool('secure', 'admin_action'), /needs more permission/);
    await h.authenticate('secure');
    assert.equal(as.stats.authorizationRequests.at(-1)!.redirect_uri, firstRedirect);
    assert.equal(as.stats.registrations.length, regs, 'no second registration');
  });

  it('refuses discovery that points at private addresses (SSRF) and says why', async () => {
    for (const target of ['http://10.0.0.1:8080', 'https://169.254.169.254', 'https://[fd00::1]']) {
      const prm = createServer((req, res) => {
        if (req.url!.startsWith('/.well-known/oauth-protected-resource')) {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ resource: `http://127.0.0.1:${(prm.address() as AddressInfo).port}/mcp`, authorization_servers: [target] }));
          return;
        }
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
      });
      await new Promise<void>((r) => prm.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(prm.address() as AddressInfo).port}/mcp`;
        const { hub: h, browser } = hub(new MemorySecretStore(), new FakeBrowser());
        await h.applyConfig(entries({ evil: { url } }), { trusted: true });
        await waitForKind(h, 'evil', 'authRequired');
        await assert.rejects(h.authenticate('evil'), /Refused the authorization server metadata .*(https|private)/);
        assert.equal(browser.opened.length, 0);
      } finally {
        prm.closeAllConnections();
        await new Promise((r) => prm.close(r));
      }
    }
  });

  it('says so when the authorization server is down', async () => {
    const down = await startAuthorizationServer();
    const server = await startProtectedMcpServer({ authorizationServer: down });
    try {
      await down.close();
      const { hub: h } = hub(new MemorySecretStore(), new FakeBrowser());
      await h.applyConfig(entries({ secure: { url: server.url } }), { trusted: true });
      await waitForKind(h, 'secure', 'authRequired');
      await assert.rejects(h.authenticate('secure'), /Could not reach the authorization server metadata/);
      assert.ok(h.server('secure')!.state.kind === 'authRequired');
    } finally {
      await server.close();
    }
  });
});
