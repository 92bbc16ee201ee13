import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canStart, canStop, transition, type ServerEvent, type ServerState } from '../../src/core/state';

const lists = { tools: [], resources: [], prompts: [] };
const running: ServerState = { kind: 'running', serverInfo: { name: 's', version: '1' }, ...lists };
const states: Record<ServerState['kind'], ServerState> = {
  starting: { kind: 'starting' },
  running,
  authRequired: { kind: 'authRequired', reason: 'r' },
  authenticating: { kind: 'authenticating' },
  error: { kind: 'error', message: 'm' },
  stopped: { kind: 'stopped' },
  disabled: { kind: 'disabled', reason: 'settings' },
};
const events: Record<ServerEvent['type'], ServerEvent> = {
  start: { type: 'start' },
  connected: { type: 'connected', serverInfo: { name: 's', version: '1' }, ...lists },
  listsChanged: { type: 'listsChanged', tools: [{ name: 't', inputSchema: { type: 'object' } }] },
  failed: { type: 'failed', message: 'boom', retryAt: 5 },
  unauthorized: { type: 'unauthorized', reason: '401' },
  authStarted: { type: 'authStarted' },
  stop: { type: 'stop' },
  disable: { type: 'disable', reason: 'untrusted' },
};

// The whole table: which (state, event) pairs move, and where to. '-' means the event is refused.
const table: Record<ServerState['kind'], Record<ServerEvent['type'], ServerState['kind'] | '-'>> = {
  starting: { start: '-', connected: 'running', listsChanged: '-', failed: 'error', unauthorized: 'authRequired', authStarted: '-', stop: 'stopped', disable: 'disabled' },
  running: { start: '-', connected: '-', listsChanged: 'running', failed: 'error', unauthorized: 'authRequired', authStarted: '-', stop: 'stopped', disable: 'disabled' },
  authRequired: { start: 'starting', connected: '-', listsChanged: '-', failed: '-', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped', disable: 'disabled' },
  authenticating: { start: 'starting', connected: 'running', listsChanged: '-', failed: 'error', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped', disable: 'disabled' },
  error: { start: 'starting', connected: '-', listsChanged: '-', failed: 'error', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped', disable: 'disabled' },
  stopped: { start: 'starting', connected: '-', listsChanged: '-', failed: '-', unauthorized: 'authRequired', authStarted: 'authenticating', stop: '-', disable: 'disabled' },
  disabled: { start: '-', connected: '-', listsChanged: '-', failed: '-', unauthorized: '-', authStarted: '-', stop: '-', disable: 'disabled' },
};

describe('server state transitions', () => {
  for (const [from, row] of Object.entries(table)) {
    for (const [event, to] of Object.entries(row)) {
      it(`${from} + ${event} -> ${to}`, () => {
        const next = transition(states[from as ServerState['kind']], events[event as ServerEvent['type']]);
        assert.equal(next?.kind ?? '-', to);
      });
    }
  }

  it('carries the payload of each event into the state', () => {
    assert.deepEqual(transition(states.starting, events.failed), { kind: 'error', message: 'boom', retryAt: 5 });
    const updated = transition(running, events.listsChanged);
    assert.equal(updated?.kind === 'running' && updated.tools[0]?.name, 't');
    assert.deepEqual(transition(states.running, events.unauthorized), { kind: 'authRequired', reason: '401' });
    assert.deepEqual(transition(states.error, events.disable), { kind: 'disabled', reason: 'untrusted' });
  });

  it('says which states can be started or stopped', () => {
    assert.deepEqual(Object.values(states).filter(canStart).map((s) => s.kind), ['authRequired', 'error', 'stopped']);
    assert.deepEqual(Object.values(states).filter(canStop).map((s) => s.kind), ['starting', 'running', 'authRequired', 'authenticating', 'error']);
  });
});
