// The loopback callback server with real HTTP requests: hostile and malformed requests get a 4xx
// page and do not end the sign-in; the right one ends it; the authorization server's error ends it
// in our words. Requests go out as a browser's navigations (test/fixtures/navigate.ts), since
// Node's fetch announces itself as a cors request, which the server refuses.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { CallbackServer, MAX_TARGET_LENGTH } from '../../src/core/oauth/callback-server';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { noopLogger } from '../../src/core/ports';
import { navigate } from '../fixtures/navigate';

const STATE = 'sO2bDW3hWzF8b3xUfLh0r5b7jXk1mQ9vT2cYpA6eN4g';
const ISSUER = 'http://127.0.0.2:9000';
const ISS = `iss=${encodeURIComponent(ISSUER)}`;

async function armed(issuerRequired = true) {
  const server = await CallbackServer.start({ logger: noopLogger });
  server.expect(STATE, ISSUER, issuerRequired);
  const get = (path: string, headers?: Record<string, string>) => navigate(`http://127.0.0.1:${server.port}${path}`, headers);
  const result = server.result();
  result.catch(() => undefined); // asserted by each test, after its requests
  return { server, get, result };
}

/** Sends `text` on a raw socket and returns the status (0 if none came) once the server closes. */
function raw(port: number, text: string): Promise<{ status: number; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const response = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0), response });
    });
    socket.write(text);
  });
}

async function settled(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), 50)),
  ]);
}

describe('callback server', () => {
  it('listens on 127.0.0.1 only, at /callback', async () => {
    const { server } = await armed();
    assert.equal(server.redirectUri, `http://127.0.0.1:${server.port}/callback`);
    await assert.rejects(navigate(`http://[::1]:${server.port}/callback`));
    await server.close();
  });

  it('answers hostile or malformed requests with a 4xx page that reflects nothing, and keeps waiting', async () => {
    const { server, get, result } = await armed();
    const hostile: Array<[string, Record<string, string>?]> = [
      [`/callback?code=abc&state=wrong&${ISS}`],
      [`/callback?code=abc&${ISS}`],
      [`/callback?state=${STATE}&${ISS}`],
      [`/elsewhere?code=abc&state=${STATE}`],
      [`/callback?code=<script>alert(1)</script>&state=${STATE.slice(0, -1)}X`],
      [`/callback?error=access_denied&state=wrong`],
      [`/callback?code=abc&state=${STATE}&state=${STATE}&${ISS}`],
      [`/callback?code=abc&code=wrong&state=${STATE}&${ISS}`],
    ];
    for (const [path, headers] of hostile) {
      const r = await get(path, headers);
      const body = await r.text();
      assert.equal(r.status, 400, path);
      assert.doesNotMatch(body, /script|abc|access_denied|wrong/);
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    }
    assert.equal(await settled(result), false, 'still waiting');
    const ok = await get(`/callback?code=the-code&state=${STATE}&${ISS}`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /return to VS Code/);
    assert.deepEqual(await result, { code: 'the-code', iss: ISSUER });
    await assert.rejects(get('/callback'), 'closed after success');
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=other&state=${STATE}&${ISS}`)!, /already finished/);
    assert.deepEqual(await server.result(), { code: 'the-code', iss: ISSUER }, 'a replay changes nothing');
  });

  it('answers request targets the URL parser cannot take with 400, without throwing', async () => {
    const { server, result } = await armed();
    const host = `Host: 127.0.0.1:${server.port}\r\n`;
    for (const target of [
      '//evil.example:99999/callback',
      'http://x:99999/',
      '*',
      `http://127.0.0.1:${server.port}/callback?code=c&state=${STATE}&${ISS}`,
      '/callback?code=c&state=%zz',
      '/callback?state=%ff%fe',
    ]) {
      const { status, response } = await raw(server.port, `GET ${target} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
      assert.equal(status, 400, target);
      assert.ok(!response.includes('evil') && !response.includes('99999'), target);
    }
    assert.equal((await raw(server.port, 'NOT HTTP AT ALL\r\n\r\n')).status, 400, 'clientError answers too');
    assert.equal(await settled(result), false);
    await server.close();
  });

  it('caps the URL (414) and the headers (431)', async () => {
    const { server, get, result } = await armed();
    assert.equal((await get(`/callback?state=${STATE}&pad=${'a'.repeat(MAX_TARGET_LENGTH)}`)).status, 414);
    const big = await raw(server.port, `GET /callback HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Pad: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    assert.equal(big.status, 431);
    assert.equal(await settled(result), false);
    await server.close();
  });

  it('ignores a body sent with GET', async () => {
    const { server, result } = await armed();
    const r = await raw(
      server.port,
      `GET /callback?code=with-body&state=${STATE}&${ISS} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(1000)}`,
    );
    assert.equal(r.status, 200, 'answered without waiting for the announced megabyte');
    assert.deepEqual(await result, { code: 'with-body', iss: ISSUER });
  });

  it('accepts only its own hosts, and those added with allowHost', async () => {
    const { server, get, result } = await armed();
    for (const host of ['evil.example', `evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, `[::1]:${server.port}`]) {
      assert.equal((await get(`/callback?code=c&state=${STATE}&${ISS}`, { host })).status, 421, host);
    }
    assert.equal((await raw(server.port, `GET /callback?code=c&state=${STATE} HTTP/1.0\r\n\r\n`)).status, 421, 'no Host at all');
    assert.equal(await settled(result), false);
    assert.throws(() => server.allowHost('evil.example/path'), TypeError);
    server.allowHost('Codespace-1234.App.GitHub.dev');
    assert.equal((await get(`/callback?code=remote&state=${STATE}&${ISS}`, { host: 'codespace-1234.app.github.dev' })).status, 200);
    assert.deepEqual(await result, { code: 'remote', iss: ISSUER });
  });

  it('also accepts localhost:<port>', async () => {
    const { server, get, result } = await armed();
    assert.equal((await get(`/callback?code=l&state=${STATE}&${ISS}`, { host: `localhost:${server.port}` })).status, 200);
    assert.deepEqual(await result, { code: 'l', iss: ISSUER });
  });

  it('refuses requests a web page makes (Origin, or a Sec-Fetch-Mode other than navigate) with 403', async () => {
    const { server, get, result } = await armed();
    const valid = `/callback?code=c&state=${STATE}&${ISS}`;
    const pages: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { origin: 'null' }, { 'sec-fetch-mode': 'cors' }, { 'sec-fetch-mode': 'no-cors' }];
    for (const headers of pages) {
      assert.equal((await get(valid, headers)).status, 403, JSON.stringify(headers));
    }
    const post = await raw(server.port, `POST ${valid} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(post.status, 405);
    assert.equal(await settled(result), false);
    await server.close();
  });

  it('ends the flow on a wrong iss, and on a missing iss the server promised', async () => {
    for (const query of [`iss=${encodeURIComponent('https://evil.example.com')}`, `iss=${encodeURIComponent(ISSUER + '/')}`, '']) {
      const { get, result } = await armed(true);
      const r = await get(`/callback?code=c&state=${STATE}${query ? '&' + query : ''}`);
      assert.equal(r.status, 400);
      await assert.rejects(result, (e: Error & { code?: string }) => {
        assert.equal(e.code, 'response_issuer_mismatch');
        assert.doesNotMatch(e.message, /evil/);
        return true;
      });
    }
  });

  it('accepts a missing iss when the server never promised one', async () => {
    const { get, result } = await armed(false);
    assert.equal((await get(`/callback?code=c&state=${STATE}`)).status, 200);
    assert.deepEqual(await result, { code: 'c' });
  });

  it("ends the flow with the authorization server's error code in our words, its description only in detail", async () => {
    const cases: Array<[string, string, string, RegExp | undefined]> = [
      ['access_denied', 'authorization_denied', 'The authorization server refused the sign-in (access_denied).', /The user said no/],
      ['invalid_scope', 'invalid_scope', 'The authorization server refused the requested scope (invalid_scope).', /The user said no/],
      ['<b>bad code</b>', 'authorization_denied', 'The authorization server refused the sign-in.', /The user said no/],
      ['x'.repeat(65), 'authorization_denied', 'The authorization server refused the sign-in.', /The user said no/],
    ];
    for (const [error, code, message, detail] of cases) {
      const { get, result } = await armed();
      const r = await get(
        `/callback?error=${encodeURIComponent(error)}&error_description=${encodeURIComponent('The user said no')}&error_uri=${encodeURIComponent('https://evil.example/x')}&state=${STATE}&${ISS}`,
      );
      assert.equal(r.status, 400);
      assert.doesNotMatch(await r.text(), /user said|evil|bad code/);
      await assert.rejects(result, (e: OAuthFlowError) => {
        assert.ok(e instanceof OAuthFlowError);
        assert.equal(e.code, code);
        assert.equal(e.message, message);
        assert.match(e.detail ?? '', detail!);
        assert.doesNotMatch(e.detail ?? '', /evil\.example/, 'error_uri is not used');
        return true;
      });
    }
  });

  it('takes a pasted redirect URL (remote development) with the same checks', async () => {
    const { server, result } = await armed();
    assert.match(server.acceptPastedUrl('not a url')!, /not a URL/);
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=c&state=nope`)!, /state does not match/);
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=c&state=${STATE}&state=${STATE}`)!, /repeats a parameter/);
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=c&state=${STATE}&x=${'a'.repeat(MAX_TARGET_LENGTH)}`)!, /too long/);
    assert.match(server.acceptPastedUrl(`http://127.0.0.1:1/callback?code=c&state=%zz`)!, /not well formed/);
    assert.match(server.acceptPastedUrl(`javascript:alert(1)`)!, /not a URL/);
    assert.equal(await settled(result), false);
    assert.equal(server.acceptPastedUrl(`http://localhost:5/callback?code=pasted&state=${STATE}&${ISS}`), undefined);
    assert.deepEqual(await result, { code: 'pasted', iss: ISSUER });
  });

  it('stops on cancel and frees the port', async () => {
    const { server, get, result } = await armed();
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
