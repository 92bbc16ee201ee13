// Real authorization servers' departures from the specs, through the hub's real sign-in path
// (hub, oidc-provider behaving as the provider does, an SDK MCP server behind bearer auth, our
// callback server): each signs in end to end with the option it needs, and without it stops with a
// sentence that names the option. Tolerances that cost no safety need no option.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../helpers';
import { failedSignIn, protectedStage } from '../protected-stage';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

describe("authorization servers' quirks, by explicit per-server options", () => {
  const { servers, hubFor } = protectedStage();

  it('Entra ID v2: auth.pkce "assume-s256" and auth.resourceIndicator false sign in; without each, the sentence names it', async () => {
    const { as, mcp } = await servers({ unadvertisedPkce: true, refuseResourceWithScope: true });

    // No code_challenge_methods_supported: refused before registration or any browser.
    const bare = await hubFor(mcp);
    assert.deepEqual(bare.hub.server('secure')!.warnings, [], 'no option, no warning');
    const message = await failedSignIn(bare.hub, 'pkce_unadvertised');
    assert.match(message, /publishes no code_challenge_methods_supported.*if it supports S256 \(as Entra ID and Cognito do\), set auth\.pkce: "assume-s256"\.$/);
    assert.equal(as.stats.registrations.length, 0, 'nothing was registered');
    assert.equal(bare.browser.opened.length, 0, 'no browser opened');

    // S256 assumed, but `resource` next to scope: the authorization server's invalid_target.
    const pkceOnly = await hubFor(mcp, { pkce: 'assume-s256' });
    assert.match(await failedSignIn(pkceOnly.hub, 'resource_refused'), /refused the resource parameter \(RFC 8707\).*set auth\.resourceIndicator: false\.$/);
    const refused = as.stats.authorizationRequests.at(-1)!;
    assert.ok(refused.resource !== undefined && refused.code_challenge_method === 'S256');

    // Both: signed in, PKCE S256 used, no `resource` anywhere, and the row says what is relaxed.
    const both = await hubFor(mcp, { pkce: 'assume-s256', resourceIndicator: false });
    const warnings = both.hub.server('secure')!.warnings;
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /auth\.pkce is "assume-s256"/);
    assert.match(warnings[1], /auth\.resourceIndicator is false/);
    const before = { authorizations: as.stats.authorizationRequests.length, tokens: as.stats.tokenRequests.length };
    await both.hub.authenticate('secure');
    assert.equal(both.hub.server('secure')!.state.kind, 'running');
    assert.equal(text(await both.hub.callTool('secure', 'echo', { text: 'entra' })), 'entra');
    const authorizations = as.stats.authorizationRequests.slice(before.authorizations);
    const tokens = as.stats.tokenRequests.slice(before.tokens);
    assert.ok(authorizations.length > 0 && tokens.length > 0);
    for (const a of authorizations) {
      assert.equal(a.resource, undefined, 'no resource in the authorization request');
      assert.equal(a.code_challenge_method, 'S256');
    }
    for (const t of tokens) assert.equal(t.resource, undefined, 'no resource in the token request');
    assert.ok(tokens.every((t) => t.has_code_verifier || t.grant_type !== 'authorization_code'));
  });

  it('Cognito: no code_challenge_methods_supported (and no trouble with resource): auth.pkce "assume-s256" alone signs in', async () => {
    const { mcp } = await servers({ unadvertisedPkce: true });
    const { hub } = await hubFor(mcp, { pkce: 'assume-s256' });
    await hub.authenticate('secure');
    assert.equal(hub.server('secure')!.state.kind, 'running');
    assert.equal(text(await hub.callTool('secure', 'echo', { text: 'cognito' })), 'cognito');
  });

  it('GitHub OAuth apps: a form-encoded token response with comma-separated scopes signs in with no option, and refreshes', async () => {
    // Two scopes, so that the token response's `scope` has a comma in it. The token lives long enough
    // for the sign-in to end before it expires on a busy machine.
    const { as, mcp } = await servers({ formEncodedTokenResponses: true, commaSeparatedScopes: true, accessTokenTTL: 6 }, { requiredScopes: ['mcp:read', 'mcp:write'] });
    const { hub } = await hubFor(mcp);
    assert.deepEqual(hub.server('secure')!.warnings, []);
    await hub.authenticate('secure');
    const signedIn = hub.server('secure')!;
    assert.equal(signedIn.state.kind, 'running');
    assert.ok(signedIn.session && signedIn.session.scopes.length > 1, JSON.stringify(signedIn.session));
    assert.ok(
      signedIn.session.scopes.every((s) => !s.includes(',')),
      `the granted scopes, one by one: ${signedIn.session.scopes.join(' ')}`,
    );
    assert.ok(signedIn.session.expiresAt, 'expires_in, sent as a string, sets the expiry');
    assert.equal(text(await hub.callTool('secure', 'echo', { text: 'github' })), 'github');
    // The next token comes from a form-encoded refresh response.
    await waitFor(hub, 'secure', (s) => s.session?.refreshedAt !== undefined);
    assert.equal(text(await hub.callTool('secure', 'echo', { text: 'refreshed' })), 'refreshed');
    assert.ok(as.stats.tokenRequests.some((t) => t.grant_type === 'refresh_token' && t.status === 200));
  });
});
