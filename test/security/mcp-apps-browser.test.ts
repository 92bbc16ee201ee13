// MCP Apps in the tool runner tab, in Chromium (what VS Code's webviews run on): the tab's page as
// src/vscode/webview-html.ts writes it (a nonce CSP whose only frame-src is the sandbox server), the
// workbench bundle built from source, the real sandbox proxy server, and real apps: the published
// @modelcontextprotocol/server-basic-vanillajs app renders, gets its input and result, and a button
// in it calls a tool through the tab; hostile apps try to reach the tab, VS Code's API, the network
// beyond their CSP, forge the extension's messages, throw, and flood, and the tab stays whole.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { appPolicy, appResourceFrom } from '../../src/core/apps/app-resource';
import { AppSandboxServer } from '../../src/core/apps/sandbox-server';
import { MCP_APP_MIME_TYPE } from '../../src/core/mcp-apps';
import type { AppView, ExtensionToWorkbench, ToolDetail } from '../../src/protocol';
import { buildWebviewAssets } from '../fixtures/webview-assets';
import { MemoryLogger } from '../helpers';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = 20_000;
const BASIC_HTML = readFileSync(join(dirname(require.resolve('@modelcontextprotocol/server-basic-vanillajs')), 'mcp-app.html'), 'utf8');

type Posted = { type: string; [k: string]: unknown };

describe('MCP Apps in the tool runner, in Chromium', { skip: existsSync(CHROMIUM) ? false : `needs Chromium at ${CHROMIUM} (bash e2e/setup.sh)` }, () => {
  let dir: string;
  let browser: Browser;
  let page: Page;
  let sandbox: AppSandboxServer;
  let sandboxPort: number;
  let tabServer: Server;
  let tabOrigin: string;
  /** Requests that reached the "outside" server, which no app declared. */
  const outside: string[] = [];
  let outsideServer: Server;
  let outsideOrigin: string;

  // As VS Code's webview host delivers them: posted to the page from its own origin.
  const deliver = (message: ExtensionToWorkbench) => page.evaluate<void>(`window.postMessage(${JSON.stringify(message)}, window.location.origin)`);
  const posted = () => page.evaluate<Posted[]>('window.__posted');
  const app = (): FrameLocator => page.frameLocator('mcp-app-frame iframe').frameLocator('iframe');

  async function waitForPosted(match: (m: Posted) => boolean, what: string): Promise<Posted> {
    const end = Date.now() + TIMEOUT;
    for (;;) {
      const found = (await posted()).find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`the tab never posted ${what}`);
      await page.waitForTimeout(50);
    }
  }

  function appView(html: string, meta: Record<string, unknown> = {}): AppView {
    const resource = appResourceFrom({ contents: [{ uri: 'ui://t/app.html', mimeType: MCP_APP_MIME_TYPE, text: html, _meta: { ui: meta } }] }, 'ui://t/app.html');
    const session = sandbox.open(appPolicy(resource.csp));
    return {
      sandboxUrl: `http://127.0.0.1:${sandboxPort}${session.path}`,
      html: resource.html,
      csp: resource.csp,
      permissions: resource.permissions,
      locale: 'en',
      dropped: resource.dropped,
      tool: { name: 'get-time', inputSchema: { type: 'object' } },
    };
  }

  /** Opens a fresh tab for a tool with an app, runs it, and frames `view` for that run. */
  async function runWithApp(view: AppView, options: { tool?: Partial<ToolDetail>; first?: (runId: string) => Promise<void> } = {}): Promise<string> {
    await page.goto(`${tabOrigin}/`);
    await deliver({
      type: 'tool',
      server: 'basic',
      status: 'running',
      tool: { name: 'get-time', title: 'Get Time', inputSchema: { type: 'object' }, app: true, ...options.tool },
      history: [],
    });
    await page.locator('mcp-schema-form vscode-button', { hasText: 'Run' }).click();
    const run = await waitForPosted((m) => m.type === 'run', 'a run');
    const runId = String(run.runId);
    await options.first?.(runId);
    await deliver({ type: 'app', runId, app: view });
    return runId;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-hub-apps-browser-'));
    await buildWebviewAssets(dir, 'webview-ui/workbench.ts');
    sandbox = new AppSandboxServer(new MemoryLogger());
    sandboxPort = await sandbox.start();
    outsideServer = createServer((req, res) => {
      outside.push(req.url ?? '');
      res.writeHead(200, { 'Access-Control-Allow-Origin': '*' }).end('outside');
    });
    await new Promise<void>((r) => outsideServer.listen(0, '127.0.0.1', r));
    outsideOrigin = `http://localhost:${(outsideServer.address() as { port: number }).port}`;
    // The tab's page: a nonce for our script, the sandbox server's pages as the only frames.
    tabServer = createServer((req, res) => {
      const file = (req.url ?? '/').split('?')[0];
      if (file === '/') {
        const nonce = randomBytes(16).toString('base64');
        const csp = `default-src 'none'; style-src ${tabOrigin}; font-src ${tabOrigin}; img-src ${tabOrigin} data:; media-src data:; frame-src http://127.0.0.1:${sandboxPort}/; script-src 'nonce-${nonce}'`;
        res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/codicons/codicon.css" id="vscode-codicon-stylesheet"><link rel="stylesheet" href="/webview.css"></head>
<body data-view="tool" class="vscode-dark"><div id="root"></div>
<script nonce="${nonce}">window.__posted = []; window.__secret = 'tab-secret';
for (const [k, v] of [['--vscode-editor-background', '#1e1e1e'], ['--vscode-foreground', '#cccccc'], ['--vscode-font-family', 'sans-serif']]) document.documentElement.style.setProperty(k, v);
window.acquireVsCodeApi = () => ({ postMessage(m) { window.__posted.push(m); }, getState: () => undefined, setState() {} });</script>
<script type="module" nonce="${nonce}" src="/workbench.js"></script></body></html>`);
        return;
      }
      const path = join(dir, file.replace(/\.\./g, ''));
      if (!existsSync(path)) return void res.writeHead(404).end();
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      res.writeHead(200, { 'Content-Type': type }).end(readFileSync(path));
    });
    await new Promise<void>((r) => tabServer.listen(0, '127.0.0.1', r));
    tabOrigin = `http://127.0.0.1:${(tabServer.address() as { port: number }).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    page.setDefaultTimeout(TIMEOUT);
  });

  after(async () => {
    await browser?.close();
    await sandbox?.close();
    await new Promise((r) => tabServer?.close(r));
    await new Promise((r) => outsideServer?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders the published basic app, gives it the run input and result, and proxies its tool call through the tab', async () => {
    const runId = await runWithApp(appView(BASIC_HTML));
    await deliver({
      type: 'result',
      runId,
      result: { content: [{ type: 'text', text: '2031-01-02T03:04:05.000Z' }], structuredContent: { time: '2031-01-02T03:04:05.000Z' } },
      ms: 3,
    });
    await app().locator('#server-time', { hasText: '2031-01-02T03:04:05.000Z' }).waitFor();
    // The app's own button: tools/call for get-time comes to the tab, which asks the extension.
    await app().getByRole('button', { name: 'Get Server Time' }).click();
    const call = await waitForPosted((m) => m.type === 'appCallTool', "the app's tool call");
    assert.equal(call.runId, runId);
    assert.equal(call.name, 'get-time');
    await deliver({
      type: 'appCallResult',
      callId: String(call.callId),
      result: { content: [{ type: 'text', text: '2032-05-06T07:08:09.000Z' }], structuredContent: { time: '2032-05-06T07:08:09.000Z' } },
    });
    await app().locator('#server-time', { hasText: '2032-05-06T07:08:09.000Z' }).waitFor();
    // Its message shows in the tab as text; its link goes to the extension (which asks VS Code).
    await app().getByRole('button', { name: 'Send Message' }).click();
    await page.locator('mcp-app-frame [data-said="message"]', { hasText: 'This is message text.' }).waitFor();
    await app().getByRole('button', { name: 'Open Link' }).click();
    const link = await waitForPosted((m) => m.type === 'openLink', 'the link');
    assert.equal(link.url, 'https://modelcontextprotocol.io/');
    // The text result is one click away.
    const details = page.locator('details.text-result');
    await details.locator('> summary').click();
    await details.locator('mcp-tool-result').filter({ hasText: '2031-01-02T03:04:05.000Z' }).waitFor();
  });

  it("asks the person in the tab before an app's call to a destructive tool runs, and the answer goes to the extension", async () => {
    const runId = await runWithApp(appView(BASIC_HTML));
    await deliver({ type: 'result', runId, result: { content: [{ type: 'text', text: 'first' }], structuredContent: { time: 'first' } }, ms: 1 });
    await app().locator('#server-time', { hasText: 'first' }).waitFor();
    const dialog = page.locator('mcp-app-frame [role="alertdialog"]');

    // The extension finds the tool destructive and asks: the tab shows the question, with the tool's
    // name (the server's text) as text only; Don't Run declines, and the app's call fails.
    await app().getByRole('button', { name: 'Get Server Time' }).click();
    const first = await waitForPosted((m) => m.type === 'appCallTool', "the app's tool call");
    const markup = '<img src=x onerror="window.__pwned=1">wipe';
    await deliver({ type: 'appConfirm', callId: String(first.callId), tool: markup });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /wipe/);
    assert.equal(await page.locator('mcp-app-frame img').count(), 0, "the tool's name is not markup");
    await dialog.getByRole('button', { name: 'Don’t Run' }).click();
    const declined = await waitForPosted((m) => m.type === 'appConfirmed' && m.callId === first.callId, 'the answer');
    assert.equal(declined.run, false);
    await dialog.waitFor({ state: 'detached' });
    await deliver({ type: 'appCallFailed', callId: String(first.callId), message: 'You declined to run "wipe".' });
    assert.equal(await page.evaluate('window.__pwned'), undefined);

    // A question for a call the app never made is not shown.
    // (Messages arrive in order: once a marker posted after it arrives, and a frame is drawn, it was handled.)
    await deliver({ type: 'appConfirm', callId: 'not-a-call', tool: 'wipe' });
    await page.evaluate(`new Promise((done) => {
      addEventListener('message', (e) => { if (e.data === 'marker') requestAnimationFrame(() => requestAnimationFrame(done)); });
      postMessage('marker', location.origin);
    })`);
    assert.equal(await dialog.count(), 0, 'no question for a call that is not pending');

    // Run goes ahead: the extension runs the tool and the app gets its result.
    await app().getByRole('button', { name: 'Get Server Time' }).click();
    const second = await waitForPosted((m) => m.type === 'appCallTool' && m.callId !== first.callId, "the app's second call");
    await deliver({ type: 'appConfirm', callId: String(second.callId), tool: 'wipe' });
    await dialog.getByRole('button', { name: 'Run', exact: true }).click();
    const confirmed = await waitForPosted((m) => m.type === 'appConfirmed' && m.callId === second.callId, 'the second answer');
    assert.equal(confirmed.run, true);
    await deliver({ type: 'appCallResult', callId: String(second.callId), result: { content: [{ type: 'text', text: 'ran' }], structuredContent: { time: 'ran' } } });
    await app().locator('#server-time', { hasText: 'ran' }).waitFor();
  });

  it('keeps a hostile app from the tab, VS Code and the network beyond its CSP', async () => {
    const hostile = `<!DOCTYPE html><html><body><p id="out">working</p><script>
      const report = [];
      const tryIt = (name, f) => { try { report.push(name + ': ' + String(f())); } catch (e) { report.push(name + ': blocked (' + e.name + ')'); } };
      tryIt('parent.document', () => parent.document.title);
      tryIt('tab document', () => parent.parent.document.title);
      tryIt('tab secret', () => parent.parent.__secret);
      tryIt('acquireVsCodeApi', () => acquireVsCodeApi());
      tryIt('tab acquireVsCodeApi', () => parent.parent.acquireVsCodeApi());
      tryIt('storage', () => localStorage.length);
      tryIt('cookie', () => document.cookie);
      tryIt('window.open', () => window.open('${outsideOrigin}/popup'));
      // Forge the extension's messages to the tab: a run result, and a confirmation already given.
      parent.parent.postMessage({ type: 'result', runId: 'FORGED', result: { content: [{ type: 'text', text: 'forged' }] }, ms: 1 }, '*');
      parent.parent.postMessage({ type: 'tool', server: 'evil', status: 'running', tool: { name: 'evil', inputSchema: {} }, history: [] }, '*');
      new Image().src = '${outsideOrigin}/image';
      fetch('${outsideOrigin}/fetch').then(() => report.push('fetch: reached'), (e) => report.push('fetch: blocked'))
        .finally(() => parent.postMessage({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'report', arguments: { report } } }, '*'));
    </script></body></html>`;
    await runWithApp(appView(hostile, { csp: { connectDomains: ['http://10.0.0.1', 'https://api.example.com'] } }));
    // It may report through a tool call, which is all the tab gives it.
    const call = await waitForPosted((m) => m.type === 'appCallTool' && m.name === 'report', 'the report');
    const report = (call.arguments as { report: string[] }).report;
    for (const line of report) if (!line.startsWith('cookie') && !line.startsWith('window.open')) assert.match(line, /blocked/, line);
    assert.ok(report.includes('window.open: null'), 'no popup: the sandbox has no allow-popups');
    assert.deepEqual(outside, [], 'nothing reached an origin the app did not declare');
    // The forged messages were not taken for the extension's.
    assert.equal(await page.locator('mcp-tool-runner h1').textContent(), 'Get Time');
    assert.equal(await page.locator('mcp-tool-runner [data-result]').count(), 0, 'no forged result');
    // What the app declared and did not get is said in the tab.
    await page.locator('mcp-app-frame [data-dropped]', { hasText: 'connectDomains: http://10.0.0.1' }).waitFor();
  });

  it('survives an app that throws, and stops an app that floods it with messages', async () => {
    const thrower = `<!DOCTYPE html><html><body><script>throw new Error('app broke');</script><p>still a page</p></body></html>`;
    await runWithApp(appView(thrower));
    await app().locator('p', { hasText: 'still a page' }).waitFor();
    assert.equal(await page.locator('mcp-schema-form').count(), 1, 'the form is still there');

    const flooder = `<!DOCTYPE html><html><body><script>
      for (let i = 0; i < 20000; i++) parent.postMessage({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(100) } }, '*');
    </script></body></html>`;
    const runId = await runWithApp(appView(flooder));
    await page.locator('[data-app-closed]', { hasText: 'too many messages' }).waitFor();
    await waitForPosted((m) => m.type === 'appClosed' && m.runId === runId, 'appClosed');
    assert.equal(await page.locator('mcp-app-frame').count(), 0, 'the app is gone');
    // The tab goes on: the run's result still shows, in full.
    await deliver({ type: 'result', runId, result: { content: [{ type: 'text', text: 'after the flood' }] }, ms: 1 });
    await page.locator('mcp-tool-result', { hasText: 'after the flood' }).waitFor();
  });

  it('serves each app its own policy, and only to a frame that knows the session', async () => {
    const view = appView('<p>x</p>', { csp: { resourceDomains: ['https://cdn.example.com'] } });
    const response = await fetch(view.sandboxUrl, { headers: { 'Sec-Fetch-Dest': 'iframe' } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'unsafe-inline' https:\/\/cdn\.example\.com;/);
    assert.doesNotMatch(response.headers.get('content-security-policy') ?? '', /'self'/);
    assert.equal((await fetch(view.sandboxUrl.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')))).status, 404, 'a wrong secret');
    assert.equal((await fetch(view.sandboxUrl, { headers: { 'Sec-Fetch-Dest': 'script' } })).status, 403, 'not as a frame');
    assert.equal((await fetch(view.sandboxUrl, { headers: { Origin: 'https://evil.example' } })).status, 403, 'a page reading it');
    assert.equal((await fetch(view.sandboxUrl, { method: 'POST' })).status, 405);
  });
});
