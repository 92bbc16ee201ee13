// The step-up journey against an authorization server that holds a dynamically registered client
// to the scopes it registered (oidc-provider's own rule): one 403 insufficient_scope, one
// Authenticate, one browser sign-in, then the tool call succeeds, and the user is never signed out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { actionsFor } from '../../src/core/state';
import { toServerView } from '../../src/view-model';
import { McpGateway } from '../../src/core/gateway/gateway';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

/**
 * Who the session belongs to and what it grants. (The SDK may refresh the token when it meets the
 * 403, so its expiry can move; the grant must not.)
 */
function grant(h: McpHub) {
  const s = h.server('secure')!.session;
  return s && { issuer: s.issuer, scopes: [...s.scopes].sort() };
}

/** Records, on every change, whether the server ever lost its session or left the running state. */
function watch(h: McpHub, name: string) {
  const seen = { lostSession: false, kinds: new Set<string>() };
  const sub = h.onDidChange((c) => {
    if (c.name !== name || !c.server) return;
    seen.kinds.add(c.server.state.kind);
    if (!c.server.session) seen.lostSession = true;
  });
  return { seen, stop: () => sub.dispose() };
}

describe('step-up against an authorization server that enforces registered scopes', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  before(async () => {
    as = await startAuthorizationServer({ restrictClientScope: true });
    mcp = await startProtectedMcpServer({ authorizationServer: as, stepUpTool: true });
  });
  after(async () => {
    await mcp.close();
    await as.close();
  });

  async function signedIn(browser: FakeBrowser) {
    const h = createOAuthHub({ store: new MemorySecretStore(), browser, logger: new MemoryLogger() });
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    assert.equal(h.server('secure')!.state.kind, 'running');
    return h;
  }

  it('one 403, one Authenticate, one browser sign-in, then the tool works; never signed out', async () => {
    const browser = new FakeBrowser(new ScriptedBrowser());
    const h = await signedIn(browser);
    try {
      const registrations = as.stats.registrations.length;
      const trips = browser.opened.length;
      const w = watch(h, 'secure');

      await assert.rejects(h.callTool('secure', 'admin_action'), /secure needs more permission \(scope [^)]*mcp:admin[^)]*\) for admin_action: grant it in MCP Hub/);
      const after403 = h.server('secure')!;
      assert.equal(after403.state.kind, 'running', 'a 403 on one tool does not take the server down');
      assert.ok(after403.state.kind === 'running' && after403.state.needsScope?.scopes.includes('mcp:admin'));
      assert.equal(text(await h.callTool('secure', 'echo', { text: 'still here' })), 'still here', 'its other tools keep working');

      await h.authenticate('secure');
      assert.equal(browser.opened.length, trips + 1, 'one browser sign-in');
      assert.equal(as.stats.registrations.length, registrations + 1, 'one registration with the union of scopes');
      const registered = String(as.stats.registrations.at(-1)!.metadata.scope).split(' ');
      assert.ok(registered.includes('mcp:admin') && registered.includes('mcp:read'), `registered ${registered.join(',')}`);
      assert.match(text(await h.callTool('secure', 'admin_action')), /admin_action done/);
      const after = h.server('secure')!;
      assert.ok(after.state.kind === 'running' && !after.state.signIn && !after.state.needsScope, 'the row is back to plain Connected');
      assert.deepEqual(actionsFor(after.state, after.actionContext), ['restart', 'stop', 'logout', 'addAccount']);
      w.stop();
      assert.equal(w.seen.lostSession, false, 'the session was there at every step');
      assert.ok(!w.seen.kinds.has('authRequired'), `never signed out: ${[...w.seen.kinds].join(',')}`);
    } finally {
      await h.dispose();
    }
  });

  it('words a missing permission as one, and as no sign-in: the tool result through the gateway, the row, the log', async () => {
    const browser = new FakeBrowser(new ScriptedBrowser());
    const logger = new MemoryLogger();
    const h = createOAuthHub({ store: new MemorySecretStore(), browser, logger });
    const TOKEN = 'gw-token-0123456789abcdef0123456789abcdef';
    const signInNeeded: string[] = [];
    const permissionNeeded: string[] = [];
    const gateway = new McpGateway(h, {
      token: () => TOKEN,
      version: '0',
      logger,
      onSignInNeeded: (s) => signInNeeded.push(s),
      onPermissionNeeded: (s) => permissionNeeded.push(s),
    });
    const client = new Client({ name: 'step-up-test', version: '0' });
    try {
      await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
      await waitForKind(h, 'secure', 'authRequired');
      await h.authenticate('secure');
      await gateway.start();
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url('secure')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      const result = await client.callTool({ name: 'admin_action', arguments: {} });
      assert.equal(result.isError, true);
      const said = text(result);
      assert.match(said, /^secure needs more permission \(scope [^)]*mcp:admin[^)]*\) for admin_action: grant it in MCP Hub \(Authenticate on secure's row\)$/);
      // The row says the same, without the tool (Authenticate asks for every scope refused so far).
      const row = toServerView(h.server('secure')!);
      assert.equal(row.status, 'running');
      assert.equal(row.message, said);
      // The log says what the client was told; nothing calls it a sign-in.
      const lines = logger.lines.filter((l) => /admin_action|mcp:admin/.test(l));
      assert.ok(
        lines.some((l) => l.includes(`gateway: a client's call was refused: ${said}`)),
        lines.join('\n'),
      );
      for (const l of lines) assert.doesNotMatch(l, /sign[ -]?in|signed out/i, l);
      assert.deepEqual(signInNeeded, [], 'the editor is not told a sign-in is needed');
      assert.deepEqual(permissionNeeded, ['secure']);
    } finally {
      await client.close();
      await gateway.stop();
      await h.dispose();
    }
  });

  it('a step-up the user denies leaves the server running on its old session', async () => {
    const browser = new FakeBrowser(new ScriptedBrowser());
    const h = await signedIn(browser);
    try {
      const before = grant(h);
      await assert.rejects(h.callTool('secure', 'admin_action'));
      browser.browser = new ScriptedBrowser({ deny: true });
      await assert.rejects(h.authenticate('secure'));
      const s = h.server('secure')!;
      assert.equal(s.state.kind, 'running');
      assert.match(s.state.kind === 'running' ? (s.state.notice ?? '') : '', /not granted/);
      assert.match(toServerView(s).message ?? '', /not granted/, 'the panel says so');
      assert.ok(actionsFor(s.state, s.actionContext).includes('authenticate'), 'and still offers the extra permission');
      assert.deepEqual(grant(h), before);
      assert.equal(text(await h.callTool('secure', 'echo', { text: 'ok' })), 'ok');
    } finally {
      await h.dispose();
    }
  });

  it('a step-up that is cancelled or times out leaves the server running on its old session', async () => {
    const browser = new FakeBrowser(new ScriptedBrowser());
    const h = createOAuthHub({ store: new MemorySecretStore(), browser, logger: new MemoryLogger() });
    try {
      await h.applyConfig(entries({ secure: { url: mcp.url, auth: { signInTimeout: 2 } } }), { trusted: true });
      await waitForKind(h, 'secure', 'authRequired');
      await h.authenticate('secure');
      const before = grant(h);
      await assert.rejects(h.callTool('secure', 'admin_action'));
      // A browser nobody uses: the sign-in times out.
      browser.browser = undefined;
      await assert.rejects(h.authenticate('secure'), /timed out/);
      assert.equal(h.server('secure')!.state.kind, 'running');
      assert.deepEqual(grant(h), before);
      const cancelled = h.authenticate('secure');
      await new Promise((r) => setTimeout(r, 200));
      await h.cancelAuthentication('secure');
      await assert.rejects(cancelled, /cancelled/);
      assert.equal(h.server('secure')!.state.kind, 'running');
      assert.deepEqual(grant(h), before);
      assert.equal(text(await h.callTool('secure', 'echo', { text: 'ok' })), 'ok');
    } finally {
      await h.dispose();
    }
  });
});
