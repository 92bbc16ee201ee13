// The gateway made whole: SDK clients connected only to the gateway see every tool of servers whose
// combined names would collide, follow resource links from tool results back through /mcp, list and
// complete resource templates at /mcp; and MCP Apps arrive intact: a real MCP Apps server from the
// registry (@modelcontextprotocol/server-basic-vanillajs) and a fixture with app-only tools, CSP and
// permissions, read per server and at /mcp.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { McpGateway } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { MCP_APP_MIME_TYPE, MCP_APPS_EXTENSION } from '../../src/core/mcp-apps';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { createHub, entries, MemoryLogger, waitForKind } from '../helpers';

const TOKEN = 'gw-token-whole-0123456789abcdef0123456789abcdef';
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;
const APPS_SERVER = '@modelcontextprotocol/server-basic-vanillajs';
/** What the fixture declares of MCP Apps, to be passed on as it is. */
const DECLARED = { mimeTypes: [MCP_APP_MIME_TYPE] };

/** The real MCP Apps server's stdio entry point (its bin, dist/index.js beside its main dist/server.js), run with --stdio. */
function appsServerEntry(): { command: string; args: string[] } {
  return { command: process.execPath, args: [join(dirname(require.resolve(APPS_SERVER)), 'index.js'), '--stdio'] };
}

describe('the gateway, whole', () => {
  const logger = new MemoryLogger();
  let hub: McpHub;
  let gateway: McpGateway;
  let fix: HttpFixture;
  let fixDyn: HttpFixture;
  let docs: HttpFixture;

  const connect = async (path: string, options: { apps?: boolean; era?: 'legacy' | 'modern' } = {}) => {
    const client = new Client(
      { name: 'whole-test', version: '0' },
      {
        versionNegotiation: options.era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' },
        ...(options.apps ? { capabilities: { extensions: { [MCP_APPS_EXTENSION]: { mimeTypes: [MCP_APP_MIME_TYPE] } } } } : {}),
      },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gateway.port}${path}`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    return client;
  };

  before(async () => {
    fix = await startHttpServer({
      name: 'fix',
      tools: (server) =>
        server.registerTool('dyn__echo', { description: 'Echoes, from fix', inputSchema: { text: z.string() } }, async ({ text: t }) => ({
          content: [{ type: 'text', text: `fix: ${t}` }],
        })),
    });
    fixDyn = await startHttpServer({ name: 'fix__dyn' });
    docs = await startHttpServer({
      name: 'docs',
      tools: (server) => {
        server.server.registerCapabilities({ extensions: { [MCP_APPS_EXTENSION]: DECLARED } });
        server.registerTool('link', { description: 'Links a document and embeds it' }, async () => ({
          content: [
            { type: 'resource_link', uri: 'file:///docs/readme.md', name: 'readme', mimeType: 'text/markdown' },
            { type: 'resource', resource: { uri: 'file:///docs/readme.md', mimeType: 'text/markdown', text: '# Read me' } },
          ],
        }));
        server.registerResource('readme', 'file:///docs/readme.md', { mimeType: 'text/markdown' }, async (uri) => ({
          contents: [{ uri: uri.href, mimeType: 'text/markdown', text: '# Read me' }],
        }));
        server.registerResource(
          'doc',
          new ResourceTemplate('file:///docs/{name}', { list: undefined, complete: { name: (value) => ['readme.md', 'guide.md'].filter((n) => n.startsWith(value)) } }),
          { mimeType: 'text/markdown' },
          async (uri, { name }) => ({ contents: [{ uri: uri.href, mimeType: 'text/markdown', text: `doc ${String(name)}` }] }),
        );
        server.registerPrompt(
          'cite',
          { description: 'Quotes a document', argsSchema: { doc: completable(z.string(), (value) => ['readme.md', 'guide.md'].filter((n) => n.startsWith(value))) } },
          ({ doc }) => ({
            messages: [{ role: 'user', content: { type: 'resource', resource: { uri: `file:///docs/${doc}`, mimeType: 'text/markdown', text: `doc ${doc}` } } }],
          }),
        );
        const ui = {
          resourceUri: 'ui://docs/view.html',
          visibility: ['model', 'app'],
          csp: { connectDomains: ['https://api.example.com'] },
          permissions: { clipboardWrite: {} },
        };
        server.registerTool('show', { description: 'Shows the documents in an app', _meta: { ui } }, async () => ({
          // What the hub declared to this server, so the test sees the extension reach it.
          content: [{ type: 'text', text: JSON.stringify(server.server.getClientCapabilities()?.extensions ?? null) }],
        }));
        server.registerTool('refresh', { description: 'Only the app calls this', _meta: { ui: { resourceUri: 'ui://docs/view.html', visibility: ['app'] } } }, async () => ({
          content: [{ type: 'text', text: 'refreshed' }],
        }));
        server.registerResource(
          'view',
          'ui://docs/view.html',
          { mimeType: MCP_APP_MIME_TYPE, _meta: { ui: { csp: { connectDomains: ['https://api.example.com'] }, prefersBorder: true } } },
          async (uri) => ({
            contents: [
              { uri: uri.href, mimeType: MCP_APP_MIME_TYPE, text: '<!doctype html><title>docs</title>', _meta: { ui: { csp: { connectDomains: ['https://api.example.com'] } } } },
            ],
          }),
        );
      },
    });
    hub = createHub({ logger });
    await hub.applyConfig(entries({ fix: { url: fix.url }, fix__dyn: { url: fixDyn.url }, docs: { url: docs.url }, apps: appsServerEntry() }), { trusted: true });
    for (const name of ['fix', 'fix__dyn', 'docs', 'apps']) await waitForKind(hub, name, 'running');
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0.0.0', logger });
    await gateway.start();
  });
  after(async () => {
    await gateway.stop();
    await hub.dispose();
    await fix.close();
    await fixDyn.close();
    await docs.close();
  });

  it('lists both tools that want fix__dyn__echo under names of their own, and each call reaches its own server', async () => {
    const client = await connect('/mcp');
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.equal(new Set(names).size, names.length, 'no name twice');
    assert.ok(!names.includes('fix__dyn__echo'), 'the contested name is nobody’s');
    const contested = names.filter((n) => /^fix__dyn__echo_[0-9a-f]{8}$/.test(n));
    assert.equal(contested.length, 2, names.join(' '));
    const answers = await Promise.all(contested.map(async (n) => text(await client.callTool({ name: n, arguments: { text: 'hi' } }))));
    assert.deepEqual(answers.sort(), ['fix: hi', 'hi']);
    await client.close();
  });

  it('rewrites resource links and embedded resources in tool results to URIs /mcp serves, and reads them back there', async () => {
    const client = await connect('/mcp');
    const result = await client.callTool({ name: 'docs__link', arguments: {} });
    const [link, embedded] = result.content as [{ type: string; uri: string }, { type: string; resource: { uri: string; text: string } }];
    assert.equal(link.type, 'resource_link');
    assert.equal(link.uri, 'mcp-hub://docs/file:///docs/readme.md');
    assert.equal(embedded.resource.uri, link.uri);
    const read = await client.readResource({ uri: link.uri });
    assert.deepEqual(read.contents, [{ uri: link.uri, mimeType: 'text/markdown', text: '# Read me' }]);
    assert.ok(
      (await client.listResources()).resources.some((r) => r.uri === link.uri),
      'listed under the same URI',
    );
    await client.close();
  });

  it('lists resource templates at /mcp, completes their arguments and reads what they expand to', async () => {
    const client = await connect('/mcp');
    const { resourceTemplates } = await client.listResourceTemplates();
    const template = resourceTemplates.find((t) => t.uriTemplate === 'mcp-hub://docs/file:///docs/{name}');
    assert.ok(template, resourceTemplates.map((t) => t.uriTemplate).join(' '));
    assert.ok(client.getServerCapabilities()?.completions, '/mcp offers completions');
    const completion = await client.complete({ ref: { type: 'ref/resource', uri: template.uriTemplate }, argument: { name: 'name', value: 'gu' } });
    assert.deepEqual(completion.completion.values, ['guide.md']);
    const read = await client.readResource({ uri: 'mcp-hub://docs/file:///docs/guide.md' });
    assert.equal((read.contents[0] as { text: string }).text, 'doc guide.md');
    await client.close();
  });

  it('completes prompt arguments at /mcp, and names the resources a prompt embeds with URIs /mcp serves', async () => {
    const client = await connect('/mcp');
    assert.ok((await client.listPrompts()).prompts.some((p) => p.name === 'docs__cite'));
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'docs__cite' }, argument: { name: 'doc', value: 're' } });
    assert.deepEqual(completion.completion.values, ['readme.md']);
    const prompt = await client.getPrompt({ name: 'docs__cite', arguments: { doc: 'readme.md' } });
    const content = prompt.messages[0]?.content as { type: string; resource: { uri: string } };
    assert.equal(content.resource.uri, 'mcp-hub://docs/file:///docs/readme.md');
    await assert.rejects(client.complete({ ref: { type: 'ref/prompt', name: 'nobody__nothing' }, argument: { name: 'x', value: '' } }), /Nothing in MCP Hub to complete/);
    await client.close();
  });

  it('passes a real MCP Apps server through at /mcp: ui:// per server, the tool’s resourceUri to match, MIME type kept', async () => {
    const client = await connect('/mcp', { apps: true });
    const tool = (await client.listTools()).tools.find((t) => t.name === 'apps__get-time');
    assert.ok(tool, 'the app’s tool is listed');
    const ui = tool._meta?.ui as { resourceUri: string };
    assert.equal(ui.resourceUri, 'ui://apps/get-time/mcp-app.html');
    assert.equal(tool._meta?.['ui/resourceUri'], 'ui://apps/get-time/mcp-app.html', 'the older flat key too');
    const listed = (await client.listResources()).resources.find((r) => r.uri === ui.resourceUri);
    assert.equal(listed?.mimeType, MCP_APP_MIME_TYPE);
    const read = await client.readResource({ uri: ui.resourceUri });
    const [content] = read.contents as Array<{ uri: string; mimeType: string; text: string }>;
    assert.equal(content.uri, ui.resourceUri);
    assert.equal(content.mimeType, MCP_APP_MIME_TYPE);
    assert.match(content.text, /<html/i);
    const called = await client.callTool({ name: 'apps__get-time', arguments: {} });
    assert.match(String((called.structuredContent as { time: string }).time), /^\d{4}-\d\d-\d\dT/);
    await client.close();
  });

  it('leaves the real MCP Apps server’s URIs unchanged on its own route', async () => {
    const client = await connect('/servers/apps/mcp', { apps: true });
    const tool = (await client.listTools()).tools.find((t) => t.name === 'get-time');
    assert.equal((tool?._meta?.ui as { resourceUri: string }).resourceUri, 'ui://get-time/mcp-app.html');
    const read = await client.readResource({ uri: 'ui://get-time/mcp-app.html' });
    assert.equal((read.contents[0] as { mimeType: string }).mimeType, MCP_APP_MIME_TYPE);
    assert.equal(client.getServerCapabilities()?.extensions?.[MCP_APPS_EXTENSION], undefined, 'this server declares no extension, so neither does its route');
    await client.close();
  });

  it('keeps _meta.ui whole (visibility, csp, permissions), and a ui:// resource’s _meta, on both routes', async () => {
    for (const [path, name, uri] of [
      ['/servers/docs/mcp', 'show', 'ui://docs/view.html'],
      ['/mcp', 'docs__show', 'ui://docs/docs/view.html'],
    ] as const) {
      const client = await connect(path, { apps: true });
      const tool = (await client.listTools()).tools.find((t) => t.name === name);
      assert.deepEqual(tool?._meta?.ui, {
        resourceUri: uri,
        visibility: ['model', 'app'],
        csp: { connectDomains: ['https://api.example.com'] },
        permissions: { clipboardWrite: {} },
      });
      const listed = (await client.listResources()).resources.find((r) => r.uri === uri);
      assert.deepEqual(listed?._meta, { ui: { csp: { connectDomains: ['https://api.example.com'] }, prefersBorder: true } }, path);
      const read = await client.readResource({ uri });
      assert.deepEqual(read.contents, [
        { uri, mimeType: MCP_APP_MIME_TYPE, text: '<!doctype html><title>docs</title>', _meta: { ui: { csp: { connectDomains: ['https://api.example.com'] } } } },
      ]);
      await client.close();
    }
  });

  it('lists an app-only tool only to clients that render apps, and lets every client call it', async () => {
    const listed = async (client: Client) => (await client.listTools()).tools.map((t: Tool) => t.name);
    for (const era of ['legacy', 'modern'] as const) {
      const model = await connect('/servers/docs/mcp', { era });
      const names = await listed(model);
      assert.ok(names.includes('show') && !names.includes('refresh'), `${era}: ${names.join(' ')}`);
      assert.equal(text(await model.callTool({ name: 'refresh', arguments: {} })), 'refreshed', `${era}: still callable`);
      await model.close();
      const host = await connect('/servers/docs/mcp', { era, apps: true });
      assert.ok((await listed(host)).includes('refresh'), `${era}: a host that renders apps sees it`);
      await host.close();
    }
    const combined = await connect('/mcp');
    assert.ok(!(await listed(combined)).includes('docs__refresh'));
    assert.equal(text(await combined.callTool({ name: 'docs__refresh', arguments: {} })), 'refreshed');
    await combined.close();
  });

  it('declares the MCP Apps extension to clients as the upstream declares it, and declares it upstream for them', async () => {
    for (const path of ['/servers/docs/mcp', '/mcp']) {
      const client = await connect(path, { apps: true });
      assert.deepEqual(client.getServerCapabilities()?.extensions?.[MCP_APPS_EXTENSION], DECLARED, path);
      await client.close();
    }
    const client = await connect('/servers/docs/mcp');
    assert.deepEqual(JSON.parse(text(await client.callTool({ name: 'show', arguments: {} }))), { [MCP_APPS_EXTENSION]: { mimeTypes: [MCP_APP_MIME_TYPE] } });
    await client.close();
  });
});
