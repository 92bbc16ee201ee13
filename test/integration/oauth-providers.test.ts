// Authorization servers as their providers document them (the behaviours, and where each is
// documented, are in test/fixtures/authorization-server.ts), through the hub's real sign-in path:
// each signs in end to end with the option it needs, and without it stops with a sentence that
// names the option. Also the options for servers without discovery (auth.metadata, auth.endpoints),
// and the revocation of tokens at Log Out (RFC 7009).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { McpHub } from '../../src/core/hub';
import { isOAuthFlowError } from '../../src/core/oauth/errors';
import type { ClientMetadata } from 'oidc-provider' with { 'resolution-mode': 'import' };
import { failedSignIn, protectedStage, revocation } from '../protected-stage';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

/** A client registered in advance, as a native (desktop) app without a secret, with PKCE. */
function nativeClient(clientId: string, more: Partial<ClientMetadata> = {}): ClientMetadata {
  return {
    client_id: clientId,
    token_endpoint_auth_method: 'none',
    application_type: 'native',
    redirect_uris: ['http://127.0.0.1/callback'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    ...more,
  };
}

describe('authorization servers as their providers document them', () => {
  const { servers, hubFor } = protectedStage();

  async function signsIn(hub: McpHub, word: string): Promise<void> {
    await hub.authenticate('secure');
    assert.equal(hub.server('secure')!.state.kind, 'running');
    assert.equal(text(await hub.callTool('secure', 'echo', { text: word })), word);
  }

  it('Okta (custom authorization server): registration needs an API token, so auth.clientId signs in; without it, the sentence names it', async () => {
    const { as, mcp } = await servers({
      issuerPath: '/oauth2/default',
      rfc8414Metadata: false,
      appendedRfc8414Metadata: true,
      registrationNeedsToken: true,
      clients: [nativeClient('0oa-mcp-hub')],
    });
    const bare = await hubFor(mcp);
    assert.match(await failedSignIn(bare.hub, 'registration_refused'), /refused to register MCP Hub as a client \(HTTP 401\)\. Set auth\.clientId/);
    assert.equal(bare.browser.opened.length, 0, 'no browser opened');

    const { hub } = await hubFor(mcp, { clientId: '0oa-mcp-hub' });
    await signsIn(hub, 'okta');
    assert.ok(as.stats.metadataRequests.includes('/oauth2/default/.well-known/openid-configuration'), 'the metadata found below the issuer');
  });

  it('Auth0: dynamic registration is off unless the tenant enables it, so auth.clientId signs in; without it, the sentence names it', async () => {
    const { mcp } = await servers({
      registrationRefusal: { status: 403, error: 'access_denied', error_description: 'Dynamic client registration is disabled for this tenant.' },
      clients: [nativeClient('auth0-native-app')],
    });
    const bare = await hubFor(mcp);
    assert.match(await failedSignIn(bare.hub, 'registration_refused'), /\(HTTP 403\)\. Set auth\.clientId/);
    const { hub } = await hubFor(mcp, { clientId: 'auth0-native-app' });
    await signsIn(hub, 'auth0');
  });

  it("Keycloak: anonymous registration refused by the realm's Trusted Hosts policy, so auth.clientId signs in; without it, the sentence names it", async () => {
    const { as, mcp } = await servers({
      issuerPath: '/realms/mcp',
      rfc8414Metadata: false,
      routes: { registration: '/clients-registrations/openid-connect' },
      registrationRefusal: {
        status: 403,
        error: 'insufficient_scope',
        error_description: "Policy 'Trusted Hosts' rejected request to client-registration service. Details: Host not trusted.",
      },
      clients: [nativeClient('mcp-hub')],
    });
    const bare = await hubFor(mcp);
    const message = await failedSignIn(bare.hub, 'registration_refused');
    assert.match(message, /\(HTTP 403\)\. Set auth\.clientId/);
    assert.doesNotMatch(message, /Trusted Hosts/, "the server's words stay in the details");
    assert.equal(as.stats.registrations.at(-1)?.status, 403);
    const { hub } = await hubFor(mcp, { clientId: 'mcp-hub' });
    await signsIn(hub, 'keycloak');
  });

  it('Google: no dynamic registration and a desktop client with a secret, so auth.clientId and auth.clientSecret sign in; without them, the sentence names them', async () => {
    const { mcp } = await servers({
      dynamicRegistration: false,
      // Google gives a refresh token only to access_type=offline, which MCP Hub does not send.
      issueRefreshTokens: false,
      clients: [nativeClient('1234-desktop.apps.googleusercontent.com', { client_secret: 'GOCSPX-fixture-secret', token_endpoint_auth_method: 'client_secret_basic' })],
    });
    const bare = await hubFor(mcp);
    const message = await failedSignIn(bare.hub, 'registration_refused');
    assert.match(message, /does not offer dynamic client registration\. Set auth\.clientId \(and auth\.clientSecret, if the client has one\)/);
    assert.equal(bare.browser.opened.length, 0, 'no browser opened');

    const { hub } = await hubFor(mcp, { clientId: '1234-desktop.apps.googleusercontent.com', clientSecret: 'GOCSPX-fixture-secret' });
    await signsIn(hub, 'google');
    const row = hub.server('secure')!;
    assert.ok(row.state.kind === 'running' && /Signed in without a refresh token, so the session ends at/.test(row.state.notice ?? ''), JSON.stringify(row.state));
  });

  it('Slack: no metadata anywhere, so auth.endpoints signs in (and Log Out revokes the tokens there); without it, the sentence names it', async () => {
    const { as, mcp } = await servers(
      {
        noDiscovery: true,
        routes: { authorization: '/oauth/v2/authorize', token: '/api/oauth.v2.access', revocation: '/api/auth.revoke' },
        slackTokenResponses: true,
        clients: [nativeClient('slack-app-pkce')],
      },
      // Two scopes, so that the granted scope has a comma in it.
      { requiredScopes: ['mcp:read', 'mcp:write'] },
    );
    const bare = await hubFor(mcp, { clientId: 'slack-app-pkce' });
    assert.match(
      await failedSignIn(bare.hub, 'no_metadata'),
      /publishes no metadata.*set auth\.metadata to its URL; if it has none, set auth\.endpoints \(authorization, token\)\.$/,
    );
    assert.equal(bare.browser.opened.length, 0, 'no browser opened');

    const endpoints = { authorization: `${as.url}/oauth/v2/authorize`, token: `${as.url}/api/oauth.v2.access`, revocation: `${as.url}/api/auth.revoke` };
    const { hub, logger } = await hubFor(mcp, { clientId: 'slack-app-pkce', endpoints });
    assert.equal(hub.server('secure')!.warnings.length, 1);
    assert.match(hub.server('secure')!.warnings[0], /auth\.endpoints is set/);
    const before = as.stats.tokenRequests.length;
    await signsIn(hub, 'slack');
    const exchange = as.stats.tokenRequests.slice(before).find((t) => t.grant_type === 'authorization_code');
    assert.ok(exchange?.has_code_verifier, 'PKCE S256 (assumed) was used');
    assert.deepEqual(hub.server('secure')!.session?.scopes, ['mcp:read', 'mcp:write'], "the user token's comma-separated scope, read as scopes");

    // Log Out: the session is gone at once; the refresh token, then the access token, are revoked.
    await hub.logout('secure');
    assert.equal(hub.server('secure')!.state.kind, 'authRequired');
    const { requests } = await revocation(hub, 'secure');
    assert.equal(requests.length, 2);
    // Revoking the refresh token ends the grant; the access token, a JWT, cannot be revoked by itself here (unsupported_token_type).
    assert.deepEqual(
      as.stats.revocations.map((r) => [r.token_type_hint, r.client_id, r.status]),
      [
        ['refresh_token', 'slack-app-pkce', 200],
        ['access_token', 'slack-app-pkce', 400],
      ],
    );
    const log = logger.text();
    for (const token of as.stats.issuedTokens) assert.ok(!log.includes(token), 'no token in the log');
  });
});

describe('servers without discovery, and Log Out', () => {
  const { servers, hubFor } = protectedStage();

  it('auth.metadata: a server that publishes no protected resource metadata signs in with its authorization server named', async () => {
    const { as, mcp } = await servers({ issuerPath: '/realms/mcp', rfc8414Metadata: false, clients: [nativeClient('mcp-hub')] }, { publishResourceMetadata: false });
    const metadata = `${as.issuer}/.well-known/openid-configuration`;
    const { hub } = await hubFor(mcp, { clientId: 'mcp-hub', metadata });
    assert.match(hub.server('secure')!.warnings[0], /auth\.metadata is set/);
    await hub.authenticate('secure');
    assert.equal(text(await hub.callTool('secure', 'echo', { text: 'named' })), 'named');
    assert.equal(hub.server('secure')!.session?.issuer, as.issuer);
  });

  it('auth.metadata: a document that names another issuer than the one its URL is for is refused, naming auth.acceptIssuer', async () => {
    // The realm's document is served for another realm's path too, as a misconfigured proxy would.
    const { as, mcp } = await servers({ issuerPath: '/realms/mcp', rfc8414Metadata: false, metadataAliases: ['/realms/alias'], clients: [nativeClient('mcp-hub')] });
    const metadata = `${as.url}/realms/alias/.well-known/openid-configuration`;
    const { hub, browser } = await hubFor(mcp, { clientId: 'mcp-hub', metadata });
    const error = await hub.authenticate('secure').then(
      () => assert.fail('refused'),
      (e: unknown) => e,
    );
    assert.ok(isOAuthFlowError(error, 'metadata_issuer_mismatch'), String(error));
    assert.match(error.message, /names a different issuer.*set auth\.acceptIssuer/);
    assert.equal(browser.opened.length, 0);
    const accepted = await hubFor(mcp, { clientId: 'mcp-hub', metadata, acceptIssuer: as.issuer });
    await accepted.hub.authenticate('secure');
    assert.equal(accepted.hub.server('secure')!.state.kind, 'running');
  });

  it('auth.endpoints and auth.metadata are checked by the address guard before anything is sent', async () => {
    const { mcp } = await servers({ clients: [nativeClient('mcp-hub')] });
    const { hub, browser } = await hubFor(mcp, {
      clientId: 'mcp-hub',
      endpoints: { authorization: 'http://192.168.1.10/authorize', token: 'https://10.0.0.7/token' },
    });
    const error = await hub.authenticate('secure').then(
      () => assert.fail('refused'),
      (e: unknown) => e,
    );
    assert.ok(isOAuthFlowError(error, 'unsafe_url'), String(error));
    assert.equal(browser.opened.length, 0);
  });

  it('Log Out revokes the refresh token, then the access token, where the authorization server offers revocation', async () => {
    const { as, mcp } = await servers();
    const { hub, logger } = await hubFor(mcp);
    await hub.authenticate('secure');
    const revoked = as.stats.revocations.length;
    await hub.logout('secure');
    const { requests, outcome } = await revocation(hub, 'secure');
    assert.deepEqual(
      as.stats.revocations.slice(revoked).map((r) => [r.token_type_hint, r.status]),
      [
        ['refresh_token', 200],
        // oidc-provider's JWT access tokens cannot be revoked one by one; revoking the refresh token ended their grant.
        ['access_token', 400],
      ],
    );
    assert.equal(requests[1].note, 'unsupported_token_type', 'the trace says why');
    assert.equal(outcome, 'revoked the refresh token; the authorization server did not revoke the access token (HTTP 400, unsupported_token_type)');
    assert.match(logger.text(), /did not revoke the access token \(HTTP 400, unsupported_token_type\)/);
    for (const token of as.stats.issuedTokens) assert.ok(!logger.text().includes(token), 'no token in the log');
  });

  it('a revocation that fails does not hold up Log Out, and says so without the token', async () => {
    const { as, mcp } = await servers({ noDiscovery: true, clients: [nativeClient('mcp-hub')] });
    const endpoints = { authorization: `${as.url}/auth`, token: `${as.url}/token`, revocation: `${as.url}/nowhere` };
    const { hub, logger } = await hubFor(mcp, { clientId: 'mcp-hub', endpoints });
    await hub.authenticate('secure');
    await hub.logout('secure');
    assert.equal(hub.server('secure')!.state.kind, 'authRequired', 'signed out at once');
    const { requests, outcome } = await revocation(hub, 'secure');
    assert.ok(requests.length === 2 && requests.every((s) => s.status === 404), JSON.stringify(requests));
    assert.match(outcome, /did not revoke the refresh token \(HTTP 404\)/);
    assert.match(logger.text(), /did not revoke the refresh token \(HTTP 404\)/);
    for (const token of as.stats.issuedTokens) assert.ok(!logger.text().includes(token), 'no token in the log');
  });
});
