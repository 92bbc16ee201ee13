// MCP Apps metadata as the gateway carries it: which tools are app-only, the app's resource URI
// rewritten in both spellings with the rest of `_meta.ui` kept, which clients render apps, and the
// extension as the servers behind one endpoint declare it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tool } from '@modelcontextprotocol/client';
import { appsExtensionOf, isAppOnly, MCP_APP_MIME_TYPE, MCP_APPS_EXTENSION, rendersApps, withAppUri } from '../../src/core/mcp-apps';

const tool = (meta?: Record<string, unknown>): Tool => ({ name: 't', inputSchema: { type: 'object' }, ...(meta ? { _meta: meta } : {}) });

describe('MCP Apps metadata', () => {
  it('calls a tool app-only when its visibility leaves out "model", and only then', () => {
    assert.equal(isAppOnly(tool({ ui: { resourceUri: 'ui://a/b', visibility: ['app'] } })), true);
    assert.equal(isAppOnly(tool({ ui: { visibility: [] } })), true);
    assert.equal(isAppOnly(tool({ ui: { resourceUri: 'ui://a/b', visibility: ['model', 'app'] } })), false);
    assert.equal(isAppOnly(tool({ ui: { resourceUri: 'ui://a/b' } })), false, 'no visibility: both');
    assert.equal(isAppOnly(tool()), false);
    assert.equal(isAppOnly(tool({ ui: 'nonsense' })), false);
  });

  it('rewrites the app resource URI in both spellings and keeps the rest of _meta', () => {
    const rewritten = withAppUri(
      tool({ ui: { resourceUri: 'ui://a/b', visibility: ['app'], csp: { connectDomains: ['https://x'] }, permissions: { camera: {} } }, 'ui/resourceUri': 'ui://a/b', other: 1 }),
      (uri) => `ui://srv/${uri.slice('ui://'.length)}`,
    );
    assert.deepEqual(rewritten._meta, {
      ui: { resourceUri: 'ui://srv/a/b', visibility: ['app'], csp: { connectDomains: ['https://x'] }, permissions: { camera: {} } },
      'ui/resourceUri': 'ui://srv/a/b',
      other: 1,
    });
    const plain = tool({ other: 1 });
    assert.equal(
      withAppUri(plain, () => 'x'),
      plain,
      'a tool without an app is left as it is',
    );
  });

  it('knows a client renders apps from its declared extension (and the app MIME type, when it lists types)', () => {
    assert.equal(rendersApps({ extensions: { [MCP_APPS_EXTENSION]: { mimeTypes: [MCP_APP_MIME_TYPE] } } }), true);
    assert.equal(rendersApps({ extensions: { [MCP_APPS_EXTENSION]: {} } }), true);
    assert.equal(rendersApps({ extensions: { [MCP_APPS_EXTENSION]: { mimeTypes: ['text/plain'] } } }), false);
    assert.equal(rendersApps({ extensions: { other: {} } }), false);
    assert.equal(rendersApps({}), false);
    assert.equal(rendersApps(undefined), false);
  });

  it('declares the extension as the servers behind an endpoint do: not at all, as it is, or with their MIME types together', () => {
    assert.equal(appsExtensionOf([undefined, { other: {} }]), undefined);
    assert.deepEqual(appsExtensionOf([{ [MCP_APPS_EXTENSION]: {} }]), {});
    assert.deepEqual(appsExtensionOf([{ [MCP_APPS_EXTENSION]: { mimeTypes: [MCP_APP_MIME_TYPE] } }, { [MCP_APPS_EXTENSION]: { mimeTypes: ['text/x', MCP_APP_MIME_TYPE] } }]), {
      mimeTypes: [MCP_APP_MIME_TYPE, 'text/x'],
    });
  });
});
