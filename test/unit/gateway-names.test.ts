import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientConfigs } from '../../src/core/gateway/client-configs';
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
  const configs = clientConfigs(url, 'tok-123');

  it('covers the common clients, each with the URL and the bearer header', () => {
    assert.deepEqual(
      configs.map((c) => c.id),
      ['claude-code', 'vscode', 'cursor', 'codex', 'gemini', 'generic'],
    );
    for (const c of configs) {
      assert.ok(c.text.includes(url), c.id);
      assert.ok(c.text.includes('Bearer tok-123'), c.id);
    }
  });

  it('writes valid JSON where the client reads JSON', () => {
    const vscode = JSON.parse(configs.find((c) => c.id === 'vscode')!.text) as { servers: Record<string, { type: string; url: string }> };
    assert.deepEqual(vscode.servers['mcp-hub'], { type: 'http', url, headers: { Authorization: 'Bearer tok-123' } });
    const gemini = JSON.parse(configs.find((c) => c.id === 'gemini')!.text) as { mcpServers: Record<string, { httpUrl: string }> };
    assert.equal(gemini.mcpServers['mcp-hub'].httpUrl, url);
    assert.match(
      configs.find((c) => c.id === 'claude-code')!.text,
      /^claude mcp add --transport http mcp-hub http:\/\/127\.0\.0\.1:4567\/mcp --header "Authorization: Bearer tok-123"$/,
    );
  });
});
