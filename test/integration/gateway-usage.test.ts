// Who uses the gateway, as its usage tab shows it (src/core/gateway/usage.ts): real SDK clients with
// different names through the real gateway, on a server's own endpoint (forwarded as they are), at
// /mcp (the SDK surface), across eras (translated) and as a 2026-07-28 client (no session). Each
// client is listed with the name and version of its handshake and its own calls; calls per server and
// the last errors are right; a client's hostile name is scrubbed and capped; and nothing of a call's
// arguments or results (a secret-looking argument, echoed back by the servers) reaches the view.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { McpGateway } from '../../src/core/gateway/gateway';
import { GatewayUsage } from '../../src/core/gateway/usage';
import type { McpHub } from '../../src/core/hub';
import type { GatewayClientView } from '../../src/protocol';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { startModernHttpServer, type ModernHttpFixture } from '../fixtures/modern-http-server';
import { createHub, entries, MemoryLogger, stdioEntry, waitForKind } from '../helpers';

const TOKEN = 'gw-token-usage-0123456789abcdef0123456789ab';
/** A secret-looking argument: it must never reach the view, whichever way the servers echo it. */
const SECRET = 'sk-live-Usage9f8e7d6c5b4a39281706f5e4d3c2b1a0';
/** Plain words no scrubber would mask: the view keeps out arguments and results by design, not by luck. */
const PLAIN = 'plain-words-of-the-caller';
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

describe('who uses the gateway', () => {
  const logger = new MemoryLogger();
  const usage = new GatewayUsage();
  let alpha: HttpFixture;
  let modern: ModernHttpFixture;
  let hub: McpHub;
  let gateway: McpGateway;
  const clients: Client[] = [];

  before(async () => {
    alpha = await startHttpServer({
      name: 'alpha',
      tools: (server) => {
        // A tool's error result that repeats its argument, as many tools' errors do.
        server.registerTool('fail_with', { description: 'Fails, naming its argument', inputSchema: { text: z.string() } }, async ({ text: t }) => ({
          isError: true,
          content: [{ type: 'text', text: `could not use ${t}` }],
        }));
      },
    });
    modern = await startModernHttpServer({ name: 'modern' });
    hub = createHub({ logger });
    await hub.applyConfig(entries({ alpha: { url: alpha.url, tools: { deny: ['dangerous_delete'] } }, beta: stdioEntry({ FIXTURE_NAME: 'beta' }), modern: { url: modern.url } }), {
      trusted: true,
    });
    await Promise.all(['alpha', 'beta', 'modern'].map((n) => waitForKind(hub, n, 'running')));
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger, traffic: usage });
    await gateway.start();
  });

  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gateway.stop();
    await hub.dispose();
    await alpha.close();
    await modern.close();
    usage.dispose();
  });

  const connect = async (name: string, version: string, view: string | undefined, era: 'legacy' | 'modern' = 'legacy') => {
    const c = new Client({ name, version }, { versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } } });
    const transport = new StreamableHTTPClientTransport(new URL(gateway.url(view)), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } });
    await c.connect(transport);
    clients.push(c);
    return { client: c, transport };
  };
  const client = (name: string): GatewayClientView | undefined => usage.snapshot().clients.find((c) => c.name === name);

  it('lists each client by its handshake, with its own calls; counts calls per server; keeps the last errors; and never an argument or a result', async () => {
    // A classic client on one server's own endpoint: its calls go as they are.
    const a = (await connect('claude-code', '2.1.0', 'alpha')).client;
    assert.equal(text(await a.callTool({ name: 'echo', arguments: { text: SECRET } })), SECRET);
    assert.equal(text(await a.callTool({ name: 'fail_with', arguments: { text: PLAIN } })), `could not use ${PLAIN}`);
    // The server's JSON-RPC error names the URI it was asked for.
    await assert.rejects(a.readResource({ uri: `fixture://${PLAIN}` }), new RegExp(`fixture://${PLAIN} not found`));

    // Another classic client, at /mcp: a list (the endpoint's own, no one server's), a call forwarded
    // to beta, and a call of a tool the settings filter out, which the hub refuses in its own words.
    const b = (await connect('cursor', '1.5.0', undefined)).client;
    assert.ok((await b.listTools()).tools.some((t) => t.name === 'beta__echo'));
    assert.equal(text(await b.callTool({ name: 'beta__echo', arguments: { text: SECRET } })), SECRET);
    const refused = await b.callTool({ name: 'alpha__dangerous_delete', arguments: { text: SECRET } });
    assert.equal(refused.isError, true);

    // A 2026-07-28 client at /mcp (no session: known by the name in each request), and a classic
    // client of the 2026-07-28 server (era translation): both answered by the SDK surface.
    const c = (await connect('modern-agent', '3.0.0', undefined, 'modern')).client;
    assert.equal(text(await c.callTool({ name: 'modern__echo', arguments: { text: SECRET } })), SECRET);
    const hostile = `evil\u0007agent Bearer ${SECRET} ${'x'.repeat(400)}`;
    const d = (await connect(hostile, '0.1', 'modern')).client;
    assert.equal(text(await d.callTool({ name: 'echo', arguments: { text: SECRET } })), SECRET);

    const view = usage.snapshot();
    const pick = (x: GatewayClientView | undefined) => x && { version: x.version, era: x.era, server: x.server, calls: x.calls, failed: x.failed };
    assert.deepEqual(pick(client('claude-code')), { version: '2.1.0', era: 'classic', server: 'alpha', calls: 3, failed: 2 });
    assert.deepEqual(pick(client('cursor')), { version: '1.5.0', era: 'classic', server: undefined, calls: 2, failed: 1 });
    assert.deepEqual(pick(client('modern-agent')), { version: '3.0.0', era: '2026-07-28', server: undefined, calls: 1, failed: 0 });
    // The hostile name: one line, no control character, no secret, capped.
    const evil = view.clients.find((x) => x.name.startsWith('evil'));
    assert.ok(evil, view.clients.map((x) => x.name).join(', '));
    assert.equal(evil.calls, 1);
    assert.ok(evil.name.length <= 100 && evil.name.endsWith('…'), evil.name);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(evil.name, /[\u0000-\u001f]/);

    assert.deepEqual(
      view.servers.map((s) => `${s.server}: ${s.calls} calls, ${s.toolCalls} tool calls, ${s.failed} failed`),
      ['alpha: 4 calls, 3 tool calls, 3 failed', 'modern: 2 calls, 2 tool calls, 0 failed', 'beta: 1 calls, 1 tool calls, 0 failed'],
    );
    assert.deepEqual(
      view.errors.map((e) => `${e.server} ${e.method} from ${e.client}: ${e.message}`),
      [
        'alpha tools/call from cursor 1.5.0: Server "alpha" has no tool "alpha__dangerous_delete" (or it is filtered out in settings).',
        // The SDK's server answers an unknown resource with -32602 (invalid params).
        'alpha resources/read from claude-code 2.1.0: The server answered with JSON-RPC error -32602 (invalid params).',
        'alpha tools/call from claude-code 2.1.0: The tool answered with an error result.',
      ],
    );
    // Nothing of what was sent or answered: not the argument, not the echoed results.
    const shown = JSON.stringify(view);
    assert.ok(!shown.includes(SECRET), shown);
    assert.ok(!shown.includes(PLAIN), shown);
    assert.ok(!shown.includes('could not use'), shown);
  });

  it('drops a classic client when its session ends', async () => {
    const { transport } = await connect('short-lived', '1', 'beta');
    assert.ok(client('short-lived'));
    await transport.terminateSession();
    assert.equal(client('short-lived'), undefined);
  });
});
