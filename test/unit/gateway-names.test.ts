import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfigs, TOKEN_ENV_VAR, TOKEN_INPUT_ID } from '../../src/core/gateway/client-configs';
import { combinedName, combinedUri, NameIndex, splitCombinedUri } from '../../src/core/gateway/names';

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

  it('gives both entries of a colliding pair a hashed name: fix/dyn__echo and fix__dyn/echo', () => {
    const index = new NameIndex([
      { server: 'fix', name: 'dyn__echo' },
      { server: 'fix__dyn', name: 'echo' },
      { server: 'fix', name: 'plain' },
    ]);
    const a = index.nameOf('fix', 'dyn__echo')!;
    const b = index.nameOf('fix__dyn', 'echo')!;
    assert.notEqual(a, b);
    assert.notEqual(a, 'fix__dyn__echo');
    assert.notEqual(b, 'fix__dyn__echo');
    assert.match(a, /^fix__dyn__echo_[0-9a-f]{8}$/);
    assert.match(b, /^fix__dyn__echo_[0-9a-f]{8}$/);
    assert.deepEqual(index.lookup(a), { server: 'fix', name: 'dyn__echo' });
    assert.deepEqual(index.lookup(b), { server: 'fix__dyn', name: 'echo' });
    assert.equal(index.lookup('fix__dyn__echo'), undefined, 'the contested plain name belongs to nobody');
    assert.equal(index.nameOf('fix', 'plain'), 'fix__plain', 'names nobody contests stay plain');
    // The same names whatever the order of the list.
    const reversed = new NameIndex([
      { server: 'fix', name: 'plain' },
      { server: 'fix__dyn', name: 'echo' },
      { server: 'fix', name: 'dyn__echo' },
    ]);
    assert.equal(reversed.nameOf('fix', 'dyn__echo'), a);
    assert.equal(reversed.nameOf('fix__dyn', 'echo'), b);
  });

  it('keeps random lists of names unique, well-formed, reversible and independent of order (seeded)', () => {
    // mulberry32: a small seeded generator, so a failure is the same on every run.
    const seeded = (seed: number) => () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    // Few letters and many underscores, so that plain names collide often; and some characters to clean.
    const alphabet = ['a', 'b', '_', '_', '__', '-', '.', ' ', 'é', 'x'.repeat(30)];
    for (const seed of [1, 2, 3, 42, 2026]) {
      const random = seeded(seed);
      const word = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const entries = Array.from({ length: 300 }, () => ({ server: word(), name: word() }));
      const index = new NameIndex(entries);
      const distinct = new Map(entries.map((e) => [JSON.stringify([e.server, e.name]), e]));
      const names = [...distinct.values()].map((e) => index.nameOf(e.server, e.name)!);
      assert.equal(new Set(names).size, distinct.size, `seed ${seed}: every entry has its own name`);
      for (const [i, e] of [...distinct.values()].entries()) {
        assert.match(names[i], WELL_FORMED, `seed ${seed}: ${JSON.stringify(e)}`);
        assert.deepEqual(index.lookup(names[i]), e, `seed ${seed}: the name leads back to its entry`);
      }
      const shuffled = [...entries].sort(() => random() - 0.5);
      const again = new NameIndex(shuffled);
      for (const e of distinct.values()) assert.equal(again.nameOf(e.server, e.name), index.nameOf(e.server, e.name), `seed ${seed}: order-independent`);
    }
  });

  it('names resource URIs with their server, keeping ui:// for MCP Apps and templates as templates, and unwraps them', () => {
    const uri = combinedUri('files', 'file:///home/me/notes.md?x=1');
    assert.equal(uri, 'mcp-hub://files/file:///home/me/notes.md?x=1');
    assert.deepEqual(splitCombinedUri(uri), { server: 'files', uri: 'file:///home/me/notes.md?x=1' });
    assert.deepEqual(splitCombinedUri(combinedUri('a/b c', 'x://y')), { server: 'a/b c', uri: 'x://y' });
    // MCP Apps: ui:// stays ui://, with the server as the first segment.
    assert.equal(combinedUri('basic', 'ui://get-time/mcp-app.html'), 'ui://basic/get-time/mcp-app.html');
    assert.deepEqual(splitCombinedUri('ui://basic/get-time/mcp-app.html'), { server: 'basic', uri: 'ui://get-time/mcp-app.html' });
    // A template expands the same way wrapped or not.
    assert.equal(combinedUri('files', 'file:///{path}'), 'mcp-hub://files/file:///{path}');
    assert.deepEqual(splitCombinedUri('mcp-hub://files/file:///notes.md'), { server: 'files', uri: 'file:///notes.md' });
    // The form earlier versions handed out is still understood.
    assert.deepEqual(splitCombinedUri(`mcp-hub://files/${encodeURIComponent('file:///a b.md')}`), { server: 'files', uri: 'file:///a b.md' });
    assert.equal(splitCombinedUri('file:///etc/passwd'), undefined);
    assert.equal(splitCombinedUri('mcp-hub://%E0%A4%A/x'), undefined);
    assert.equal(splitCombinedUri('ui://only-a-server'), undefined);
    assert.equal(splitCombinedUri('mcp-hub:///x'), undefined);
  });
});

describe('client configurations for the gateway', () => {
  const url = 'http://127.0.0.1:4567/mcp';
  const configs = clientConfigs(url);
  const byId = (id: string) => configs.find((c) => c.id === id)!;

  it('covers the common clients, each with the URL and a reference to the token, never the token', () => {
    assert.deepEqual(
      configs.map((c) => c.id),
      ['claude-code', 'vscode', 'copilot', 'mcp-json', 'cursor', 'codex', 'gemini', 'generic'],
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

  it("gives Copilot CLI, VS Code's Copilot harness and a workspace .mcp.json the portable format, the token as an environment-variable reference", () => {
    for (const id of ['copilot', 'mcp-json']) {
      const config = JSON.parse(byId(id).text) as { mcpServers: Record<string, unknown> };
      assert.deepEqual(config, { mcpServers: { 'mcp-hub': { type: 'http', url, headers: { Authorization: `Bearer \${${TOKEN_ENV_VAR}}` }, tools: ['*'] } } }, id);
      assert.match(byId(id).token, new RegExp(`environment variable ${TOKEN_ENV_VAR}`), id);
    }
    assert.match(byId('copilot').where, /~\/\.copilot\/mcp-config\.json/);
    assert.match(byId('mcp-json').where, /\.mcp\.json at the workspace root/);
    assert.match(byId('mcp-json').token, /safe to commit/);
    // VS Code forwards no server that needs an ${input:} to its Copilot harness: the mcp.json entry says where to go instead.
    assert.match(byId('vscode').token, /use the Copilot entry/);
  });

  it('says plainly, where a client has no reference, that the file holding the token must stay private', () => {
    assert.match(byId('generic').token, /must stay private: a user-level file of yours, never in a project's files or a commit/);
  });
});
