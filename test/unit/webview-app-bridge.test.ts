// The tool runner's MCP Apps bridge wiring (webview-ui/workbench/app-bridge.ts) against the real view
// side of the MCP Apps SDK (its `App`, as the published apps use it), over a linked in-memory
// transport pair instead of postMessage (the real frames are in test/security/mcp-apps-browser.test.ts):
// the handshake, input and result in order whenever they arrive, the app's tool calls, links,
// messages, model context, size and teardown, and the guard's size and rate limits.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Transport } from '@modelcontextprotocol/client';
import type { App as AppClass } from '@modelcontextprotocol/ext-apps' with { 'resolution-mode': 'import' };
import type { AppView } from '../../src/protocol';
import type { AppHooks } from '../../webview-ui/workbench/app-hooks';

type Message = Parameters<Transport['send']>[0];

/** What the tests use of webview-ui/workbench/app-bridge.ts, loaded by URL (the root tsconfig has no DOM library; webview-ui's checks it). */
interface Connection {
  start(): Promise<void>;
  toolInput(args: Record<string, unknown>): void;
  toolResult(result: Record<string, unknown>): void;
  toolCancelled(reason: string): void;
  close(wait?: boolean): Promise<void>;
}
interface Bridge {
  AppConnection: new (app: AppView, transport: Transport, hooks: AppHooks) => Connection;
  GuardedTransport: new (inner: Transport, flood: () => void, now?: () => number) => Transport;
  APP_LINK_INTERVAL_MS: number;
  APP_MESSAGE_BURST: number;
  APP_MESSAGE_MAX_CHARS: number;
  APP_REFUSALS_TO_STOP: number;
}

let bridge: Bridge;
let App: typeof AppClass;
let APP_LINK_INTERVAL_MS: number, APP_MESSAGE_BURST: number, APP_MESSAGE_MAX_CHARS: number, APP_REFUSALS_TO_STOP: number;

before(async () => {
  bridge = (await import(pathToFileURL(join(__dirname, '../../webview-ui/workbench/app-bridge.ts')).href)) as Bridge;
  ({ App } = await import('@modelcontextprotocol/ext-apps'));
  ({ APP_LINK_INTERVAL_MS, APP_MESSAGE_BURST, APP_MESSAGE_MAX_CHARS, APP_REFUSALS_TO_STOP } = bridge);
});

/** Two transports wired to each other; what one sends the other receives, a tick later. */
function linked(): [Transport, Transport] {
  const make = (): Transport & { peer?: Transport } => ({
    async start() {},
    async send(message) {
      const peer = this.peer;
      setImmediate(() => peer?.onmessage?.(structuredClone(message)));
    },
    async close() {
      this.onclose?.();
    },
  });
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

const VIEW: AppView = {
  sandboxUrl: 'http://127.0.0.1:1/app/x/y',
  html: '<p>app</p>',
  csp: { connectDomains: [], resourceDomains: ['https://cdn.example.com'], frameDomains: [], baseUriDomains: [] },
  permissions: ['clipboardWrite'],
  locale: 'de',
  dropped: [],
  tool: { name: 'get-time', inputSchema: { type: 'object' } },
};

function hooks(over: Partial<AppHooks> = {}) {
  const seen = { calls: [] as Array<[string, unknown]>, links: [] as string[], said: [] as Array<[string, string]>, sizes: [] as number[], stops: [] as Array<string | undefined> };
  let now = 0;
  const h: AppHooks = {
    callTool: async (name, args) => {
      seen.calls.push([name, args]);
      return { content: [{ type: 'text', text: `ran ${name}` }] };
    },
    openLink: (url) => void seen.links.push(url),
    said: (kind, text) => void seen.said.push([kind, text]),
    resize: (h) => void seen.sizes.push(h),
    stop: (why) => void seen.stops.push(why),
    hostContext: () => ({ theme: 'dark', displayMode: 'inline', availableDisplayModes: ['inline'], locale: 'de' }),
    now: () => now,
    ...over,
  };
  return { h, seen, tick: (ms: number) => (now += ms) };
}

async function connected(over: Partial<AppHooks> = {}) {
  const [hostSide, appSide] = linked();
  const { h, seen, tick } = hooks(over);
  const connection = new bridge.AppConnection(VIEW, hostSide, h);
  const got = { input: [] as unknown[], results: [] as unknown[], cancelled: [] as unknown[], teardowns: 0 };
  const app = new App({ name: 'test-app', version: '1' }, {}, { autoResize: false });
  app.ontoolinput = (p) => void got.input.push(p.arguments);
  app.ontoolresult = (p) => void got.results.push(p);
  app.ontoolcancelled = (p) => void got.cancelled.push(p.reason);
  app.onteardown = async () => {
    got.teardowns++;
    return {};
  };
  await connection.start();
  return { connection, app, appSide, got, seen, tick };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(check(), 'the condition came to hold');
};

describe('the tool runner’s MCP Apps bridge', () => {
  it('initializes the app with VS Code’s context and the host’s capabilities, then sends the input and then the result, whenever they came', async () => {
    const { connection, app, appSide, got } = await connected();
    // The run ended before the app was even connected: it still hears input first, then the result.
    connection.toolInput({ city: 'Oslo' });
    connection.toolResult({ content: [{ type: 'text', text: 'sunny' }] });
    await app.connect(appSide);
    assert.equal(app.getHostContext()?.locale, 'de');
    assert.equal(app.getHostContext()?.displayMode, 'inline');
    const caps = app.getHostCapabilities();
    assert.deepEqual(caps?.sandbox?.csp?.resourceDomains, ['https://cdn.example.com']);
    assert.deepEqual(caps?.sandbox?.permissions, { clipboardWrite: {} });
    assert.ok(caps?.serverTools && caps.openLinks);
    assert.equal(caps.logging, undefined, 'no log channel is offered');
    await until(() => got.results.length === 1);
    assert.deepEqual(got.input, [{ city: 'Oslo' }]);
    assert.deepEqual((got.results[0] as { content: unknown }).content, [{ type: 'text', text: 'sunny' }]);
  });

  it('tells the app when its run was cancelled', async () => {
    const { connection, app, appSide, got } = await connected();
    await app.connect(appSide);
    connection.toolInput({});
    connection.toolCancelled('Cancelled.');
    await until(() => got.cancelled.length === 1);
    assert.deepEqual(got.cancelled, ['Cancelled.']);
  });

  it("passes the app's tool calls to the extension and its answer back; a refusal is an error to the app", async () => {
    const { app, appSide, seen } = await connected({
      callTool: async (name, args) => {
        if (name === 'forbidden') throw new Error('Tool "forbidden" is not for apps.');
        seen.calls.push([name, args]);
        return { content: [{ type: 'text', text: `ran ${name}` }] };
      },
    });
    const seenCalls = seen.calls;
    await app.connect(appSide);
    const result = await app.callServerTool({ name: 'get-time', arguments: { zone: 'UTC' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'ran get-time' }]);
    assert.deepEqual(seenCalls, [['get-time', { zone: 'UTC' }]]);
    await assert.rejects(app.callServerTool({ name: 'forbidden', arguments: {} }), /not for apps/);
  });

  it('opens http(s) links only, one at a time, and shows messages and model context as text', async () => {
    const { app, appSide, seen, tick } = await connected();
    await app.connect(appSide);
    assert.equal((await app.openLink({ url: 'https://example.com/a' })).isError, undefined);
    assert.equal((await app.openLink({ url: 'https://example.com/b' })).isError, true, 'too soon after the last');
    tick(APP_LINK_INTERVAL_MS);
    assert.equal((await app.openLink({ url: 'javascript:alert(1)' })).isError, true);
    assert.equal((await app.openLink({ url: 'vscode://settings' })).isError, true);
    assert.equal((await app.openLink({ url: 'not a url' })).isError, true);
    assert.deepEqual(seen.links, ['https://example.com/a']);

    await app.sendMessage({ role: 'user', content: [{ type: 'text', text: 'Book it' }] });
    await app.updateModelContext({ content: [{ type: 'text', text: 'Chose Oslo' }], structuredContent: { city: 'Oslo' } });
    assert.deepEqual(seen.said, [
      ['message', 'Book it'],
      ['context', 'Chose Oslo\n{"city":"Oslo"}'],
    ]);
  });

  it('resizes the frame to the app, tears the app down on close, and lets it ask to go', async () => {
    const { connection, app, appSide, got, seen } = await connected();
    await app.connect(appSide);
    await app.sendSizeChanged({ width: 300, height: 640 });
    await until(() => seen.sizes.length === 1);
    assert.deepEqual(seen.sizes, [640]);
    await app.requestTeardown();
    await until(() => seen.stops.length === 1);
    assert.deepEqual(seen.stops, [undefined], 'the app asked: no reason of ours');
    await connection.close();
    assert.equal(got.teardowns, 1, 'ui/resource-teardown before the frame goes');
  });

  it('admits messages within the size and rate limits, and stops a flood once', () => {
    const received: Message[] = [];
    let floods = 0;
    let now = 0;
    const inner: Transport = { start: async () => {}, send: async () => {}, close: async () => {} };
    const guard = new bridge.GuardedTransport(
      inner,
      () => floods++,
      () => now,
    );
    guard.onmessage = (m) => void received.push(m);
    void guard.start();
    const note = (i: number): Message => ({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: i } });
    inner.onmessage!({ jsonrpc: '2.0', method: 'x', params: { data: 'y'.repeat(APP_MESSAGE_MAX_CHARS) } });
    assert.equal(received.length, 0, 'an oversized message is refused');
    for (let i = 0; i < APP_MESSAGE_BURST + 10; i++) inner.onmessage!(note(i));
    assert.equal(received.length, APP_MESSAGE_BURST, 'a burst, then no more');
    now += 1000;
    inner.onmessage!(note(-1));
    assert.equal(received.length, APP_MESSAGE_BURST + 1, 'the budget refills with time');
    for (let i = 0; i < APP_REFUSALS_TO_STOP * 2; i++) inner.onmessage!(note(i));
    assert.equal(floods, 1, 'stopped once');
    now += 60_000;
    inner.onmessage!(note(0));
    assert.equal(received.length, APP_MESSAGE_BURST + 1 + 49, 'nothing after the stop');
  });
});
