import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authQuirkWarnings, isToolAllowed, mergeScopes, parseServer, parseServers, sameConfig, type ConfigEntry } from '../../src/core/config';

function ok(entry: ConfigEntry) {
  assert.ok(entry.ok, entry.ok ? '' : entry.error);
  return entry.config;
}
function err(entry: ConfigEntry): string {
  assert.ok(!entry.ok, 'expected a config error');
  return entry.error;
}

describe('mcpHub.servers parsing', () => {
  it('reads a stdio entry with defaults', () => {
    const c = ok(parseServer('fs', { type: 'stdio', command: 'npx', args: ['-y', 'pkg'], env: { A: 'b' }, cwd: '/tmp' }, 'user'));
    assert.deepEqual(c, {
      name: 'fs',
      source: 'user',
      disabled: false,
      timeoutSeconds: 60,
      tools: {},
      protocolVersion: 'auto',
      type: 'stdio',
      command: 'npx',
      args: ['-y', 'pkg'],
      env: { A: 'b' },
      cwd: '/tmp',
    });
  });

  it('infers stdio from a Claude Desktop style entry and coerces numeric env values', () => {
    const c = ok(parseServer('gh', { command: 'docker', args: ['run'], env: { PORT: 8080, DEBUG: true } }, 'user'));
    assert.equal(c.type, 'stdio');
    assert.deepEqual(c.type === 'stdio' && c.env, { PORT: '8080', DEBUG: 'true' });
  });

  it('infers "http" (Streamable HTTP with SSE fallback) from a Cursor style url entry', () => {
    const c = ok(parseServer('remote', { url: 'https://example.com/mcp' }, 'workspace'));
    assert.equal(c.type, 'http');
    assert.equal(c.source, 'workspace');
  });

  it('reads remote entries of each type with headers, timeout, tools and auth', () => {
    for (const type of ['streamable-http', 'sse', 'http'] as const) {
      const c = ok(
        parseServer(
          'r',
          {
            type,
            url: 'http://127.0.0.1:3000/mcp',
            headers: { 'X-Key': 'k' },
            timeout: 5,
            tools: { allow: ['a*'], deny: ['admin'] },
            auth: { clientId: 'id', scope: 'read', callbackPort: 33418 },
          },
          'user',
        ),
      );
      assert.equal(c.type, type);
      assert.equal(c.timeoutSeconds, 5);
      assert.deepEqual(c.tools, { allow: ['a*'], deny: ['admin'] });
      assert.deepEqual(c.auth, { clientId: 'id', scope: 'read', callbackPort: 33418 });
    }
  });

  const bad: Array<[string, unknown, string]> = [
    ['github', { type: 'http', url: 'ftp://example.com' }, 'mcpHub.servers.github.url: must be an http(s) URL'],
    ['github', { url: 'not a url' }, 'mcpHub.servers.github.url: must be an http(s) URL'],
    ['x', { command: 'a', url: 'https://e.com' }, 'mcpHub.servers.x: set either "command" (local server) or "url" (remote server), not both'],
    ['x', {}, 'mcpHub.servers.x: needs "command" (local server) or "url" (remote server)'],
    ['x', 'npx foo', 'mcpHub.servers.x: must be an object with "command" (local server) or "url" (remote server)'],
    ['x', { type: 'websocket', url: 'https://e.com' }, 'mcpHub.servers.x.type: must be one of "stdio", "streamable-http", "sse", "http"'],
    ['x', { type: 'sse' }, 'mcpHub.servers.x.url: is required for a sse server'],
    ['x', { type: 'stdio', url: 'https://e.com' }, 'mcpHub.servers.x.command: is required for a stdio server'],
    ['x', { command: 'a', args: 'b' }, 'mcpHub.servers.x.args: must be an array of strings'],
    ['x', { command: 'a', args: [1] }, 'mcpHub.servers.x.args: must be an array of strings'],
    ['x', { command: 'a', env: { A: { b: 1 } } }, 'mcpHub.servers.x.env.A: must be a string'],
    ['x', { command: '' }, 'mcpHub.servers.x.command: must be a non-empty string'],
    ['x', { command: 'a', timeout: 0 }, 'mcpHub.servers.x.timeout: must be a positive number of seconds'],
    ['x', { command: 'a', timeout: '5' }, 'mcpHub.servers.x.timeout: must be a positive number of seconds'],
    ['x', { command: 'a', disabled: 'yes' }, 'mcpHub.servers.x.disabled: must be true or false'],
    ['x', { command: 'a', tools: ['a'] }, 'mcpHub.servers.x.tools: must be an object with "allow" and/or "deny" lists'],
    ['x', { command: 'a', tools: { deny: 'a' } }, 'mcpHub.servers.x.tools.deny: must be an array of strings'],
    ['x', { url: 'https://e.com', headers: { A: 1n as unknown } }, 'mcpHub.servers.x.headers.A: must be a string'],
    ['x', { url: 'https://e.com', auth: { callbackPort: 70000 } }, 'mcpHub.servers.x.auth.callbackPort: must be a port number from 1 to 65535'],
    ['x', { url: 'https://e.com', auth: { clientSecret: 's' } }, 'mcpHub.servers.x.auth.clientSecret: needs auth.clientId as well'],
    ['x', { url: 'https://e.com', auth: { pkce: 'plain' } }, 'mcpHub.servers.x.auth.pkce: must be "assume-s256" (or left out)'],
    ['x', { url: 'https://e.com', auth: { resourceIndicator: 'no' } }, 'mcpHub.servers.x.auth.resourceIndicator: must be true or false'],
  ];
  for (const [name, raw, message] of bad) {
    it(`rejects ${JSON.stringify(raw, (_k, v) => (typeof v === 'bigint' ? 'bigint' : v))} with "${message}"`, () => {
      assert.equal(err(parseServer(name, raw, 'user')), message);
    });
  }

  it('validates each entry on its own', () => {
    const result = parseServers({ good: { command: 'a' }, bad: { url: 'nope' }, alsoGood: { url: 'https://e.com/mcp' } }, 'user');
    assert.deepEqual(
      result.map((e) => [e.name, e.ok]),
      [
        ['good', true],
        ['bad', false],
        ['alsoGood', true],
      ],
    );
  });

  it('names the setting when it is not an object', () => {
    const [entry] = parseServers(['a'], 'user');
    assert.equal(err(entry), 'mcpHub.servers: must be an object keyed by server name');
    assert.deepEqual(parseServers(undefined, 'user'), []);
  });

  it('never puts a header or env value into an error message', () => {
    const message = err(parseServer('x', { url: 'https://e.com', headers: { Authorization: 'Bearer SECRET-123' }, timeout: -1 }, 'user'));
    assert.doesNotMatch(message, /SECRET-123/);
  });

  it("never lets a workspace entry hide the person's own entry of the same name: both are kept, the workspace one renamed", () => {
    const merged = mergeScopes(
      parseServers({ a: { command: 'user-a' }, b: { command: 'user-b' } }, 'user'),
      parseServers({ a: { command: 'ws-a' }, c: { command: 'ws-c' } }, 'workspace'),
      parseServers({ a: { command: 'folder-a' }, c: { command: 'folder-c' } }, 'workspaceFolder'),
    );
    assert.deepEqual(
      merged.map((e) => [e.name, e.source, e.settingsKey]),
      [
        ['a', 'user', undefined],
        ['b', 'user', undefined],
        ['a (workspace)', 'workspace', 'a'],
        // A folder entry still overrides a workspace entry of the same key, as VS Code's settings do.
        ['c', 'workspaceFolder', undefined],
        ['a (folder)', 'workspaceFolder', 'a'],
      ],
    );
    const renamed = merged[2];
    assert.ok(renamed.ok && renamed.config.name === 'a (workspace)' && renamed.config.type === 'stdio' && renamed.config.command === 'ws-a');
  });

  it('compares configs structurally, ignoring key order', () => {
    const a = ok(parseServer('s', { command: 'x', env: { A: '1', B: '2' } }, 'user'));
    const b = ok(parseServer('s', { env: { B: '2', A: '1' }, command: 'x' }, 'user'));
    const c = ok(parseServer('s', { command: 'x', env: { A: '1', B: '3' } }, 'user'));
    assert.ok(sameConfig(a, b));
    assert.ok(!sameConfig(a, c));
  });
});

describe('tool filter', () => {
  it('applies allow, then deny, with * wildcards', () => {
    const f = { allow: ['read_*', 'search'], deny: ['read_secret*'] };
    assert.ok(isToolAllowed(f, 'read_file'));
    assert.ok(isToolAllowed(f, 'search'));
    assert.ok(!isToolAllowed(f, 'write_file'));
    assert.ok(!isToolAllowed(f, 'read_secrets'));
    assert.ok(isToolAllowed({}, 'anything'));
    assert.ok(!isToolAllowed({ deny: ['*'] }, 'anything'));
    assert.ok(!isToolAllowed({ allow: ['a.b'] }, 'aXb'), 'a dot is literal');
  });
});

describe("auth options for authorization servers' quirks", () => {
  type Schema = { type?: string; enum?: unknown[]; default?: unknown; properties?: Record<string, Schema>; additionalProperties?: Schema; anyOf?: Schema[] };
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Schema> } } };
  const entry = manifest.contributes.configuration.properties['mcpHub.servers'].additionalProperties!;
  const authSchema = entry.anyOf!.find((b) => b.properties?.auth)!.properties!.auth.properties!;

  it('are off unless set, and each is a warning on the row while on', () => {
    const plain = ok(parseServer('x', { url: 'https://e.com', auth: { scope: 'a' } }, 'user'));
    assert.deepEqual(authQuirkWarnings(plain.auth, 'mcpHub.servers.x'), []);
    const on = ok(parseServer('x', { url: 'https://e.com', auth: { pkce: 'assume-s256', resourceIndicator: false } }, 'user'));
    assert.deepEqual(on.auth, { pkce: 'assume-s256', resourceIndicator: false });
    const warnings = authQuirkWarnings(on.auth, 'mcpHub.servers.x');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /^mcpHub\.servers\.x\.auth\.pkce is "assume-s256"/);
    assert.match(warnings[1], /^mcpHub\.servers\.x\.auth\.resourceIndicator is false/);
    // resourceIndicator true is the default, said out loud: nothing to warn about.
    assert.deepEqual(ok(parseServer('x', { url: 'https://e.com', auth: { resourceIndicator: true } }, 'user')).auth, {});
  });

  it('take exactly the values the settings schema in package.json offers', () => {
    const pkce = authSchema.pkce;
    for (const value of pkce.enum!) assert.ok(parseServer('x', { url: 'https://e.com', auth: { pkce: value } }, 'user').ok, String(value));
    assert.ok(!parseServer('x', { url: 'https://e.com', auth: { pkce: 'S256' } }, 'user').ok);
    const resourceIndicator = authSchema.resourceIndicator;
    assert.equal(resourceIndicator.type, 'boolean');
    assert.equal(resourceIndicator.default, true);
    for (const value of [true, false]) assert.ok(parseServer('x', { url: 'https://e.com', auth: { resourceIndicator: value } }, 'user').ok);
  });
});

describe('registry provenance ("registry": { url, name, version })', () => {
  type Schema = {
    type?: string;
    required?: string[];
    pattern?: string;
    maxLength?: number;
    properties?: Record<string, Schema>;
    additionalProperties?: Schema | boolean;
    anyOf?: Schema[];
  };
  const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, Schema> } } };
  const branches = manifest.contributes.configuration.properties['mcpHub.servers'].additionalProperties as Schema;
  const provenance = { url: 'https://registry.modelcontextprotocol.io', name: 'io.github.acme/weather', version: '1.2.0' };

  it('is read on stdio and remote entries alike, and is in both branches of the schema', () => {
    assert.deepEqual(ok(parseServer('w', { command: 'npx', args: ['-y', 'weather@1.2.0'], registry: provenance }, 'user')).registry, provenance);
    assert.deepEqual(ok(parseServer('w', { url: 'https://mcp.example.com/mcp', registry: provenance }, 'user')).registry, provenance);
    assert.equal(ok(parseServer('w', { command: 'npx' }, 'user')).registry, undefined);
    for (const branch of branches.anyOf!) {
      const schema = branch.properties!.registry;
      assert.deepEqual(schema.required, ['url', 'name', 'version']);
      assert.equal(schema.additionalProperties, false);
      assert.deepEqual(Object.keys(schema.properties!).sort(), ['name', 'url', 'version']);
      assert.equal(schema.properties!.name.maxLength, 200);
      assert.equal(schema.properties!.version.maxLength, 255);
    }
  });

  it('names the field that is wrong, never the value', () => {
    const bad = (registry: unknown) => err(parseServer('w', { command: 'npx', registry }, 'user'));
    assert.match(bad('https://r.example'), /^mcpHub\.servers\.w\.registry: must be an object/);
    assert.match(bad({ ...provenance, url: 'javascript:alert(1)' }), /^mcpHub\.servers\.w\.registry\.url: /);
    assert.match(bad({ ...provenance, url: 'https://user:pw@r.example' }), /^mcpHub\.servers\.w\.registry\.url: /);
    assert.match(bad({ ...provenance, name: '' }), /^mcpHub\.servers\.w\.registry\.name: /);
    assert.match(bad({ ...provenance, version: 'x'.repeat(256) }), /^mcpHub\.servers\.w\.registry\.version: /);
    assert.match(bad({ ...provenance, extra: 1 }), /^mcpHub\.servers\.w\.registry: takes "url", "name" and "version" only/);
    assert.ok(!bad({ ...provenance, version: 'secret-value-123', url: 'ftp://x' }).includes('secret-value-123'));
  });

  it('is part of the entry, so a new version is a changed entry (the hub restarts it)', () => {
    const a = ok(parseServer('w', { url: 'https://mcp.example.com/mcp', registry: provenance }, 'user'));
    const b = ok(parseServer('w', { url: 'https://mcp.example.com/mcp', registry: { ...provenance, version: '1.3.0' } }, 'user'));
    assert.ok(!sameConfig(a, b));
  });
});
