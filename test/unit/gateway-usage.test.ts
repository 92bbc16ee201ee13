// The gateway's usage store (src/core/gateway/usage.ts) with a fake clock: the rolling hour in
// one-minute buckets, clients from their handshakes and from 2026-07-28 requests (forgotten after
// an hour unseen), the last errors (newest first, at most MAX_ERRORS), bounded memory, and a
// client's own words scrubbed and capped; and the protocol's check of what reaches the tab.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_TEXT_MAX, GatewayUsage, MAX_CLIENTS, MAX_ERRORS, USAGE_WINDOW_MINUTES } from '../../src/core/gateway/usage';
import { modernClientOf } from '../../src/core/gateway/traffic';
import { parseWebviewMessage, parseWorkbenchUpdate } from '../../src/protocol';
import { FakeClock } from '../helpers';

const MINUTE = 60_000;

describe('gateway usage', () => {
  it('counts calls per server over a rolling hour, in one-minute buckets', () => {
    const clock = new FakeClock();
    const usage = new GatewayUsage(clock);
    usage.called({ server: 'alpha', method: 'tools/call', ok: true });
    usage.called({ server: 'alpha', method: 'tools/list', ok: true });
    clock.advance(30 * MINUTE);
    usage.called({ server: 'alpha', method: 'tools/call', ok: false, code: -32603 });
    usage.called({ server: 'beta', method: 'resources/read', ok: true });
    assert.deepEqual(usage.snapshot().servers, [
      { server: 'alpha', calls: 3, toolCalls: 2, failed: 1 },
      { server: 'beta', calls: 1, toolCalls: 0, failed: 0 },
    ]);
    // The first two leave the window an hour after their minute.
    clock.advance(30 * MINUTE);
    assert.deepEqual(usage.snapshot().servers[0], { server: 'alpha', calls: 1, toolCalls: 1, failed: 1 });
    clock.advance(USAGE_WINDOW_MINUTES * MINUTE);
    assert.deepEqual(usage.snapshot().servers, [], 'nothing in the last hour');
    // A bucket's slot comes round again an hour later: it starts from zero.
    usage.called({ server: 'alpha', method: 'tools/call', ok: true });
    assert.deepEqual(usage.snapshot().servers, [{ server: 'alpha', calls: 1, toolCalls: 1, failed: 0 }]);
  });

  it('lists classic clients from their handshake until their session ends, with their own calls', () => {
    const clock = new FakeClock();
    const usage = new GatewayUsage(clock);
    let changes = 0;
    usage.onDidChange(() => changes++);
    usage.clientConnected({ session: 1, view: undefined, name: 'claude-code', version: '2.1.0' });
    usage.clientConnected({ session: 2, view: 'alpha', name: 'cursor', version: '1.5.0' });
    clock.advance(1000);
    usage.called({ session: 2, server: 'alpha', method: 'tools/call', ok: false, error: 'Sign in to alpha in MCP Hub.' });
    const [first, second] = usage.snapshot().clients;
    assert.deepEqual(first, { name: 'cursor', version: '1.5.0', era: 'classic', server: 'alpha', since: 1_000_000, lastSeen: 1_001_000, calls: 1, failed: 1 });
    assert.equal(second.name, 'claude-code');
    assert.deepEqual(usage.snapshot().errors, [{ at: 1_001_000, server: 'alpha', method: 'tools/call', client: 'cursor 1.5.0', message: 'Sign in to alpha in MCP Hub.' }]);
    usage.clientDisconnected(2);
    assert.deepEqual(
      usage.snapshot().clients.map((c) => c.name),
      ['claude-code'],
    );
    assert.equal(changes, 4);
  });

  it('knows a 2026-07-28 client by the name in its requests, and forgets it after an hour unseen', () => {
    const clock = new FakeClock();
    const usage = new GatewayUsage(clock);
    const agent = modernClientOf('alpha', { 'io.modelcontextprotocol/clientInfo': { name: 'agent', version: '3' } });
    assert.deepEqual(agent, { view: 'alpha', name: 'agent', version: '3' });
    assert.equal(modernClientOf(undefined, { progressToken: 1 }), undefined, 'a classic request names no client');
    usage.clientRequested(agent);
    usage.called({ modern: agent, server: 'alpha', method: 'tools/call', ok: true });
    usage.clientRequested(agent);
    assert.deepEqual(
      usage.snapshot().clients.map((c) => [c.name, c.era, c.calls]),
      [['agent', '2026-07-28', 1]],
      'one client for its many requests',
    );
    clock.advance(USAGE_WINDOW_MINUTES * MINUTE + 1);
    assert.deepEqual(usage.snapshot().clients, []);
  });

  it("scrubs and caps a client's own words, and says why a call failed without the server's words", () => {
    const usage = new GatewayUsage(new FakeClock());
    const secret = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    usage.clientConnected({ session: 7, view: undefined, name: `bad\u001b[31m\nname token=${secret} ${'y'.repeat(500)}`, version: '\u202e1.0' });
    usage.clientConnected({ session: 8, view: undefined, name: '', version: '' });
    const [bad, unnamed] = usage.snapshot().clients;
    // eslint-disable-next-line no-control-regex
    assert.ok(!bad.name.includes(secret) && !/[\u0000-\u001f\u202e]/.test(bad.name + bad.version), JSON.stringify(bad));
    assert.ok([...bad.name].length <= CLIENT_TEXT_MAX && bad.name.endsWith('…'));
    assert.equal(unnamed.name, '(unnamed client)');
    usage.called({ session: 7, server: 's', method: 'resources/read', ok: false, code: -32602 });
    usage.called({ session: 7, server: 's', method: 'tools/call', ok: false });
    usage.called({ server: 's', method: 'prompts/get', ok: false, code: 4242 });
    assert.deepEqual(
      usage.snapshot().errors.map((e) => e.message),
      ['The server answered with JSON-RPC error 4242.', 'The tool answered with an error result.', 'The server answered with JSON-RPC error -32602 (invalid params).'],
    );
  });

  it('keeps memory bounded: the last errors, the clients seen most recently', () => {
    const clock = new FakeClock();
    const usage = new GatewayUsage(clock);
    for (let i = 0; i < MAX_ERRORS + 5; i++) usage.called({ server: 's', method: 'tools/call', ok: false, error: `failure ${i}` });
    const errors = usage.snapshot().errors;
    assert.equal(errors.length, MAX_ERRORS);
    assert.equal(errors[0].message, `failure ${MAX_ERRORS + 4}`, 'newest first');
    for (let i = 0; i < MAX_CLIENTS + 10; i++) {
      clock.advance(1);
      usage.clientRequested({ view: undefined, name: `client ${i}`, version: '1' });
    }
    const clients = usage.snapshot().clients;
    assert.equal(clients.length, MAX_CLIENTS);
    assert.ok(!clients.some((c) => c.name === 'client 0'), 'the longest unseen went first');
  });
});

describe('the gateway usage messages', () => {
  const gateway = { on: true, address: '127.0.0.1:4567', sessions: 1 };
  const usage = {
    clients: [{ name: 'cursor', version: '1', era: 'classic', since: 1, lastSeen: 2, calls: 3, failed: 0 }],
    servers: [{ server: 'alpha', calls: 3, toolCalls: 2, failed: 0 }],
    errors: [{ at: 1, server: 'alpha', method: 'tools/call', message: 'x' }],
    windowMinutes: 60,
  };

  it('accepts a well-formed snapshot and refuses a malformed one', () => {
    assert.ok(parseWorkbenchUpdate({ type: 'gatewayUsage', usage, gateway }));
    assert.equal(parseWorkbenchUpdate({ type: 'gatewayUsage', usage }), undefined, 'no gateway');
    assert.equal(parseWorkbenchUpdate({ type: 'gatewayUsage', usage: { ...usage, clients: [{ ...usage.clients[0], era: 'other' }] }, gateway }), undefined);
    assert.equal(parseWorkbenchUpdate({ type: 'gatewayUsage', usage: { ...usage, servers: [{ server: 'alpha', calls: -1, toolCalls: 0, failed: 0 }] }, gateway }), undefined);
    assert.equal(parseWorkbenchUpdate({ type: 'gatewayUsage', usage: { ...usage, errors: [{ at: 1, server: 'a', method: 'm', message: 7 }] }, gateway }), undefined);
    assert.equal(parseWorkbenchUpdate({ type: 'gatewayUsage', usage: { ...usage, clients: [{ ...usage.clients[0], name: 'x'.repeat(10_000) }] }, gateway }), undefined);
  });

  it("takes the panel's request to show it, and nothing more", () => {
    assert.deepEqual(parseWebviewMessage({ type: 'showGatewayUsage' }), { type: 'showGatewayUsage' });
    assert.equal(parseWebviewMessage({ type: 'showGatewayUsage', server: 'x' }), undefined);
  });
});
