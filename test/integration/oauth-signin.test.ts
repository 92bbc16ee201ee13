// Signing in again never costs the session that works: a re-sign-in (step-up) that is cancelled,
// times out, is denied or is refused keeps the stored session byte for byte and usable; a step-up
// against an authorization server that holds a registered client to its scope (oidc-provider with
// restrictClientScope) registers once more for the union and needs one browser trip; and stopping
// the server ends a sign-in under way. Real servers throughout: oidc-provider, an SDK MCP server
// behind bearer auth, our callback server and the SDK client.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parseServers, type AuthSettings, type RemoteServerConfig } from '../../src/core/config';
import { systemClock, type BrowserOpener } from '../../src/core/ports';
import { isOAuthFlowError, type OAuthFlowError } from '../../src/core/oauth/errors';
import { ServerAuth } from '../../src/core/oauth/server-auth';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { freePort, MemoryLogger } from '../helpers';

const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0].text;

/** A browser for one test: each open() goes to whatever `next` is at that moment. */
class Browser implements BrowserOpener {
  readonly opened: string[] = [];
  next: ScriptedBrowser | undefined;
  async open(url: string): Promise<boolean> {
    this.opened.push(url);
    void this.next?.open(url).catch(() => undefined);
    return true;
  }
}

describe('signing in again keeps the working session', () => {
  let as: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  let publicPort: number;
  const M2M = { client_id: 'hub-m2m', client_secret: 'hub-m2m-secret-0123456789', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'mcp:read' };
  const auths: ServerAuth[] = [];
  const clients: Client[] = [];

  before(async () => {
    publicPort = await freePort();
    as = await startAuthorizationServer({
      restrictClientScope: true,
      clients: [
        // A pre-registered public client the authorization server allows mcp:read only.
        {
          client_id: 'hub-public',
          token_endpoint_auth_method: 'none',
          application_type: 'native',
          redirect_uris: [`http://127.0.0.1:${publicPort}/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          scope: 'mcp:read',
        },
        M2M,
      ],
    });
    mcp = await startProtectedMcpServer({ authorizationServer: as, stepUpTool: { name: 'write_action', scope: 'mcp:write' } });
  });
  after(async () => {
    await mcp.close();
    await as.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    for (const a of auths.splice(0)) a.dispose();
  });

  function serverAuth(secrets: MemorySecretStore, browser: BrowserOpener, auth: AuthSettings = {}): ServerAuth {
    const entry = parseServers({ secure: { url: mcp.url, auth } }, 'user')[0];
    assert.ok(entry.ok, JSON.stringify(entry));
    const a = new ServerAuth(entry.config as RemoteServerConfig, { store: new TokenStore(secrets), browser, logger: new MemoryLogger(), clock: systemClock });
    auths.push(a);
    return a;
  }

  /** Connects an SDK client the way a connection does: the stored session, through the OAuth fetch. */
  async function connect(a: ServerAuth): Promise<Client> {
    const provider = await a.transportProvider();
    const client = new Client({ name: 'oauth-signin-test', version: '0.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { fetch: a.fetch, ...(provider ? { authProvider: provider } : {}) }));
    return client;
  }

  /** Everything in the secret store, as stored. */
  async function snapshot(secrets: MemorySecretStore): Promise<string> {
    const keys = secrets.keys().sort();
    return JSON.stringify(await Promise.all(keys.map(async (k) => [k, await secrets.get(k)])));
  }

  /** Signed in the way the hub does it: a 401 names mcp:read, then Authenticate. */
  async function signedIn(): Promise<{ secrets: MemorySecretStore; a: ServerAuth; browser: Browser }> {
    const secrets = new MemorySecretStore();
    const browser = new Browser();
    browser.next = new ScriptedBrowser();
    const a = serverAuth(secrets, browser);
    await assert.rejects(connect(a)); // 401: the challenge names the scope
    await a.signIn({ signal: new AbortController().signal });
    assert.deepEqual((await a.sessionInfo())?.scopes, ['mcp:read']);
    return { secrets, a, browser };
  }

  /** The stored session still works: a tool call with the old token, as the server sees it. */
  async function stillWorks(secrets: MemorySecretStore, scopes = ['mcp:read']): Promise<void> {
    const client = await connect(serverAuth(secrets, new Browser()));
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'still signed in' } })), 'still signed in');
    assert.deepEqual(mcp.stats.lastAuth?.scopes, scopes);
  }

  async function failedSignIn(a: ServerAuth, run: (signal: AbortController) => void = () => undefined): Promise<OAuthFlowError> {
    const abort = new AbortController();
    const signIn = a.signIn({ signal: abort.signal });
    run(abort);
    const error = await signIn.then(
      () => assert.fail('the sign-in should have failed'),
      (e: unknown) => e,
    );
    assert.ok(isOAuthFlowError(error), String(error));
    return error;
  }

  it('keeps the session byte for byte when a sign-in for more scope is cancelled, times out or is denied', async () => {
    const { secrets, a } = await signedIn();
    const before = await snapshot(secrets);
    const info = await a.sessionInfo();
    const wider = { scope: 'mcp:read mcp:write' };

    // Cancelled: the browser opens and nobody signs in; the user presses Cancel.
    const idle = new Browser();
    const cancelled = await failedSignIn(serverAuth(secrets, idle, wider), (abort) => {
      const poll = setInterval(() => {
        if (idle.opened.length > 0) {
          clearInterval(poll);
          abort.abort();
        }
      }, 10);
    });
    assert.equal(cancelled.code, 'cancelled');
    assert.equal(idle.opened.length, 1);

    // Timed out.
    const timedOut = await failedSignIn(serverAuth(secrets, new Browser(), { ...wider, signInTimeout: 1 }));
    assert.equal(timedOut.code, 'timeout');
    assert.equal(timedOut.message, 'Sign-in timed out after 1 s.');

    // Denied at the consent page.
    const denying = new Browser();
    denying.next = new ScriptedBrowser({ deny: true });
    const denied = await failedSignIn(serverAuth(secrets, denying, wider));
    assert.equal(denied.code, 'authorization_denied');
    assert.ok(as.stats.consents.at(-1)?.allowed === false, 'the user really denied');

    for (const e of [cancelled, timedOut, denied]) assert.ok(!e.message.includes('The user denied'), 'no authorization server text in the message');
    assert.equal(await snapshot(secrets), before, 'the stored session is untouched');
    assert.deepEqual(await a.sessionInfo(), info);
    await stillWorks(secrets);
  });

  it('steps up with one registration for the union of scopes and one browser trip', async () => {
    const { secrets, a, browser } = await signedIn();
    const oldClient = as.stats.registrations.at(-1)!;
    assert.equal(oldClient.metadata.scope, 'mcp:read offline_access', 'registered for the scope of the first sign-in (and a refresh token)');
    const client = await connect(a);
    await assert.rejects(client.callTool({ name: 'write_action', arguments: {} }), /403|insufficient|Forbidden/i);
    const step = await a.takeStepUp();
    assert.ok(step && !('exhausted' in step));
    assert.deepEqual([...step.scopes].sort(), ['mcp:read', 'mcp:write']);

    const regs = as.stats.registrations.length;
    const opened = browser.opened.length;
    browser.next = new ScriptedBrowser();
    await a.signIn({ signal: new AbortController().signal });
    assert.equal(as.stats.registrations.length, regs + 1, 'exactly one more registration');
    const registration = as.stats.registrations.at(-1)!;
    assert.equal(registration.status, 201);
    assert.deepEqual(String(registration.metadata.scope).split(' ').sort(), ['mcp:read', 'mcp:write', 'offline_access'], 'registered for the union (and a refresh token)');
    assert.equal(browser.opened.length, opened + 1, 'one browser trip');

    const session = JSON.parse((await secrets.get(secrets.keys()[0]))!).sessions[mcp.url];
    assert.equal(session.client.client_id, registration.client_id, 'the new client is committed with the tokens');
    const claims = await as.verifyAccessToken(session.tokens.access_token, { audience: mcp.url });
    assert.deepEqual(claims.scope.split(' ').sort(), ['mcp:read', 'mcp:write']);
    assert.equal(claims.client_id, registration.client_id);
    await client.close();
    const again = await connect(a);
    assert.match(text(await again.callTool({ name: 'write_action', arguments: {} })), /write_action done/);
  });

  it('says in its own words that the authorization server refused the scope (authorization endpoint), keeping the session', async () => {
    const secrets = new MemorySecretStore();
    const browser = new Browser();
    browser.next = new ScriptedBrowser();
    const settings = { clientId: 'hub-public', callbackPort: publicPort };
    await serverAuth(secrets, browser, { ...settings, scope: 'mcp:read' }).signIn({ signal: new AbortController().signal });
    const before = await snapshot(secrets);

    browser.next = new ScriptedBrowser();
    const error = await failedSignIn(serverAuth(secrets, browser, { ...settings, scope: 'mcp:read mcp:write' }));
    assert.equal(error.code, 'invalid_scope');
    assert.match(error.message, /^The authorization server does not allow MCP Hub the scope mcp:read mcp:write/);
    assert.ok(!error.message.includes('not allowed'), 'the authorization server text stays out of the message');
    assert.equal(as.stats.authorizationRequests.at(-1)!.client_id, 'hub-public');
    assert.equal(await snapshot(secrets), before);
    await stillWorks(secrets);
  });

  it('says in its own words that the token endpoint refused the scope (client credentials), keeping the session', async () => {
    const secrets = new MemorySecretStore();
    const settings = { clientId: M2M.client_id, clientSecret: M2M.client_secret, grantType: 'client_credentials' as const };
    await serverAuth(secrets, new Browser(), { ...settings, scope: 'mcp:read' }).signIn({ signal: new AbortController().signal });
    const before = await snapshot(secrets);
    const error = await failedSignIn(serverAuth(secrets, new Browser(), { ...settings, scope: 'mcp:read mcp:write' }));
    assert.equal(as.stats.tokenRequests.at(-1)!.error, 'invalid_scope');
    assert.equal(error.code, 'invalid_scope');
    assert.match(error.message, /^The authorization server does not allow MCP Hub the scope mcp:read mcp:write/);
    assert.ok(error.detail === undefined || !error.message.includes(error.detail));
    assert.equal(await snapshot(secrets), before);
    await stillWorks(secrets);
  });

  it('ends a sign-in when the server is stopped, with code cancelled, freeing the callback port', async () => {
    const { secrets, a } = await signedIn();
    const before = await snapshot(secrets);
    const idle = new Browser();
    const b = serverAuth(secrets, idle, { scope: 'mcp:read mcp:write' });
    let redirectUri = '';
    const signIn = b.signIn({ signal: new AbortController().signal, onRedirectUri: (u) => (redirectUri = u) });
    while (idle.opened.length === 0) await new Promise((r) => setTimeout(r, 10));
    b.dispose();
    await assert.rejects(signIn, (e: unknown) => isOAuthFlowError(e, 'cancelled') && e.message === 'The server was stopped.');
    await assert.rejects(fetch(redirectUri), 'the callback server is closed');

    // Stopped before discovery finished: no browser at all.
    const early = new Browser();
    const c = serverAuth(secrets, early, { scope: 'mcp:read mcp:write' });
    const pending = c.signIn({ signal: new AbortController().signal });
    c.dispose();
    await assert.rejects(pending, (e: unknown) => isOAuthFlowError(e, 'cancelled'));
    assert.equal(early.opened.length, 0);
    assert.equal(await snapshot(secrets), before);
    assert.ok(await a.sessionInfo());
  });
});
