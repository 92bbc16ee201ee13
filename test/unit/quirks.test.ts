// The middlewares for authorization servers' quirks, each against the SDK function that meets the
// quirk, with a scripted fetch (no network): each first shows the gap without its middleware.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyMiddlewares,
  discoverAuthorizationServerMetadata,
  exchangeAuthorization,
  OAuthError,
  refreshAuthorization,
  type FetchLike,
  type Middleware,
} from '@modelcontextprotocol/client';
import { assumeS256, commaSeparatedScopes, formEncodedTokenResponses, nestedUserTokens, quirkMiddlewares } from '../../src/core/oauth/middleware/quirks';

const AS = 'https://login.example.com/tenant/v2.0';
const metadata = {
  issuer: AS,
  authorization_endpoint: `${AS}/authorize`,
  token_endpoint: `${AS}/token`,
  response_types_supported: ['code'],
};

/** A fetch answering every request with `answer()`. */
function answering(answer: () => Response): FetchLike {
  return async () => answer();
}

function refresh(fetchFn: FetchLike) {
  return refreshAuthorization(AS, { metadata: { ...metadata, code_challenge_methods_supported: ['S256'] }, clientInformation: { client_id: 'c' }, refreshToken: 'rt', fetchFn });
}

const form = (fields: Record<string, string>) =>
  new Response(new URLSearchParams(fields).toString(), { status: 200, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });

describe('assumeS256 (auth.pkce "assume-s256")', () => {
  const discover = (m: Middleware | undefined, body: Record<string, unknown>) => {
    const base = answering(() => Response.json(body));
    return discoverAuthorizationServerMetadata(AS, { fetchFn: m ? m(base) : base });
  };

  it('lists S256 in metadata that has no code_challenge_methods_supported', async () => {
    assert.equal((await discover(undefined, metadata))?.code_challenge_methods_supported, undefined, 'the gap: the SDK reads the metadata as sent');
    assert.deepEqual((await discover(assumeS256, metadata))?.code_challenge_methods_supported, ['S256']);
  });

  it('leaves a published code_challenge_methods_supported as it is, S256 or not', async () => {
    assert.deepEqual((await discover(assumeS256, { ...metadata, code_challenge_methods_supported: ['plain'] }))?.code_challenge_methods_supported, ['plain']);
  });

  it('touches no other response', async () => {
    const f = assumeS256(answering(() => Response.json({ a: 1 })));
    assert.deepEqual(await (await f(`${AS}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }) })).json(), { a: 1 });
    assert.deepEqual(await (await f('https://mcp.example.com/.well-known/oauth-protected-resource')).json(), { a: 1 });
  });

  it('is used only where auth.pkce says so', () => {
    assert.ok(!quirkMiddlewares(undefined).includes(assumeS256));
    assert.ok(!quirkMiddlewares({}).includes(assumeS256));
    assert.ok(quirkMiddlewares({ pkce: 'assume-s256' }).includes(assumeS256));
  });
});

describe('formEncodedTokenResponses', () => {
  const github = () => form({ access_token: 'gho_x', token_type: 'bearer', scope: 'repo', expires_in: '28800', refresh_token: 'ghr_y' });

  it('reads a form-encoded token response as its JSON fields', async () => {
    await assert.rejects(refresh(answering(github)), 'the gap: the SDK parses token responses as JSON only');
    const tokens = await refresh(formEncodedTokenResponses(answering(github)));
    assert.equal(tokens.access_token, 'gho_x');
    assert.equal(tokens.refresh_token, 'ghr_y');
    // Sent as a string (as everything form-encoded is); the SDK's schema makes it a number.
    assert.equal(tokens.expires_in, 28800);
  });

  it('turns a form-encoded error into the OAuth error it is', async () => {
    const f = formEncodedTokenResponses(answering(() => form({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' })));
    await assert.rejects(refresh(f), (e: Error & { code?: string }) => e.code === 'bad_verification_code');
  });

  it('leaves responses to anything but a token request alone', async () => {
    const f = formEncodedTokenResponses(answering(() => form({ a: 'b' })));
    assert.equal(await (await f(`${AS}/other`, { method: 'POST', body: JSON.stringify({ redirect_uris: [] }) })).text(), 'a=b');
  });
});

describe('commaSeparatedScopes', () => {
  const commaScoped = () => Response.json({ access_token: 'gho_x', token_type: 'bearer', scope: 'repo,gist' });

  it('space-separates a comma-separated scope, as the hub reads granted scopes', async () => {
    assert.deepEqual((await refresh(answering(commaScoped))).scope?.split(' '), ['repo,gist'], 'the gap: one scope named "repo,gist"');
    assert.deepEqual((await refresh(commaSeparatedScopes(answering(commaScoped)))).scope?.split(' '), ['repo', 'gist']);
  });

  it('leaves a space-separated scope alone, commas in a scope token included', async () => {
    const f = commaSeparatedScopes(answering(() => Response.json({ access_token: 'a', token_type: 'Bearer', scope: 'a,b c' })));
    assert.equal((await refresh(f)).scope, 'a,b c');
  });

  it('composes with formEncodedTokenResponses for GitHub', async () => {
    const f = applyMiddlewares(...quirkMiddlewares(undefined))(answering(() => form({ access_token: 'gho_x', token_type: 'bearer', scope: 'repo,gist' })));
    assert.equal((await refresh(f)).scope, 'repo gist');
  });
});

describe("Slack's Web API answers from oauth.v2.access", () => {
  const exchange = (fetchFn: FetchLike) =>
    exchangeAuthorization(AS, {
      metadata: { ...metadata, code_challenge_methods_supported: ['S256'] },
      clientInformation: { client_id: 'c' },
      authorizationCode: 'code',
      codeVerifier: 'v'.repeat(43),
      redirectUri: 'http://127.0.0.1:1/callback',
      fetchFn,
    });
  const userToken = () =>
    Response.json({
      ok: true,
      app_id: 'A0',
      authed_user: { id: 'U0', scope: 'search:read,chat:write', access_token: 'xoxp-user', token_type: 'user', refresh_token: 'xoxe-r', expires_in: 43200 },
      team: { id: 'T0' },
    });

  it('nestedUserTokens: reads the user token under authed_user as the response’s own', async () => {
    await assert.rejects(exchange(answering(userToken)), 'the gap: no access_token at the top, so the SDK reads no tokens');
    const tokens = await exchange(nestedUserTokens(answering(userToken)));
    assert.equal(tokens.access_token, 'xoxp-user');
    assert.equal(tokens.refresh_token, 'xoxe-r');
    assert.equal(tokens.expires_in, 43200);
    const all = await exchange(applyMiddlewares(...quirkMiddlewares(undefined))(answering(userToken)));
    assert.equal(all.scope, 'search:read chat:write', 'and its comma-separated scope, space-separated');
  });

  it('nestedUserTokens: leaves a response with a token at the top as it is', async () => {
    const bot = () => Response.json({ ok: true, access_token: 'xoxb-bot', token_type: 'bot', authed_user: { id: 'U0', access_token: 'xoxp-user' } });
    assert.equal((await exchange(nestedUserTokens(answering(bot)))).access_token, 'xoxb-bot');
  });

  it('needs nothing for an error sent with HTTP 200 and ok false: the SDK reads it as the OAuth error it names', async () => {
    const refused = () => Response.json({ ok: false, error: 'invalid_code' });
    await assert.rejects(exchange(answering(refused)), (e: unknown) => e instanceof OAuthError && e.code === 'invalid_code');
  });
});
