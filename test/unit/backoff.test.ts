// Backoff runs on the injected Clock: a fake clock drives the retries, no wall-clock waiting.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { McpHub } from '../../src/core/hub';
import { entries, FakeClock, MemoryLogger, waitFor } from '../helpers';

describe('retry backoff on the injected clock', () => {
  it('doubles the delay from the initial one up to the cap, and retries only when the clock says so', async () => {
    const clock = new FakeClock();
    const hub = new McpHub({
      logger: new MemoryLogger(),
      clock,
      clientInfo: { name: 't', version: '0' },
      retry: { initialDelayMs: 1_000, maxDelayMs: 4_000, healthyAfterMs: 60_000 },
    });
    try {
      await hub.applyConfig(entries({ gone: { command: 'mcp-hub-no-such-command-4f2a' } }), { trusted: true });
      const delays: number[] = [];
      let attempts = 0;
      for (let i = 0; i < 5; i++) {
        const s = await waitFor(hub, 'gone', (x) => x.state.kind === 'error' && x.state.retryAt !== undefined && x.state.retryAt > clock.now(), 10_000);
        attempts++;
        assert.ok(s.state.kind === 'error');
        assert.equal(s.state.code, 'command_not_found');
        const delay = s.state.retryAt! - clock.now();
        delays.push(delay);
        // Nothing happens before the delay is up, however long the real wait.
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(hub.server('gone')!.state.kind, 'error');
        clock.advance(delay);
      }
      assert.deepEqual(delays, [1_000, 2_000, 4_000, 4_000, 4_000]);
      assert.equal(attempts, 5);
      // Stop clears the pending retry: no timer is left behind.
      await waitFor(hub, 'gone', (x) => x.state.kind === 'error' && x.state.retryAt !== undefined && x.state.retryAt > clock.now(), 10_000);
      await hub.stop('gone');
      assert.equal(clock.pending(), 0);
    } finally {
      await hub.dispose();
    }
  });
});
