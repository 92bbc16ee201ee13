// Figure (i): the panel with 50 servers and 5,000 tools, in Chromium (the engine VS Code's webviews
// run on), loading the panel bundle as it ships (dist/webview.js). A server's state changes in the
// hub; the extension's view model makes its row (toServerView), the `update` message carries it, and
// the time is taken until the frame after the panel re-rendered (two animation frames). Rows touched
// per change are counted with a MutationObserver; the page's JS heap is read after a GC.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { Tool } from '@modelcontextprotocol/client';
import { parseServers } from '../src/core/config';
import type { HubServer } from '../src/core/hub';
import type { ServerState } from '../src/core/state';
import type { ExtensionToWebview } from '../src/protocol';
import { toServerView } from '../src/view-model';

const SERVERS = 50;
const TOOLS_PER_SERVER = 100;
const CHANGES = 200;
const FIRST_RENDERS = 7;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

function tools(server: number): Tool[] {
  return Array.from({ length: TOOLS_PER_SERVER }, (_, i) => ({
    name: `tool_${server}_${i}`,
    description: `Tool ${i} of server ${server}: does one useful thing with its arguments and answers with text.`,
    inputSchema: { type: 'object' as const, properties: { q: { type: 'string' } } },
    ...(i % 7 === 0 ? { annotations: { readOnlyHint: true } } : {}),
  }));
}

const serverName = (index: number) => `server-${String(index).padStart(2, '0')}`;

function hubServer(index: number, state: ServerState): HubServer {
  const name = serverName(index);
  const [entry] = parseServers({ [name]: { url: `https://mcp${index}.example.com/mcp` } }, 'user');
  return {
    name,
    source: 'user',
    config: entry?.ok ? entry.config : undefined,
    state,
    oauth: true,
    inputs: [],
    inputScope: { kind: 'user' },
    warnings: [],
    actionContext: { configured: true, oauth: true, session: true, inputs: false, inlineSecrets: false },
  };
}

const running = (index: number, version: number): ServerState => ({
  kind: 'running',
  serverInfo: { name: `server-${index}`, version: `1.${version}`, protocolVersion: '2025-11-25' },
  tools: tools(index),
  resources: [],
  prompts: [],
});

export async function panelFigures(root: string, chromiumPath: string): Promise<void> {
  const bundle = join(root, 'dist/webview.js');
  if (!existsSync(chromiumPath) || !existsSync(bundle)) {
    const needs = existsSync(bundle) ? `Chromium at ${chromiumPath} (bash e2e/setup.sh installs it)` : 'dist/webview.js (npm run build)';
    console.log(`(i) panel: skipped: needs ${needs}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-panel-bench-'));
  const page = join(dir, 'panel.html');
  // Every Tools section open (the panel remembers that in its state), as a person exploring would.
  const openTools = { open: { tools: Array.from({ length: SERVERS }, (_, i) => serverName(i)), resources: [], prompts: [], detail: [] } };
  writeFileSync(
    page,
    `<!DOCTYPE html><html><head><link rel="stylesheet" href="${pathToFileURL(join(root, 'dist/codicons/codicon.css')).href}" id="vscode-codicon-stylesheet"><link rel="stylesheet" href="${pathToFileURL(join(root, 'dist/webview.css')).href}"></head><body><div id="root"></div>
<script>window.__state = ${JSON.stringify(openTools)};
window.acquireVsCodeApi = () => ({ postMessage() {}, getState: () => window.__state, setState: (s) => { window.__state = s; } });</script>
<script src="${pathToFileURL(bundle).href}"></script><script src="${pathToFileURL(join(root, 'bench/panel-page.js')).href}"></script></body></html>`,
  );
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--js-flags=--expose-gc'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 400, height: 1000 } });
    // The whole list, as after `ready`, in a freshly loaded panel: FIRST_RENDERS times (one
    // sample is at the mercy of whatever else the machine is doing), the median reported.
    const views = Array.from({ length: SERVERS }, (_, i) => toServerView(hubServer(i, running(i, 0))));
    const message: ExtensionToWebview = { type: 'servers', servers: views, gateway: { on: true, address: '127.0.0.1:4567', sessions: 1 } };
    const firsts: { ms: number; rows: number; frames: number; frameMs: number }[] = [];
    for (let n = 0; n < FIRST_RENDERS; n++) {
      await tab.goto(pathToFileURL(page).href);
      firsts.push(await tab.evaluate((m) => (globalThis as unknown as PageHooks).__firstRender(m), message));
    }
    const first = { ms: median(firsts.map((f) => f.ms)), frameMs: median(firsts.map((f) => f.frameMs)), rows: firsts[0].rows, frames: median(firsts.map((f) => f.frames)) };
    const toolRows = await tab.evaluate(() => (globalThis as unknown as PageHooks).__toolRows());

    const times: number[] = [];
    const frames: number[] = [];
    const touched: number[] = [];
    for (let n = 0; n < CHANGES; n++) {
      const index = n % SERVERS;
      const t0 = performance.now();
      // A change in the hub: the server restarts and comes back with a new version (its row changes).
      const view = toServerView(hubServer(index, running(index, n + 1)));
      const message: ExtensionToWebview = { type: 'update', servers: [view], removed: [] };
      const modelMs = performance.now() - t0;
      const r = await deliver(tab, message);
      times.push(modelMs + r.ms);
      frames.push(modelMs + r.frameMs);
      touched.push(r.rows);
    }
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
    console.log(`(i) the panel with ${SERVERS} servers and ${SERVERS * TOOLS_PER_SERVER} tools (${toolRows} tool rows shown, every Tools section open), in Chromium`);
    console.log(
      `    first render of the whole list, until the tool rows in view (${first.rows}) are rendered and laid out (after ${first.frames} frame(s)): median ${first.ms.toFixed(1)} ms of ${FIRST_RENDERS} fresh panels (${Math.min(...firsts.map((f) => f.ms)).toFixed(1)}-${Math.max(...firsts.map((f) => f.ms)).toFixed(1)}; target: <= 100 ms; before the lists rendered only the rows in view: 2,703 ms on 2026-12-06), to the next frame ${first.frameMs.toFixed(1)} ms`,
    );
    console.log(
      `    one server's change to its row re-rendered and laid out: median ${median(times).toFixed(2)} ms, p95 ${p95(times).toFixed(2)} ms over ${CHANGES} changes (target: median <= 16 ms)`,
    );
    console.log(`    ... to the next frame on screen (adds the wait for the display's refresh): median ${median(frames).toFixed(2)} ms, p95 ${p95(frames).toFixed(2)} ms`);
    console.log(
      `    rows re-rendered per change: ${Math.max(...touched)} of ${SERVERS} at most (target: no full re-render); JS heap ${(heap.usedSize / 1024 / 1024).toFixed(1)} MB`,
    );
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PageHooks {
  __toolRows(): Promise<number>;
  __firstRender(message: unknown): Promise<{ ms: number; rows: number; frames: number; frameMs: number }>;
  __deliver(message: unknown): Promise<{ ms: number; frameMs: number; rows: number }>;
}

/** Posts `message` to the panel and measures it (bench/panel-page.js). */
function deliver(tab: Page, message: ExtensionToWebview): Promise<{ ms: number; frameMs: number; rows: number }> {
  return tab.evaluate((m) => (globalThis as unknown as PageHooks).__deliver(m), message);
}
