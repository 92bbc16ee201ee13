// The settings of enterprise and workload sign-in: mcpHub.enterprise.idp, and a server's
// auth.grantType "jwt-bearer" with auth.assertion (a value, a file, a command), each refused with
// the field named when it is wrong; and the workload token read from each source, scrubbed.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseEnterpriseIdp, parseServers, type AuthSettings } from '../../src/core/config';
import { readAssertion } from '../../src/core/oauth/assertion';
import { OAuthError } from '@modelcontextprotocol/client';
import { isOAuthFlowError, OAuthFlowError } from '../../src/core/oauth/errors';
import { enterpriseChosen, enterpriseRefusal, usesEnterprise } from '../../src/core/oauth/jwt-bearer';
import { scrubber } from '../../src/core/scrub';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrbG9hZC0xMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';

function auth(a: unknown) {
  const [entry] = parseServers({ s: { url: 'https://mcp.example.com/mcp', auth: a } }, 'user');
  return entry;
}

describe('mcpHub.enterprise.idp', () => {
  it('takes an issuer and a client ID, a secret only from secret storage', () => {
    assert.deepEqual(parseEnterpriseIdp({ issuer: 'https://acme.okta.com', clientId: 'mcp-hub' }), { issuer: 'https://acme.okta.com', clientId: 'mcp-hub' });
    assert.equal(parseEnterpriseIdp(undefined), undefined);
    assert.equal(parseEnterpriseIdp({}), undefined);
    assert.deepEqual(
      parseEnterpriseIdp({ issuer: 'https://login.example.com/tenant', clientId: 'x', clientSecret: '${input:idp-secret}', scope: 'groups', authProvider: 'microsoft' }),
      {
        issuer: 'https://login.example.com/tenant',
        clientId: 'x',
        clientSecret: '${input:idp-secret}',
        scope: 'groups',
        authProvider: { id: 'microsoft', scopes: ['openid', 'profile', 'email'] },
      },
    );
  });

  it('names the field that is wrong', () => {
    assert.throws(() => parseEnterpriseIdp({ clientId: 'x' }), /mcpHub\.enterprise\.idp\.issuer: must be a non-empty string/);
    assert.throws(() => parseEnterpriseIdp({ issuer: 'ftp://idp', clientId: 'x' }), /\.issuer: must be the https URL of the IdP/);
    assert.throws(() => parseEnterpriseIdp({ issuer: 'https://idp.example.com' }), /\.clientId: must be a non-empty string/);
    assert.throws(() => parseEnterpriseIdp({ issuer: 'http://idp.example.com', clientId: 'x' }), /\.issuer: must be https \(http only for an IdP on this machine/);
    assert.ok(parseEnterpriseIdp({ issuer: 'http://[::1]:8080', clientId: 'x' }));
    // The SDK sends no token over http to other loopback addresses: refused in settings, not after a sign-in.
    assert.throws(
      () => parseEnterpriseIdp({ issuer: 'http://127.0.0.2:8080', clientId: 'x' }),
      /\.issuer: must be https \(http only for an IdP on this machine: localhost .*127\.0\.0\.1 or \[::1\]\)/,
    );
    assert.throws(() => parseEnterpriseIdp({ issuer: 'https://idp.example.com', clientId: 'x', clientSecret: 's3cret' }), /\.clientSecret: must be "\$\{input:NAME\}"/);
    assert.throws(() => parseEnterpriseIdp({ issuer: 'https://idp.example.com', clientId: 'x', callbackPort: 70000 }), /\.callbackPort: must be a port number/);
    assert.throws(() => parseEnterpriseIdp('https://idp.example.com'), /mcpHub\.enterprise\.idp: must be an object/);
  });
});

describe('auth for workload identity and enterprise servers', () => {
  it('takes grantType jwt-bearer with an assertion from a value, a file or a command', () => {
    for (const assertion of ['${env:WORKLOAD_TOKEN}', { file: '/var/run/secrets/tokens/mcp' }, { command: 'gcloud', args: ['auth', 'print-identity-token'] }]) {
      const e = auth({ grantType: 'jwt-bearer', assertion });
      assert.ok(e.ok, JSON.stringify(e));
      const parsed = e.config.type !== 'stdio' ? e.config.auth?.assertion : undefined;
      assert.deepEqual(parsed, typeof assertion === 'string' ? { value: assertion } : assertion);
    }
    const e = auth({ enterprise: true, clientId: 'c' });
    assert.ok(e.ok && e.config.type !== 'stdio' && e.config.auth?.enterprise === true);
  });

  it('says what is missing or wrong', () => {
    const error = (a: unknown) => {
      const e = auth(a);
      return e.ok ? '' : e.error;
    };
    assert.match(error({ grantType: 'jwt-bearer' }), /auth\.grantType: "jwt-bearer" needs auth\.assertion/);
    assert.match(error({ assertion: 'x' }), /auth\.assertion: is used only with "grantType": "jwt-bearer"/);
    assert.match(error({ grantType: 'jwt-bearer', assertion: { file: '' } }), /auth\.assertion\.file: must be the path/);
    assert.match(error({ grantType: 'jwt-bearer', assertion: { command: 'x', args: [1] } }), /auth\.assertion\.args: must be an array of strings/);
    assert.match(error({ grantType: 'jwt-bearer', assertion: { url: 'x' } }), /auth\.assertion: must be a string/);
    assert.match(error({ grantType: 'password' }), /auth\.grantType: must be "authorization_code", "client_credentials" or "jwt-bearer"/);
    assert.match(error({ enterprise: 'yes' }), /auth\.enterprise: must be true or false/);
  });
});

describe('which servers get the company identity', () => {
  const advertises = {
    issuer: 'https://as.example.com',
    authorization_endpoint: 'https://as.example.com/a',
    token_endpoint: 'https://as.example.com/t',
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
  };
  const silent = { ...advertises, grant_types_supported: ['authorization_code'] };
  const user = (a: AuthSettings) => ({ source: 'user' as const, auth: a });
  const workspace = (a: AuthSettings) => ({ source: 'workspace' as const, auth: a });
  const ctx = (personAsked: boolean, more: { idpConfigured?: boolean; refused?: boolean } = {}) => ({ idpConfigured: true, refused: false, personAsked, ...more });

  it('by itself only where the person chose it (auth.enterprise: true in user settings)', () => {
    assert.equal(enterpriseChosen(user({ enterprise: true })), true);
    assert.equal(enterpriseChosen(user({})), false);
    assert.equal(enterpriseChosen(user({ enterprise: false })), false);
    assert.equal(enterpriseChosen(user({ enterprise: true, grantType: 'client_credentials' })), false);
    assert.equal(enterpriseChosen(workspace({ enterprise: true })), false, 'a workspace does not choose for the person');
    assert.equal(enterpriseChosen({ source: 'workspaceFolder', auth: { enterprise: true } }), false);
    assert.equal(usesEnterprise(user({}), advertises, ctx(false)), false, 'advertising the grant is no choice');
    assert.equal(usesEnterprise(workspace({ enterprise: true }), advertises, ctx(false)), false);
    assert.equal(usesEnterprise(user({ enterprise: true }), silent, ctx(false)), true);
    assert.equal(usesEnterprise(user({ enterprise: true }), undefined, ctx(false)), true);
  });

  it("on the person's Authenticate where auth.enterprise is true or the authorization server advertises the grant; never when false", () => {
    assert.equal(usesEnterprise(user({}), advertises, ctx(true)), true);
    assert.equal(usesEnterprise(user({}), silent, ctx(true)), false);
    assert.equal(usesEnterprise(workspace({ enterprise: true }), silent, ctx(true)), true);
    assert.equal(usesEnterprise(user({ enterprise: false }), advertises, ctx(true)), false);
    assert.equal(usesEnterprise(user({ grantType: 'jwt-bearer' }), advertises, ctx(true)), false);
    assert.equal(usesEnterprise(user({}), advertises, ctx(true, { idpConfigured: false })), false);
    // Refused once: the next Authenticate uses the browser where it is offered.
    assert.equal(usesEnterprise(user({ enterprise: true }), advertises, ctx(true, { refused: true })), false);
  });

  it("tells a refused grant by the authorization server's code as the error carries it, never as a message reads", () => {
    const discovery = { authorizationServerUrl: advertises.issuer, authorizationServerMetadata: advertises };
    const sdk = new OAuthError('invalid_grant', 'the grant (invalid_client).');
    const told = new OAuthFlowError('authorization_denied', 'Words that end in (unauthorized_client).', 'detail', { cause: sdk, oauthError: 'invalid_grant' });
    const { error, refused } = enterpriseRefusal(sdk, told, discovery);
    assert.equal(refused, true);
    assert.equal(error.code, 'enterprise_refused');
    assert.match(error.message, /refused the company IdP's grant \(invalid_grant\)\. Authenticate again to sign in in the browser instead\.$/);
    assert.equal(error.oauthError, 'invalid_grant');
    assert.equal(error.cause, told);
    // No code carried: none is named, whatever the message says.
    const bare = enterpriseRefusal(new Error('x'), new OAuthFlowError('authorization_denied', 'Refused (invalid_grant).'), discovery);
    assert.match(bare.error.message, /refused the company IdP's grant\. /);
  });
});

describe('reading the workload token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-assertion-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file afresh each time, trimmed, and the scrubber knows it', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${JWT}\n`);
    assert.equal(await readAssertion({ file }), JWT);
    assert.equal(scrubber.message(`token ${JWT}`), 'token ***');
    const rotated = JWT.replace('c2ln', 'bmV3');
    writeFileSync(file, rotated);
    assert.equal(await readAssertion({ file }), rotated);
  });

  it("takes a command's output, and a value", async () => {
    assert.equal(await readAssertion({ command: process.execPath, args: ['-e', `process.stdout.write(${JSON.stringify(JWT)})`] }), JWT);
    assert.equal(await readAssertion({ value: ` ${JWT} ` }), JWT);
  });

  it('names the source and never the value when it cannot be used', async () => {
    const reject = async (source: Parameters<typeof readAssertion>[0], pattern: RegExp) => {
      const error = await readAssertion(source).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(isOAuthFlowError(error, 'assertion_unavailable'), String(error));
      assert.match(error.message, pattern);
      return error.message;
    };
    await reject({ file: join(dir, 'missing') }, /the token file .*missing cannot be read \(ENOENT\)/);
    await reject({ file: dir }, /is not a file/);
    const notJwt = join(dir, 'not-a-jwt');
    writeFileSync(notJwt, 'hunter2-password');
    assert.doesNotMatch(await reject({ file: notJwt }, /is not a JWT/), /hunter2/);
    await reject({ value: '   ' }, /is empty/);
    const failing = await reject(
      { command: process.execPath, args: ['-e', `process.stdout.write("leaked-${'x'.repeat(8)}"); process.exit(3)`] },
      /did not give a token \(exited with 3\)/,
    );
    assert.doesNotMatch(failing, /leaked/);
    if (process.platform !== 'win32') {
      const locked = join(dir, 'locked');
      writeFileSync(locked, JWT);
      chmodSync(locked, 0o000);
      // root reads it anyway; anyone else gets EACCES. Either way nothing but the path is said.
      await readAssertion({ file: locked }).catch((e: Error) => assert.match(e.message, /cannot be read \(EACCES\)/));
    }
  });
});
