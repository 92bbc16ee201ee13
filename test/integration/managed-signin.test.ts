// A remote server the organisation manages is signed in to by each person with their own account, the
// normal OAuth way (discovery, dynamic registration, the browser), and their tokens stay in their own
// secret storage: another person on the same policy starts with nothing and signs in as themselves.
// Real servers: oidc-provider, an SDK MCP server behind bearer auth, the hub's OAuth client.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeScopes } from '../../src/core/config';
import { parseManagedPolicy } from '../../src/core/managed-policy';
import { managedEntries } from '../../src/core/policies';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { protectedStage } from '../protected-stage';
import { createOAuthHub, FakeBrowser, waitForKind } from '../helpers';

describe('a managed remote server, signed in to per person', () => {
  const stage = protectedStage();

  it('each person signs in with their own account; their tokens stay in their own secret storage', async () => {
    const { as, mcp } = await stage.servers();
    const org = parseManagedPolicy(JSON.stringify({ organization: 'Acme', servers: { wiki: { url: mcp.url, availability: 'required' } }, userServers: 'none' }), 'policy.json');
    const person = async (username: string) => {
      const store = new MemorySecretStore();
      const hub = createOAuthHub({ store, browser: new FakeBrowser(new ScriptedBrowser({ username })) });
      stage.track(hub);
      await hub.applyConfig(mergeScopes(managedEntries(org, new Map())), { trusted: true, organisation: org });
      return { store, hub };
    };
    const alice = await person('alice');
    const bob = await person('bob');
    // Required, and waiting for each person's own sign-in: nothing is shared by the policy.
    await waitForKind(alice.hub, 'wiki', 'authRequired');
    await waitForKind(bob.hub, 'wiki', 'authRequired');
    assert.deepEqual(alice.store.keys(), []);

    await alice.hub.authenticate('wiki');
    await waitForKind(alice.hub, 'wiki', 'running');
    await alice.hub.callTool('wiki', 'echo', { text: 'hi' });
    assert.equal(mcp.stats.lastAuth?.sub, 'alice');
    const aliceKey = alice.hub.server('wiki')!.secretKey!;
    assert.ok(alice.store.keys().includes(aliceKey), 'the session is in her secret storage, under the host key');
    assert.deepEqual(bob.store.keys(), [], 'nothing of hers reaches his');
    assert.equal(bob.hub.server('wiki')!.state.kind, 'authRequired');

    await bob.hub.authenticate('wiki');
    await waitForKind(bob.hub, 'wiki', 'running');
    await bob.hub.callTool('wiki', 'echo', { text: 'hi' });
    assert.equal(mcp.stats.lastAuth?.sub, 'bob');
    assert.deepEqual(as.stats.logins, ['alice', 'bob']);
    assert.notEqual(await bob.store.get(aliceKey), await alice.store.get(aliceKey), 'two sessions, one per person');
    // Each registered a client of their own (dynamic registration), as any server's sign-in does.
    assert.equal(as.stats.registrations.length, 2);
    // And Log Out stays each person's own: hers ends, his keeps working.
    await alice.hub.logout('wiki');
    await bob.hub.callTool('wiki', 'echo', { text: 'still here' });
    assert.equal(mcp.stats.lastAuth?.sub, 'bob');
  });
});
