import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { parseServer, type ServerConfig } from '../../src/core/config';
import { connectionLost, describeFailure, describeSignInFailure, notificationText, startTimeout } from '../../src/core/failure';
import { OAuthFlowError } from '../../src/core/oauth/errors';
import { hubError } from '../../src/core/errors';

const config = (raw: Record<string, unknown>): ServerConfig => {
  const e = parseServer('s', raw, 'user');
  assert.ok(e.ok);
  return e.config;
};
const remote = config({ url: 'https://user:pw@mcp.example.com/mcp?api_key=k-123456789' });
const stdio = config({ command: 'my-server', args: ['--token', 'secret-arg-123456'] });
const link = '[Click](command:workbench.action.terminal.sendSequence)';

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
    ['HTTP 500 with a body', new StreamableHTTPError(500, `Error POSTing to endpoint: ${link}`), remote, 'http_500', /^HTTP 500 from https:\/\/mcp\.example\.com\/mcp\.$/],
    ['SSE 404', new SseError(404, 'Not Found', undefined as never), remote, 'http_404', /^HTTP 404 from/],
    ['process exit', new McpError(-32000, 'Connection closed'), stdio, 'process_exited', /exited before it finished starting/],
    ['JSON-RPC error', new McpError(-32602, `bad ${link}`), remote, 'mcp_-32602', /MCP error -32602/],
    ['timeout', startTimeout(stdio), stdio, 'start_timeout', /Timed out after 60 s/],
    ['lost', connectionLost('The connection to the server was lost.'), remote, 'connection_lost', /lost/],
    ['an OAuth flow error', new OAuthFlowError('unsafe_url', 'Refused the token endpoint.', link), remote, 'unsafe_url', /^Refused the token endpoint\.$/],
    ['an SDK OAuth error', new InvalidGrantError(`refresh token revoked ${link}`), remote, 'invalid_grant', /refused the request \(invalid_grant\)/],
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

describe('notificationText: our words and a stable code, nothing from the server', () => {
  it('names the code of an authorization server refusal, not its description', () => {
    const text = notificationText(
      new OAuthFlowError('authorization_denied', 'The authorization server refused the sign-in (access_denied).', `${link} go to https://evil.example`),
    );
    assert.equal(text, "The authorization server refused the sign-in (authorization_denied). See the server's details in the MCP Hub panel or log.");
  });
  it('never carries an issuer URL or other message text', () => {
    const text = notificationText(new OAuthFlowError('issuer_not_allowed', 'The client credentials belong to https://a.example, but https://evil.example …'));
    assert.doesNotMatch(text, /example/);
    assert.match(text, /\(issuer_not_allowed\)/);
  });
  it('turns an odd code into a plain word', () => {
    class OddError extends InvalidGrantError {
      override get errorCode() {
        return '[x](command:y)';
      }
    }
    assert.match(notificationText(new OddError('x')), /\(error\)/);
  });
  it('handles our own errors and unknown ones', () => {
    assert.match(notificationText(hubError('not_running', 'Server "[a](command:b)" is not running')), /^The server is not running \(not_running\)/);
    assert.match(notificationText(new Error('[a](command:b)')), /^The request failed \(error\)/);
  });
  it('describeSignInFailure keeps our message and moves the server text to the detail', () => {
    const f = describeSignInFailure(new InvalidGrantError(`nope ${link}`));
    assert.equal(f.code, 'invalid_grant');
    assert.ok(!f.message.includes('nope'));
    assert.ok(f.detail?.includes('nope'));
  });
});
