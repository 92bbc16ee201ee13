// Another person's account on the same server, against an entry pinned to one account (auth.account):
// a session of someone else stored for the same URL (active, or the only one), a browser that comes
// back as someone else, refreshes of two accounts side by side, and an authorization server whose
// account claims are hostile text. For every case: the pinned entry never sends another account's
// token, nothing stored is lost, and account text reaches no notification and no surface unscrubbed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { notificationText } from '../../src/core/failure';
import type { McpHub } from '../../src/core/hub';
import { matchesPin } from '../../src/core/oauth/accounts';
import { MemorySecretStore, secretKeyFor } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;
const count = { cases: 0, foreignTokensSent: 0, dataLost: 0, hostileTextShown: 0 };

/** Hostile display claims: markup, a command link, bidi overrides, a token-shaped email. */
const HOSTILE = {
  name: 'Mallory <img src=x onerror=alert(1)> [click](command:workbench.action.terminal.new) \u202egnp.exe',
  email: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJlc2lnbmF0dXJl',
};

describe('security: a pinned entry never gets another account', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  const hubs: McpHub[] = [];

  before(async () => {
    as = await startAuthorizationServer({ userinfo: true, claims: (id) => (id === 'mallory' ? HOSTILE : { name: id, email: `${id}@example.com` }) });
    mcp = await startProtectedMcpServer({ authorizationServer: as, tokenSubject: true });
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.dispose()));
    await mcp.close();
    await as.close();
    console.log(
      `security[accounts]: cases ${count.cases}, foreign tokens sent ${count.foreignTokensSent}, data lost ${count.dataLost}, hostile text shown ${count.hostileTextShown}`,
    );
    assert.deepEqual([count.foreignTokensSent, count.dataLost, count.hostileTextShown], [0, 0, 0]);
  });

  /** A hub whose browser signs in as `as.who` (a fresh browser each time). */
  function hub(store: MemorySecretStore, person: { who: string }) {
    const h = createOAuthHub({ store, browser: new FakeBrowser({ open: (url) => new ScriptedBrowser({ username: person.who }).open(url) }) });
    hubs.push(h);
    return h;
  }

  it("does not connect with the active account's token when its own account is not signed in", async () => {
    count.cases++;
    const store = new MemorySecretStore();
    const first = hub(store, { who: 'bob' });
    await first.applyConfig(entries({ any: { url: mcp.url } }), { trusted: true });
    await waitForKind(first, 'any', 'authRequired');
    await first.authenticate('any');
    assert.equal(text(await first.callTool('any', 'token_subject')), 'bob');
    await first.dispose();

    const tokensBefore = new Set(mcp.stats.bearerTokens);
    const second = hub(store, { who: 'bob' });
    await second.applyConfig(entries({ work: { url: mcp.url, auth: { account: 'alice@example.com' } } }), { trusted: true });
    const row = await waitForKind(second, 'work', 'authRequired');
    if ([...mcp.stats.bearerTokens].some((t) => !tokensBefore.has(t)) || row.session) count.foreignTokensSent++;
    // Signing in, the browser comes back as bob (the active account): refused, bob's session untouched.
    const stored = await store.get(secretKeyFor(mcp.url));
    await assert.rejects(second.authenticate('work'));
    if ((await store.get(secretKeyFor(mcp.url))) !== stored) count.dataLost++;
    assert.equal(second.server('work')!.state.kind, 'authRequired');
    assert.deepEqual([count.foreignTokensSent, count.dataLost], [0, 0]);
  });

  it('refreshes two accounts side by side, each into its own session', async () => {
    count.cases++;
    const store = new MemorySecretStore();
    const person = { who: 'alice' };
    const h = hub(store, person);
    // Access tokens of 3 s: each entry refreshes its own shortly before they expire.
    as.setTokenTTL({ accessToken: 3 });
    try {
      await h.applyConfig(entries({ work: { url: mcp.url, auth: { account: 'alice' } }, home: { url: mcp.url, auth: { account: 'bob' } } }), { trusted: true });
      await waitForKind(h, 'work', 'authRequired');
      await h.authenticate('work');
      person.who = 'bob';
      await h.authenticate('home');
      await waitFor(h, 'work', (s) => s.session?.refreshedAt !== undefined);
      await waitFor(h, 'home', (s) => s.session?.refreshedAt !== undefined);
      for (const [name, who] of [
        ['work', 'alice'],
        ['home', 'bob'],
      ] as const) {
        if (text(await h.callTool(name, 'token_subject')) !== who || mcp.stats.lastAuth?.sub !== who) count.foreignTokensSent++;
      }
      const secret = JSON.parse((await store.get(secretKeyFor(mcp.url)))!) as { sessions: Record<string, unknown> };
      if (Object.keys(secret.sessions).length !== 2 || !secret.sessions[mcp.url]) count.dataLost++;
      assert.deepEqual([count.foreignTokensSent, count.dataLost], [0, 0]);
    } finally {
      as.setTokenTTL({ accessToken: 3600 });
    }
  });

  it("keeps an authorization server's hostile account text scrubbed on the row and in the Switch Account list, and out of notifications", async () => {
    count.cases++;
    const store = new MemorySecretStore();
    const h = hub(store, { who: 'mallory' });
    await h.applyConfig(entries({ any: { url: mcp.url }, pinned: { url: mcp.url, auth: { account: 'alice@example.com' } } }), { trusted: true });
    await waitForKind(h, 'any', 'authRequired');
    await h.authenticate('any');
    const error = await h.authenticate('pinned').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error, 'the pinned sign-in as mallory was refused');
    const surfaces = [
      JSON.stringify(h.server('any')!.session),
      JSON.stringify(await h.accounts('any')),
      JSON.stringify(h.server('pinned')!.state),
      notificationText(error),
      (error as Error).message,
    ];
    for (const surface of surfaces) {
      // Markup stays inert text (the panel renders text only); links, bidi overrides and token shapes must not survive.
      if (/\]\(command:|\u202e/.test(surface) || surface.includes(HOSTILE.email)) count.hostileTextShown++;
    }
    if (notificationText(error).includes('Mallory')) count.hostileTextShown++;
    assert.equal(count.hostileTextShown, 0, surfaces.join('\n'));
  });

  it('matches no pin against a session that names no subject, whatever its display claims say', () => {
    count.cases++;
    const unnamed = { issuer: 'https://as.example.com', account: { email: 'alice@example.com', username: 'alice' } };
    if (matchesPin(unnamed, 'alice@example.com') || matchesPin(unnamed, 'alice')) count.foreignTokensSent++;
    assert.equal(count.foreignTokensSent, 0);
  });
});
