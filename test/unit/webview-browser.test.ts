// The panel in a real browser engine (Chromium, which VS Code's webviews run on), where happy-dom has
// no layout: the long lists render only the rows in view (RowWindow), scrolling brings the others,
// the keyboard walks the whole list, a focused row stays while it is scrolled away, and the header's
// gateway line shows in full at the side bar's default width. The panel is bundled from source as the
// build does (esbuild, iife) and loaded with the webview's stylesheets.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { ExtensionToWebview, ServerView } from '../../src/protocol';
import { buildWebviewAssets } from '../fixtures/webview-assets';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOOLS = 1000;

const server = (name: string, over: Partial<ServerView> = {}): ServerView => ({
  name,
  transport: 'stdio',
  target: 'npx',
  source: 'user',
  status: 'running',
  tools: Array.from({ length: TOOLS }, (_, i) => ({ name: `tool_${i}`, description: `Tool ${i}: does one useful thing with its arguments and answers with text.` })),
  resourceCount: 0,
  promptCount: 0,
  actions: ['restart', 'stop'],
  ...over,
});

describe('the panel in Chromium', { skip: existsSync(CHROMIUM) ? false : `needs Chromium at ${CHROMIUM} (bash e2e/setup.sh)` }, () => {
  let dir: string;
  let browser: Browser;
  let page: Page;

  const call = <T>(expression: string) => page.evaluate<T>(expression);
  const frames = () => call<void>('__frames()');
  const rendered = () => call<number[]>('__rendered()');
  const atMiddle = () => call<number>('__atMiddle()');
  const focusedTool = () => call<string>('__focusedTool()');
  const scrollTo = (y: number | 'end') => call<void>(`__scrollTo(${JSON.stringify(y)})`);

  async function load(width: number, message: ExtensionToWebview, open: string[]): Promise<void> {
    await page.setViewportSize({ width, height: 600 });
    const state = { open: { tools: open, resources: [], prompts: [], detail: [] } };
    await page.goto(pathToFileURL(join(dir, 'panel.html')).href);
    await call(`window.__state = ${JSON.stringify(state)}`);
    await call('__load("webview.js")');
    await call(`__deliver(${JSON.stringify(message)})`);
    await page.waitForSelector('mcp-server-row');
    await frames();
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-hub-panel-browser-'));
    await buildWebviewAssets(dir, 'webview-ui/main.ts');
    cpSync(join(__dirname, 'webview-browser-page.js'), join(dir, 'page.js'));
    // As src/vscode/webview-html.ts writes it, with acquireVsCodeApi standing in for the webview's.
    writeFileSync(
      join(dir, 'panel.html'),
      `<!DOCTYPE html><html lang="en"><head><link rel="stylesheet" href="codicons/codicon.css" id="vscode-codicon-stylesheet"><link rel="stylesheet" href="webview.css"></head>
<body><div id="root"></div><script src="page.js"></script><script>window.__posted = [];
window.acquireVsCodeApi = () => ({ postMessage(m) { window.__posted.push(m); }, getState: () => window.__state, setState: (s) => { window.__state = s; } });</script></body></html>`,
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders only the rows in view, and scrolling brings the others', async () => {
    await load(400, { type: 'servers', servers: [server('alpha'), server('beta')] }, ['alpha', 'beta']);
    const first = await rendered();
    assert.ok(first.length > 3 && first.length < 40, `a view's worth of ${2 * TOOLS} rows (${first.length})`);
    assert.equal(first[0], 0);
    assert.deepEqual(await call('__place("tool_0")'), ['1', String(TOOLS)]);
    // The spacers make the page as tall as every row would: the scrollbar is the whole list's.
    const height = await call<number>('__scrollHeight()');
    assert.ok(height > 2 * TOOLS * 30, `the page is as tall as ${2 * TOOLS} rows (${height} px)`);

    await scrollTo(40_000);
    await frames();
    const middle = await atMiddle();
    assert.ok(middle > 100, `a row deep in the list is on screen, not a spacer (${middle})`);
    const now = await rendered();
    assert.ok(!now.includes(0), 'the first rows left the DOM');
    assert.ok(now.includes(middle) && now.length < 40, `only the rows around the view (${now.length})`);

    // To the very end (twice, as a person does when measured rows made the list a little longer):
    // the last tool of the second server is rendered and on screen.
    for (let i = 0; i < 2; i++) {
      await scrollTo('end');
      await frames();
    }
    assert.ok(await call<boolean>(`__inView("tool_${TOOLS - 1}")`), 'the last row is in view');
  });

  it('walks the whole list with Tab, beyond the rows first rendered, and keeps a focused row while it is scrolled away', async () => {
    await load(400, { type: 'servers', servers: [server('alpha')] }, ['alpha']);
    const firstRendered = (await rendered()).length;
    // The Run… control's own button, inside its shadow root, as a click or Tab would focus it.
    await call('__focusRun("tool_0")');
    assert.equal(await focusedTool(), 'tool_0');
    const steps = firstRendered + 20;
    for (let i = 1; i <= steps; i++) {
      await page.keyboard.press('Tab');
      await frames();
      assert.equal(await focusedTool(), `tool_${i}`, `Tab ${i} moves to the next tool's Run…`);
    }
    for (let i = steps - 1; i >= steps - 5; i--) {
      await page.keyboard.press('Shift+Tab');
      await frames();
      assert.equal(await focusedTool(), `tool_${i}`, 'Shift+Tab moves back one tool');
    }
    // Enter on the focused Run… posts the run of that tool.
    await page.keyboard.press('Enter');
    const posted = (await call<{ type: string; tool?: string }[]>('__posted')).filter((m) => m.type === 'runTool');
    assert.deepEqual(
      posted.map((m) => m.tool),
      [`tool_${steps - 5}`],
    );

    // Scrolled far away with the mouse wheel: the focused row stays in the DOM, still focused.
    await scrollTo(60_000);
    await frames();
    assert.ok(!(await rendered()).includes(0));
    assert.equal(await focusedTool(), `tool_${steps - 5}`, 'the focused row is kept');
  });

  it("shows the gateway line in full at the side bar's default width", async () => {
    await load(300, { type: 'servers', servers: [server('alpha', { tools: [] })], gateway: { on: true, address: '127.0.0.1:45931', sessions: 2 } }, []);
    const line = await call<{ text: string; clipped: boolean; right: number }>('__box("#mcp-gateway")');
    assert.equal(line.text, 'Gateway on port 45931 · 2 clients');
    assert.equal(line.clipped, false, 'the text is not cut off');
    assert.ok(line.right <= 300, 'the text is inside the side bar');
    const button = await call<{ right: number; width: number; clipped: boolean }>(`__box('.gateway-bar [data-command="connectClient"]')`);
    assert.ok(button.width > 0 && button.right <= 300 && !button.clipped, 'Connect a Client… is there in full too');
  });
});
