// Both protocol eras, end to end: servers that speak only the 2026-07-28 revision (Streamable HTTP
// and stdio, on SDK v2) and classic servers beside them, from settings to tool calls; never a stdio
// server spawned twice; the era remembered so a restart costs no probe; probes answered badly fall
// back to the classic handshake; `protocolVersion` pins either era.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InMemoryEraMemory } from '../../src/core/connection/era';
import type { McpHub } from '../../src/core/hub';
import type { ElicitationHandler } from '../../src/core/ports';
import type { ServerState } from '../../src/core/state';
import { startHttpServer, type HttpFixture } from '../fixtures/http-server';
import { startModernHttpServer, type ModernHttpFixture, type ProbeMisbehaviour } from '../fixtures/modern-http-server';
import { createHub, entries, MemoryLogger, modernStdioFixture, stdioFixture, waitFor, waitForKind } from '../helpers';

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;
const revision = (s: ServerState) => (s.kind === 'running' ? s.serverInfo.protocolVersion : undefined);
const spawns = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length;

/** A person who answers every form with name=Ada. */
const elicitation: ElicitationHandler = {
  modes: { form: true, url: false },
  elicit: async (_server, params) => {
    assert.equal(params.mode ?? 'form', 'form');
    return { action: 'accept', content: { name: 'Ada' } };
  },
};

describe('both protocol eras', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-eras-'));
  const modernSpawns = join(dir, 'modern.log');
  const classicSpawns = join(dir, 'classic.log');
  let modernHttp: ModernHttpFixture;
  let classicHttp: HttpFixture;
  const eras = new InMemoryEraMemory();
  const logger = new MemoryLogger();
  let hub: McpHub;

  before(async () => {
    modernHttp = await startModernHttpServer({ name: 'modern-http' });
    classicHttp = await startHttpServer({ name: 'classic-http' });
    hub = createHub({ logger, elicitation, eras });
  });
  after(async () => {
    await hub.dispose();
    await modernHttp.close();
    await classicHttp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes 2026-07-28-only servers (HTTP and stdio) and classic ones from settings to tool calls, each stdio server spawned once', async () => {
    await hub.applyConfig(
      entries({
        'modern-http': { url: modernHttp.url },
        'modern-stdio': { command: process.execPath, args: [modernStdioFixture], env: { FIXTURE_SPAWN_LOG: modernSpawns } },
        'classic-http': { url: classicHttp.url },
        'classic-stdio': { command: process.execPath, args: [stdioFixture], env: { FIXTURE_SPAWN_LOG: classicSpawns } },
      }),
      { trusted: true },
    );
    for (const name of ['modern-http', 'modern-stdio', 'classic-http', 'classic-stdio']) await waitForKind(hub, name, 'running');

    assert.equal(revision(hub.server('modern-http')!.state), '2026-07-28');
    assert.equal(revision(hub.server('modern-stdio')!.state), '2026-07-28');
    assert.equal(revision(hub.server('classic-http')!.state), '2025-11-25');
    assert.equal(revision(hub.server('classic-stdio')!.state), '2025-11-25');

    assert.equal(text(await hub.callTool('modern-http', 'echo', { text: 'over http' })), 'over http');
    assert.equal(text(await hub.callTool('modern-stdio', 'echo', { text: 'over stdio' })), 'over stdio');
    assert.match(text(await hub.callTool('classic-http', 'echo', { text: 'classic' })), /classic/);
    assert.match(text(await hub.callTool('classic-stdio', 'echo', { text: 'classic' })), /classic/);

    // Never two processes for one start: the modern server refused `initialize` and got the 2026-07-28 revision on the same pid.
    assert.equal(spawns(modernSpawns), 1);
    assert.equal(spawns(classicSpawns), 1);
    assert.match(logger.text(), /\[modern-stdio\] the server refused the classic handshake; using the 2026-07-28 revision/);
    // The refused client hears nothing of the one that followed it on the same process.
    assert.doesNotMatch(logger.text(), /unknown message ID/);

    // The 2026-07-28 wire: no initialize, no session, the required headers on every request.
    assert.equal(modernHttp.stats.count('initialize'), 0);
    assert.equal(modernHttp.stats.count('server/discover'), 1);
    const call = modernHttp.stats.requests.find((r) => r.rpcMethod === 'tools/call' && r.toolName === 'echo')!;
    assert.equal(call.protocolVersionHeader, '2026-07-28');
    assert.equal(call.mcpMethodHeader, 'tools/call');
    assert.equal(call.mcpNameHeader, 'echo');
    assert.equal(call.sessionIdHeader, undefined);
    assert.equal(call.envelopeVersion, '2026-07-28');
  });

  it('answers an input_required result through the elicitation handler, on HTTP and on stdio', async () => {
    assert.equal(text(await hub.callTool('modern-http', 'ask')), 'Hello, Ada');
    assert.equal(text(await hub.callTool('modern-stdio', 'ask')), 'Hello, Ada');
  });

  it('follows list changes of a 2026-07-28 server through subscriptions/listen', async () => {
    assert.ok(modernHttp.stats.count('subscriptions/listen') >= 1);
    modernHttp.addTool('late_tool');
    await waitFor(hub, 'modern-http', (s) => s.state.kind === 'running' && s.state.tools.some((t) => t.name === 'late_tool'));
    await hub.callTool('modern-stdio', 'add_tool', { toolName: 'stdio_late' });
    await waitFor(hub, 'modern-stdio', (s) => s.state.kind === 'running' && s.state.tools.some((t) => t.name === 'stdio_late'));
  });

  it('remembers each era, so a restart costs no probe and no refused handshake', async () => {
    const discovers = modernHttp.stats.count('server/discover');
    const refusals = logger.lines.filter((l) => l.includes('refused the classic handshake')).length;
    for (const name of ['modern-http', 'modern-stdio', 'classic-http']) {
      await hub.restart(name);
      await waitForKind(hub, name, 'running');
    }
    assert.equal(modernHttp.stats.count('server/discover'), discovers, 'the stored server/discover answer was adopted');
    assert.equal(modernHttp.stats.count('initialize'), 0);
    assert.equal(logger.lines.filter((l) => l.includes('refused the classic handshake')).length, refusals);
    assert.equal(spawns(modernSpawns), 2, 'one process per start');
    assert.equal(revision(hub.server('modern-stdio')!.state), '2026-07-28');
    assert.equal(text(await hub.callTool('modern-http', 'echo', { text: 'again' })), 'again');
    assert.equal(text(await hub.callTool('modern-stdio', 'echo', { text: 'again' })), 'again');
  });

  for (const probe of ['garbage-json', 'empty-204', 'text', 'error-id-null', 'status-500', 'status-502', 'silent'] as ProbeMisbehaviour[]) {
    it(`falls back to the classic handshake when server/discover is answered ${probe}`, async () => {
      const server = await startModernHttpServer({ name: `probe-${probe}`, probe });
      const probeHub = createHub({ logger: new MemoryLogger() });
      try {
        await probeHub.applyConfig(entries({ s: { url: server.url, timeout: 8 } }), { trusted: true });
        const s = await waitForKind(probeHub, 's', 'running', 15_000);
        assert.equal(revision(s.state), '2025-11-25');
        assert.equal(text(await probeHub.callTool('s', 'echo', { text: probe })), probe);
        // A probe that runs out is sent once more before the classic handshake is tried.
        const probes = probe === 'silent' ? 2 : 1;
        assert.equal(server.stats.count('server/discover'), probes);
        // Remembered: the next start goes straight to initialize.
        await probeHub.restart('s');
        await waitForKind(probeHub, 's', 'running');
        assert.equal(server.stats.count('server/discover'), probes);
      } finally {
        await probeHub.dispose();
        await server.close();
      }
    });
  }

  // A slow 2026-07-28-only server: both probes give up before the answer comes, and the classic
  // handshake that follows is refused (each modern server refuses it its own way), so the hub asks
  // again in the 2026-07-28 revision, within the server's timeout. The three run side by side.
  it('connects 2026-07-28-only servers whose server/discover answers after 7-8 s, whichever way they refuse the classic handshake', async () => {
    const cases = [
      { refusal: 'unsupported-version', delay: 8_000, timeout: 30 },
      { refusal: 'method-not-found', delay: 7_000, timeout: 24 },
      { refusal: 'missing-header', delay: 7_000, timeout: 24 },
    ] as const;
    const servers = await Promise.all(cases.map((c) => startModernHttpServer({ name: `slow-${c.refusal}`, discoverDelayMs: c.delay, classicRefusal: c.refusal })));
    const slowHub = createHub({ logger: new MemoryLogger() });
    try {
      await slowHub.applyConfig(entries(Object.fromEntries(cases.map((c, i) => [c.refusal, { url: servers[i].url, timeout: c.timeout }]))), { trusted: true });
      await Promise.all(
        cases.map(async (c, i) => {
          const s = await waitForKind(slowHub, c.refusal, 'running', (c.timeout + 10) * 1000);
          assert.equal(revision(s.state), '2026-07-28', c.refusal);
          assert.equal(text(await slowHub.callTool(c.refusal, 'echo', { text: 'late' })), 'late');
          assert.equal(servers[i].stats.count('initialize'), 1, `${c.refusal}: one refused classic handshake`);
          assert.equal(servers[i].stats.count('server/discover'), 3, `${c.refusal}: two probes, then the 2026-07-28 connect`);
        }),
      );
    } finally {
      await slowHub.dispose();
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it('pins either era with protocolVersion, and says so when the server does not speak it', async () => {
    const pinHub = createHub({ logger: new MemoryLogger() });
    const both = { command: process.execPath, args: [modernStdioFixture], env: { FIXTURE_ERA: 'both' } };
    try {
      await pinHub.applyConfig(
        entries({
          modern: { ...both, protocolVersion: '2026-07-28' },
          classic: { ...both, protocolVersion: '2025-11-25' },
          impossible: { command: process.execPath, args: [modernStdioFixture], protocolVersion: '2025-11-25' },
        }),
        { trusted: true },
      );
      assert.equal(revision((await waitForKind(pinHub, 'modern', 'running')).state), '2026-07-28');
      assert.equal(revision((await waitForKind(pinHub, 'classic', 'running')).state), '2025-11-25');
      const failed = await waitForKind(pinHub, 'impossible', 'error');
      assert.equal(failed.state.kind === 'error' && failed.state.code, 'protocol_version');
    } finally {
      await pinHub.dispose();
    }
  });

  it('refuses a protocolVersion that is neither era, naming the field', () => {
    const [entry] = entries({ s: { command: 'x', protocolVersion: '2024-01-01' } });
    assert.equal(entry.ok, false);
    assert.match(!entry.ok ? entry.error : '', /mcpHub\.servers\.s\.protocolVersion: must be one of "auto", "2026-07-28", "2025-11-25"/);
  });
});
