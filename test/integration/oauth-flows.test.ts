// OAuth flows the MCP conformance suite exercises, against real servers (oidc-provider and the SDK):
// step-up when listing at start-up, the step-up limit, client credentials chosen from the
// authorization server's metadata, no browser sign-in where the server does not offer one, and a
// server that moves to another authorization server (SEP-2352).
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;
const M2M_CLIENT = { client_id: 'm2m-client', client_secret: 'm2m-secret-value', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] };

describe('OAuth flows', () => {
  const hubs: McpHub[] = [];
  const closing: Array<{ close(): Promise<void> }> = [];

  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
  });
  after(async () => {
    for (const c of closing.reverse()) await c.close();
  });

  async function authorizationServer(options: Parameters<typeof startAuthorizationServer>[0] = {}) {
    const as = await startAuthorizationServer(options);
    closing.push(as);
    return as;
  }
  async function protectedServer(options: Parameters<typeof startProtectedMcpServer>[0]) {
    const server = await startProtectedMcpServer(options);
    closing.push(server);
    return server;
  }
  function hub(store = new MemorySecretStore(), browser = new FakeBrowser(new ScriptedBrowser())) {
    const h = createOAuthHub({ store, browser });
    hubs.push(h);
    return { hub: h, browser, store };
  }
  /** What a user does: Authenticate whenever the panel asks for it, up to `limit` times. */
  async function signInUntilSettled(h: McpHub, name: string, limit = 5): Promise<number> {
    for (let signIns = 0; ; signIns++) {
      const s = await waitFor(h, name, (x) => ['running', 'authRequired', 'error'].includes(x.state.kind));
      if (s.state.kind !== 'authRequired' || signIns === limit) return signIns;
      await h.authenticate(name);
    }
  }

  it('steps up when listing the tools at start-up needs more scope than the sign-in got', async () => {
    const as = await authorizationServer();
    const mcp = await protectedServer({ authorizationServer: as, listScope: 'mcp:admin' });
    const { hub: h } = hub();
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    const s = h.server('secure')!;
    assert.deepEqual(s.state, {
      kind: 'authRequired',
      code: 'insufficient_scope',
      reason: "secure needs more permission (scope mcp:read mcp:admin): grant it in MCP Hub (Authenticate on secure's row)",
    });
    await h.authenticate('secure');
    assert.equal(h.server('secure')!.state.kind, 'running');
    // The union of what the first sign-in got and what the 403 asked for (and, as the SDK adds where the authorization server lists it, a refresh token).
    assert.deepEqual(String(as.stats.authorizationRequests.at(-1)!.scope).split(' ').sort(), ['mcp:admin', 'mcp:read', 'offline_access']);
  });

  it('stops asking after the step-up limit when signing in again never grants the scope', async () => {
    const as = await authorizationServer();
    // The authorization server only grants what the resource registered, which leaves out mcp:admin.
    const mcp = await protectedServer({ authorizationServer: as, listScope: 'mcp:admin', scopesSupported: ['mcp:read', 'mcp:write'] });
    const { hub: h } = hub();
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    const before = as.stats.authorizationRequests.length;
    const signIns = await signInUntilSettled(h, 'secure');
    const s = h.server('secure')!;
    assert.ok(s.state.kind === 'error' && /still refuses access after signing in again with scope mcp:read mcp:admin/.test(s.state.message), JSON.stringify(s.state));
    assert.equal(s.state.retryAt, undefined, 'no retry timer: signing in again is what would help, and it did not');
    assert.equal(signIns, 3, 'the first sign-in and two step-ups');
    assert.equal(as.stats.authorizationRequests.length - before, 3);
  });

  it('signs in with client credentials, without a browser, where the authorization server offers only that grant', async () => {
    const as = await authorizationServer({ clients: [M2M_CLIENT], advertisedGrantTypes: ['client_credentials'] });
    const mcp = await protectedServer({ authorizationServer: as });
    const auth = { clientId: M2M_CLIENT.client_id, clientSecret: M2M_CLIENT.client_secret, scope: 'mcp:read' };
    const { hub: h, browser, store } = hub();
    await h.applyConfig(entries({ m2m: { url: mcp.url, auth } }), { trusted: true });
    await waitForKind(h, 'm2m', 'authRequired');
    await h.authenticate('m2m');
    assert.equal(h.server('m2m')!.state.kind, 'running');
    assert.equal(text(await h.callTool('m2m', 'echo', { text: 'machine' })), 'machine');
    assert.equal(browser.opened.length, 0);
    assert.deepEqual(
      as.stats.tokenRequests.map((t) => t.grant_type),
      ['client_credentials'],
    );
    assert.equal(as.stats.registrations.length + as.stats.authorizationRequests.length, 0);
    assert.equal(mcp.stats.lastAuth?.clientId, M2M_CLIENT.client_id);

    // Chosen once, remembered with the session: another window connects without asking.
    const other = hub(store);
    await other.hub.applyConfig(entries({ m2m: { url: mcp.url, auth } }), { trusted: true });
    await waitForKind(other.hub, 'm2m', 'running');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.server('m2m')!.state.kind, 'running', 'a token written by the other window is no sign-out');
  });

  it('connects a server set to client_credentials at once and keeps it running while its token is stored', async () => {
    const as = await authorizationServer({ clients: [M2M_CLIENT] });
    const mcp = await protectedServer({ authorizationServer: as });
    const { hub: h, browser, store } = hub();
    const auth = { clientId: M2M_CLIENT.client_id, clientSecret: M2M_CLIENT.client_secret, grantType: 'client_credentials', scope: 'mcp:read' };
    await h.applyConfig(entries({ m2m: { url: mcp.url, auth } }), { trusted: true });
    await waitForKind(h, 'm2m', 'running');
    // Saving the token fires the secret store's change event, which must not read as a sign-out.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.server('m2m')!.state.kind, 'running');
    assert.equal(browser.opened.length, 0);
    // The secret is now bound to the issuer that took it: no other authorization server gets it.
    assert.equal(await new TokenStore(store).boundIssuer(mcp.url, M2M_CLIENT.client_id), as.issuer);
  });

  it('does not start a browser sign-in where the authorization server offers no authorization_code grant', async () => {
    const as = await authorizationServer({ advertisedGrantTypes: ['client_credentials'] });
    const mcp = await protectedServer({ authorizationServer: as });
    const { hub: h, browser } = hub();
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await assert.rejects(h.authenticate('secure'), /does not offer the browser sign-in \(authorization_code grant\)\. It offers client_credentials/);
    assert.equal(browser.opened.length, 0);
    assert.equal(as.stats.registrations.length + as.stats.authorizationRequests.length + as.stats.tokenRequests.length, 0);
    assert.equal(h.server('secure')!.state.kind, 'authRequired');
  });

  it('discovers afresh at sign-in and registers with the new authorization server after the server moved (SEP-2352)', async () => {
    const first: AuthorizationServerFixture = await authorizationServer();
    const second = await authorizationServer();
    const mcp = await protectedServer({ authorizationServer: first });
    const { hub: h, store } = hub();
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    assert.equal(h.server('secure')!.session?.issuer, first.issuer);
    const firstClient = first.stats.registrations.at(-1)!.client_id;

    mcp.moveTo(second);
    await h.restart('secure');
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    assert.equal(h.server('secure')!.state.kind, 'running');
    assert.equal(h.server('secure')!.session?.issuer, second.issuer);
    assert.equal(second.stats.registrations.length, 1, 'registered with the new authorization server');
    const used = [...second.stats.authorizationRequests.map((r) => r.client_id), ...second.stats.tokenRequests.map((t) => t.client_id)];
    assert.ok(used.length > 0 && !used.includes(firstClient), 'the old client ID never reaches the new server');
    const session = JSON.parse((await store.get(store.keys()[0]))!).sessions[mcp.url];
    assert.equal(session.client.issuer, second.issuer);
  });
});
