// Who is signed in, and why not: the account the authorization server names (id_token claims, or
// its userinfo endpoint) kept with the session and gone at Log Out; the OAuth trace of each sign-in
// and refresh; and the diagnostics report, which carries neither secrets nor the account. Real
// servers throughout: oidc-provider, an SDK MCP server behind bearer auth, the scripted browser.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { diagnosticsReport } from '../../src/core/diagnostics';
import { McpHub, type OAuthTraceChange } from '../../src/core/hub';
import { InputStore } from '../../src/core/inputs';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import type { OAuthTraceStep } from '../../src/core/oauth/trace';
import { systemClock } from '../../src/core/ports';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, fastRetry, MemoryLogger, stdioEntry, waitFor, waitForKind } from '../helpers';

const claims = (sub: string) => ({ name: 'Alice Example', email: 'alice@example.com', preferred_username: sub });
const ACCOUNT = { name: 'Alice Example', email: 'alice@example.com', username: 'alice', subject: 'alice' };
const OPENID = 'openid profile email mcp:read';

/** The trace of the newest sign-in: from its "Sign-in started" step to the next sign-in's. */
function lastSignIn(trace: readonly OAuthTraceStep[]): OAuthTraceStep[] {
  const next = trace.findIndex((s, i) => i > 0 && s.label === 'Sign-in started');
  return trace.slice(0, next === -1 ? undefined : next);
}

const kinds = (steps: readonly OAuthTraceStep[]) => steps.map((s) => s.kind);

describe('who is signed in, and why not', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  let withUserinfo: AuthorizationServerFixture;
  let mcpUserinfo: ProtectedMcpServerFixture;
  const hubs: McpHub[] = [];

  before(async () => {
    as = await startAuthorizationServer({ claims });
    mcp = await startProtectedMcpServer({ authorizationServer: as });
    withUserinfo = await startAuthorizationServer({ claims, userinfo: true });
    mcpUserinfo = await startProtectedMcpServer({ authorizationServer: withUserinfo });
  });
  after(async () => {
    await mcp.close();
    await as.close();
    await mcpUserinfo.close();
    await withUserinfo.close();
  });
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
    as.setTokenTTL({ accessToken: 3600 });
  });

  function hub(store = new MemorySecretStore(), browser = new FakeBrowser(new ScriptedBrowser())) {
    const h = createOAuthHub({ store, browser });
    hubs.push(h);
    return { hub: h, browser, store };
  }

  async function signedIn(server: Record<string, unknown>, name = 'secure') {
    const h = hub();
    await h.hub.applyConfig(entries({ [name]: server }), { trusted: true });
    await waitForKind(h.hub, name, 'authRequired');
    await h.hub.authenticate(name);
    return h;
  }

  it('keeps the account an id_token names with the session, and not the id_token', async () => {
    const { hub: h, store } = await signedIn({ url: mcp.url, auth: { scope: OPENID } });
    const session = h.server('secure')!.session!;
    assert.deepEqual(session.account, ACCOUNT);
    assert.ok(session.obtainedAt && Math.abs(session.obtainedAt - Date.now()) < 60_000, 'when it signed in');
    assert.equal(session.refreshedAt, undefined, 'not refreshed yet');
    const stored = JSON.parse((await store.get(store.keys()[0]))!).sessions[mcp.url];
    assert.ok(stored.tokens.access_token && !('id_token' in stored.tokens), 'the id_token is not stored');
    assert.equal(stored.account.email, 'alice@example.com', 'the account is stored with the session');
    assert.equal(withUserinfo.stats.userinfoRequests.length + as.stats.userinfoRequests.length, 0, 'no userinfo request when the id_token says it');

    // A new window reads it from the store.
    const other = hub(store);
    await other.hub.applyConfig(entries({ secure: { url: mcp.url, auth: { scope: OPENID } } }), { trusted: true });
    const restored = await waitFor(other.hub, 'secure', (x) => x.state.kind === 'running' && x.session !== undefined);
    assert.deepEqual(restored.session?.account, ACCOUNT);
    assert.equal(other.browser.opened.length, 0);
  });

  it('asks the userinfo endpoint when there is no id_token, and traces it', async () => {
    const { hub: h } = await signedIn({ url: mcpUserinfo.url });
    assert.deepEqual(h.server('secure')!.session!.account, ACCOUNT);
    assert.deepEqual(withUserinfo.stats.userinfoRequests, [200]);
    const userinfo = h.oauthTrace('secure').find((s) => s.kind === 'userinfo');
    assert.ok(userinfo, JSON.stringify(h.oauthTrace('secure')));
    assert.equal(userinfo.method, 'GET');
    assert.equal(userinfo.url, `${withUserinfo.issuer}/userinfo`);
    assert.equal(userinfo.status, 200);
  });

  it('shows no account when the authorization server names nobody', async () => {
    const { hub: h } = await signedIn({ url: mcp.url });
    const session = h.server('secure')!.session!;
    assert.equal(session.account, undefined);
    assert.ok(session.obtainedAt);
  });

  it('traces a sign-in step by step, live, in order, with statuses and without secrets', async () => {
    const { hub: h, browser, store } = hub();
    const live: OAuthTraceChange[] = [];
    h.onDidChangeOAuthTrace((c) => live.push(c));
    await h.applyConfig(entries({ secure: { url: mcp.url }, local: stdioEntry() }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    const trace = h.oauthTrace('secure');
    assert.deepEqual(
      live.map((c) => c.step),
      trace,
      'every step was announced as it was added',
    );
    assert.ok(live.every((c) => c.name === 'secure'));

    const steps = lastSignIn(trace);
    const order = ['info', 'metadata', 'registration', 'authorize', 'callback', 'token', 'info'];
    // Each expected kind appears, in this order (discovery may try more than one metadata URL).
    let at = 0;
    for (const kind of order) {
      const found = steps.findIndex((s, i) => i >= at && s.kind === kind);
      assert.ok(found >= 0, `${kind} after step ${at} in ${JSON.stringify(kinds(steps))}`);
      at = found + 1;
    }
    assert.equal(steps[0].label, 'Sign-in started');
    assert.equal(steps.at(-1)!.label, 'Signed in');
    const prm = steps.find((s) => s.label === 'Protected resource metadata')!;
    assert.equal(prm.status, 200);
    assert.equal(prm.method, 'GET');
    assert.ok(prm.url!.startsWith(`${new URL(mcp.url).origin}/.well-known/oauth-protected-resource`));
    const asMetadata = steps.filter((s) => s.label.startsWith('Authorization server metadata'));
    assert.ok(asMetadata.some((s) => s.status === 200));
    const registration = steps.find((s) => s.kind === 'registration')!;
    assert.deepEqual([registration.method, registration.status], ['POST', 201]);
    const authorize = steps.find((s) => s.kind === 'authorize')!;
    assert.equal(authorize.label, 'Browser opened for sign-in');
    assert.equal(authorize.url, `${as.issuer}/auth`, 'the authorization endpoint without its query');
    assert.match(authorize.note!, /^scope mcp:read( offline_access)?$/);
    const callback = steps.find((s) => s.kind === 'callback')!;
    assert.match(callback.url!, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.equal(callback.note, 'with an authorization code');
    const token = steps.find((s) => s.kind === 'token')!;
    assert.deepEqual([token.label, token.method, token.status, token.url], ['Token request', 'POST', 200, `${as.issuer}/token`]);
    for (const s of steps.filter((x) => x.method)) assert.ok(typeof s.ms === 'number' && s.ms >= 0);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i].at >= steps[i - 1].at, 'in the order they happened');

    // Nothing of the flow's secrets: no query at all, no code, state, verifier or token.
    const text = JSON.stringify(trace);
    const authorizationUrl = new URL(browser.opened[0]);
    const callbackUrl = new URL((await browser.last()).finalUrl);
    const session = JSON.parse((await store.get(store.keys()[0]))!).sessions[mcp.url];
    const secrets = [
      authorizationUrl.searchParams.get('state')!,
      authorizationUrl.searchParams.get('code_challenge')!,
      callbackUrl.searchParams.get('code')!,
      session.tokens.access_token,
      session.tokens.refresh_token,
    ];
    for (const secret of secrets) assert.ok(secret && !text.includes(secret), 'no secret in the trace');
    assert.ok(!text.includes('?'), 'no query string in the trace');

    assert.deepEqual(h.oauthTrace('local'), [], 'a stdio server has no trace');
    assert.deepEqual(h.oauthTrace('nonexistent'), []);
  });

  it('adds a refresh step when the token is refreshed, and keeps the account', async () => {
    // Refreshed 6 s after the sign-in: not before the sign-in has ended on a busy machine.
    as.setTokenTTL({ accessToken: 8 });
    const { hub: h } = await signedIn({ url: mcp.url, auth: { scope: OPENID } });
    const signedInAt = h.server('secure')!.session!.obtainedAt!;
    assert.equal(h.server('secure')!.session!.refreshedAt, undefined);
    const refresh = () => h.oauthTrace('secure').find((s) => s.kind === 'refresh');
    while (!refresh()) await new Promise((r) => setTimeout(r, 100));
    const step = refresh()!;
    assert.deepEqual([step.label, step.method, step.status], ['Token refresh', 'POST', 200]);
    assert.equal(lastSignIn(h.oauthTrace('secure')).at(-1), step, 'the refresh joins the sign-in it follows');
    const s = await waitFor(h, 'secure', (x) => (x.session?.refreshedAt ?? 0) > signedInAt);
    assert.deepEqual(s.session?.account, ACCOUNT, 'a refresh without an id_token keeps the account');
    assert.equal(s.session?.obtainedAt, signedInAt, 'and when it signed in');
  });

  it('shows the error the authorization server sent to the callback, and the failure', async () => {
    const { hub: h } = hub(new MemorySecretStore(), new FakeBrowser(new ScriptedBrowser({ deny: true })));
    await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(h, 'secure', 'authRequired');
    await assert.rejects(h.authenticate('secure'), /access_denied/);
    const steps = lastSignIn(h.oauthTrace('secure'));
    assert.deepEqual(kinds(steps).slice(-3), ['authorize', 'callback', 'error']);
    const [, callback, error] = steps.slice(-3);
    assert.equal(callback.note, 'error=access_denied');
    assert.equal(error.label, 'Sign-in did not complete');
    assert.equal(error.note, 'authorization_denied: The authorization server refused the sign-in (access_denied).');
    assert.ok(!steps.some((s) => s.kind === 'token'), 'no token request after a refusal');
  });

  it('puts a refused refresh and its OAuth error code in the trace', async () => {
    as.setTokenTTL({ accessToken: 4 });
    const { hub: h } = await signedIn({ url: mcp.url });
    // The authorization server forgets every grant: the refresh before expiry is refused.
    as.revokeAll();
    const failed = () => h.oauthTrace('secure').find((s) => s.label === 'Token refresh failed');
    while (!failed()) await new Promise((r) => setTimeout(r, 100));
    // The refresh just before the failure (on a busy machine one may have succeeded before revokeAll).
    const trace = h.oauthTrace('secure');
    const failure = trace.findIndex((s) => s.label === 'Token refresh failed');
    const refresh = trace
      .slice(0, failure)
      .reverse()
      .find((s) => s.kind === 'refresh')!;
    assert.deepEqual([refresh.status, refresh.note], [400, 'invalid_grant']);
    assert.match(failed()!.note!, /^authorization_denied: The authorization server refused to renew the session \(invalid_grant\)\.$/);
  });

  it('forgets the account at Log Out', async () => {
    const { hub: h, store } = await signedIn({ url: mcp.url, auth: { scope: OPENID } });
    assert.ok(h.server('secure')!.session?.account);
    await h.logout('secure');
    assert.equal(h.server('secure')!.session, undefined);
    assert.deepEqual(store.keys(), []);
    assert.equal(lastSignIn(h.oauthTrace('secure')).at(-1)!.label, 'Signed out');
    // A new window finds nothing either.
    const other = hub(store);
    await other.hub.applyConfig(entries({ secure: { url: mcp.url, auth: { scope: OPENID } } }), { trusted: true });
    assert.equal((await waitForKind(other.hub, 'secure', 'authRequired')).session, undefined);
  });

  it('copies diagnostics without header, env or input values, tokens or the account', async () => {
    const secrets = new MemorySecretStore();
    const inputs = new InputStore(secrets);
    const values = {
      input: 'input-value-K7d9Qw2xZr41',
      header: 'inline-header-value-P3m8Vb6n',
      env: 'env-value-T5c2Lh9s',
      stdioEnv: 'stdio-env-value-R8x4Nj2w',
      stdioArg: 'stdio-arg-value-Y6b3Hq7k',
    };
    await inputs.set('apiKey', values.input);
    const browser = new FakeBrowser(new ScriptedBrowser());
    const h = new McpHub({
      logger: new MemoryLogger(),
      clock: systemClock,
      clientInfo: { name: 'mcp-hub-tests', version: '0.0.0' },
      retry: fastRetry,
      inputs,
      env: { TRACE_TEST_SECRET: values.env },
      oauth: { store: new TokenStore(secrets), browser },
    });
    hubs.push(h);
    await h.applyConfig(
      entries({
        secure: {
          url: mcp.url,
          headers: { 'X-Api-Key': '${input:apiKey}', 'X-Team': values.header, 'X-Env': '${env:TRACE_TEST_SECRET}' },
          auth: { scope: OPENID },
        },
        local: stdioEntry({ API_TOKEN: values.stdioEnv, OTHER: '${input:apiKey}' }, { args: [stdioEntry().args[0], values.stdioArg] }),
      }),
      { trusted: true },
    );
    await waitForKind(h, 'secure', 'authRequired');
    await h.authenticate('secure');
    await waitForKind(h, 'local', 'running');

    const environment = { extensionVersion: '9.9.9', vscodeVersion: '1.99.0', platform: 'linux-x64' };
    const report = diagnosticsReport(h, 'secure', environment);
    const local = diagnosticsReport(h, 'local', environment);
    const stored = JSON.parse((await secrets.get(secrets.keys().find((k) => k.startsWith('mcpHub.oauth/'))!))!).sessions[mcp.url];
    const callbackUrl = new URL((await browser.last()).finalUrl);
    const forbidden: string[] = [
      ...Object.values(values),
      stored.tokens.access_token,
      stored.tokens.refresh_token,
      callbackUrl.searchParams.get('code')!,
      callbackUrl.searchParams.get('state')!,
      ACCOUNT.email,
      ACCOUNT.name,
    ];
    const surfaces = [report, local, JSON.stringify(h.oauthTrace('secure'))];
    for (const value of forbidden) {
      assert.ok(value, 'each value is known');
      for (const surface of surfaces) assert.ok(!surface.includes(value), `${value.slice(0, 12)}… stays out`);
    }
    // Left out, not masked: nothing needed the scrubber's mask.
    for (const surface of surfaces) assert.ok(!surface.includes('***'), surface);

    // What the report does say.
    assert.match(report, /^# MCP Hub diagnostics: secure$/m);
    assert.match(report, /MCP Hub 9\.9\.9, VS Code 1\.99\.0, linux-x64/);
    assert.match(report, /- Transport: http\n/);
    assert.ok(report.includes(`- Target: ${mcp.url}`));
    assert.match(report, /- State: running/);
    assert.match(report, /- Protocol version: \d{4}-\d{2}-\d{2}/);
    assert.match(report, /- Tools: \d+, resources: \d+, prompts: \d+/);
    assert.ok(report.includes(`- Issuer: ${as.issuer}`));
    assert.match(report, /- Account known: yes/);
    assert.match(report, /\| \S+Z \| token \| Token request \| POST http:\/\/127\.0\.0\.1:\d+\/token \| 200 \| \d+ \|/);
    assert.match(local, /- Transport: stdio/);
    assert.match(local, /- Signs in with OAuth: no/);
    assert.ok(!local.includes('## OAuth trace'));
  });
});
