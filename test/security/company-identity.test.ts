// A hostile authorization server advertises the JWT bearer grant and trusts the company IdP, hoping
// for the ID-JAGs the hub makes after the person's company sign-in (each names the person: subject,
// name, email). The person chose one server for the company identity (auth.enterprise: true in
// user settings). After their IdP sign-in, the hub asks the IdP for no grant aimed at anything else:
// not a server behind the hostile authorization server, not a workspace entry that sets
// auth.enterprise for itself, not on a restart either. Only the person's own Authenticate on a
// server gets that server a grant, with one click and no page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEnterpriseIdp } from '../../src/core/config';
import type { McpHub } from '../../src/core/hub';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { JWT_BEARER_GRANT, startAuthorizationServer, idpHubClient, type AuthorizationServerFixture, type AuthorizationServerOptions } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitForKind } from '../helpers';

const CLIENT = { client_id: 'mcp-hub-at-as', client_secret: 'as-client-secret-0123456789abcdef' };
/** A workspace may not hold a client secret: its entry uses a public client. */
const PUBLIC_CLIENT = 'mcp-hub-public';
const AS_CLIENTS: AuthorizationServerOptions['clients'] = [
  {
    ...CLIENT,
    token_endpoint_auth_method: 'client_secret_basic',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: [JWT_BEARER_GRANT, 'authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
  {
    client_id: PUBLIC_CLIENT,
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: [JWT_BEARER_GRANT, 'authorization_code', 'refresh_token'],
    response_types: ['code'],
  },
];

describe('company identity goes only to servers the person chose', () => {
  let idp: AuthorizationServerFixture;
  let company: AuthorizationServerFixture;
  let hostile: AuthorizationServerFixture;
  let crm: ProtectedMcpServerFixture;
  let stranger: ProtectedMcpServerFixture;
  let planted: ProtectedMcpServerFixture;
  const browser = new FakeBrowser(new ScriptedBrowser({ username: 'ada' }));
  let hub: McpHub;
  /** Token exchanges at the IdP asking for a grant for the hostile authorization server. */
  const toHostile = () => idp.stats.exchanges.filter((e) => e.audience.replace(/\/$/, '') === hostile.issuer);

  before(async () => {
    idp = await startAuthorizationServer({
      scopes: [],
      defaultScope: 'openid',
      claims: (sub) => ({ name: 'Ada Lovelace', email: `${sub}@example.com` }),
      tokenExchange: { clientIdAt: () => CLIENT.client_id },
      clients: [idpHubClient()],
    });
    company = await startAuthorizationServer({ dynamicRegistration: false, jwtBearer: { idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri }, clients: AS_CLIENTS });
    // Advertises the JWT bearer grant and would take the IdP's ID-JAGs gladly.
    hostile = await startAuthorizationServer({ dynamicRegistration: false, jwtBearer: { idpIssuer: idp.issuer, idpJwksUri: idp.jwksUri }, clients: AS_CLIENTS });
    crm = await startProtectedMcpServer({ authorizationServer: company, name: 'crm' });
    stranger = await startProtectedMcpServer({ authorizationServer: hostile, name: 'stranger' });
    planted = await startProtectedMcpServer({ authorizationServer: hostile, name: 'planted' });
    const auth = { clientId: CLIENT.client_id, clientSecret: CLIENT.client_secret };
    hub = createOAuthHub({ store: new MemorySecretStore(), browser, logger: new MemoryLogger() });
    hub.configureEnterprise(parseEnterpriseIdp({ issuer: idp.issuer, clientId: 'mcp-hub' }));
    await hub.applyConfig(
      [
        ...entries({ crm: { url: crm.url, auth: { ...auth, enterprise: true } }, stranger: { url: stranger.url, auth } }),
        // A trusted folder's settings claim the company identity for a server of their own.
        ...entries({ planted: { url: planted.url, auth: { clientId: PUBLIC_CLIENT, enterprise: true } } }, 'workspace'),
      ],
      { trusted: true },
    );
    // The person let it run (workspace servers ask first); running is not choosing the company identity.
    await hub.decide('planted', 'approved');
  });
  after(async () => {
    await hub.dispose();
    await Promise.all([crm.close(), stranger.close(), planted.close()]);
    await Promise.all([company.close(), hostile.close(), idp.close()]);
  });

  it('after the IdP sign-in, signs in the chosen server only: no exchange for the hostile authorization server', async () => {
    await hub.enterpriseSignIn();
    await waitForKind(hub, 'crm', 'running');
    // Connecting again is when the hub would try the company identity by itself.
    await hub.restart('stranger');
    await hub.restart('planted');
    await waitForKind(hub, 'stranger', 'authRequired');
    await waitForKind(hub, 'planted', 'authRequired');
    assert.deepEqual(
      idp.stats.exchanges.map((e) => e.resource),
      [crm.url],
    );
    assert.equal(toHostile().length, 0, 'no ID-JAG was asked for the hostile authorization server');
    assert.equal(hostile.stats.jwtBearerGrants.length, 0);
    assert.deepEqual(
      hostile.stats.tokenRequests.map((r) => r.grant_type),
      [],
    );
    assert.equal(browser.opened.length, 1, "one page: the IdP's");
  });

  it("gives a server the company identity on the person's own Authenticate: one click, no page", async () => {
    await hub.authenticate('stranger');
    assert.equal(hub.server('stranger')!.state.kind, 'running');
    assert.deepEqual(
      toHostile().map((e) => e.resource),
      [stranger.url],
    );
    assert.equal(browser.opened.length, 1, 'no new page');
    // The workspace's own claim still waits for the person.
    assert.equal(hub.server('planted')!.state.kind, 'authRequired');
    assert.ok(!toHostile().some((e) => e.resource === planted.url));
    const unchosen = toHostile().filter((e) => e.resource !== stranger.url).length;
    console.log(`security[company-identity]: servers not chosen 2 (a hostile authorization server's, a workspace's claim), ID-JAGs asked for them ${unchosen}`);
  });
});
