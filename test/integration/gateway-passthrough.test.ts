// The gateway's pass-through: on a server's own endpoint, a client of the server's era has its
// requests forwarded as they are, on the hub's one upstream session. Two clients using the same
// JSON-RPC ids at once each get their own answers; a tool the settings filter out is neither listed
// nor callable; a server's question reaches the client whose call it is; a cancel reaches the
// server; progress comes back under the client's own token; a list change reaches every client; a
// 2026-07-28 client of a 2026-07-28 server goes as it is too. The traffic hook sees each session's
// handshake and each forwarded call (which is how these tests know the calls were forwarded).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { McpGateway } from '../../src/core/gateway/gateway';
import { InputRouter } from '../../src/core/gateway/input-router';
import type { ClientSessionInfo, ForwardedCallInfo } from '../../src/core/gateway/traffic';
import type { McpHub } from '../../src/core/hub';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { startModernHttpServer, type ModernHttpFixture } from '../fixtures/modern-http-server';
import { createHub, entries, MemoryLogger, waitFor, waitForKind } from '../helpers';

const TOKEN = 'gw-token-passthrough-0123456789abcdef01234';
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('gateway pass-through on a server’s own endpoint', () => {
  const logger = new MemoryLogger();
  const router = new InputRouter(logger);
  const sessions: ClientSessionInfo[] = [];
  const calls: ForwardedCallInfo[] = [];
  const cancelled: string[] = [];
  let classic: HttpFixture;
  let modern: ModernHttpFixture;
  let hub: McpHub;
  let gateway: McpGateway;
  const clients: Client[] = [];

  before(async () => {
    classic = await startHttpServer({
      name: 'classic',
      tools: (server) => {
        // Answers after `ms`, with the argument it was given: concurrent calls finish out of order.
        server.registerTool('slow_echo', { description: 'Echoes after a while', inputSchema: { text: z.string(), ms: z.number() } }, async ({ text: t, ms }, extra) => {
          const token = extra._meta?.progressToken;
          if (token !== undefined)
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2, message: `halfway ${t}` } });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            extra.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              cancelled.push(t);
              resolve();
            });
          });
          return { content: [{ type: 'text', text: t }] };
        });
        server.registerTool('ask', { description: 'Asks the caller who they are' }, async (extra) => {
          const answer = await server.server.elicitInput(
            { message: 'Who are you?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
            { relatedRequestId: extra.requestId },
          );
          return { content: [{ type: 'text', text: `Hello, ${String(answer.content?.name)}` }] };
        });
      },
    });
    modern = await startModernHttpServer({ name: 'modern' });
    hub = createHub({ logger, elicitation: router, sampling: router });
    await hub.applyConfig(entries({ classic: { url: classic.url, tools: { deny: ['dangerous_delete'] } }, modern: { url: modern.url } }), { trusted: true });
    await waitForKind(hub, 'classic', 'running');
    await waitForKind(hub, 'modern', 'running');
    gateway = new McpGateway(hub, {
      token: () => TOKEN,
      version: '0',
      logger,
      questions: router,
      traffic: { clientConnected: (s) => sessions.push(s), clientDisconnected: () => undefined, called: (c) => calls.push(c) },
    });
    await gateway.start();
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gateway.stop();
    await hub.dispose();
    await classic.close();
    await modern.close();
  });

  const connect = async (name: string, server = 'classic', options: ConstructorParameters<typeof Client>[1] = {}) => {
    const c = new Client({ name, version: '1.2.3' }, { versionNegotiation: { mode: 'legacy' }, ...options });
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.url(server)), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    clients.push(c);
    return c;
  };

  /** One raw JSON-RPC exchange on a session, as any client would post it. */
  const post = async (sessionId: string | undefined, body: object) => {
    const res = await fetch(gateway.url('classic'), {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        ...(sessionId ? { 'Mcp-Session-Id': sessionId } : {}),
      },
      body: JSON.stringify(body),
    });
    return { sessionId: res.headers.get('mcp-session-id'), type: res.headers.get('content-type'), body: await res.text() };
  };
  const rawSession = async (name: string) => {
    const init = await post(undefined, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name, version: '0' } },
    });
    assert.ok(init.sessionId, init.body);
    await post(init.sessionId, { jsonrpc: '2.0', method: 'notifications/initialized' });
    return init.sessionId;
  };
  const messagesOf = (response: { type: string | null; body: string }) =>
    response.type?.startsWith('text/event-stream')
      ? response.body
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => JSON.parse(l.slice(6)) as { id?: unknown; result?: { content: Array<{ text: string }> } })
      : [JSON.parse(response.body) as { id?: unknown; result?: { content: Array<{ text: string }> } }];

  it('tells the traffic hook of each session’s handshake, never its id', async () => {
    await connect('handshake-client');
    const s = sessions.find((x) => x.name === 'handshake-client');
    assert.deepEqual(s && { view: s.view, version: s.version }, { view: 'classic', version: '1.2.3' });
    assert.equal(typeof s?.session, 'number');
  });

  it('two clients using the same request ids at once each get their own answers', async () => {
    const [a, b] = await Promise.all([rawSession('A'), rawSession('B')]);
    const before = calls.length;
    // Same id 7 on both sessions, in flight together; A's answer comes last.
    const call = (session: string, t: string, ms: number) =>
      post(session, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow_echo', arguments: { text: t, ms } } });
    const [ra, rb] = await Promise.all([call(a, 'for A', 300), call(b, 'for B', 10)]);
    const [ma] = messagesOf(ra);
    const [mb] = messagesOf(rb);
    assert.equal(ma.id, 7);
    assert.equal(mb.id, 7);
    assert.equal(ma.result?.content[0].text, 'for A');
    assert.equal(mb.result?.content[0].text, 'for B');
    assert.deepEqual(
      calls.slice(before).map((c) => `${c.server} ${c.method} ${c.ok}`),
      ['classic tools/call true', 'classic tools/call true'],
      'both were forwarded as they are',
    );
  });

  it('a tool the settings filter out is not listed and its call is refused, not forwarded', async () => {
    const c = await connect('filtered-client');
    const names = (await c.listTools()).tools.map((t) => t.name);
    assert.ok(names.includes('echo') && !names.includes('dangerous_delete'), names.join(' '));
    const before = classic.stats.requests;
    const refused = await c.callTool({ name: 'dangerous_delete', arguments: {} });
    assert.equal(refused.isError, true);
    assert.match(text(refused), /filtered out/);
    assert.equal(classic.stats.requests, before, 'nothing reached the server');
  });

  it('a server’s question goes to the client whose call it is, never to the other', async () => {
    const asked: string[] = [];
    const answering = async (name: string) => {
      const c = await connect(name, 'classic', { capabilities: { elicitation: { form: {} } } });
      c.setRequestHandler('elicitation/create', () => {
        asked.push(name);
        return { action: 'accept', content: { name } };
      });
      return c;
    };
    const x = await answering('X');
    const y = await answering('Y');
    // Y has a call open on the same server while X's call asks.
    const yCall = y.callTool({ name: 'slow_echo', arguments: { text: 'Y waits', ms: 300 } });
    assert.equal(text(await x.callTool({ name: 'ask', arguments: {} })), 'Hello, X');
    assert.equal(text(await yCall), 'Y waits');
    assert.equal(text(await y.callTool({ name: 'ask', arguments: {} })), 'Hello, Y');
    assert.deepEqual(asked, ['X', 'Y']);
  });

  it('progress comes back under the client’s own token, and a cancel reaches the server', async () => {
    const c = await connect('progress-client');
    const progress: string[] = [];
    const abort = new AbortController();
    const call = c.callTool(
      { name: 'slow_echo', arguments: { text: 'cancel me', ms: 30_000 } },
      { signal: abort.signal, onprogress: (p) => progress.push(`${p.progress}/${p.total} ${p.message}`) },
    );
    await until(() => progress.length > 0, 'progress');
    assert.deepEqual(progress, ['1/2 halfway cancel me']);
    abort.abort();
    await assert.rejects(call);
    await until(() => cancelled.includes('cancel me'), 'the server to see the cancel');
    // The session goes on: the next call is answered.
    assert.equal(text(await c.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here');
  });

  it('a list change reaches every client of the server', async () => {
    let first = 0;
    let second = 0;
    const a = await connect('list-a', 'classic', { listChanged: { tools: { autoRefresh: false, onChanged: () => first++ } } });
    await connect('list-b', 'classic', { listChanged: { tools: { autoRefresh: false, onChanged: () => second++ } } });
    await a.callTool({ name: 'add_tool', arguments: { toolName: 'fanned_out' } });
    await waitFor(hub, 'classic', (s) => s.state.kind === 'running' && s.state.tools.some((t) => t.name === 'fanned_out'));
    await until(() => first > 0 && second > 0, 'list_changed at both clients');
    assert.ok((await a.listTools()).tools.some((t) => t.name === 'fanned_out'));
  });

  it('a 2026-07-28 client of a 2026-07-28 server goes as it is too', async () => {
    const c = new Client({ name: 'modern-client', version: '0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.url('modern')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    clients.push(c);
    const before = calls.length;
    assert.equal(text(await c.callTool({ name: 'echo', arguments: { text: 'modern to modern' } })), 'modern to modern');
    assert.deepEqual(
      calls.slice(before).map((x) => `${x.server} ${x.method} ${x.ok}`),
      ['modern tools/call true'],
    );
  });
});
