// A tool's MCP App as the tool runner takes it: the resource checked (MIME type, text or base64, size
// cap), the policy built from _meta.ui.csp with nothing wider (public https/wss origins only, no
// 'self'), the declared permissions only, the app's resource URI and visibility read from the tool,
// the protocol messages that carry an app validated, and the sandbox server's refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tool } from '@modelcontextprotocol/client';
import { APP_HTML_MAX_CHARS, appCsp, appPermissions, appPolicy, appResourceFrom, cspSource } from '../../src/core/apps/app-resource';
import { AppSandboxServer } from '../../src/core/apps/sandbox-server';
import { isHubError } from '../../src/core/errors';
import { appMayCall, appResourceUri, isDestructive, MCP_APP_MIME_TYPE } from '../../src/core/mcp-apps';
import { parseWorkbenchMessage, parseWorkbenchUpdate } from '../../src/protocol';
import { MemoryLogger } from '../helpers';

const URI = 'ui://t/app.html';
const read = (content: Record<string, unknown>) => ({ contents: [{ uri: URI, mimeType: MCP_APP_MIME_TYPE, text: '<p>app</p>', ...content }] as never });
const unavailable = (f: () => unknown, message: RegExp) => assert.throws(f, (e: unknown) => isHubError(e, 'app_unavailable') && message.test((e as Error).message));

describe('an MCP App resource', () => {
  it('takes the MCP Apps document as text or base64, and refuses anything else, an empty one or one over the cap', () => {
    assert.equal(appResourceFrom(read({}), URI).html, '<p>app</p>');
    assert.equal(appResourceFrom(read({ text: undefined, blob: Buffer.from('<b>blob</b>').toString('base64') }), URI).html, '<b>blob</b>');
    unavailable(() => appResourceFrom(read({ mimeType: 'text/html' }), URI), /not an MCP App/);
    unavailable(() => appResourceFrom({ contents: [] }, URI), /no content/);
    unavailable(() => appResourceFrom(read({ text: '  ' }), URI), /empty/);
    unavailable(() => appResourceFrom(read({ text: 'x'.repeat(APP_HTML_MAX_CHARS + 1) }), URI), /larger than 5 MB/);
    unavailable(() => appResourceFrom(read({ text: undefined, blob: 'QUFB'.repeat(APP_HTML_MAX_CHARS) }), URI), /larger than 5 MB/);
  });

  it("reads _meta.ui from the content, else from the resource's entry in resources/list", () => {
    const csp = { connectDomains: ['https://api.example.com'] };
    assert.deepEqual(appResourceFrom(read({ _meta: { ui: { csp, prefersBorder: false } } }), URI).csp.connectDomains, ['https://api.example.com']);
    const listed = { uri: URI, name: 'app', _meta: { ui: { csp: { resourceDomains: ['https://cdn.example.com'] }, permissions: { camera: {} } } } };
    const app = appResourceFrom(read({}), URI, listed);
    assert.deepEqual(app.csp.resourceDomains, ['https://cdn.example.com']);
    assert.deepEqual(app.permissions, ['camera']);
  });

  it('allows public https and wss origins only, and names what it left out', () => {
    for (const ok of ['https://cdn.example.com', 'https://*.example.com', 'wss://rt.example.com:8443', 'https://api.example.com/v1/', 'https://8.8.8.8'])
      assert.equal(cspSource(ok), ok);
    for (const bad of [
      '*',
      'https:',
      "'unsafe-eval'",
      "'self'",
      'data:',
      'http://example.com',
      'https://localhost:3000',
      'https://127.0.0.1',
      'https://10.0.0.1',
      'https://192.168.1.1',
      'https://169.254.169.254',
      'https://*.com',
      'https://intranet',
      'https://example.com; script-src *',
      'https://example.com https://evil.example',
      "https://example.com'",
      42,
    ])
      assert.equal(cspSource(bad), undefined, String(bad));
    const { csp, dropped } = appCsp({ connectDomains: ['https://API.example.com', 'https://api.example.com', 'http://10.0.0.1'], frameDomains: 'nope', extra: ['x'] });
    assert.deepEqual(csp.connectDomains, ['https://api.example.com'], 'lower-cased, once');
    assert.deepEqual(dropped, ['connectDomains: http://10.0.0.1']);
    assert.deepEqual(appPermissions({ camera: {}, microphone: true, usb: {} }), { permissions: ['camera'], dropped: ['permissions: usb'] });
  });

  it("builds the app's policy from its domains, with 'none' where it declared none, and never 'self'", () => {
    const none = appPolicy({ connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
    assert.equal(
      none,
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:; media-src data:; connect-src 'none'; frame-src 'none'; base-uri 'none'; object-src 'none'; form-action 'none'",
    );
    const some = appPolicy({
      connectDomains: ['wss://rt.example.com'],
      resourceDomains: ['https://cdn.example.com'],
      frameDomains: ['https://www.youtube.com'],
      baseUriDomains: [],
    });
    assert.match(some, /script-src 'unsafe-inline' https:\/\/cdn\.example\.com;/);
    assert.match(some, /img-src data: https:\/\/cdn\.example\.com;/);
    assert.match(some, /connect-src wss:\/\/rt\.example\.com;/);
    assert.match(some, /frame-src https:\/\/www\.youtube\.com;/);
    assert.doesNotMatch(some, /'self'|'unsafe-eval'/);
  });

  it("finds a tool's app and who may call it", () => {
    const tool = (meta: Record<string, unknown>, annotations?: Tool['annotations']): Tool => ({
      name: 't',
      inputSchema: { type: 'object' },
      _meta: meta,
      ...(annotations ? { annotations } : {}),
    });
    assert.equal(appResourceUri(tool({ ui: { resourceUri: URI } })), URI);
    assert.equal(appResourceUri(tool({ 'ui/resourceUri': URI })), URI, 'the older flat key');
    assert.equal(appResourceUri(tool({ ui: { resourceUri: 'https://example.com/app.html' } })), undefined, 'ui:// only');
    assert.equal(appMayCall(tool({ ui: { visibility: ['model'] } })), false);
    assert.equal(appMayCall(tool({ ui: { visibility: ['app'] } })), true);
    assert.equal(appMayCall(tool({})), true, 'no visibility: both');
    assert.equal(isDestructive(tool({}, { destructiveHint: true })), true);
    assert.equal(isDestructive(tool({}, { destructiveHint: true, readOnlyHint: true })), false);
  });
});

describe('the protocol messages of MCP Apps', () => {
  const view = {
    sandboxUrl: 'http://127.0.0.1:5/app/a/b',
    html: '<p>x</p>',
    csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
    permissions: ['camera'],
    locale: 'en',
    dropped: [],
    tool: { name: 't' },
  };

  it('takes an app, its tool calls and answers only when well formed', () => {
    assert.ok(parseWorkbenchUpdate({ type: 'app', runId: 'r1', app: view }));
    assert.equal(parseWorkbenchUpdate({ type: 'app', runId: 'r1', app: { ...view, html: 'x'.repeat(APP_HTML_MAX_CHARS + 1) } }), undefined, 'over the cap');
    assert.equal(parseWorkbenchUpdate({ type: 'app', runId: 'r1', app: { ...view, sandboxUrl: 'javascript:alert(1)' } }), undefined);
    assert.equal(parseWorkbenchUpdate({ type: 'app', runId: 'r1', app: { ...view, permissions: ['usb'] } }), undefined);
    assert.ok(parseWorkbenchUpdate({ type: 'appCallResult', callId: 'c1', result: { content: [] } }));
    assert.ok(parseWorkbenchUpdate({ type: 'appConfirm', callId: 'c1', tool: 'Delete' }));
    assert.deepEqual(parseWorkbenchMessage({ type: 'appCallTool', runId: 'r1', callId: 'c1', name: 'get-time', arguments: {} }), {
      type: 'appCallTool',
      runId: 'r1',
      callId: 'c1',
      name: 'get-time',
      arguments: {},
    });
    assert.equal(parseWorkbenchMessage({ type: 'appCallTool', runId: 'r1', callId: 'c1', name: 'get-time', arguments: [] }), undefined);
    assert.equal(parseWorkbenchMessage({ type: 'appCallTool', runId: 'r1', callId: 'c 1', name: 'get-time', arguments: {} }), undefined);
    assert.equal(parseWorkbenchMessage({ type: 'appCallTool', runId: 'r1', callId: 'c1', name: 'x', arguments: {}, extra: 1 }), undefined);
    assert.deepEqual(parseWorkbenchMessage({ type: 'appConfirmed', callId: 'c1', run: true }), { type: 'appConfirmed', callId: 'c1', run: true });
    assert.equal(parseWorkbenchMessage({ type: 'appConfirmed', callId: 'c1', run: 'yes' }), undefined);
    assert.deepEqual(parseWorkbenchMessage({ type: 'appClosed', runId: 'r1' }), { type: 'appClosed', runId: 'r1' });
  });
});

describe('the MCP Apps sandbox server', () => {
  it('answers GET for a known session at a known Host only', async () => {
    const logger = new MemoryLogger();
    const server = new AppSandboxServer(logger);
    const port = await server.start();
    try {
      const session = server.open("default-src 'none'");
      const url = `http://127.0.0.1:${port}${session.path}`;
      const ok = await fetch(url);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('content-security-policy'), "default-src 'none'");
      assert.match(await ok.text(), /SANDBOX \+ 'proxy-ready'/);
      // A name that resolves here but was never said to reach the pages (DNS rebinding).
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) =>
        request(url, { headers: { Host: `evil.example:${port}` } }, (res) => resolve(res.statusCode ?? 0))
          .on('error', reject)
          .end(),
      );
      assert.equal(status, 421);
      server.allowHost(`evil.example:${port}`);
      session.dispose();
      assert.equal((await fetch(url)).status, 404, 'a disposed session is gone');
      assert.equal(server.openSessions, 0);
      assert.match(logger.text(), /refused a request \(unknown Host\)/);
      assert.doesNotMatch(logger.text(), new RegExp(session.path.split('/')[3]), 'the secret is never logged');
    } finally {
      await server.close();
    }
  });
});
