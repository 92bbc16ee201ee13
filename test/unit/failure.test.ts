import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthorizationServerMismatchError,
  InsecureTokenEndpointError,
  InsufficientScopeError,
  IssuerMismatchError,
  RegistrationRejectedError,
  OAuthError,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  SseError,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { parseServer, type ServerConfig } from '../../src/core/config';
import {
  classifyFailure,
  connectionLost,
  describeFailure,
  describeSignInFailure,
  isScopeRefusal,
  signInEnded,
  toolRefused,
  notificationText,
  startTimeout,
  type FailureContext,
} from '../../src/core/failure';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { inOurWords } from '../../src/core/oauth/wording';
import { hubError } from '../../src/core/errors';

const config = (raw: Record<string, unknown>): ServerConfig => {
  const e = parseServer('s', raw, 'user');
  assert.ok(e.ok);
  return e.config;
};
const remote = config({ url: 'https://user:pw@mcp.example.com/mcp?api_key=k-123456789' });
const stdio = config({ command: 'my-server', args: ['--token', 'secret-arg-123456'] });
const link = '[Click](command:workbench.action.terminal.sendSequence)';
/** What the SDK's Streamable HTTP transport throws for a non-2xx answer. */
const httpError = (status: number, message: string) => new SdkHttpError(SdkErrorCode.ClientHttpNotImplemented, `Streamable HTTP error: ${message}`, { status });

describe('describeFailure: (error, config) -> code, our message, cleaned detail', () => {
  const cases: Array<[string, unknown, ServerConfig, string, RegExp]> = [
    ['missing command', Object.assign(new Error('spawn my-server ENOENT'), { code: 'ENOENT' }), stdio, 'command_not_found', /^Command not found: my-server$/],
    ['not executable', Object.assign(new Error('x'), { code: 'EACCES' }), stdio, 'command_not_executable', /^Command is not executable/],
    [
      'refused',
      Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      remote,
      'connection_refused',
      /^Connection refused by https:\/\/mcp\.example\.com\/mcp$/,
    ],
    ['HTTP 500 with a body', httpError(500, `Error POSTing to endpoint: ${link}`), remote, 'http_500', /^HTTP 500 from https:\/\/mcp\.example\.com\/mcp\.$/],
    ['SSE 404', new SseError(404, 'Not Found', undefined as never), remote, 'http_404', /^HTTP 404 from/],
    ['process exit', new ProtocolError(-32000, 'Connection closed'), stdio, 'process_exited', /exited before it finished starting/],
    ['request timeout', new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out'), remote, 'request_timeout', /^The server did not answer within 60 s\.$/],
    ['connection closed (SDK)', new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'), stdio, 'process_exited', /exited before it finished starting/],
    ['no shared revision', new SdkError(SdkErrorCode.EraNegotiationFailed, `pin failed ${link}`), remote, 'protocol_version', /share no protocol revision/],
    ['classic refused, no modern', new ProtocolError(-32022, 'Unsupported protocol version', { supported: ['2027-01-01'] }), stdio, 'protocol_version', /supports none/],
    ['JSON-RPC error', new ProtocolError(-32602, `bad ${link}`), remote, 'mcp_-32602', /MCP error -32602/],
    ['timeout', startTimeout(stdio), stdio, 'start_timeout', /Timed out after 60 s/],
    ['lost', connectionLost('The connection to the server was lost.'), remote, 'connection_lost', /lost/],
    ['an OAuth flow error', new OAuthFlowError('unsafe_url', 'Refused the token endpoint.', link), remote, 'unsafe_url', /^Refused the token endpoint\.$/],
    ['an SDK OAuth error', new OAuthError('invalid_grant', `refresh token revoked ${link}`), remote, 'invalid_grant', /refused the request \(invalid_grant\)/],
    ['anything else', new Error(`weird ${link}`), remote, 'failed', /^The connection to https:\/\/mcp\.example\.com\/mcp failed\.$/],
  ];
  for (const [what, error, cfg, code, message] of cases) {
    it(what, () => {
      const f = describeFailure(error, cfg, ['stderr: token=abcdef123456']);
      assert.equal(f.code, code);
      assert.match(f.message, message);
      const all = `${f.message}\n${f.detail ?? ''}`;
      assert.ok(!all.includes('](command:'), 'no clickable link');
      assert.ok(!all.includes('k-123456789') && !all.includes(':pw@') && !all.includes('abcdef123456'), 'no secret');
    });
  }
});

describe("notificationText: the row's sentence and code, nothing from the server", () => {
  it("says the error's own sentence and code, not the authorization server's description", () => {
    const error = new OAuthFlowError('authorization_denied', 'The authorization server refused the sign-in (access_denied).', `${link} go to https://evil.example`);
    const text = notificationText(error);
    assert.equal(text, "The authorization server refused the sign-in (access_denied). [authorization_denied] See the server's details in the MCP Hub panel or log.");
    const row = describeSignInFailure(error);
    assert.ok(text.startsWith(`${row.message} [${row.code}]`), 'the same sentence and code as the row');
  });
  it("never carries an address, which may be the authorization server's choice", () => {
    const text = notificationText(new OAuthFlowError('issuer_not_allowed', 'The client credentials belong to https://a.example, but https://evil.example/x names another.'));
    assert.doesNotMatch(text, /example/);
    assert.match(text, /^The client credentials belong to \(address in the panel\), but \(address in the panel\) names another\. \[issuer_not_allowed\]$/);
  });
  it('turns an odd code into a plain word', () => {
    assert.match(notificationText(new OAuthError('[x](command:y)', 'x')), /\[oauth_error\]/);
    assert.doesNotMatch(notificationText(new OAuthError('[x](command:y)', 'x')), /command:/);
  });
  it('handles our own errors and unknown ones, defusing markup in names', () => {
    const ours = notificationText(hubError('not_running', 'Server "[a](command:b)" is not running.'));
    assert.match(ours, /is not running\. \[not_running\]$/);
    assert.doesNotMatch(ours, /\]\(command:/);
    assert.match(notificationText(new Error('[a](command:b)')), /^The request failed\. \[error\]/);
  });
  it('describeSignInFailure keeps our message and moves the server text to the detail', () => {
    const f = describeSignInFailure(new OAuthError('invalid_grant', `nope ${link}`));
    assert.equal(f.code, 'invalid_grant');
    assert.ok(!f.message.includes('nope'));
    assert.ok(f.detail?.includes('nope'));
  });
});

describe('classifyFailure: (error, context) -> a state event, or a failure to retry', () => {
  const withHeader = config({ url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer static-123456789' } });
  const ctx = (over: Partial<FailureContext> = {}): FailureContext => ({
    config: remote,
    usesSession: false,
    hasAuthorizationHeader: false,
    stderrTail: [],
    ...over,
  });
  type Expect = { type: 'failed' | 'unauthorized'; code: string; text: RegExp } | { retry: string; text: RegExp };
  const cases: Array<[string, unknown, FailureContext, Expect]> = [
    [
      'a step-up that signing in again did not cure',
      httpError(403, 'Forbidden'),
      ctx({ usesSession: true, stepUp: { exhausted: true, scopes: ['mcp:write'] } }),
      { type: 'failed', code: 'scope_refused', text: /still refuses access after signing in again with scope mcp:write/ },
    ],
    [
      'a refusal for lack of scope',
      new OAuthFlowError('interaction_required', 'needs the browser'),
      ctx({ usesSession: true, stepUp: { scopes: ['mcp:read', 'mcp:write'] } }),
      { type: 'unauthorized', code: 'insufficient_scope', text: /^s needs more permission \(scope mcp:read mcp:write\): grant it in MCP Hub \(Authenticate on s's row\)$/ },
    ],
    [
      'the authorization server refusing to renew a session',
      new OAuthError('invalid_client', `client gone ${link}`),
      ctx({ usesSession: true }),
      { type: 'unauthorized', code: 'invalid_client', text: /refused to renew the session \(invalid_client\); sign in again/ },
    ],
    [
      'a transient authorization server error on renewal',
      new OAuthError('server_error', 'down'),
      ctx({ usesSession: true }),
      { retry: 'server_error', text: /refused the request/ },
    ],
    ['temporarily unavailable on renewal', new OAuthError('temporarily_unavailable', 'later'), ctx({ usesSession: true }), { retry: 'temporarily_unavailable', text: /refused/ }],
    ['an SDK OAuth error without a session', new OAuthError('invalid_grant', 'nope'), ctx(), { retry: 'invalid_grant', text: /refused the request/ }],
    [
      'an OAuth flow error (discovery, unsafe URL…)',
      new OAuthFlowError('unsafe_url', 'Refused the token endpoint.', link),
      ctx({ usesSession: true }),
      { type: 'unauthorized', code: 'unsafe_url', text: /^Refused the token endpoint\.$/ },
    ],
    [
      'interaction_required on a session (no step-up known)',
      new OAuthFlowError('interaction_required', 'needs the browser'),
      ctx({ usesSession: true }),
      { type: 'unauthorized', code: 'session_rejected', text: /expired or was revoked/ },
    ],
    ['a 401 on a session', new UnauthorizedError('Unauthorized'), ctx({ usesSession: true }), { type: 'unauthorized', code: 'session_rejected', text: /sign in again/ }],
    [
      'a 401 to the token a sign-in just got',
      new UnauthorizedError('Unauthorized'),
      ctx({ usesSession: true, freshSession: true }),
      { type: 'failed', code: 'token_refused', text: /^The server refused the token it was just given at sign-in.*audience or resource.*same token/ },
    ],
    [
      'interaction_required on a session just signed in',
      new OAuthFlowError('interaction_required', 'needs the browser'),
      ctx({ usesSession: true, freshSession: true }),
      { type: 'failed', code: 'token_refused', text: /refused the token it was just given/ },
    ],
    [
      'a lost connection after a session without a refresh token ended',
      connectionLost('The connection to the server was lost.'),
      ctx({ usesSession: true, sessionEndedAt: 1_700_000_000_000 }),
      { type: 'unauthorized', code: 'session_expired', text: /^The session ended at .*no refresh token/ },
    ],
    [
      'a 401 to a static Authorization header',
      httpError(401, 'Unauthorized'),
      ctx({ config: withHeader, hasAuthorizationHeader: true }),
      { type: 'failed', code: 'header_rejected', text: /mcpHub\.servers\.s\.headers \(HTTP 401\); check the header/ },
    ],
    ['an SSE 401 without a session', new SseError(401, 'Unauthorized', undefined as never), ctx(), { type: 'unauthorized', code: 'unauthorized', text: /requires you to sign in/ }],
    ['a 403 without a step-up', httpError(403, 'Forbidden'), ctx(), { retry: 'http_403', text: /^HTTP 403 from/ }],
    ['an HTTP 500', httpError(500, 'boom'), ctx({ usesSession: true }), { retry: 'http_500', text: /^HTTP 500 from/ }],
    ['a start timeout', startTimeout(stdio), ctx({ config: stdio }), { retry: 'start_timeout', text: /Timed out after 60 s/ }],
    ['a lost connection', connectionLost('The server process exited.'), ctx({ config: stdio }), { retry: 'connection_lost', text: /exited/ }],
  ];
  for (const [what, error, context, expected] of cases) {
    it(what, () => {
      const out = classifyFailure(error, context);
      if ('retry' in expected) {
        assert.ok('retry' in out, `retries: ${JSON.stringify(out)}`);
        assert.equal(out.retry.code, expected.retry);
        assert.match(out.retry.message, expected.text);
        return;
      }
      assert.ok(!('retry' in out), `does not retry: ${JSON.stringify(out)}`);
      assert.equal(out.type, expected.type);
      assert.equal(out.code, expected.code);
      assert.match(out.type === 'failed' ? out.message : out.reason, expected.text);
      assert.ok(!JSON.stringify(out).includes('](command:'), 'no clickable link');
    });
  }
  it('keeps the stderr tail of a stdio failure as the detail, without its secrets', () => {
    const out = classifyFailure(Object.assign(new Error('spawn my-server ENOENT'), { code: 'ENOENT' }), ctx({ config: stdio, stderrTail: ['boom token=abcdef123456'] }));
    assert.ok('retry' in out);
    assert.equal(out.retry.code, 'command_not_found');
    assert.match(out.retry.detail ?? '', /boom/);
    assert.ok(!(out.retry.detail ?? '').includes('abcdef123456'));
  });
  it('isScopeRefusal: a 403 or interaction_required, nothing else', () => {
    assert.equal(isScopeRefusal(httpError(403, 'Forbidden')), true);
    assert.equal(isScopeRefusal(new OAuthFlowError('interaction_required', 'x')), true);
    assert.equal(isScopeRefusal(new InsufficientScopeError({ requiredScope: 'read write' })), true);
    assert.equal(isScopeRefusal(httpError(401, 'Unauthorized')), false);
    assert.equal(isScopeRefusal(new OAuthFlowError('cancelled', 'x')), false);
    assert.equal(isScopeRefusal(new Error('x')), false);
  });
});

describe('toolRefused and signInEnded: what a refusal or an unfinished sign-in does to the state', () => {
  it('offers the extra scope on a running server', () => {
    const r = toolRefused({ scopes: ['mcp:write'] }, 's', 'write');
    assert.equal(r.error.code, 'insufficient_scope', 'more permission, not a sign-in');
    assert.deepEqual(r.event?.scopes, ['mcp:write']);
    const sentence = "s needs more permission (scope mcp:write) for write: grant it in MCP Hub (Authenticate on s's row)";
    assert.equal(r.event?.message, sentence, 'the row');
    assert.equal(r.error.message, sentence, 'the caller (tool result, log)');
  });
  it('offers nothing more when signing in again did not help', () => {
    const r = toolRefused({ exhausted: true, scopes: ['mcp:write'] }, 's', 'write');
    assert.equal(r.event, undefined);
    assert.equal(r.error.code, 'scope_refused');
    assert.match(r.error.message, /^s still refuses write after signing in again/);
  });
  it('keeps a running server running, with a notice', () => {
    const cancelled = new OAuthFlowError('cancelled', 'Cancelled.');
    const e = signInEnded(cancelled, describeSignInFailure(cancelled), true);
    assert.equal(e.type, 'authEnded');
    assert.match(e.type === 'authEnded' ? (e.notice ?? '') : '', /cancelled; the server keeps its current permissions/);
    const denied = new OAuthFlowError('authorization_denied', 'Refused.', 'because');
    const d = signInEnded(denied, describeSignInFailure(denied), true);
    assert.ok(d.type === 'authEnded' && /not granted: Refused\./.test(d.notice ?? '') && d.detail === 'because');
  });
  it('leaves any other server needing sign-in, with the code', () => {
    const timeout = new OAuthFlowError('timeout', 'Timed out.');
    const e = signInEnded(timeout, describeSignInFailure(timeout), false);
    assert.ok(e.type === 'unauthorized' && e.code === 'timeout' && e.reason === 'Timed out.');
  });
});

describe("inOurWords: the SDK v2 auth client's refusals, as our codes and words", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    [
      'a non-https token endpoint',
      new InsecureTokenEndpointError('http://10.0.0.5/token'),
      'unsafe_url',
      /not https; MCP Hub sends credentials over http only to localhost, 127\.0\.0\.1 or ::1/,
    ],
    [
      'an issuer mix-up',
      new IssuerMismatchError('authorization_response', 'https://as.example', `https://evil.example ${link}`),
      'response_issuer_mismatch',
      /authorization response from another issuer/,
    ],
    [
      'an issuer named in metadata',
      new IssuerMismatchError('metadata', 'https://as.example/common', `https://evil.example ${link}`),
      'metadata_issuer_mismatch',
      /metadata fetched for https:\/\/as\.example\/common names a different issuer.*auth\.acceptIssuer/,
    ],
    [
      'a refused registration',
      new RegistrationRejectedError({ status: 403, body: `no ${link}`, submittedMetadata: { redirect_uris: [] } }),
      'registration_refused',
      /refused to register MCP Hub as a client \(HTTP 403\)\. Set auth\.clientId/,
    ],
    ['another authorization server', new AuthorizationServerMismatchError('https://a.example', 'https://b.example'), 'issuer_not_allowed', /another authorization server/],
    ['an OAuth error on refresh', new OAuthError('invalid_grant', `revoked ${link}`), 'authorization_denied', /refused to renew the session \(invalid_grant\)/],
    ['an odd OAuth code', new OAuthError('[x](command:y)', 'x'), 'authorization_denied', /\(server_error\)/],
    ['anything else', new Error(`boom ${link}`), 'invalid_metadata', /cannot use/],
  ];
  for (const [name, error, code, message] of cases) {
    it(name, () => {
      const out = inOurWords(error, 'refresh');
      assert.equal(out.code, code);
      assert.match(out.message, message);
      assert.ok(!out.message.includes('evil') && !out.message.includes('command:'), 'no server text in our words');
    });
  }

  it("keeps the SDK's error as the cause and the server's code apart from the words", () => {
    const sdk = new OAuthError('invalid_grant', 'revoked');
    const out = inOurWords(sdk, 'refresh');
    assert.equal(out.cause, sdk);
    assert.equal(out.oauthError, 'invalid_grant');
    const odd = inOurWords(new OAuthError('[x](command:y)', 'x'), 'refresh');
    assert.equal(odd.oauthError, undefined, 'only a well-formed code is kept');
    assert.equal(inOurWords(new OAuthError('invalid_scope', 'no'), 'token', 'admin').oauthError, 'invalid_scope');
  });

  it('keeps nothing of an issuer mix-up, not even as the cause (the received issuer is the attacker’s)', () => {
    const out = inOurWords(new IssuerMismatchError('authorization_response', 'https://as.example', 'https://evil.example'), 'token');
    assert.equal(out.cause, undefined);
  });
});
