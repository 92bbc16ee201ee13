// What crosses from a server to a workbench tab, and what a tab remembers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scrubber } from '../../src/core/scrub';
import { redactArgs, RESULT_MAX_CHARS, scrubResult, sensitiveFields } from '../../src/vscode/workbench/untrusted';

describe('workbench: untrusted results and remembered arguments', () => {
  it('masks known secrets in every text of a result, and leaves base64 data alone', () => {
    const secret = 'ghp_workbenchsecret0123456789abcdef';
    scrubber.remember(secret);
    const result = scrubResult({
      content: [
        { type: 'text', text: `token=${secret} done` },
        { type: 'image', mimeType: 'image/png', data: 'iVBORw0KGgo=' },
      ],
      structuredContent: { nested: [`x ${secret}`] },
    });
    const json = JSON.stringify(result);
    assert.ok(!json.includes(secret));
    assert.match(json, /done/);
    assert.match(json, /iVBORw0KGgo=/);
  });

  it('cuts a huge result and says so', () => {
    const result = scrubResult({ content: [{ type: 'text', text: 'a'.repeat(RESULT_MAX_CHARS + 10) }] });
    const text = (result.content as Array<{ text: string }>)[0].text;
    assert.ok(text.length <= RESULT_MAX_CHARS && text.length > RESULT_MAX_CHARS - 100, String(text.length));
    assert.deepEqual(result._meta, { 'mcp-hub/truncated': true });
  });

  it('remembers arguments without secret-looking names, password fields or known secrets', () => {
    scrubber.remember('sk-live-remembered-secret-value');
    const kept = redactArgs(
      { query: 'is:open', apiKey: 'abc', password: 'hunter22', pin_code: 1, note: 'sk-live-remembered-secret-value', nested: { token: 'x' }, limit: 5 },
      { properties: { pin_code: { format: 'password' } } },
    );
    assert.deepEqual(kept, { query: 'is:open', limit: 5 });
  });

  it('spots form fields that ask for what a server must not ask for in a form', () => {
    const schema = {
      properties: {
        name: { type: 'string' },
        apiKey: { type: 'string' },
        code: { type: 'string', title: 'One-time code' },
        secretish: { type: 'string', format: 'password' },
        note: { type: 'string', description: 'Paste your access token here' },
      },
    };
    assert.deepEqual(sensitiveFields(schema), ['apiKey', 'code', 'secretish', 'note']);
    assert.deepEqual(sensitiveFields({ properties: { city: { type: 'string' } } }), []);
  });
});
