// Session exhaustion at the gateway. SDK clients do not send DELETE when they close, so every
// client that goes away leaves its classic session behind; a local process holding the token can
// also open sessions on purpose. For each: a new client (VS Code's own, say) still gets in, a
// client that is still connected keeps its session (sessions lost = 0), and a session left idle
// is closed after the idle time (its next request gets the 404 that tells a client to start over).
// Time is a fake clock: nothing here waits 30 minutes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpGateway, MAX_SESSIONS, SESSION_IDLE_MINUTES } from '../../src/core/gateway/gateway';
import type { McpHub } from '../../src/core/hub';
import { createHub, entries, FakeClock, MemoryLogger } from '../helpers';

const TOKEN = 'gw-token-sessions-0123456789abcdef012345678';
const IDLE_MS = SESSION_IDLE_MINUTES * 60_000;
const counts = { abandoned: 0, newClientsRefused: 0, sessionsLost: 0 };

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('gateway sessions: abandoned ones neither lock clients out nor live forever', () => {
  const logger = new MemoryLogger();
  const clock = new FakeClock();
  let hub: McpHub;
  let gateway: McpGateway;

  const headers = (sessionId?: string): Record<string, string> => ({
    Authorization: `Bearer ${TOKEN}`,
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    ...(sessionId ? { 'Mcp-Session-Id': sessionId } : {}),
  });
  /** One JSON-RPC message on a session (or none), as a client would post it. */
  const post = async (body: object, sessionId?: string) => {
    const res = await fetch(gateway.url(), { method: 'POST', headers: headers(sessionId), body: JSON.stringify(body) });
    return { status: res.status, sessionId: res.headers.get('mcp-session-id'), text: await res.text() };
  };
  /** A client that initializes and goes away without a word (no DELETE, no stream). */
  const abandoned = async (): Promise<string> => {
    const init = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'gone', version: '0' } },
    });
    assert.equal(init.status, 200, init.text);
    assert.ok(init.sessionId);
    assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, init.sessionId)).status, 202);
    counts.abandoned++;
    return init.sessionId;
  };
  /** A client that stays: an SDK client, with its event stream open (as VS Code's is). */
  const staying = async (name: string) => {
    const client = new Client({ name, version: '0' }, { versionNegotiation: { mode: 'legacy' } });
    const transport = new StreamableHTTPClientTransport(new URL(gateway.url()), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } });
    try {
      await client.connect(transport);
    } catch (error) {
      counts.newClientsRefused++;
      throw error;
    }
    return { client, transport };
  };
  const listTools = (sessionId: string) => post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, sessionId);

  before(async () => {
    hub = createHub({ logger });
    await hub.applyConfig(entries({}), { trusted: true });
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger, clock });
    await gateway.start();
  });
  after(async () => {
    await gateway.stop();
    await hub.dispose();
  });

  it(`with ${MAX_SESSIONS} abandoned sessions and more, a new client still connects and a connected one keeps its session`, async () => {
    const vscode = await staying('vscode-own');
    const kept = vscode.transport.sessionId;
    for (let i = 0; i < MAX_SESSIONS + 36; i++) await abandoned();
    assert.equal(gateway.sessionCount, MAX_SESSIONS);
    const late = await staying('late-client');
    assert.ok((await late.client.listTools()).tools);
    assert.equal(gateway.sessionCount, MAX_SESSIONS);
    // The client that stayed connected kept its session (an evicted one would have had to start over).
    await vscode.client.listTools();
    if (vscode.transport.sessionId !== kept) counts.sessionsLost++;
    assert.equal(vscode.transport.sessionId, kept);
    assert.match(logger.text(), new RegExp(`gateway: closed a client session \\(${MAX_SESSIONS} sessions open, this one idle longest\\)`));
    assert.ok(!logger.text().includes(kept!), 'no session id in the log');
    await late.client.close();
    await vscode.client.close();
  });

  it('closes a session idle for the idle time: its next request gets 404; one used meanwhile, or with its stream open, stays', async () => {
    await gateway.stop();
    gateway = new McpGateway(hub, { token: () => TOKEN, version: '0', logger, clock });
    await gateway.start();
    const listening = await staying('listening');
    const idle = await abandoned();
    const busy = await abandoned();
    // Each session's timer starts once its last response is written.
    await until(() => clock.pending() === 2, 'idle timers of the two quiet sessions');
    clock.advance(IDLE_MS - 60_000);
    assert.equal((await listTools(busy)).status, 200);
    await until(() => clock.pending() === 2, 'the used session idle again');
    clock.advance(60_000);
    assert.equal((await listTools(idle)).status, 404, 'expired');
    assert.equal((await listTools(busy)).status, 200, 'used a minute ago');
    clock.advance(IDLE_MS * 2);
    assert.equal((await listTools(busy)).status, 404);
    // The client whose event stream is open is connected, not idle.
    await listening.client.listTools();
    assert.equal(gateway.sessionCount, 1);
    await listening.client.close();
    await until(() => gateway.sessionCount === 1 && clock.pending() === 1, 'the closed client idle');
    clock.advance(IDLE_MS);
    assert.equal(gateway.sessionCount, 0);
  });

  it('figures: new clients refused = 0, sessions lost = 0', () => {
    assert.ok(counts.abandoned >= MAX_SESSIONS + 36, `${counts.abandoned} abandoned sessions`);
    console.log(`security[gateway-sessions]: abandoned sessions ${counts.abandoned}, new clients refused ${counts.newClientsRefused}, sessions lost ${counts.sessionsLost}`);
    assert.deepEqual({ refused: counts.newClientsRefused, lost: counts.sessionsLost }, { refused: 0, lost: 0 });
  });
});
