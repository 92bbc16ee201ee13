// The OAuth trace: a bounded ring grouped by sign-in, URLs cut to origin and path, notes scrubbed,
// requests told apart by URL and body kind; and the OAuth fetch reporting each request without its body.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOAuthFetch } from '../../src/core/oauth/oauth-fetch';
import { OAuthTrace, requestStep, traceUrl, type TracedRequest } from '../../src/core/oauth/trace';
import { noopLogger } from '../../src/core/ports';
import { scrubber } from '../../src/core/scrub';
import { FakeClock } from '../helpers';

const SERVER = 'https://mcp.example.com/mcp';
const publicDns = async () => ['93.184.216.34'];

describe('OAuth trace', () => {
  it('keeps at most the last `max` steps, dropping the oldest', () => {
    const trace = new OAuthTrace(new FakeClock(), 5);
    for (let i = 0; i < 12; i++) trace.add({ kind: 'info', label: `step ${i}` });
    assert.deepEqual(
      trace.steps().map((s) => s.label),
      ['step 7', 'step 8', 'step 9', 'step 10', 'step 11'],
    );
  });

  it('lists the newest sign-in first, each in the order it happened, and drops old sign-ins whole as the ring turns', () => {
    const clock = new FakeClock();
    const trace = new OAuthTrace(clock, 6);
    trace.add({ kind: 'refresh', label: 'before any sign-in' });
    trace.beginSignIn();
    trace.add({ kind: 'token', label: 'first token' });
    clock.advance(10);
    trace.add({ kind: 'refresh', label: 'first refresh' });
    trace.beginSignIn();
    trace.add({ kind: 'token', label: 'second token' });
    assert.deepEqual(
      trace.steps().map((s) => s.label),
      ['Sign-in started', 'second token', 'Sign-in started', 'first token', 'first refresh', 'before any sign-in'],
    );
    trace.add({ kind: 'refresh', label: 'second refresh' });
    trace.add({ kind: 'refresh', label: 'third refresh' });
    trace.add({ kind: 'refresh', label: 'fourth refresh' });
    assert.deepEqual(
      trace.steps().map((s) => s.label),
      ['Sign-in started', 'second token', 'second refresh', 'third refresh', 'fourth refresh', 'first refresh'],
    );
    assert.equal(trace.steps()[0].at, clock.now(), 'stamped by the injected clock');
  });

  it('announces each step as it is kept', () => {
    const trace = new OAuthTrace(new FakeClock());
    const seen: string[] = [];
    trace.onDidAdd((s) => seen.push(s.label));
    trace.beginSignIn();
    trace.add({ kind: 'callback', label: 'Callback received' });
    assert.deepEqual(seen, ['Sign-in started', 'Callback received']);
  });

  it('keeps origin and path of a URL only: no query, fragment or userinfo, http(s) only', () => {
    assert.equal(traceUrl('https://user:pw@as.example.com:8443/authorize?state=s3cr3t&code_challenge=abc#frag'), 'https://as.example.com:8443/authorize');
    assert.equal(traceUrl('http://127.0.0.1:5555/callback?code=abc123&state=xyz'), 'http://127.0.0.1:5555/callback');
    assert.equal(traceUrl('javascript:alert(1)'), undefined);
    assert.equal(traceUrl('not a url'), undefined);
    assert.ok(traceUrl(`https://as.example.com/${'a'.repeat(1000)}`)!.length <= 300);

    const trace = new OAuthTrace(new FakeClock());
    const step = trace.add({ kind: 'authorize', label: 'Browser opened for sign-in', url: 'https://as.example.com/auth?state=s3cr3t-state&code_challenge=chal', method: 'get' });
    assert.equal(step.url, 'https://as.example.com/auth');
    assert.equal(step.method, undefined, 'only a plain upper-case method is kept');
    assert.ok(!JSON.stringify(trace.steps()).includes('?'));
  });

  it('scrubs and caps notes and labels, and keeps only sane numbers', () => {
    scrubber.remember('remembered-secret-value-123');
    const trace = new OAuthTrace(new FakeClock());
    const step = trace.add({
      kind: 'error',
      label: 'Token request\u202e\nfailed',
      note: `access_token=abc.def.ghi remembered-secret-value-123 [x](command:evil) ${'n'.repeat(1000)}`,
      status: 42,
      ms: -1,
    });
    assert.equal(step.label, 'Token request failed');
    assert.ok(!step.note!.includes('abc.def.ghi') && !step.note!.includes('remembered-secret-value-123'));
    assert.ok(!step.note!.includes('](command:'));
    assert.ok(step.note!.length <= 300);
    assert.equal(step.status, undefined);
    assert.equal(step.ms, undefined);
  });

  it('tells requests apart by URL and body kind', () => {
    const step = (r: Partial<TracedRequest>, known?: { userinfoEndpoint?: string }) => {
      const s = requestStep({ method: 'GET', url: 'https://as.example.com/x', ms: 1, ...r }, known);
      return [s.kind, s.label];
    };
    assert.deepEqual(step({ url: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp' }), ['metadata', 'Protected resource metadata']);
    assert.deepEqual(step({ url: 'https://as.example.com/.well-known/oauth-authorization-server/tenant' }), ['metadata', 'Authorization server metadata']);
    assert.deepEqual(step({ url: 'https://as.example.com/tenant/.well-known/openid-configuration' }), ['metadata', 'Authorization server metadata (OpenID)']);
    assert.deepEqual(step({ method: 'POST', url: 'https://as.example.com/register', registration: true }), ['registration', 'Dynamic client registration']);
    assert.deepEqual(step({ method: 'POST', url: 'https://as.example.com/anything', grantType: 'authorization_code' }), ['token', 'Token request']);
    assert.deepEqual(step({ method: 'POST', grantType: 'refresh_token' }), ['refresh', 'Token refresh']);
    assert.deepEqual(step({ method: 'POST', grantType: 'client_credentials' }), ['token', 'Token request (client credentials)']);
    assert.deepEqual(step({ url: 'https://as.example.com/me' }, { userinfoEndpoint: 'https://as.example.com/me' }), ['userinfo', 'User info']);
    assert.deepEqual(step({ url: 'https://as.example.com/me' }), ['info', 'Authorization server request']);
    const failed = requestStep({ method: 'POST', url: 'https://as.example.com/token', grantType: 'refresh_token', status: 400, ms: 3.6, error: 'invalid_grant' });
    assert.deepEqual({ status: failed.status, note: failed.note, ms: failed.ms }, { status: 400, note: 'invalid_grant', ms: 3.6 });
  });
});

describe('OAuth fetch reports to the trace', () => {
  function reporting(handler: (url: URL) => Response) {
    const reports: TracedRequest[] = [];
    const f = createOAuthFetch({
      serverUrl: SERVER,
      logger: noopLogger,
      onChallenge: () => undefined,
      baseFetch: async (url) => handler(new URL(String(url))),
      resolver: publicDns,
      onRequest: (r) => reports.push(r),
    });
    return { f, reports };
  }

  it('reports method, URL, grant type, status and OAuth error code, never the body', async () => {
    const { f, reports } = reporting((url) =>
      url.pathname === '/token'
        ? Response.json({ error: 'invalid_grant', error_description: 'refresh token rt-SECRET-1 is gone' }, { status: 400 })
        : Response.json({ client_id: 'c' }, { status: 201 }),
    );
    await f('https://auth.example.com/token?x=1', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt-SECRET-1' }) });
    await f('https://auth.example.com/register', { method: 'POST', body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/callback'], client_name: 'x' }) });
    assert.equal(reports.length, 2);
    const [token, registration] = reports;
    assert.deepEqual(
      { method: token.method, url: String(token.url), grantType: token.grantType, status: token.status, error: token.error },
      { method: 'POST', url: 'https://auth.example.com/token?x=1', grantType: 'refresh_token', status: 400, error: 'invalid_grant' },
    );
    assert.ok(!JSON.stringify(reports).includes('rt-SECRET-1'), 'neither request nor response body is reported');
    assert.deepEqual([registration.registration, registration.status, registration.grantType], [true, 201, undefined]);
    // The trace keeps the URL without its query.
    assert.equal(requestStep(token).url, 'https://auth.example.com/token');
  });

  it('reports a request that got no answer with our error code', async () => {
    const { f, reports } = reporting(() => Response.json({}));
    await assert.rejects(f('https://10.1.2.3/.well-known/oauth-authorization-server'));
    assert.deepEqual([reports[0].status, reports[0].error], [undefined, 'unsafe_url']);
  });

  it('reports no MCP request', async () => {
    const { f, reports } = reporting(() => Response.json({ jsonrpc: '2.0', id: 1, result: {} }));
    await f(SERVER, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    assert.deepEqual(reports, []);
  });
});
