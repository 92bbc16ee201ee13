// Several accounts on one server, end to end: a real authorization server (oidc-provider, naming its
// accounts through userinfo) and a real SDK MCP server whose `token_subject` answers with the subject of the
// access token each call carries. Two entries for one URL, each pinned to its own account by
// auth.account, run side by side; Log Out of one leaves the other running and signed in; an unpinned
// entry adds an account and switches between them.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { MemorySecretStore, secretKeyFor, TokenStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { revocation } from '../protected-stage';
import { createOAuthHub, entries, FakeBrowser, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

/**
 * The person at the browser: signs in as the account the authorization request hints at (login_hint,
 * the user name of an email), else as `fallback`; a fresh browser each time, so no sign-in is
 * silently reused.
 */
class People {
  fallback = 'carol';
  readonly hints: Array<string | null> = [];
  open(url: string) {
    const hint = new URL(url).searchParams.get('login_hint');
    this.hints.push(hint);
    return new ScriptedBrowser({ username: hint ? hint.split('@')[0] : this.fallback }).open(url);
  }
}

describe('several accounts on one server', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  const hubs: McpHub[] = [];

  before(async () => {
    as = await startAuthorizationServer({ userinfo: true, claims: (id) => ({ name: `${id[0].toUpperCase()}${id.slice(1)}`, email: `${id}@example.com` }) });
    mcp = await startProtectedMcpServer({ authorizationServer: as, tokenSubject: true });
  });
  after(async () => {
    await mcp.close();
    await as.close();
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
  });

  function hub(store = new MemorySecretStore()) {
    const people = new People();
    const h = createOAuthHub({ store, browser: new FakeBrowser(people) });
    hubs.push(h);
    return { hub: h, people, store };
  }

  const stored = async (store: MemorySecretStore) => JSON.parse((await store.get(secretKeyFor(mcp.url)))!) as { sessions: Record<string, { tokens: { access_token: string } }> };

  it('runs two entries for one URL side by side, each as its own account, and Log Out of one leaves the other', async () => {
    const { hub: h, people, store } = hub();
    await h.applyConfig(entries({ work: { url: mcp.url, auth: { account: 'alice@example.com' } }, home: { url: mcp.url, auth: { account: 'bob@example.com' } } }), {
      trusted: true,
    });
    await waitForKind(h, 'work', 'authRequired');
    await waitForKind(h, 'home', 'authRequired');

    await h.authenticate('work');
    await h.authenticate('home');
    assert.deepEqual(people.hints, ['alice@example.com', 'bob@example.com'], 'each sign-in names its account (login_hint)');
    await waitForKind(h, 'work', 'running');
    await waitForKind(h, 'home', 'running');
    assert.equal(text(await h.callTool('work', 'token_subject')), 'alice');
    assert.equal(text(await h.callTool('home', 'token_subject')), 'bob');
    assert.equal(text(await h.callTool('work', 'token_subject')), 'alice', 'still its own account after the other signed in');
    assert.equal(h.server('work')!.session?.account?.email, 'alice@example.com');
    assert.equal(h.server('home')!.session?.account?.email, 'bob@example.com');
    // One secret for the host; the first account is the active one (what an older MCP Hub reads), the other beside it.
    const secret = await stored(store);
    assert.equal(secret.sessions[mcp.url].tokens.access_token !== undefined, true);
    assert.equal(Object.keys(secret.sessions).filter((k) => k.startsWith(`${mcp.url}#account=`)).length, 1);

    const revocations = as.stats.revocations.length;
    await h.logout('home');
    assert.equal(h.server('home')!.state.kind, 'authRequired');
    await waitFor(h, 'home', (s) => s.session === undefined);
    assert.equal(h.server('work')!.state.kind, 'running', 'the other entry keeps running');
    assert.equal(h.server('work')!.session?.account?.email, 'alice@example.com', 'and signed in');
    assert.equal(text(await h.callTool('work', 'token_subject')), 'alice');
    const after = await stored(store);
    assert.deepEqual(Object.keys(after.sessions), [mcp.url], "only bob's session is gone");
    // Once the revocation has ended (its trace's last step), what it did: the refresh token revoked; the access token, a JWT,
    // oidc-provider cannot revoke by itself (unsupported_token_type; revoking the refresh token ended its grant). Checking
    // after the first request alone raced the second.
    await revocation(h, 'home');
    assert.deepEqual(
      as.stats.revocations.slice(revocations).map((r) => [r.token_type_hint, r.status]),
      [
        ['refresh_token', 200],
        ['access_token', 400],
      ],
      "bob's tokens were revoked",
    );
  });

  it("refuses a pinned entry's sign-in as another account, keeping every stored session as it was", async () => {
    const { hub: h, people, store } = hub();
    await h.applyConfig(entries({ work: { url: mcp.url, auth: { account: 'alice@example.com' } }, pinned: { url: mcp.url, auth: { account: 'dave@example.com' } } }), {
      trusted: true,
    });
    await waitForKind(h, 'work', 'authRequired');
    await h.authenticate('work');
    const before = await store.get(secretKeyFor(mcp.url));
    // The person signs in as mallory although the request hinted at dave.
    people.open = (url) => new ScriptedBrowser({ username: 'mallory' }).open(url);
    await assert.rejects(h.authenticate('pinned'), (e) => isOAuthFlowError(e, 'account_mismatch') && e.message.includes('"dave@example.com"') && !e.message.includes('mallory'));
    const row = h.server('pinned')!;
    assert.equal(row.state.kind, 'authRequired');
    assert.equal(row.session, undefined);
    assert.equal(await store.get(secretKeyFor(mcp.url)), before, 'nothing was written');
    assert.equal(text(await h.callTool('work', 'token_subject')), 'alice');
  });

  it('adds another account on an unpinned entry, which then runs as it, and switches back', async () => {
    const { hub: h, people } = hub();
    await h.applyConfig(entries({ any: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'any', 'authRequired');
    await h.authenticate('any');
    assert.equal(text(await h.callTool('any', 'token_subject')), 'carol');
    assert.deepEqual(h.server('any')!.actionContext.accounts, 1);

    people.fallback = 'erin';
    const prompts = as.stats.authorizationRequests.length;
    await h.signInWithAnotherAccount('any');
    // oidc-provider (v9) lists no prompt_values_supported, so not select_account: "login" asks the person to sign in afresh.
    assert.deepEqual(
      as.stats.authorizationRequests.slice(prompts).map((r) => r.prompt),
      ['login'],
    );
    await waitForKind(h, 'any', 'running');
    assert.equal(text(await h.callTool('any', 'token_subject')), 'erin');
    await waitFor(h, 'any', (s) => s.actionContext.accounts === 2);
    const accounts = await h.accounts('any');
    assert.deepEqual(
      accounts.map((a) => [a.label, a.description, a.active]),
      [
        ['Erin', 'erin@example.com', true],
        ['Carol', 'carol@example.com', false],
      ],
    );

    await h.switchAccount('any', accounts[1].key);
    await waitFor(h, 'any', (s) => s.state.kind === 'running' && s.session?.account?.email === 'carol@example.com');
    assert.equal(text(await h.callTool('any', 'token_subject')), 'carol');
  });

  it('an entry still starting when another window switches the account reconnects as the new one, as a running entry does', async () => {
    const { hub: h, people, store } = hub();
    await h.applyConfig(entries({ any: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'any', 'authRequired');
    await h.authenticate('any');
    people.fallback = 'erin';
    await h.signInWithAnotherAccount('any');
    await waitFor(h, 'any', (s) => s.state.kind === 'running' && s.session?.account?.email === 'erin@example.com');
    const [erin, carol] = await h.accounts('any');
    await h.switchAccount('any', carol.key);
    await waitFor(h, 'any', (s) => s.state.kind === 'running' && s.session?.account?.email === 'carol@example.com');

    // The entry starts again and has made its transport as carol; then another window makes erin the active account.
    const held = mcp.holdInitialize();
    const restarted = h.restart('any');
    await held.arrived;
    assert.equal(h.server('any')!.state.kind, 'starting');
    await new TokenStore(store).activate(mcp.url, erin.key);
    await waitFor(h, 'any', (s) => s.session?.account?.email === 'erin@example.com');
    held.release();
    await restarted;
    await waitFor(h, 'any', (s) => s.state.kind === 'running' && s.session?.account?.email === 'erin@example.com');
    assert.equal(text(await h.callTool('any', 'token_subject')), 'erin', 'the row names erin, and the calls are answered as erin');
  });
});
