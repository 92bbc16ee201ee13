// The loopback callback server with real HTTP requests: hostile and malformed requests get a 400
// page and do not end the sign-in; the right one ends it; the authorization server's error ends it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallbackServer } from '../../src/core/oauth/callback-server';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { noopLogger } from '../../src/core/ports';

const STATE = 'sO2bDW3hWzF8b3xUfLh0r5b7jXk1mQ9vT2cYpA6eN4g';
const ISSUER = 'http://127.0.0.2:9000';

async function armed(issuerRequired = true) {
  const server = await CallbackServer.start({ logger: noopLogger });
  server.expect(STATE, ISSUER, issuerRequired);
  const get = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${server.port}${path}`, init);
  return { server, get };
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 50))]);
}

describe('callback server', () => {
  it('listens on 127.0.0.1 only, at /callback', async () => {
    const { server } = await armed();
    assert.equal(server.redirectUri, `http://127.0.0.1:${server.port}/callback`);
    await assert.rejects(fetch(`http://[::1]:${server.port}/callback`));
    await server.close();
  });

  it('answers hostile or malformed requests with a 400 page that reflects nothing, and keeps waiting', async () => {
    const { server, get } = await armed();
    const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
    const hostile: Array<[string, RequestInit?]> = [
      [`/callback?code=abc&state=wrong&iss=${encodeURIComponent(ISSUER)}`],
      [`/callback?code=abc&iss=${encodeURIComponent(ISSUER)}`],
      [`/callback?state=${STATE}&iss=${encodeURIComponent(ISSUER)}`],
      [`/elsewhere?code=abc&state=${STATE}`],
      [`/callback?code=<script>alert(1)</script>&state=${STATE.slice(0, -1)}X`],
      [`/callback?code=abc&state=${STATE}`, { method: 'POST' }],
      [`/callback?error=access_denied&state=wrong`],
    ];
    for (const [path, init] of hostile) {
      const r = await get(path, init);
      const body = await r.text();
      assert.ok(r.status === 400 || r.status === 405, `${path}: ${r.status}`);
      assert.doesNotMatch(body, /script|abc|access_denied|wrong/);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    }
    assert.equal(await settled(result), false, 'still waiting');
    const ok = await get(`/callback?code=the-code&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /return to VS Code/);
    assert.deepEqual(await result, { code: 'the-code' });
    await assert.rejects(get('/callback'), 'closed after success');
  });

  it('ends the flow on a wrong iss, and on a missing iss the server promised', async () => {
    for (const query of [`iss=${encodeURIComponent('https://evil.example.com')}`, `iss=${encodeURIComponent(ISSUER + '/')}`, '']) {
      const { server, get } = await armed(true);
      const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
      const r = await get(`/callback?code=c&state=${STATE}${query ? '&' + query : ''}`);
      assert.equal(r.status, 400);
      await assert.rejects(result, (e: Error & { code?: string }) => {
        assert.equal(e.code, 'issuer_mismatch');
        assert.doesNotMatch(e.message, /evil/);
        return true;
      });
    }
  });

  it('accepts a missing iss when the server never promised one', async () => {
    const { server, get } = await armed(false);
    const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
    assert.equal((await get(`/callback?code=c&state=${STATE}`)).status, 200);
    assert.deepEqual(await result, { code: 'c' });
  });

  it('ends the flow with the authorization server\'s error and description', async () => {
    const { server, get } = await armed();
    const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
    const r = await get(`/callback?error=access_denied&error_description=${encodeURIComponent('The user said <no>')}&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`);
    assert.equal(r.status, 400);
    assert.doesNotMatch(await r.text(), /user said/);
    await assert.rejects(result, /The authorization server refused: access_denied: The user said <no>/);
  });

  it('takes a pasted redirect URL (remote development) with the same checks', async () => {
    const { server } = await armed();
    const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
    assert.match(server.acceptPastedUrl('not a url')!, /not a URL/);
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=c&state=nope`)!, /state does not match/);
    assert.equal(server.acceptPastedUrl(`http://localhost:5/callback?code=pasted&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`), undefined);
    assert.deepEqual(await result, { code: 'pasted' });
  });

  it('stops on cancel and frees the port', async () => {
    const { server, get } = await armed();
    const result = server.result();
    result.catch(() => undefined); // asserted below, after the requests
    server.abort(new OAuthFlowError('cancelled', 'Sign-in was cancelled.'));
    await assert.rejects(result, /cancelled/);
    await server.close();
    await assert.rejects(get('/callback'));
  });

  it('says clearly when a fixed callback port is taken', async () => {
    const first = await CallbackServer.start({ logger: noopLogger });
    await assert.rejects(CallbackServer.start({ port: first.port, logger: noopLogger }), new RegExp(`callback port ${first.port} \\(auth.callbackPort\\) is in use`));
    await first.close();
  });
});
