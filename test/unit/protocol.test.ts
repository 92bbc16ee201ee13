import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExtensionMessage, parseWebviewMessage, statusLabel, type ServerView } from '../../src/protocol';

describe('webview message validation', () => {
  it('accepts the known messages', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'showLogs' }), { type: 'showLogs' });
    assert.deepEqual(parseWebviewMessage({ type: 'connectClient' }), { type: 'connectClient' });
    assert.deepEqual(parseWebviewMessage({ type: 'addServer' }), { type: 'addServer' });
    assert.equal(parseWebviewMessage({ type: 'addServer', registry: 'https://evil.example' }), undefined);
    assert.deepEqual(parseWebviewMessage({ type: 'action', action: 'update', server: 'weather' }), { type: 'action', action: 'update', server: 'weather' });
    for (const type of ['enterpriseSignIn', 'enterpriseCancel', 'enterpriseSignOut'] as const) {
      assert.deepEqual(parseWebviewMessage({ type }), { type });
      assert.equal(parseWebviewMessage({ type, server: 'x' }), undefined);
    }
    assert.deepEqual(parseWebviewMessage({ type: 'action', action: 'restart', server: 'gh' }), { type: 'action', action: 'restart', server: 'gh' });
  });

  it('accepts the workbench intents, each with exactly its fields', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'runTool', server: 'gh', tool: 'search' }), { type: 'runTool', server: 'gh', tool: 'search' });
    assert.deepEqual(parseWebviewMessage({ type: 'setToolEnabled', server: 'gh', tool: 'rm', enabled: false }), {
      type: 'setToolEnabled',
      server: 'gh',
      tool: 'rm',
      enabled: false,
    });
    assert.deepEqual(parseWebviewMessage({ type: 'openResource', server: 'gh', uri: 'file:///a' }), { type: 'openResource', server: 'gh', uri: 'file:///a' });
    assert.deepEqual(parseWebviewMessage({ type: 'openPrompt', server: 'gh', prompt: 'review' }), { type: 'openPrompt', server: 'gh', prompt: 'review' });
    for (const type of ['openTemplates', 'showTrace', 'copyDiagnostics']) assert.deepEqual(parseWebviewMessage({ type, server: 'gh' }), { type, server: 'gh' });
    // prettier-ignore
    for (const bad of [
      { type: 'runTool', server: 'gh' }, { type: 'runTool', server: 'gh', tool: 'x', args: {} }, { type: 'runTool', server: 'gh', tool: '' },
      { type: 'setToolEnabled', server: 'gh', tool: 'rm', enabled: 'false' }, { type: 'openResource', server: 'gh', uri: 'x'.repeat(8193) },
      { type: 'showTrace', server: 7 }, { type: 'copyDiagnostics' }, { type: 'openPrompt', server: 'gh', prompt: null },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('rejects anything else', () => {
    // prettier-ignore
    for (const bad of [
      null, 'ready', 42, [], {}, { type: 'nope' }, { type: 'ready', extra: 1 },
      { type: 'action', action: 'rm -rf', server: 'gh' }, { type: 'action', action: 'stop' },
      { type: 'action', action: 'stop', server: '' }, { type: 'action', action: 'stop', server: 'x'.repeat(201) },
      { type: 'action', action: 'stop', server: { toString: () => 'gh' } }, { type: 'action', action: '__proto__', server: 'gh' },
      { type: 'connectClient', url: 'x' },
    ]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('checks messages from the extension too', () => {
    assert.equal(parseExtensionMessage({ type: 'servers', servers: [{ name: 1 }] }), undefined);
    assert.ok(parseExtensionMessage({ type: 'servers', servers: [] }));
    assert.ok(parseExtensionMessage({ type: 'servers', servers: [], gateway: { on: true, address: '127.0.0.1:4567', sessions: 2 } }));
    assert.ok(parseExtensionMessage({ type: 'servers', servers: [], gateway: { on: false } }));
    assert.equal(parseExtensionMessage({ type: 'servers', servers: [], gateway: { on: true, address: 1 } }), undefined);
    assert.equal(parseExtensionMessage({ type: 'servers', servers: [], gateway: 'on' }), undefined);
    assert.ok(parseExtensionMessage({ type: 'servers', servers: [], enterprise: { label: 'idp.example.com', signedIn: true, signingIn: false, via: 'hub', account: 'Ada' } }));
    assert.equal(parseExtensionMessage({ type: 'servers', servers: [], enterprise: { label: 'idp.example.com', signedIn: 'yes', signingIn: false, via: 'hub' } }), undefined);
    assert.equal(
      parseExtensionMessage({ type: 'servers', servers: [], enterprise: { label: 'idp.example.com', signedIn: true, signingIn: false, via: 'hub', account: 7 } }),
      undefined,
    );
    assert.ok(parseExtensionMessage({ type: 'update', servers: [], removed: ['gh'] }));
    assert.equal(parseExtensionMessage({ type: 'update', servers: [] }), undefined);
    assert.equal(parseExtensionMessage({ type: 'update', servers: [{ name: 'x' }], removed: [] }), undefined);
  });
});

describe('status words', () => {
  const base: ServerView = { name: 'gh', transport: 'http', target: '', source: 'user', status: 'running', tools: [], resourceCount: 0, promptCount: 0, actions: [] };
  it('reads like the panel should', () => {
    assert.equal(statusLabel({ ...base, tools: Array.from({ length: 12 }, (_, i) => ({ name: `t${i}` })) }), 'Connected · 12 tools');
    assert.equal(statusLabel({ ...base, tools: [{ name: 't' }] }), 'Connected · 1 tool');
    assert.equal(statusLabel({ ...base, status: 'starting' }), 'Starting…');
    assert.equal(statusLabel({ ...base, status: 'authRequired' }), 'Authentication required');
    assert.equal(statusLabel({ ...base, status: 'authenticating' }), 'Waiting for authorization…');
    assert.equal(statusLabel({ ...base, status: 'error', message: 'Command not found: npx' }), 'Error: Command not found: npx');
    assert.equal(statusLabel({ ...base, status: 'stopped' }), 'Stopped');
    assert.equal(statusLabel({ ...base, status: 'disabled' }), 'Disabled');
  });
});
