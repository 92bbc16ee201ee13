import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfigs, TOKEN_ENV_VAR, TOKEN_INPUT_ID } from '../../src/core/gateway/client-configs';
import { combinedName, combinedUri, splitCombinedUri } from '../../src/core/gateway/names';

const WELL_FORMED = /^[A-Za-z0-9_-]{1,64}$/;

describe('names at the combined endpoint', () => {
  it('joins plain names with a double underscore', () => {
    assert.equal(combinedName('github', 'search_issues'), 'github__search_issues');
    assert.equal(combinedName('my-server', 'get-file'), 'my-server__get-file');
  });

  it('cleans, cuts and hashes anything else, stably and within the limit', () => {
    const cases: Array<[string, string]> = [
      ['github.com', 'search'],
      ['my server', 'tool'],
      ['a', 'x'.repeat(80)],
      ['ümlaut', 'tööl'],
      ['s', 'name with spaces/and:colons'],
    ];
    for (const [server, tool] of cases) {
      const name = combinedName(server, tool);
      assert.match(name, WELL_FORMED, `${server} ${tool} -> ${name}`);
      assert.equal(combinedName(server, tool), name, 'stable');
    }
    // Names that clean to the same text stay apart.
    assert.notEqual(combinedName('a.b', 'c'), combinedName('a_b', 'c'));
    assert.notEqual(combinedName('a', 'b.c'), combinedName('a', 'b_c'));
    assert.notEqual(combinedName('a', 'x'.repeat(80)), combinedName('a', `${'x'.repeat(79)}y`));
  });

  it('wraps resource URIs with their server, and unwraps them', () => {
    const uri = combinedUri('files', 'file:///home/me/notes.md?x=1');
    assert.match(uri, /^mcp-hub:\/\/files\//);
    assert.deepEqual(splitCombinedUri(uri), { server: 'files', uri: 'file:///home/me/notes.md?x=1' });
    assert.deepEqual(splitCombinedUri(combinedUri('a/b c', 'x://y')), { server: 'a/b c', uri: 'x://y' });
    assert.equal(splitCombinedUri('file:///etc/passwd'), undefined);
    assert.equal(splitCombinedUri('mcp-hub://%E0%A4%A/x'), undefined);
  });
});

describe('client configurations for the gateway', () => {
  const url = 'http://127.0.0.1:4567/mcp';
  const configs = clientConfigs(url);
  const byId = (id: string) => configs.find((c) => c.id === id)!;

  it('covers the common clients, each with the URL and a reference to the token, never the token', () => {
    assert.deepEqual(
      configs.map((c) => c.id),
      ['claude-code', 'vscode', 'cursor', 'codex', 'gemini', 'generic'],
    );
    for (const c of configs) {
      assert.ok(c.text.includes(url), c.id);
      // No bearer value in the text other than a reference to a variable or an input, or the placeholder.
      for (const [, value] of c.text.matchAll(/Bearer ([^"'\n]*)/g)) assert.match(value, /^(\$\{(env:|input:)?[\w-]+\}|<the gateway token>)$/, c.id);
      assert.ok(c.token.length > 0, `${c.id} says how the client gets the token`);
    }
  });

  it("uses each client's own reference: VS Code's password input, Claude Code's and Gemini's ${VAR}, Cursor's ${env:VAR}, Codex's bearer_token_env_var", () => {
    const vscode = JSON.parse(byId('vscode').text) as {
      inputs: Array<{ type: string; id: string; password: boolean }>;
      servers: Record<string, { type: string; url: string; headers: Record<string, string> }>;
    };
    assert.deepEqual(vscode.inputs, [{ type: 'promptString', id: TOKEN_INPUT_ID, description: 'MCP Hub gateway token', password: true }]);
    assert.deepEqual(vscode.servers['mcp-hub'], { type: 'http', url, headers: { Authorization: `Bearer \${input:${TOKEN_INPUT_ID}}` } });
    // Single quotes: the shell leaves the reference for Claude Code to expand.
    assert.equal(byId('claude-code').text, `claude mcp add --transport http mcp-hub ${url} --header 'Authorization: Bearer \${${TOKEN_ENV_VAR}}'`);
    const cursor = JSON.parse(byId('cursor').text) as { mcpServers: Record<string, { url: string; headers: Record<string, string> }> };
    assert.deepEqual(cursor.mcpServers['mcp-hub'], { url, headers: { Authorization: `Bearer \${env:${TOKEN_ENV_VAR}}` } });
    assert.equal(byId('codex').text, `[mcp_servers.mcp-hub]\nurl = "${url}"\nbearer_token_env_var = "${TOKEN_ENV_VAR}"\n`);
    const gemini = JSON.parse(byId('gemini').text) as { mcpServers: Record<string, { httpUrl: string; headers: Record<string, string> }> };
    assert.deepEqual(gemini.mcpServers['mcp-hub'], { httpUrl: url, headers: { Authorization: `Bearer \${${TOKEN_ENV_VAR}}` } });
    for (const id of ['claude-code', 'cursor', 'codex', 'gemini']) assert.match(byId(id).token, new RegExp(`environment variable ${TOKEN_ENV_VAR}`), id);
  });

  it('says plainly, where a client has no reference, that the file holding the token must stay private', () => {
    assert.match(byId('generic').token, /must stay private: a user-level file of yours, never in a project's files or a commit/);
  });
});
