// MCP Apps through the hub, as the tool runner uses them, against two published MCP Apps servers
// over stdio: @modelcontextprotocol/server-basic-vanillajs (one tool and its app) and
// @modelcontextprotocol/server-system-monitor (a richer app that polls an app-only tool). The app's
// resource is read through the hub and checked; the tools an app may call are those the hub lists
// and whose visibility includes "app" (a tools.deny filter and a model-only tool are refused); the
// app-only tool runs through the hub; the budget holds a flood of calls back.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppCallBudget, APP_CALLS_AT_ONCE, appCallRefusal } from '../../src/core/apps/app-calls';
import { appPolicy, appResourceFrom } from '../../src/core/apps/app-resource';
import type { McpHub } from '../../src/core/hub';
import { appResourceUri, isAppOnly } from '../../src/core/mcp-apps';
import { createHub, entries, MemoryLogger, waitForKind } from '../helpers';

/** A published MCP Apps server's stdio entry point (its bin, dist/index.js beside its main dist/server.js), run with --stdio. */
const stdio = (pkg: string) => ({ command: process.execPath, args: [join(dirname(require.resolve(pkg)), 'index.js'), '--stdio'] });

describe('MCP Apps through the hub', () => {
  let hub: McpHub;

  before(async () => {
    hub = createHub({ logger: new MemoryLogger() });
    await hub.applyConfig(
      entries({
        basic: stdio('@modelcontextprotocol/server-basic-vanillajs'),
        monitor: stdio('@modelcontextprotocol/server-system-monitor'),
        // The same server with its app's tool filtered out of the hub.
        filtered: { ...stdio('@modelcontextprotocol/server-system-monitor'), tools: { deny: ['poll-system-stats'] } },
      }),
      { trusted: true },
    );
    await Promise.all(['basic', 'monitor', 'filtered'].map((n) => waitForKind(hub, n, 'running', 30_000)));
  });

  after(async () => {
    await hub?.dispose();
  });

  const read = (server: string, tool: string) => {
    const t = hub.listTools(server).find((x) => x.name === tool)!;
    const uri = appResourceUri(t)!;
    return hub.use(server, (client) => client.readResource({ uri })).then((result) => appResourceFrom(result, uri));
  };

  it("reads each tool's app through the hub: the MCP App document, under a policy with nothing declared beyond it", async () => {
    const basic = await read('basic', 'get-time');
    assert.match(basic.html, /Get Server Time/);
    assert.deepEqual(basic.csp, { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
    assert.deepEqual(basic.dropped, []);
    const policy = appPolicy(basic.csp);
    assert.match(policy, /connect-src 'none'/);
    assert.match(policy, /frame-src 'none'/);
    assert.doesNotMatch(policy, /'self'|\*/);

    const monitor = await read('monitor', 'get-system-info');
    assert.match(monitor.html, /System Monitor/);
    assert.match(monitor.html, /poll-system-stats/, 'the app polls its app-only tool');
  });

  it('lets an app call its tools that are for apps, through the hub, the app-only one included', async () => {
    const tools = hub.listTools('monitor');
    const poll = tools.find((t) => t.name === 'poll-system-stats')!;
    assert.equal(isAppOnly(poll), true, 'poll-system-stats is app-only');
    assert.equal(appCallRefusal(tools, 'monitor', 'poll-system-stats'), undefined);
    assert.equal(appCallRefusal(tools, 'monitor', 'get-system-info'), undefined);
    const result = await hub.callTool('monitor', 'poll-system-stats', {});
    const stats = result.structuredContent as { memory: { usedPercent: number }; cpu: { cores: unknown[] } };
    assert.ok(stats.cpu.cores.length > 0 && stats.memory.usedPercent >= 0);
  });

  it('refuses what an app may not call: a filtered tool, a tool of no such name, a tool only for the model', async () => {
    const filtered = appCallRefusal(hub.listTools('filtered'), 'filtered', 'poll-system-stats');
    assert.equal(filtered?.code, 'app_call_refused');
    assert.match(filtered.message, /filtered out by mcpHub\.servers\.filtered\.tools/);
    // The hub refuses the call itself too, whoever asks.
    await assert.rejects(hub.callTool('filtered', 'poll-system-stats', {}), /filtered out/);
    assert.equal(appCallRefusal(hub.listTools('basic'), 'basic', 'rm-rf')?.code, 'app_call_refused');
    const modelOnly = [{ name: 'summarise', inputSchema: { type: 'object' as const }, _meta: { ui: { visibility: ['model'] } } }];
    assert.match(appCallRefusal(modelOnly, 'basic', 'summarise')!.message, /not for apps/);
  });

  it('holds a flood of app calls to its budget', () => {
    const budget = new AppCallBudget(() => 0);
    for (let i = 0; i < APP_CALLS_AT_ONCE; i++) assert.equal(budget.take(), undefined);
    assert.equal(budget.take()?.code, 'app_rate_limited', 'no more at once');
    budget.done();
    assert.equal(budget.take(), undefined, 'one ended, one more may start');
  });
});
