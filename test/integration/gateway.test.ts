// The local gateway under Node: an SDK client connected only to the gateway lists and calls the
// tools of a stdio server and an HTTP server in either protocol era, sees list changes, cancels
// calls upstream, gets a clear answer from a server that needs sign-in; and nothing without the
// token, with a foreign Host or a browser Origin, or on a non-loopback address.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { InputRouter } from '../../src/core/gateway/input-router';
import { McpGateway } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { startModernHttpServer, type ModernHttpFixture } from '../fixtures/modern-http-server';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { startAuthorizationServer } from '../fixtures/authorization-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createHub, createOAuthHub, entries, FakeBrowser, MemoryLogger, stdioEntry, waitFor, waitForKind } from '../helpers';

const TOKEN = 'gw-token-0123456789abcdef0123456789abcdef';
const text = (r: unknown) => ((r as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

describe('the local gateway', () => {
  const logger = new MemoryLogger();
  let hub: McpHub;
  let gateway: McpGateway;
  let slow: HttpFixture;
  let modern: ModernHttpFixture;
  let guarded: HttpFixture;
  const cancelled: string[] = [];
  const signInNeeded: string[] = [];

  const connect = async (path: string, mode: 'legacy' | 'auto' = 'legacy', onToolsChanged?: () => void) => {
    const client = new Client(
      { name: 'gateway-test', version: '0' },
      {
        versionNegotiation: { mode },
        ...(onToolsChanged ? { listChanged: { tools: { autoRefresh: false, onChanged: () => onToolsChanged() } } } : {}),
      },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gateway.port}${path}`), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    return client;
  };

  before(async () => {
    slow = await startHttpServer({
      name: 'slow',
      tools: (server) =>
        server.registerTool('wait', { description: 'Waits until cancelled, reporting progress', inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
          const token = extra._meta?.progressToken;
          if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: 1, total: 2, message: 'halfway' } });
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            extra.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              cancelled.push('wait');
              resolve();
            });
          });
          return { content: [{ type: 'text', text: 'waited' }] };
        }),
    });
    modern = await startModernHttpServer({ name: 'modern' });
    guarded = await startHttpServer({ name: 'guarded', requireHeader: ['authorization', 'Bearer nobody-has-this'] });
    hub = createHub({ logger });
    await hub.applyConfig(
      entries({
        local: stdioEntry({}, { tools: { deny: ['dangerous_delete'] } }),
        slow: { url: slow.url },
        modern: { url: modern.url },
        guarded: { url: guarded.url },
      }),
      { trusted: true },
    );
    for (const name of ['local', 'slow', 'modern']) await waitForKind(hub, name, 'running');
    await waitForKind(hub, 'guarded', 'authRequired');
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0.0.0', logger, onSignInNeeded: (s) => signInNeeded.push(s) });
    await gateway.start();
  });
  after(async () => {
    await gateway.stop();
    await hub.dispose();
    await slow.close();
    await modern.close();
    await guarded.close();
  });

  it('lists and calls a stdio server through its own endpoint, with the filters applied (classic client)', async () => {
    const client = await connect('/servers/local/mcp');
    // VS Code names the tools mcp_<serverInfo title or name, cut to 13 characters>_<tool>: the hub's name for the server, nothing more.
    assert.deepEqual(client.getServerVersion(), { name: 'local', version: '0.0.0' });
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name).sort(),
      hub
        .listTools('local')
        .map((t) => t.name)
        .sort(),
    );
    assert.ok(!tools.some((t) => t.name === 'dangerous_delete'), 'filtered out in settings');
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'through the gateway' } })), 'through the gateway');
    const add = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert.equal(text(add), '5');
    await client.close();
  });

  it('serves the 2026-07-28 revision too, whatever era the upstream server speaks', async () => {
    const client = await connect('/servers/local/mcp', 'auto');
    assert.equal(client.getProtocolEra(), 'modern');
    assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'modern to classic' } })), 'modern to classic');
    await client.close();
    const classic = await connect('/servers/modern/mcp');
    assert.equal(classic.getProtocolEra(), 'legacy');
    assert.equal(text(await classic.callTool({ name: 'echo', arguments: { text: 'classic to modern' } })), 'classic to modern');
    await classic.close();
  });

  it('puts every running server at /mcp under stable, unique, well-formed names', async () => {
    const client = await connect('/mcp');
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of names) assert.match(n, /^[A-Za-z0-9_-]{1,64}$/);
    assert.ok(names.includes('local__echo') && names.includes('modern__echo') && names.includes('slow__wait'), names.join(' '));
    assert.equal(new Set(names).size, names.length);
    assert.equal(text(await client.callTool({ name: 'modern__echo', arguments: { text: 'combined' } })), 'combined');
    await client.close();
  });

  it("passes a server's tool list change on to a connected client", async () => {
    let changes = 0;
    const client = await connect('/servers/local/mcp', 'legacy', () => changes++);
    await client.callTool({ name: 'add_tool', arguments: { toolName: 'fresh_tool' } });
    await waitFor(hub, 'local', (s) => s.state.kind === 'running' && s.state.tools.some((t) => t.name === 'fresh_tool'));
    const deadline = Date.now() + 5_000;
    while (changes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(changes > 0, 'list_changed reached the client');
    assert.ok((await client.listTools()).tools.some((t) => t.name === 'fresh_tool'));
    await client.close();
  });

  it("forwards progress, and a client's cancel aborts the upstream call", async () => {
    const client = await connect('/servers/slow/mcp');
    const progress: string[] = [];
    const abort = new AbortController();
    const call = client.callTool({ name: 'wait', arguments: { ms: 30_000 } }, { signal: abort.signal, onprogress: (p) => progress.push(`${p.progress}/${p.total} ${p.message}`) });
    const deadline = Date.now() + 5_000;
    while (progress.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(progress, ['1/2 halfway']);
    abort.abort();
    await assert.rejects(call);
    const until = Date.now() + 5_000;
    while (cancelled.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(cancelled, ['wait'], 'the upstream server saw the cancellation');
    await client.close();
  });

  it('answers a call to a server that needs sign-in with "Sign in to <name> in MCP Hub"', async () => {
    const client = await connect('/mcp');
    const result = await client.callTool({ name: 'guarded__echo', arguments: { text: 'x' } });
    assert.equal(result.isError, true);
    assert.match(text(result), /^Sign in to guarded in MCP Hub/);
    assert.deepEqual(signInNeeded, ['guarded']);
    await client.close();
  });

  describe('refuses', () => {
    const raw = (headers: Record<string, string>, body = '{}', host = `127.0.0.1:${gateway.port}`, path = '/mcp') =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: gateway.port,
            path,
            method: 'POST',
            headers: { host, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const init = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '0' } },
    });

    it('a request without the token, or with a wrong one (401)', async () => {
      assert.equal(await raw({}, init), 401);
      assert.equal(await raw({ authorization: 'Bearer wrong' }, init), 401);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}x` }, init), 401);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}` }, init), 200);
    });

    it('a foreign Host or any browser Origin (403), even with the token', async () => {
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}` }, init, `evil.example:${gateway.port}`), 403);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}`, origin: 'http://127.0.0.1:1234' }, init), 403);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' }, init), 403);
    });

    it('an unknown path or server (404) and an oversized body (413)', async () => {
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}` }, init, undefined, '/servers/nope/mcp'), 404);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}` }, init, undefined, '/other'), 404);
      assert.equal(await raw({ authorization: `Bearer ${TOKEN}` }, 'x'.repeat(5 * 1024 * 1024)), 413);
    });

    it('every address but loopback: nothing listens there', async () => {
      const addresses = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === 'IPv4' && !a.internal)
        .map((a) => a!.address);
      for (const address of addresses) {
        const outcome = await new Promise<string>((resolve) => {
          const req = request({ host: address, port: gateway.port, path: '/mcp', method: 'GET', timeout: 2_000 }, (res) => {
            res.resume();
            resolve(`answered ${res.statusCode}`);
          });
          req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          req.on('timeout', () => {
            req.destroy();
            resolve('timeout');
          });
          req.end();
        });
        assert.doesNotMatch(outcome, /^answered/, `${address} must not answer`);
      }
      console.log(`gateway: not reachable on ${addresses.length} non-loopback address(es)`);
      assert.ok(!logger.text().includes(TOKEN), 'the token is never logged');
    });
  });
});

describe('the gateway in front of an OAuth-protected server', () => {
  it('answers "Sign in" before the sign-in, then calls the tools on the session the hub signed in to, which the client never sees', async () => {
    const as = await startAuthorizationServer();
    const mcp = await startProtectedMcpServer({ authorizationServer: as });
    const hub = createOAuthHub({ store: new MemorySecretStore(), browser: new FakeBrowser(new ScriptedBrowser()) });
    const gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger: new MemoryLogger() });
    try {
      await hub.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
      await waitForKind(hub, 'secure', 'authRequired');
      await gateway.start();
      const client = new Client({ name: 'gateway-test', version: '0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url('secure')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      const before = await client.callTool({ name: 'echo', arguments: { text: 'x' } });
      assert.equal(before.isError, true);
      assert.match(text(before), /^Sign in to secure in MCP Hub/);

      await hub.authenticate('secure');
      await waitForKind(hub, 'secure', 'running');
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('echo'), tools.join(' '));
      assert.equal(text(await client.callTool({ name: 'echo', arguments: { text: 'signed in through the hub' } })), 'signed in through the hub');
      // The upstream server saw the hub's OAuth token; the gateway's client only ever sent the gateway token.
      assert.ok(mcp.stats.bearerTokens.size > 0 && !mcp.stats.bearerTokens.has(TOKEN));
      await client.close();
    } finally {
      await gateway.stop();
      await hub.dispose();
      await mcp.close();
      await as.close();
    }
  });
});

describe('the gateway while a server restarts', () => {
  it('holds a call made during the restart until the server is back, within its timeout', async () => {
    const hub = createHub({ logger: new MemoryLogger() });
    const gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger: new MemoryLogger() });
    try {
      await hub.applyConfig(entries({ local: stdioEntry({ FIXTURE_INIT_DELAY_MS: '400' }) }), { trusted: true });
      await waitForKind(hub, 'local', 'running');
      await gateway.start();
      const client = new Client({ name: 'gateway-test', version: '0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url('local')), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      const restarting = hub.restart('local');
      await waitForKind(hub, 'local', 'starting');
      const result = await client.callTool({ name: 'echo', arguments: { text: 'after the restart' } });
      assert.equal(result.isError, undefined);
      assert.equal(text(result), 'after the restart');
      await restarting;
      await client.close();
    } finally {
      await gateway.stop();
      await hub.dispose();
    }
  });
});

describe("the gateway and a server's questions (elicitation, sampling)", () => {
  const logger = new MemoryLogger();
  const router = new InputRouter(logger);
  let asking: HttpFixture;
  let modern: ModernHttpFixture;
  let hub: McpHub;
  let gateway: McpGateway;
  const questions: string[] = [];

  before(async () => {
    asking = await startHttpServer({
      name: 'asking',
      tools: (server) => {
        // Each question is sent on the call's own stream (relatedRequestId), which is what ties it to the caller.
        server.registerTool('ask', { description: 'Asks the user for a name' }, async (extra) => {
          const answer = await server.server.elicitInput(
            { message: 'Who are you?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } },
            { relatedRequestId: extra.requestId },
          );
          return { content: [{ type: 'text', text: answer.action === 'accept' ? `Hello, ${String(answer.content?.name)}` : `no answer (${answer.action})` }] };
        });
        server.registerTool('summarize', { description: "Asks the client's model", inputSchema: { text: z.string() } }, async ({ text: input }, extra) => {
          const answer = await server.server.createMessage(
            { messages: [{ role: 'user', content: { type: 'text', text: `Summarize: ${input}` } }], maxTokens: 50 },
            { relatedRequestId: extra.requestId },
          );
          return { content: [{ type: 'text', text: `Summary: ${answer.content.type === 'text' ? answer.content.text : '?'}` }] };
        });
      },
    });
    modern = await startModernHttpServer({ name: 'modern-asking' });
    hub = createHub({ logger, elicitation: router, sampling: router });
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger, questions: router });
    await hub.applyConfig(entries({ asking: { url: asking.url }, modern: { url: modern.url } }), { trusted: true });
    await waitForKind(hub, 'asking', 'running');
    await waitForKind(hub, 'modern', 'running');
    await gateway.start();
  });
  after(async () => {
    await gateway.stop();
    await hub.dispose();
    await asking.close();
    await modern.close();
  });

  /** A gateway client at /mcp, in the given era, that answers questions when `answers` is set. */
  const client = async (era: 'legacy' | 'modern', answers: boolean) => {
    const c = new Client(
      { name: `${era}-${answers ? 'answering' : 'mute'}`, version: '0' },
      {
        versionNegotiation: era === 'legacy' ? { mode: 'legacy' } : { mode: { pin: '2026-07-28' } },
        ...(answers ? { capabilities: { elicitation: { form: {} }, sampling: {} } } : {}),
      },
    );
    if (answers) {
      c.setRequestHandler('elicitation/create', (request) => {
        questions.push(request.params.message);
        return { action: 'accept', content: { name: 'Ada' } };
      });
      c.setRequestHandler('sampling/createMessage', (request) => {
        const first = request.params.messages[0]?.content;
        questions.push(first && 'text' in first ? String(first.text) : '?');
        return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'short' } };
      });
    }
    await c.connect(new StreamableHTTPClientTransport(new URL(gateway.url()), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    return c;
  };

  it('a classic client that declared elicitation and sampling answers both, for a classic server', async () => {
    questions.length = 0;
    const c = await client('legacy', true);
    assert.equal(text(await c.callTool({ name: 'asking__ask', arguments: {} })), 'Hello, Ada');
    assert.equal(text(await c.callTool({ name: 'asking__summarize', arguments: { text: 'a long text' } })), 'Summary: short');
    assert.deepEqual(questions, ['Who are you?', 'Summarize: a long text']);
    await c.close();
  });

  it('a 2026-07-28 client answers in retries of its call (input_required), whichever era the server speaks', async () => {
    questions.length = 0;
    const c = await client('modern', true);
    assert.equal(text(await c.callTool({ name: 'asking__ask', arguments: {} })), 'Hello, Ada');
    assert.equal(text(await c.callTool({ name: 'asking__summarize', arguments: { text: 'one' } })), 'Summary: short');
    assert.equal(text(await c.callTool({ name: 'modern__ask', arguments: {} })), 'Hello, Ada');
    assert.equal(text(await c.callTool({ name: 'modern__summarize', arguments: { text: 'two' } })), 'Summary: short');
    assert.deepEqual(questions, ['Who are you?', 'Summarize: one', 'What is your name?', 'Summarize: two']);
    await c.close();
  });

  it('a client that did not declare them gets a declined elicitation and a refused sampling request, with a log line that says why', async () => {
    for (const era of ['legacy', 'modern'] as const) {
      const c = await client(era, false);
      assert.equal(text(await c.callTool({ name: 'asking__ask', arguments: {} })), 'no answer (decline)', era);
      const sampled = await c.callTool({ name: 'asking__summarize', arguments: { text: 'x' } });
      assert.equal(sampled.isError, true, era);
      assert.match(text(sampled), /no client connected to asking through MCP Hub can answer this sampling request/, era);
      await c.close();
    }
    assert.match(logger.text(), /\[asking\] asked for input \(form elicitation\) but the client whose call it is cannot answer it; declined/);
    assert.match(logger.text(), /\[asking\] asked for a completion \(sampling\) but the client whose call it is cannot answer it; refused/);
  });
});
