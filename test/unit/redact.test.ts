import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSecrets } from '../../src/core/redact';

describe('log redaction', () => {
  const cases: Array<[string, string]> = [
    ['Authorization: Bearer eyJhbGciOi.abc.def', 'Authorization: ***'],
    ['sent Bearer abc123 to server', 'sent Bearer *** to server'],
    ['GET /callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz', 'GET /callback?code=***&state=xyz'],
    ['grant_type=refresh_token&refresh_token=8xLOxBtZp8&resource=https://a', 'grant_type=refresh_token&refresh_token=***&resource=https://a'],
    ['{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}', '{"access_token":"***","token_type":"Bearer","expires_in":3600}'],
    ['code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'code_verifier=***'],
    ['x-api-key: sk-live-123', 'x-api-key: ***'],
  ];
  for (const [input, expected] of cases) {
    it(`masks ${input.slice(0, 30)}…`, () => assert.equal(redactSecrets(input), expected));
  }
  it('leaves ordinary lines alone', () => {
    for (const line of ['connected (5 tools, 1 resources, 1 prompts)', 'The server process exited.', 'HTTP 405 from http://127.0.0.1:3000/mcp', 'error code -32000']) {
      assert.equal(redactSecrets(line), line);
    }
  });
});
