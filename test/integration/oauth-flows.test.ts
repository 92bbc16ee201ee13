// OAuth flows the MCP conformance suite exercises, against real servers (oidc-provider and the SDK):
// step-up when listing at start-up, and the step-up limit.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer } from '../fixtures/authorization-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, waitFor, waitForKind } from '../helpers';

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
    assert.deepEqual(s.state, { kind: 'authRequired', reason: 'Needs more permission (scope mcp:read mcp:admin). Authenticate to grant it.' });
    await h.authenticate('secure');
    assert.equal(h.server('secure')!.state.kind, 'running');
    // The union of what the first sign-in got and what the 403 asked for.
    assert.deepEqual(String(as.stats.authorizationRequests.at(-1)!.scope).split(' ').sort(), ['mcp:admin', 'mcp:read']);
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
});
