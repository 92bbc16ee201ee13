import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAccess, parseMatchers, policyRefusal } from '../../src/core/policy';

describe("VS Code's MCP policies, matched as VS Code matches them", () => {
  it('reads chat.mcp.access, failing closed on anything unknown', () => {
    assert.equal(parseAccess(undefined), 'all');
    assert.equal(parseAccess('all'), 'all');
    assert.equal(parseAccess('registry'), 'registry');
    assert.equal(parseAccess('none'), 'none');
    assert.equal(parseAccess('None'), 'none');
    assert.equal(parseAccess(false), 'none');
    assert.equal(parseAccess({}), 'none');
  });

  it('keeps list entries that name exactly one of name, URL or command', () => {
    assert.equal(parseMatchers(undefined), undefined);
    assert.equal(parseMatchers(null), undefined);
    assert.deepEqual(
      parseMatchers([
        { serverName: 'a' },
        { serverUrl: 'https://x.example/mcp' },
        { serverCommand: ['npx', 'pkg'] },
        { serverName: 'a', serverUrl: 'https://x' },
        { serverName: '' },
        { serverCommand: [] },
        { serverCommand: ['npx', 1] },
        'a',
        null,
      ]),
      [{ serverName: 'a' }, { serverUrl: 'https://x.example/mcp' }, { serverCommand: ['npx', 'pkg'] }],
    );
  });

  it('refuses everything with access none or registry, naming the setting', () => {
    assert.match(policyRefusal({ access: 'none' }, { name: 'x' }) ?? '', /chat\.mcp\.access: none/);
    assert.match(policyRefusal({ access: 'registry' }, { name: 'x', url: 'https://x.example/mcp' }) ?? '', /chat\.mcp\.access: registry/);
    assert.equal(policyRefusal({ access: 'all' }, { name: 'x', url: 'https://x.example/mcp' }), undefined);
  });

  it('denies by name, by URL (origin, path and query, any case, * as a wildcard) and by exact command line', () => {
    const policy = {
      access: 'all' as const,
      denied: [{ serverName: 'evil' }, { serverUrl: 'https://*.bad.example/*' }, { serverUrl: 'https://Tools.Example/mcp' }, { serverCommand: ['npx', 'leaky-server'] }],
    };
    assert.match(policyRefusal(policy, { name: 'evil', command: ['node', 'x.js'] }) ?? '', /deny list .*serverName evil/);
    assert.match(policyRefusal(policy, { name: 'a', url: 'https://eu.bad.example/v1/mcp' }) ?? '', /deny list/);
    assert.match(policyRefusal(policy, { name: 'a', url: 'https://tools.example/mcp' }) ?? '', /deny list/);
    assert.match(policyRefusal(policy, { name: 'a', command: ['npx', 'leaky-server'] }) ?? '', /deny list/);
    assert.equal(policyRefusal(policy, { name: 'a', command: ['npx', 'leaky-server', '--safe'] }), undefined);
    assert.equal(policyRefusal(policy, { name: 'a', url: 'https://tools.example/mcp/other' }), undefined);
    assert.equal(policyRefusal(policy, { name: 'a', url: 'https://bad.example.attacker.test/x' }), undefined);
  });

  it('with an allow list, runs only what it matches; a deny match still wins', () => {
    const policy = { access: 'all' as const, allowed: [{ serverUrl: 'https://mcp.company.example/*' }, { serverName: 'local' }], denied: [{ serverName: 'local' }] };
    assert.equal(policyRefusal(policy, { name: 'wiki', url: 'https://mcp.company.example/wiki' }), undefined);
    assert.match(policyRefusal(policy, { name: 'wiki', url: 'https://mcp.company.example.evil.test/wiki' }) ?? '', /not on the allow list/);
    assert.match(policyRefusal(policy, { name: 'local', command: ['node', 's.js'] }) ?? '', /deny list/);
    assert.match(policyRefusal({ access: 'all', allowed: [] }, { name: 'any', command: ['node'] }) ?? '', /not on the allow list/);
    // A wildcard in the host stays in the host.
    const hosts = { access: 'all' as const, allowed: [{ serverUrl: 'https://*.company.example/*' }] };
    assert.equal(policyRefusal(hosts, { name: 'a', url: 'https://eu.company.example/mcp' }), undefined);
    assert.match(policyRefusal(hosts, { name: 'a', url: 'https://evil.test/x.company.example/mcp' }) ?? '', /not on the allow list/);
    assert.match(policyRefusal(hosts, { name: 'a', url: 'https://user@evil.test/.company.example/mcp' }) ?? '', /not on the allow list/);
  });
});
