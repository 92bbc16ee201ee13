// Each sign-in failure through the hub's real sign-in path (hub, oidc-provider, an SDK MCP server
// behind bearer auth, our callback server): its own code and its own sentence, the same in the row,
// the notification and the log. And auth.acceptIssuer at work for an authorization server whose
// metadata names another issuer than the URL it is fetched for (a multi-tenant endpoint).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServers, type RemoteServerConfig } from '../../src/core/config';
import { describeSignInFailure, formatTime, logText, notificationSentence, notificationText, type Failure } from '../../src/core/failure';
import type { McpHub } from '../../src/core/hub';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import { ServerAuth } from '../../src/core/oauth/server-auth';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { actionsFor } from '../../src/core/state';
import { scrubber } from '../../src/core/scrub';
import { startAuthorizationServer } from '../fixtures/authorization-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { protectedStage } from '../protected-stage';
import { createOAuthHub, entries, FakeBrowser, FakeClock, MemoryLogger, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

describe('sign-in failures: one code and one sentence in the row, the notification and the log', () => {
  const { servers, hubFor, track, closeAtEnd } = protectedStage();

  /** Authenticate fails; returns the error after checking row, notification and log agree on it. */
  async function failedSignIn(hub: McpHub, logger: MemoryLogger, code: string): Promise<Failure> {
    const error = await hub.authenticate('secure').then(
      () => assert.fail('the sign-in should have failed'),
      (e: unknown) => e,
    );
    assert.ok(isOAuthFlowError(error), String(error));
    assert.equal(error.code, code);
    const f = describeSignInFailure(error);
    const row = hub.server('secure')!.state;
    assert.equal(row.kind, 'authRequired');
    assert.ok(row.kind === 'authRequired');
    assert.equal(row.code, code, 'the row has the code');
    assert.equal(row.reason, scrubber.message(f.message), 'the row has the sentence');
    const notice = notificationText(error, describeSignInFailure);
    assert.ok(notice.startsWith(`${scrubber.message(f.message).replace(/\bhttps?:\/\/[^\s,;()]+/g, '(address in the panel)')} [${code}]`), notice);
    assert.ok(logger.text().includes(`sign-in did not complete: ${f.message} [${code}]`), 'the log has the sentence and the code');
    return f;
  }

  it('auth.acceptIssuer admits a multi-tenant endpoint whose metadata names its tenant issuer; without it, the sign-in stops before any registration', async () => {
    const as = await startAuthorizationServer({ issuerPath: '/tenant-7f3a/v2.0', metadataAliases: ['/common/v2.0'] });
    const common = `${as.url}/common/v2.0`;
    // The resource names the common endpoint, whose metadata says issuer …/tenant-7f3a/v2.0.
    const multi = await startProtectedMcpServer({ authorizationServer: as, authorizationServerUrl: common });
    closeAtEnd(
      () => as.close(),
      () => multi.close(),
    );

    const without = await hubFor(multi);
    const registrations = as.stats.registrations.length;
    const f = await failedSignIn(without.hub, without.logger, 'metadata_issuer_mismatch');
    assert.match(
      f.message,
      new RegExp(
        `^The authorization server metadata fetched for ${common.replace(/[.]/g, '\\.')} names a different issuer than that address \\(RFC 8414\\), so MCP Hub refused it\\. .*set auth\\.acceptIssuer`,
      ),
    );
    assert.ok(!f.message.includes('tenant-7f3a'), 'the issuer it names is not in our sentence');
    assert.match(f.detail ?? '', /tenant-7f3a/, 'but in the details, for auth.acceptIssuer');
    assert.equal(as.stats.registrations.length, registrations, 'nothing was registered');
    assert.equal(without.browser.opened.length, 0, 'no browser opened');

    const withSetting = await hubFor(multi, { acceptIssuer: as.issuer });
    await withSetting.hub.authenticate('secure');
    assert.equal(withSetting.hub.server('secure')!.state.kind, 'running');
    assert.equal(text(await withSetting.hub.callTool('secure', 'echo', { text: 'tenant' })), 'tenant');
    assert.equal(withSetting.hub.server('secure')!.session?.issuer, as.issuer);
    assert.match(withSetting.logger.text(), /names the issuer .*tenant-7f3a\/v2\.0; accepting it as auth\.acceptIssuer says/);
  });

  it('says an authorization response from another issuer is refused, in words apart from a metadata mismatch', async () => {
    const { mcp } = await servers();
    const browser = new FakeBrowser(new ScriptedBrowser({ tamperCallback: (u) => u.searchParams.set('iss', 'https://evil.example') }));
    const { hub, logger } = await hubFor(mcp, {}, browser);
    const f = await failedSignIn(hub, logger, 'response_issuer_mismatch');
    assert.match(f.message, /^The browser came back with an authorization response from another issuer/);
    assert.ok(!logger.text().includes('evil.example') && !JSON.stringify(hub.server('secure')!.state).includes('evil'), 'the received issuer is shown nowhere');
  });

  it('says registration was refused (HTTP 401) and names auth.clientId', async () => {
    const { mcp } = await servers({ registrationNeedsToken: true });
    const { hub, logger } = await hubFor(mcp);
    const f = await failedSignIn(hub, logger, 'registration_refused');
    assert.equal(
      f.message,
      'The authorization server refused to register MCP Hub as a client (HTTP 401). Set auth.clientId (and auth.clientSecret, if the client has one) to a client registered with it in advance.',
    );
  });

  it('says so when the authorization server offers no registration at all, before any browser', async () => {
    const { mcp } = await servers({ dynamicRegistration: false });
    const { hub, logger, browser } = await hubFor(mcp);
    const f = await failedSignIn(hub, logger, 'registration_refused');
    assert.match(f.message, /^The authorization server does not offer dynamic client registration\. Set auth\.clientId/);
    assert.equal(browser.opened.length, 0);
  });

  it('says the server refused the token it was just given, with likely causes, and does not offer the same sign-in again', async () => {
    const { as, mcp } = await servers({}, { audience: 'https://api.elsewhere.example/' });
    const { hub, logger } = await hubFor(mcp);
    await hub.authenticate('secure');
    const s = await waitForKind(hub, 'secure', 'error');
    assert.ok(s.state.kind === 'error');
    assert.equal(s.state.code, 'token_refused');
    assert.match(
      s.state.message,
      /^The server refused the token it was just given at sign-in \(HTTP 401\)\. .*another audience or resource .*signing in again would get the same token/,
    );
    assert.equal(s.state.retryAt, undefined, 'not retried on a timer');
    assert.ok(!actionsFor(s.state, s.actionContext).includes('authenticate'), 'no Authenticate: it would get the same token');
    assert.ok(s.session, 'the session is kept (Log Out is there)');
    assert.ok(
      as.stats.tokenRequests.some((t) => t.grant_type === 'authorization_code' && t.status === 200),
      'the sign-in itself succeeded',
    );
    const row = { code: s.state.code, message: s.state.message };
    assert.ok(logger.text().includes(logText(row)), 'the log has the sentence and the code');
    assert.ok(notificationSentence(row).startsWith(`${row.message} [token_refused]`));
  });

  it('says at sign-in when a session without a refresh token ends, and at that time that it ended', async () => {
    // Long enough for the sign-in and the call below to end before the session does on a busy machine.
    const { mcp } = await servers({ issueRefreshTokens: false, accessTokenTTL: 8 });
    const { hub, logger } = await hubFor(mcp);
    await hub.authenticate('secure');
    const running = hub.server('secure')!;
    assert.ok(running.state.kind === 'running');
    const endsAt = running.session?.expiresAt;
    assert.ok(endsAt);
    assert.equal(running.state.notice, `Signed in without a refresh token, so the session ends at ${formatTime(endsAt)} and cannot be renewed; Authenticate again then.`);
    assert.equal(text(await hub.callTool('secure', 'echo', { text: 'before' })), 'before');

    const ended = await waitFor(hub, 'secure', (s) => s.state.kind !== 'running');
    assert.ok(ended.state.kind === 'authRequired', JSON.stringify(ended.state));
    assert.equal(ended.state.code, 'session_expired');
    assert.equal(
      ended.state.reason,
      `The session ended at ${formatTime(endsAt)}: the authorization server gave no refresh token, so MCP Hub cannot renew it. Authenticate to sign in again.`,
    );
    assert.ok(actionsFor(ended.state, ended.actionContext).includes('authenticate'));
    assert.doesNotMatch(logger.text(), /connection (was )?lost/i);
    assert.ok(logger.text().includes(`${ended.state.reason} [session_expired]`));
  });

  it('a stored session past its end, without a refresh token, reads as ended at the next start', async () => {
    const { mcp } = await servers({ issueRefreshTokens: false, accessTokenTTL: 5 });
    const store = new MemorySecretStore();
    const first = createOAuthHub({ store, browser: new FakeBrowser(new ScriptedBrowser()) });
    track(first);
    await first.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    await waitForKind(first, 'secure', 'authRequired');
    await first.authenticate('secure');
    const endsAt = first.server('secure')!.session!.expiresAt!;
    await first.dispose();
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 300));
    const second = createOAuthHub({ store, browser: new FakeBrowser() });
    track(second);
    await second.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
    const s = await waitForKind(second, 'secure', 'authRequired');
    assert.ok(s.state.kind === 'authRequired');
    assert.equal(s.state.code, 'session_expired');
    assert.match(s.state.reason, /^The session ended at /);
  });

  it('reuses the client a denied or cancelled step-up registered, rather than registering again', async () => {
    const { as, mcp } = await servers({ restrictClientScope: true }, { stepUpTool: true });
    const browser = new FakeBrowser(new ScriptedBrowser());
    const { hub } = await hubFor(mcp, {}, browser);
    await hub.authenticate('secure');
    await assert.rejects(hub.callTool('secure', 'admin_action'));
    const registrations = as.stats.registrations.length;

    browser.browser = new ScriptedBrowser({ deny: true });
    await assert.rejects(hub.authenticate('secure'), (e: unknown) => isOAuthFlowError(e, 'authorization_denied'));
    assert.equal(as.stats.registrations.length, registrations + 1, 'the denied step-up registered once, for the union of scopes');

    browser.browser = undefined;
    const opened = browser.opened.length;
    const cancelled = hub.authenticate('secure');
    while (browser.opened.length === opened) await new Promise((r) => setTimeout(r, 20));
    await hub.cancelAuthentication('secure');
    await assert.rejects(cancelled, (e: unknown) => isOAuthFlowError(e, 'cancelled'));

    browser.browser = new ScriptedBrowser();
    await hub.authenticate('secure');
    assert.equal(as.stats.registrations.length, registrations + 1, 'the cancelled try and the successful one reused that client');
    assert.match(text(await hub.callTool('secure', 'admin_action')), /admin_action done/);
  });
});

describe("another window's refresh", () => {
  it('is logged as adopted by the window that waited for it, and as a refresh only by the window that made it', async () => {
    const as = await startAuthorizationServer();
    const mcp = await startProtectedMcpServer({ authorizationServer: as });
    const clock = new FakeClock();
    const secrets = new MemorySecretStore();
    const windows: Array<{ auth: ServerAuth; logger: MemoryLogger }> = [];
    try {
      const entry = parseServers({ secure: { url: mcp.url } }, 'user')[0];
      assert.ok(entry.ok);
      for (let i = 0; i < 2; i++) {
        const logger = new MemoryLogger();
        // Two windows: a TokenStore each, over the one secret storage.
        const auth = new ServerAuth(entry.config as RemoteServerConfig, { store: new TokenStore(secrets), browser: new FakeBrowser(new ScriptedBrowser()), logger, clock });
        windows.push({ auth, logger });
      }
      await windows[0].auth.signIn({ signal: new AbortController().signal });
      const refreshes = () => as.stats.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length;
      const before = refreshes();
      clock.advance(3600_000); // both windows find the token due
      await Promise.all(windows.map((w) => w.auth.refreshIfDue()));
      assert.equal(refreshes(), before + 1, 'one refresh for both windows');
      const said = windows.map((w) => ({
        refreshed: w.logger.text().includes('refreshed the access token before it expired'),
        adopted: w.logger.text().includes('adopted the access token another window had just refreshed'),
      }));
      assert.deepEqual(said.map((s) => (s.refreshed ? 'refreshed' : s.adopted ? 'adopted' : 'silent')).sort(), ['adopted', 'refreshed'], JSON.stringify(said));
      assert.ok(said.every((s) => !(s.refreshed && s.adopted)));
    } finally {
      for (const w of windows) w.auth.dispose();
      await mcp.close();
      await as.close();
    }
  });
});
