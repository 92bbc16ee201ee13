// The lane (UpstreamPool.sendOnLane): once a forwarded call to a server on this machine has gone
// through the hub's whole fetch chain and been answered, the next ones go out with the same headers
// and no chain. Whatever the server refuses on the lane goes back through the chain, whose OAuth
// middlewares deal with it as they always do: an expired token is refreshed, a missing permission
// asked for, a revoked session shown as sign-in needed. Against a real authorization server.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpGateway } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import type { AuthorizationServerFixture } from '../fixtures/authorization-server';
import type { ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitForKind } from '../helpers';
import { protectedStage } from '../protected-stage';

const TOKEN = 'gw-token-lane-0123456789abcdef0123456789ab';
const text = (r: { content: unknown }) => (r.content as Array<{ text: string }>)[0].text;

describe('the pass-through’s lane to a signed-in server on this machine', () => {
  const stage = protectedStage();
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  before(async () => {
    ({ as, mcp } = await stage.servers({}, { stepUpTool: true }));
  });

  async function through(run: (ctx: { hub: McpHub; client: Client; signInNeeded: string[]; permissionNeeded: string[] }) => Promise<void>): Promise<void> {
    const logger = new MemoryLogger();
    const hub = createOAuthHub({ store: new MemorySecretStore(), browser: new FakeBrowser(new ScriptedBrowser()), logger });
    const signInNeeded: string[] = [];
    const permissionNeeded: string[] = [];
    const gateway = new McpGateway(hub, {
      token: () => TOKEN,
      version: '0',
      logger,
      onSignInNeeded: (s) => signInNeeded.push(s),
      onPermissionNeeded: (s) => permissionNeeded.push(s),
    });
    const client = new Client({ name: 'lane-test', version: '0' });
    try {
      await hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
      await waitForKind(hub, 'secure', 'authRequired');
      await hub.authenticate('secure');
      await gateway.start();
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url('secure')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      // The first call goes through the chain and opens the lane; the second goes on it.
      for (const word of ['first', 'second']) assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: word } })), word);
      await run({ hub, client, signInNeeded, permissionNeeded });
    } finally {
      await client.close();
      await gateway.stop();
      await hub.dispose();
    }
  }

  it('a token the server no longer takes is refreshed through the chain, and the call answered', async () => {
    await through(async ({ hub, client, signInNeeded }) => {
      const before = {
        unauthorized: mcp.stats.unauthorized,
        tokens: mcp.stats.bearerTokens.size,
        refreshes: as.stats.tokenRequests.filter((r) => r.grant_type === 'refresh_token' && r.status === 200).length,
      };
      // Only the access tokens issued so far stop working; the refresh token still works.
      as.expireAccessTokens();
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'after expiry' } })), 'after expiry');
      assert.ok(mcp.stats.unauthorized > before.unauthorized, 'the lane met the 401');
      assert.ok(as.stats.tokenRequests.filter((r) => r.grant_type === 'refresh_token' && r.status === 200).length > before.refreshes, 'the chain refreshed the token');
      assert.ok(mcp.stats.bearerTokens.size > before.tokens, 'the call went with a new token');
      assert.equal(hub.server('secure')!.state.kind, 'running');
      assert.deepEqual(signInNeeded, []);
      // And the lane opens again with the new token.
      const unauthorized = mcp.stats.unauthorized;
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'again' } })), 'again');
      assert.equal(mcp.stats.unauthorized, unauthorized);
    });
  });

  it('a missing permission is asked for as before (403 insufficient_scope), the server still running', async () => {
    await through(async ({ hub, client, permissionNeeded, signInNeeded }) => {
      const result = await client.callTool({ name: 'admin_action', arguments: {} });
      assert.equal(result.isError, true);
      assert.match(text(result), /^secure needs more permission \(scope [^)]*mcp:admin[^)]*\) for admin_action/);
      assert.deepEqual(permissionNeeded, ['secure']);
      assert.deepEqual(signInNeeded, []);
      assert.equal(hub.server('secure')!.state.kind, 'running');
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
    });
  });

  it('a session revoked at the authorization server fails the call and leaves the row asking for sign-in, as without the lane', async () => {
    await through(async ({ hub, client }) => {
      as.revokeAll();
      const result = await client.callTool({ name: 'echo', arguments: { text: 'revoked' } });
      // As without the lane: the refresh fails, the connection is closed, the row asks for sign-in.
      assert.equal(result.isError, true);
      await waitForKind(hub, 'secure', 'authRequired');
      assert.match(text(result), /^secure: /);
    });
  });
});
