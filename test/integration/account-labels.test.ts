// Two accounts on a server whose authorization server names nobody, end to end: a GitHub-style
// authorization server (oidc-provider answering token requests form-encoded with comma-separated
// scopes, taking prompt=select_account for its account picker, no userinfo endpoint; MCP Hub asks for
// no openid scope, so no id_token either) and a real SDK MCP server whose `token_subject` answers
// with the subject of the access token each call carries.
// Two entries for one URL, each pinned by auth.account to a label the person chose, run side by side,
// each as the account the person chose in the browser for it; Log Out of one leaves the other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notificationText } from '../../src/core/failure';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { MemorySecretStore, secretKeyFor } from '../../src/core/oauth/token-store';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, waitFor, waitForKind } from '../helpers';
import { protectedStage } from '../protected-stage';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

/**
 * The person at the browser: for the entry labelled "home" they choose their account ada-at-home,
 * otherwise ada-at-work (the label is only their word; the authorization server never sees it as an
 * account); a fresh browser each time, as after choosing in an account picker.
 */
class Person {
  readonly hints: Array<string | null> = [];
  open(url: string) {
    const hint = new URL(url).searchParams.get('login_hint');
    this.hints.push(hint);
    return new ScriptedBrowser({ username: hint === 'home' ? 'ada-at-home' : 'ada-at-work' }).open(url);
  }
}

describe('several accounts where the authorization server names nobody (labels)', () => {
  const { servers, track } = protectedStage();
  /** A GitHub-style authorization server and the MCP server it protects, answering token_subject. */
  const github = () => servers({ formEncodedTokenResponses: true, commaSeparatedScopes: true, accountPicker: true }, { tokenSubject: true });

  it('runs two pinned entries for one URL side by side, each as the account chosen for its label; Log Out of one leaves the other', async () => {
    const { as, mcp } = await github();
    const store = new MemorySecretStore();
    const person = new Person();
    const hub = createOAuthHub({ store, browser: new FakeBrowser(person) });
    track(hub);
    await hub.applyConfig(entries({ 'github-work': { url: mcp.url, auth: { account: 'work' } }, 'github-home': { url: mcp.url, auth: { account: 'home' } } }), {
      trusted: true,
    });
    await waitForKind(hub, 'github-work', 'authRequired');
    await waitForKind(hub, 'github-home', 'authRequired');

    const asked = as.stats.authorizationRequests.length;
    await hub.authenticate('github-work');
    await hub.authenticate('github-home');
    assert.deepEqual(person.hints, ['work', 'home'], 'each sign-in names its label (login_hint)');
    // The server names nobody, so the browser is asked to let the person choose: its account picker, which its metadata lists.
    assert.deepEqual(
      as.stats.authorizationRequests.slice(asked).map((r) => [r.login_hint, r.prompt, r.login]),
      [
        ['work', 'select_account', undefined],
        ['home', 'select_account', undefined],
      ],
    );
    assert.deepEqual(as.stats.logins.slice(-2), ['ada-at-work', 'ada-at-home'], 'chosen in the account picker');
    assert.equal(as.stats.userinfoRequests.length, 0, 'nobody to ask who signed in');
    await waitForKind(hub, 'github-work', 'running');
    await waitForKind(hub, 'github-home', 'running');
    assert.equal(text(await hub.callTool('github-work', 'token_subject')), 'ada-at-work');
    assert.equal(text(await hub.callTool('github-home', 'token_subject')), 'ada-at-home');
    assert.equal(text(await hub.callTool('github-work', 'token_subject')), 'ada-at-work', 'still its own account after the other signed in');
    // The row says what MCP Hub knows: the label, not who signed in.
    assert.equal(hub.server('github-work')!.session?.label, 'work');
    assert.equal(hub.server('github-work')!.session?.account, undefined);
    assert.equal(hub.server('github-home')!.session?.label, 'home');

    const secret = JSON.parse((await store.get(secretKeyFor(mcp.url)))!) as { sessions: Record<string, unknown> };
    assert.equal(Object.keys(secret.sessions).length, 2, 'one secret for the host, two sessions');

    await hub.logout('github-home');
    assert.equal(hub.server('github-home')!.state.kind, 'authRequired');
    await waitFor(hub, 'github-home', (s) => s.session === undefined);
    assert.equal(hub.server('github-work')!.state.kind, 'running', 'the other entry keeps running');
    assert.equal(hub.server('github-work')!.session?.label, 'work', 'and signed in');
    assert.equal(text(await hub.callTool('github-work', 'token_subject')), 'ada-at-work');
    const afterLogout = JSON.parse((await store.get(secretKeyFor(mcp.url)))!) as { sessions: Record<string, unknown> };
    assert.equal(Object.keys(afterLogout.sessions).length, 1, "only home's session is gone");
  });

  it('keeps one account for unpinned entries, lists labels in Switch Account, and says a second account needs auth.account', async () => {
    const { mcp } = await github();
    const store = new MemorySecretStore();
    const browser = new FakeBrowser(new Person());
    const hub = createOAuthHub({ store, browser });
    track(hub);
    await hub.applyConfig(entries({ any: { url: mcp.url }, 'github-home': { url: mcp.url, auth: { account: 'home' } } }), { trusted: true });
    await waitForKind(hub, 'any', 'authRequired');
    await hub.authenticate('any');
    assert.equal(text(await hub.callTool('any', 'token_subject')), 'ada-at-work');
    await waitForKind(hub, 'github-home', 'authRequired');
    await hub.authenticate('github-home');
    assert.equal(text(await hub.callTool('github-home', 'token_subject')), 'ada-at-home');
    assert.equal(text(await hub.callTool('any', 'token_subject')), 'ada-at-work', 'the unpinned entry keeps its account');
    await waitFor(hub, 'any', (s) => s.actionContext.accounts === 2);
    assert.deepEqual(
      (await hub.accounts('any')).map((a) => [a.label, a.active]),
      [
        ['Unnamed account', true],
        ['"home"', false],
      ],
    );

    // Sign in with another account there would only replace its one account: nothing opens, and the error says what works.
    const opened = browser.opened.length;
    const error = await hub.signInWithAnotherAccount('any').then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(isOAuthFlowError(error, 'account_unnamed'), String(error));
    assert.match(notificationText(error), /add an entry for the same URL with "auth\.account"/);
    assert.equal(browser.opened.length, opened, 'no browser opened');
    assert.equal(hub.server('any')!.state.kind, 'running');
    assert.equal(text(await hub.callTool('any', 'token_subject')), 'ada-at-work');
  });
});
