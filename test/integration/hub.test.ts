// The hub under plain Node against real MCP servers: the SDK-built fixtures in test/fixtures and
// @modelcontextprotocol/server-everything. No SDK mocks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { parseServer } from '../../src/core/config';
import { eraKey, InMemoryEraMemory } from '../../src/core/connection/era';
import { HubError } from '../../src/core/errors';
import type { McpHub } from '../../src/core/hub';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { createHub, entries, everythingServer, FakeClock, isAlive, MemoryLogger, pidOf, stdioEntry, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

describe('McpHub with real servers', () => {
  let hub: McpHub;
  let http: HttpFixture;
  let logger: MemoryLogger;

  before(async () => {
    http = await startHttpServer({ name: 'http-fixture' });
  });
  after(async () => {
    await http.close();
  });
  afterEach(async () => {
    await hub?.dispose();
  });

  function newHub() {
    logger = new MemoryLogger();
    hub = createHub({ logger });
    return hub;
  }

  it('takes a stdio and a Streamable HTTP server from settings to running, with tools listed and callable', async () => {
    newHub();
    await hub.applyConfig(entries({ local: stdioEntry(), remote: { type: 'streamable-http', url: http.url } }), { trusted: true });
    const [local, remote] = await Promise.all([waitForKind(hub, 'local', 'running'), waitForKind(hub, 'remote', 'running')]);
    for (const s of [local, remote]) {
      assert.ok(s.state.kind === 'running');
      assert.deepEqual(
        s.state.tools.map((t) => t.name).sort(),
        ['add', 'add_tool', 'dangerous_delete', 'echo', 'greet_person', 'whoami', ...(s.name === 'local' ? ['crash'] : [])].sort(),
      );
      assert.deepEqual(
        s.state.resources.map((r) => r.uri),
        ['fixture://readme'],
      );
      assert.deepEqual(
        s.state.prompts.map((p) => p.name),
        ['greet'],
      );
    }
    assert.equal(text(await hub.callTool('local', 'echo', { text: 'hi' })), 'hi');
    assert.equal(text(await hub.callTool('remote', 'add', { a: 2, b: 3 })), '5');
    assert.equal(hub.listTools('remote').length, 6);
  });

  it('runs @modelcontextprotocol/server-everything over stdio', async () => {
    newHub();
    await hub.applyConfig(entries({ everything: { command: process.execPath, args: [everythingServer, 'stdio'] } }), { trusted: true });
    const s = await waitForKind(hub, 'everything', 'running');
    assert.ok(s.state.kind === 'running' && s.state.tools.some((t) => t.name === 'echo'));
    const result = await hub.callTool('everything', 'echo', { message: 'from the hub' });
    assert.match(text(result), /from the hub/);
  });

  it('refreshes the tool list on notifications/tools/list_changed', async () => {
    newHub();
    await hub.applyConfig(entries({ local: stdioEntry(), remote: { url: http.url } }), { trusted: true });
    for (const name of ['local', 'remote']) {
      await waitForKind(hub, name, 'running');
      await hub.callTool(name, 'add_tool', { toolName: `late_${name}` });
      await waitFor(hub, name, (s) => s.state.kind === 'running' && s.state.tools.some((t) => t.name === `late_${name}`));
      assert.equal(text(await hub.callTool(name, `late_${name}`)), `late_${name}`);
    }
  });

  it('puts a crashed stdio server in error with its stderr, then restarts it with backoff', async () => {
    newHub();
    await hub.applyConfig(entries({ local: stdioEntry() }), { trusted: true });
    await waitForKind(hub, 'local', 'running');
    const firstPid = await pidOf(hub, 'local');
    const errored = waitForKind(hub, 'local', 'error');
    await hub.callTool('local', 'crash', {});
    const s = await errored;
    assert.ok(s.state.kind === 'error');
    assert.equal(s.state.message, 'The server process exited.');
    assert.match(s.state.detail ?? '', /crashing on request/);
    assert.ok(s.state.retryAt! > Date.now() - 1000);
    await waitForKind(hub, 'local', 'running');
    const secondPid = await pidOf(hub, 'local');
    assert.notEqual(secondPid, firstPid);
    assert.ok(!isAlive(firstPid));
  });

  it('notices a dropped HTTP connection, goes to error and reconnects when the server is back', async () => {
    const flaky = await startHttpServer({ name: 'flaky' });
    let back: HttpFixture | undefined;
    try {
      newHub();
      await hub.applyConfig(entries({ flaky: { type: 'streamable-http', url: flaky.url } }), { trusted: true });
      await waitForKind(hub, 'flaky', 'running');
      const errored = waitForKind(hub, 'flaky', 'error');
      await flaky.close();
      const s = await errored;
      assert.ok(s.state.kind === 'error' && s.state.retryAt !== undefined);
      assert.equal(s.state.message, 'The connection to the server was lost.');
      back = await startHttpServer({ name: 'flaky', port: flaky.port });
      await waitForKind(hub, 'flaky', 'running');
      assert.equal(text(await hub.callTool('flaky', 'echo', { text: 'again' })), 'again');
    } finally {
      await hub.dispose();
      await back?.close();
    }
  });

  it('doubles the retry delay up to its cap for a server that keeps failing', async () => {
    // The retries run on an injected clock, so each delay is read off the state exactly, however busy the machine.
    const clock = new FakeClock();
    logger = new MemoryLogger();
    hub = createHub({ logger, clock });
    await hub.applyConfig(entries({ broken: stdioEntry({ FIXTURE_EXIT_EARLY: '2' }) }), { trusted: true });
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await waitFor(hub, 'broken', (x) => x.state.kind === 'error' && x.state.retryAt !== undefined && x.state.retryAt > clock.now());
      assert.ok(s.state.kind === 'error');
      assert.equal(s.state.message, 'The server process exited before it finished starting.');
      assert.equal(s.state.detail, 'fixture: missing API key\nfixture: giving up');
      delays.push(s.state.retryAt! - clock.now());
      clock.advance(delays[i]);
    }
    await hub.stop('broken');
    // fastRetry: 100 ms doubling to a 400 ms cap.
    assert.deepEqual(delays, [100, 200, 400, 400, 400]);
  });

  it('applies a settings edit as a diff', async () => {
    newHub();
    await hub.applyConfig(entries({ a: stdioEntry({ FIXTURE_NAME: 'a' }), b: stdioEntry({ FIXTURE_NAME: 'b' }), c: stdioEntry({ FIXTURE_NAME: 'c' }) }), { trusted: true });
    await Promise.all(['a', 'b', 'c'].map((n) => waitForKind(hub, n, 'running')));
    const [pidA, pidB, pidC] = await Promise.all(['a', 'b', 'c'].map((n) => pidOf(hub, n)));

    const diff = await hub.applyConfig(entries({ b: stdioEntry({ FIXTURE_NAME: 'b' }), c: stdioEntry({ FIXTURE_NAME: 'c2' }), d: stdioEntry({ FIXTURE_NAME: 'd' }) }), {
      trusted: true,
    });
    assert.deepEqual(diff, { added: ['d'], removed: ['a'], changed: ['c'], unchanged: ['b'] });
    await Promise.all(['c', 'd'].map((n) => waitForKind(hub, n, 'running')));
    assert.equal(hub.server('a'), undefined);
    assert.ok(!isAlive(pidA), 'removed server stopped');
    assert.equal(await pidOf(hub, 'b'), pidB, 'unchanged server untouched');
    assert.ok(!isAlive(pidC), 'changed server restarted');
    assert.match(text(await hub.callTool('c', 'whoami')), /^c2 /);
  });

  it('times out a hung server without delaying the others', async () => {
    newHub();
    await hub.applyConfig(entries({ hung: stdioEntry({ FIXTURE_HANG: '1' }, { timeout: 10 }), fine: stdioEntry() }), { trusted: true });
    await waitForKind(hub, 'fine', 'running');
    // Not held up: the healthy server runs while the hung one is still starting (an order, not a time).
    assert.equal(hub.server('hung')!.state.kind, 'starting', 'the healthy server was not held up by the hung one');
    const s = await waitForKind(hub, 'hung', 'error', 20_000);
    assert.ok(s.state.kind === 'error');
    assert.equal(s.state.message, 'Timed out after 10 s waiting for the server to start (mcpHub.servers.hung.timeout).');
  });

  it("turns an invalid entry into that server's error and runs the rest", async () => {
    newHub();
    await hub.applyConfig(entries({ github: { type: 'http', url: 'github.com/mcp' }, fine: stdioEntry(), nothing: {} }), { trusted: true });
    await waitForKind(hub, 'fine', 'running');
    assert.deepEqual(hub.server('github')!.state, { kind: 'error', code: 'invalid_settings', message: 'mcpHub.servers.github.url: must be an http(s) URL' });
    assert.equal(hub.server('nothing')!.state.kind, 'error');
    await assert.rejects(hub.start('github'), /cannot start: its settings are invalid: mcpHub.servers.github.url/);
  });

  it('hides and refuses tools filtered out by allow/deny', async () => {
    newHub();
    await hub.applyConfig(entries({ local: stdioEntry({}, { tools: { deny: ['dangerous_*'] } }), remote: { url: http.url, tools: { allow: ['echo', 'add'] } } }), {
      trusted: true,
    });
    const local = await waitForKind(hub, 'local', 'running');
    const remote = await waitForKind(hub, 'remote', 'running');
    assert.ok(local.state.kind === 'running' && !local.state.tools.some((t) => t.name === 'dangerous_delete'));
    assert.ok(remote.state.kind === 'running');
    assert.deepEqual(remote.state.tools.map((t) => t.name).sort(), ['add', 'echo']);
    await assert.rejects(hub.callTool('local', 'dangerous_delete'), (e: unknown) => e instanceof HubError && e.code === 'tool_not_allowed');
    await assert.rejects(hub.callTool('remote', 'whoami'), /filtered out by mcpHub.servers.remote.tools/);
  });

  it('falls back from Streamable HTTP to SSE for a legacy server when type is "http"', async () => {
    const legacy = await startHttpServer({ legacySse: true, paths: ['/sse'], name: 'legacy' });
    try {
      newHub();
      await hub.applyConfig(entries({ legacy: { type: 'http', url: legacy.urlFor('/sse') }, strict: { type: 'streamable-http', url: legacy.urlFor('/sse') } }), { trusted: true });
      await waitForKind(hub, 'legacy', 'running');
      assert.equal(text(await hub.callTool('legacy', 'echo', { text: 'old' })), 'old');
      assert.match(logger.text(), /trying the legacy SSE transport/);
      const strict = await waitForKind(hub, 'strict', 'error');
      assert.ok(strict.state.kind === 'error' && /405/.test(strict.state.message));
    } finally {
      await hub.dispose();
      await legacy.close();
    }
  });

  // The order a busy machine brought out: the "http" entry's SSE verdict for the URL is stored before
  // the "streamable-http" entry for the same URL starts, which must still not take SSE from it.
  it('never connects a "streamable-http" server over SSE, though an "http" entry for its URL learned that it speaks only SSE', async () => {
    const legacy = await startHttpServer({ legacySse: true, paths: ['/sse'], name: 'legacy' });
    try {
      newHub();
      const legacyEntry = { type: 'http', url: legacy.urlFor('/sse') };
      await hub.applyConfig(entries({ legacy: legacyEntry }), { trusted: true });
      await waitForKind(hub, 'legacy', 'running');
      await hub.applyConfig(entries({ legacy: legacyEntry, strict: { type: 'streamable-http', url: legacy.urlFor('/sse') } }), { trusted: true });
      const strict = await waitFor(hub, 'strict', (s) => s.state.kind === 'error' || s.state.kind === 'running');
      assert.ok(strict.state.kind === 'error' && /405/.test(strict.state.message), JSON.stringify(strict.state).slice(0, 200));
    } finally {
      await hub.dispose();
      await legacy.close();
    }
  });

  it('never takes SSE for a "streamable-http" entry, even where the URL is remembered as a legacy SSE server', async () => {
    const legacy = await startHttpServer({ legacySse: true, paths: ['/sse'], name: 'legacy' });
    const eras = new InMemoryEraMemory();
    try {
      logger = new MemoryLogger();
      hub = createHub({ logger, eras });
      const strict = { type: 'streamable-http', url: legacy.urlFor('/sse') } as const;
      const parsed = parseServer('strict', strict, 'user');
      assert.ok(parsed.ok);
      // What an entry of type "http" at the same URL learned (see the test above).
      eras.set(eraKey(parsed.config), { era: 'legacy', sse: true, at: Date.now() });
      await hub.applyConfig(entries({ strict }), { trusted: true });
      const s = await waitForKind(hub, 'strict', 'error');
      assert.ok(s.state.kind === 'error' && /405/.test(s.state.message), JSON.stringify(s.state));
    } finally {
      await hub.dispose();
      await legacy.close();
    }
  });

  it('puts a server that answers 401 in authRequired, or in error when a static Authorization header was rejected', async () => {
    const guarded = await startHttpServer({ requireHeader: ['authorization', 'Bearer right'] });
    try {
      newHub();
      await hub.applyConfig(
        entries({
          oauth: { url: guarded.url },
          badHeader: { url: guarded.url, headers: { Authorization: 'Bearer wrong-secret-value' } },
          goodHeader: { url: guarded.url, headers: { Authorization: 'Bearer right' } },
        }),
        { trusted: true },
      );
      const oauth = await waitForKind(hub, 'oauth', 'authRequired');
      assert.deepEqual(oauth.state, { kind: 'authRequired', code: 'unauthorized', reason: 'The server requires you to sign in (HTTP 401).' });
      const bad = await waitForKind(hub, 'badHeader', 'error');
      assert.ok(bad.state.kind === 'error' && bad.state.message.includes('check the header') && bad.state.retryAt === undefined);
      await waitForKind(hub, 'goodHeader', 'running');
      assert.doesNotMatch(logger.text(), /wrong-secret-value|Bearer right/);
    } finally {
      await hub.dispose();
      await guarded.close();
    }
  });

  it('does not start servers from workspace settings in an untrusted workspace, and starts them once trusted', async () => {
    newHub();
    const config = [...entries({ mine: stdioEntry() }, 'user'), ...entries({ theirs: stdioEntry() }, 'workspace')];
    await hub.applyConfig(config, { trusted: false });
    await waitForKind(hub, 'mine', 'running');
    assert.deepEqual(hub.server('theirs')!.state, { kind: 'disabled', reason: 'untrusted' });
    await assert.rejects(hub.start('theirs'), /workspace is not trusted/);
    const diff = await hub.applyConfig(config, { trusted: true });
    assert.deepEqual(diff.changed, ['theirs']);
    // Trusted is not enough: the person approves the entry before it runs.
    assert.deepEqual(hub.server('theirs')!.state, { kind: 'disabled', reason: 'approval' });
    await hub.decide('theirs', 'approved');
    await waitForKind(hub, 'theirs', 'running');
  });

  it('keeps a disabled server stopped, and supports Stop / Start / Restart', async () => {
    newHub();
    await hub.applyConfig(entries({ off: stdioEntry({}, { disabled: true }), on: stdioEntry() }), { trusted: true });
    assert.deepEqual(hub.server('off')!.state, { kind: 'disabled', reason: 'settings' });
    await waitForKind(hub, 'on', 'running');
    const pid = await pidOf(hub, 'on');
    await hub.stop('on');
    assert.equal(hub.server('on')!.state.kind, 'stopped');
    assert.ok(!isAlive(pid));
    await assert.rejects(hub.callTool('on', 'echo', { text: 'x' }), /is not running \(it is stopped\)/);
    await hub.start('on');
    assert.equal(hub.server('on')!.state.kind, 'running');
    const pid2 = await pidOf(hub, 'on');
    await hub.restart('on');
    assert.equal(hub.server('on')!.state.kind, 'running');
    assert.notEqual(await pidOf(hub, 'on'), pid2);
  });

  it('shows a missing command as a clear error', async () => {
    newHub();
    await hub.applyConfig(entries({ missing: { command: 'definitely-not-a-command-mcp-hub' } }), { trusted: true });
    const s = await waitForKind(hub, 'missing', 'error');
    assert.ok(s.state.kind === 'error');
    assert.equal(s.state.message, 'Command not found: definitely-not-a-command-mcp-hub');
  });

  it('leaves no child process behind on dispose', async () => {
    newHub();
    await hub.applyConfig(entries({ a: stdioEntry(), b: stdioEntry(), hung: stdioEntry({ FIXTURE_HANG: '1' }) }), { trusted: true });
    await Promise.all(['a', 'b'].map((n) => waitForKind(hub, n, 'running')));
    const pids = await Promise.all(['a', 'b'].map((n) => pidOf(hub, n)));
    await hub.dispose();
    for (const pid of pids) assert.ok(!isAlive(pid), `pid ${pid} still alive`);
    // The hung server never answered, so its pid is not known to the test: ask the OS for children.
    const children = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(children, /stdio-server\.mjs/);
  });

  it("answers elicitation through the host's handler with the form's defaults applied, and offers it only with a handler", async () => {
    const asking = await startHttpServer({
      name: 'asking',
      tools: (server) =>
        server.registerTool('ask', { description: 'Asks the user for details' }, async () => {
          if (!server.server.getClientCapabilities()?.elicitation) return { content: [{ type: 'text', text: 'no elicitation' }] };
          const answer = await server.server.elicitInput({
            message: 'Who are you?',
            requestedSchema: {
              type: 'object',
              properties: { name: { type: 'string', default: 'Ada' }, count: { type: 'integer', default: 3 }, plan: { type: 'string', enum: ['free', 'pro'], default: 'pro' } },
            },
          });
          return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
        }),
    });
    try {
      const asked: Array<{ server: string; message: string }> = [];
      logger = new MemoryLogger();
      hub = createHub({
        logger,
        elicitation: {
          modes: { form: true, url: false },
          // The person submits the form untouched.
          elicit: async (server, params) => (asked.push({ server, message: params.message }), { action: 'accept', content: {} }),
        },
      });
      await hub.applyConfig(entries({ asking: { type: 'streamable-http', url: asking.url } }), { trusted: true });
      await waitForKind(hub, 'asking', 'running');
      const answer = JSON.parse(text(await hub.callTool('asking', 'ask')));
      assert.deepEqual(answer, { action: 'accept', content: { name: 'Ada', count: 3, plan: 'pro' } });
      assert.deepEqual(asked, [{ server: 'asking', message: 'Who are you?' }]);
      await hub.dispose();

      newHub();
      await hub.applyConfig(entries({ asking: { type: 'streamable-http', url: asking.url } }), { trusted: true });
      await waitForKind(hub, 'asking', 'running');
      assert.equal(text(await hub.callTool('asking', 'ask')), 'no elicitation');
    } finally {
      await asking.close();
    }
  });

  it('keeps JSON Schema 2020-12 keywords of tool input schemas as the server sent them', async () => {
    // Composition, conditionals, $defs with $anchor, $ref and additionalProperties, as in SEP-1613.
    const inputSchema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { $anchor: 'address', type: 'object', properties: { street: { type: 'string' } }, required: ['street'] } },
      properties: { kind: { anyOf: [{ const: 'home' }, { const: 'work' }] }, address: { $ref: '#/$defs/address' } },
      allOf: [{ required: ['kind'] }],
      if: { properties: { kind: { const: 'home' } } },
      then: { required: ['address'] },
      else: { properties: { address: false } },
      additionalProperties: false,
    };
    // A server built on the SDK's low-level Server, which sends the schema exactly as given.
    const serve = async (req: IncomingMessage, res: ServerResponse) => {
      const server = new Server({ name: 'schemas', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [{ name: 'rich', inputSchema }] }));
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void server.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    };
    const http = createServer((req, res) => void serve(req, res));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      newHub();
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
      await hub.applyConfig(entries({ schemas: { type: 'streamable-http', url } }), { trusted: true });
      await waitForKind(hub, 'schemas', 'running');
      assert.deepEqual(hub.listTools('schemas')[0].inputSchema, inputSchema);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
