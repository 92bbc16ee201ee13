// The middlewares that close SDK gaps (src/core/oauth/middleware/), each against the SDK function
// that meets the gap, with a scripted fetch (no network): each first shows the gap without its
// middleware, then that the middleware closes it. The quirks of authorization servers are in
// quirks.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError, requestJwtAuthorizationGrant, type FetchLike } from '@modelcontextprotocol/client';
import { tokenExchangeErrors } from '../../src/core/oauth/middleware/token-exchange';

const IDP = 'https://idp.example.com';

describe('tokenExchangeErrors', () => {
  const exchange = (fetchFn: FetchLike) =>
    requestJwtAuthorizationGrant({ tokenEndpoint: `${IDP}/token`, audience: 'https://as.example.com', resource: 'https://mcp.example.com', idToken: 'id', clientId: 'c', fetchFn });
  const refusing: FetchLike = async () => Response.json({ error: 'access_denied', error_description: 'policy says no' }, { status: 400 });

  it("turns the IdP's OAuth error response into the SDK's OAuthError with its code", async () => {
    await assert.rejects(exchange(refusing), (e: Error) => {
      assert.ok(!(e instanceof OAuthError), 'the gap: a plain Error, its code only in the message');
      assert.match(e.message, /^Token exchange failed: access_denied - policy says no$/);
      return true;
    });
    await assert.rejects(exchange(tokenExchangeErrors(refusing)), (e: unknown) => {
      assert.ok(e instanceof OAuthError);
      assert.equal(e.code, 'access_denied');
      return true;
    });
  });

  it('leaves successes, other grants and answers that are not OAuth errors as they were', async () => {
    const ok = tokenExchangeErrors(async () => Response.json({ access_token: 'jag', issued_token_type: 'urn:ietf:params:oauth:token-type:id-jag', token_type: 'N_A' }));
    assert.equal((await exchange(ok)).jwtAuthGrant, 'jag');
    const html = tokenExchangeErrors(async () => new Response('<h1>busy</h1>', { status: 503 }));
    await assert.rejects(exchange(html), (e: Error) => !(e instanceof OAuthError) && /status 503/.test(e.message));
    const other = tokenExchangeErrors(refusing);
    const r = await other(`${IDP}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'r' }) });
    assert.equal(r.status, 400, 'a refresh refused is the SDK’s to read');
    assert.equal(((await r.json()) as { error: string }).error, 'access_denied');
  });

  it('keeps only a well-formed code', async () => {
    const odd = tokenExchangeErrors(async () => Response.json({ error: '<b>x</b>' }, { status: 400 }));
    await assert.rejects(exchange(odd), (e: Error) => !(e instanceof OAuthError));
  });
});
