// Enterprise-Managed Authorization against real peers: oidc-provider as the company IdP (OpenID
// Connect sign-in, RFC 8693 token exchange of its ID tokens for ID-JAGs) and a second oidc-provider
// as the MCP servers' authorization server, accepting ID-JAGs through the RFC 7523 JWT bearer grant.
// One IdP sign-in, then two MCP servers connect with no further browser page; the IdP session is
// renewed when its ID token expires; signing out of the IdP signs the servers out; a refused
// exchange says so and falls back to the browser sign-in. And workload identity: a token file,
// re-read for every token, no browser ever.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEnterpriseIdp } from '../../src/core/config';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore, secretKeyFor } from '../../src/core/oauth/token-store';
import { idpHubClient, JWT_BEARER_GRANT, startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitFor, waitForKind } from '../helpers';

const WHO = { name: 'who', scope: 'mcp:read' };
const text = (r: unknown) => (r as { content: Array<{ text: string }> }).content[0].text;
const AS_CLIENT = { client_id: 'mcp-hub-at-as', client_secret: 'as-client-secret-0123456789abcdef' };

describe('enterprise-managed authorization through the company IdP', () => {
  let idp: AuthorizationServerFixture;
  let as: AuthorizationServerFixture;
  let one: ProtectedMcpServerFixture;
  let two: ProtectedMcpServerFixture;
  const secrets = new MemorySecretStore();
  const logger = new MemoryLogger();
  // The person at the browser, who signs in at the IdP (and, for the fallback, at the server's authorization server).
  const browser = new FakeBrowser(new ScriptedBrowser({ username: 'ada' }));
  let hub: McpHub;

  before(async () => {
    idp = await startAuthorizationServer({
      scopes: [],
      defaultScope: 'openid',
      idTokenTTL: 3600,
      claims: (sub) => ({ name: `${sub[0].toUpperCase()}${sub.slice(1)} Lovelace`, email: `${sub}@example.com`, preferred_username: sub }),
      tokenExchange: { clientIdAt: () => AS_CLIENT.client_id },
      clients: [idpHubClient()],
    });
    as = await startAuthorizationServer({
      dynamicRegistration: false,
      jwtBearer: { idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri },
      clients: [
        {
          ...AS_CLIENT,
          token_endpoint_auth_method: 'client_secret_basic',
          application_type: 'native',
          redirect_uris: ['http://127.0.0.1/callback'],
          grant_types: [JWT_BEARER_GRANT, 'authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
    });
    // `who` answers with the token's subject: whose access the server sees.
    one = await startProtectedMcpServer({ authorizationServer: as, name: 'crm', stepUpTool: WHO });
    two = await startProtectedMcpServer({ authorizationServer: as, name: 'wiki', stepUpTool: WHO });
    hub = createOAuthHub({ store: secrets, browser, logger });
    hub.configureEnterprise(parseEnterpriseIdp({ issuer: idp.issuer, clientId: 'mcp-hub' }));
    await hub.applyConfig(
      entries({
        crm: { url: one.url, auth: { clientId: AS_CLIENT.client_id, clientSecret: AS_CLIENT.client_secret, enterprise: true } },
        wiki: { url: two.url, auth: { clientId: AS_CLIENT.client_id, clientSecret: AS_CLIENT.client_secret, enterprise: true } },
      }),
      { trusted: true },
    );
  });
  after(async () => {
    await hub.dispose();
    await Promise.all([one.close(), two.close()]);
    await Promise.all([as.close(), idp.close()]);
  });

  it('waits for sign-in while no one is signed in to the IdP, and says where', async () => {
    await waitForKind(hub, 'crm', 'authRequired');
    await waitForKind(hub, 'wiki', 'authRequired');
    const status = await hub.enterpriseStatus();
    assert.equal(status?.signedIn, false);
    assert.equal(browser.opened.length, 0);
  });

  it('signs in to the IdP once on Authenticate, then both servers connect with no further page', async () => {
    await hub.authenticate('crm');
    await waitForKind(hub, 'wiki', 'running');
    assert.equal(hub.server('crm')!.state.kind, 'running');
    // One browser page in all: the IdP's. No consent screen at the servers' authorization server.
    assert.equal(browser.opened.length, 1);
    assert.ok(browser.opened[0].startsWith(idp.issuer), 'the page is the IdP sign-in');
    assert.deepEqual(as.stats.authorizationRequests, []);
    assert.deepEqual(idp.stats.exchanges.map((e) => `${e.resource} ${e.ok}`).sort(), [`${one.url} true`, `${two.url} true`].sort());
    assert.ok(idp.stats.exchanges.every((e) => e.audience.replace(/\/$/, '') === as.issuer));
    assert.equal(as.stats.jwtBearerGrants.filter((g) => g.ok).length, 2);
    assert.equal(text(await hub.callTool('wiki', 'who')), 'who done for ada');
    // Who is signed in, to the IdP and to each server: the IdP's account.
    const status = await hub.enterpriseStatus();
    assert.equal(status?.signedIn, true);
    assert.equal(status?.account?.email, 'ada@example.com');
    assert.equal((await waitFor(hub, 'crm', (s) => s.session?.account !== undefined)).session?.account?.name, 'Ada Lovelace');
  });

  it('renews the IdP session when its ID token has expired, without a page', async () => {
    // The stored ID token ran out (as a day later); the refresh token is still good.
    const key = secretKeyFor(idp.issuer);
    const stored = JSON.parse((await secrets.get(key))!) as { sessions: Record<string, { expiresAt?: number }> };
    for (const s of Object.values(stored.sessions)) s.expiresAt = Date.now() - 1000;
    await secrets.store(key, JSON.stringify(stored));
    const refreshes = idp.stats.tokenRequests.filter((r) => r.grant_type === 'refresh_token').length;
    await hub.logout('crm');
    await hub.authenticate('crm');
    assert.equal(hub.server('crm')!.state.kind, 'running');
    assert.equal(idp.stats.tokenRequests.filter((r) => r.grant_type === 'refresh_token' && r.status === 200).length, refreshes + 1);
    assert.equal(browser.opened.length, 1, 'no new page');
  });

  it("says when the server's authorization server refuses the IdP's grant", async () => {
    // A server whose settings name a client the authorization server does not know.
    const intranet = await startProtectedMcpServer({ authorizationServer: as, name: 'intranet', stepUpTool: WHO });
    const other = createOAuthHub({ store: secrets, browser: new FakeBrowser(), logger });
    try {
      other.configureEnterprise(parseEnterpriseIdp({ issuer: idp.issuer, clientId: 'mcp-hub' }));
      await other.applyConfig(entries({ intranet: { url: intranet.url, auth: { clientId: 'not-registered-here', enterprise: true } } }), { trusted: true });
      const s = await waitFor(other, 'intranet', (x) => x.state.kind === 'authRequired' && (x.state as { code?: string }).code === 'enterprise_refused', 15_000);
      const reason = (s.state as { reason: string }).reason;
      assert.match(
        reason,
        /^The authorization server http:\/\/127\.0\.0\.1:\d+ refused the company IdP's grant \(invalid_client\)\. Authenticate again to sign in in the browser instead\.$/,
      );
    } finally {
      await other.dispose();
      await intranet.close();
    }
  });

  it('takes the ID token from a VS Code account instead of its own sign-in', async () => {
    // What an authentication provider would hand over: a current ID token of the IdP.
    const stored = JSON.parse((await secrets.get(secretKeyFor(idp.issuer)))!) as { sessions: Record<string, { tokens?: { id_token?: string } }> };
    const idToken = Object.values(stored.sessions)[0].tokens!.id_token!;
    const other = createOAuthHub({ store: new MemorySecretStore(), browser: new FakeBrowser(), logger });
    try {
      other.configureEnterprise(parseEnterpriseIdp({ issuer: idp.issuer, clientId: 'mcp-hub' }), { external: { label: 'Test account', idToken: async () => idToken } });
      const status = await other.enterpriseStatus();
      assert.equal(status?.via, 'vscode');
      assert.equal(status?.signedIn, true);
      await other.applyConfig(entries({ crm: { url: one.url, auth: { clientId: AS_CLIENT.client_id, clientSecret: AS_CLIENT.client_secret, enterprise: true } } }), {
        trusted: true,
      });
      await waitForKind(other, 'crm', 'running');
      assert.equal(text(await other.callTool('crm', 'who')), 'who done for ada');
    } finally {
      await other.dispose();
    }
  });

  it('signs both servers out when the person signs out of the IdP', async () => {
    await hub.enterpriseSignOut();
    await waitForKind(hub, 'crm', 'authRequired');
    await waitForKind(hub, 'wiki', 'authRequired');
    assert.equal((await hub.enterpriseStatus())?.signedIn, false);
    assert.equal(hub.server('crm')!.session, undefined);
    assert.match((hub.server('wiki')!.state as { reason: string }).reason, /company IdP/);
  });

  it('says the IdP refused, and the next Authenticate signs in in the browser instead', async () => {
    await hub.enterpriseSignIn();
    assert.equal(browser.opened.length, 2, 'the IdP sign-in again');
    await waitForKind(hub, 'crm', 'running');
    await waitForKind(hub, 'wiki', 'running');
    idp.refuseExchanges();
    try {
      await hub.logout('wiki');
      await assert.rejects(hub.authenticate('wiki'), /company IdP refused access/);
      const state = hub.server('wiki')!.state as { kind: string; reason: string; code?: string };
      assert.equal(state.kind, 'authRequired');
      assert.equal(state.code, 'idp_refused');
      assert.match(state.reason, /\(access_denied\)\. Authenticate again to sign in in the browser instead\./);
      // The fallback: the ordinary browser sign-in at the server's own authorization server.
      await hub.authenticate('wiki');
      assert.equal(hub.server('wiki')!.state.kind, 'running');
      assert.equal(browser.opened.length, 3);
      assert.ok(browser.opened[2].startsWith(as.issuer), 'the page is the authorization server of the server');
    } finally {
      idp.refuseExchanges(false);
    }
    // Nothing secret in the log.
    const log = logger.lines.join('\n');
    assert.doesNotMatch(log, /eyJ[\w-]{10,}\.[\w-]{10,}/, 'no JWT in the log');
    assert.ok(!log.includes(AS_CLIENT.client_secret));
  });
});

describe('workload identity: the JWT bearer grant with a token file', () => {
  let as: AuthorizationServerFixture;
  let idp: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  let dir: string;
  const browser = new FakeBrowser();
  const logger = new MemoryLogger();
  let hub: McpHub;
  /** A workload token the platform would project: an ID-JAG-shaped JWT the authorization server trusts. */
  let mint: (sub: string) => Promise<string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-hub-workload-'));
    // The workload's identity issuer (here an oidc-provider whose key signs the tokens) and the AS that trusts it.
    idp = await startAuthorizationServer({ scopes: [] });
    as = await startAuthorizationServer({
      dynamicRegistration: false,
      jwtBearer: { idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri },
      clients: [{ client_id: 'ci-workload', token_endpoint_auth_method: 'none', grant_types: [JWT_BEARER_GRANT], redirect_uris: [], response_types: [] }],
    });
    mcp = await startProtectedMcpServer({ authorizationServer: as, name: 'builds', stepUpTool: WHO });
    mint = async (sub) => idp.signJwt({ sub, resource: mcp.url, client_id: 'ci-workload' }, { typ: 'oauth-id-jag+jwt', audience: as.issuer, expiresIn: 300 });
    writeFileSync(join(dir, 'token'), await mint('pipeline-1'));
    hub = createOAuthHub({ store: new MemorySecretStore(), browser, logger });
    await hub.applyConfig(entries({ builds: { url: mcp.url, auth: { clientId: 'ci-workload', grantType: 'jwt-bearer', assertion: { file: join(dir, 'token') } } } }), {
      trusted: true,
    });
  });
  after(async () => {
    await hub.dispose();
    await mcp.close();
    await Promise.all([as.close(), idp.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the token from the file, no browser', async () => {
    await waitForKind(hub, 'builds', 'running');
    assert.equal(text(await hub.callTool('builds', 'who')), 'who done for pipeline-1');
    assert.equal(browser.opened.length, 0);
  });

  it('reads the file again for the next token (a rotated token is used)', async () => {
    writeFileSync(join(dir, 'token'), await mint('pipeline-2'));
    await hub.restart('builds');
    // The stored token is still good; a new one is asked for once it is refused (here: signed out).
    await hub.logout('builds');
    await hub.start('builds');
    await waitForKind(hub, 'builds', 'running');
    assert.equal(text(await hub.callTool('builds', 'who')), 'who done for pipeline-2');
  });

  it('says what is wrong when the file is gone, and never retries in a loop', async () => {
    rmSync(join(dir, 'token'));
    const grants = as.stats.jwtBearerGrants.length;
    await hub.logout('builds');
    await hub.start('builds').catch(() => undefined);
    const s = await waitFor(hub, 'builds', (x) => x.state.kind === 'authRequired' || x.state.kind === 'error');
    assert.match(JSON.stringify(s.state), /token file .*cannot be read \(ENOENT\)/);
    assert.equal(as.stats.jwtBearerGrants.length, grants, 'nothing was sent');
    assert.equal(browser.opened.length, 0);
  });
});
