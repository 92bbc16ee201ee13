import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionsFor, canStart, canStop, scrubState, transition, type ActionContext, type ServerEvent, type ServerState } from '../../src/core/state';

const lists = { tools: [], resources: [], prompts: [] };
const running: ServerState = { kind: 'running', serverInfo: { name: 's', version: '1' }, ...lists };
const states: Record<ServerState['kind'], ServerState> = {
  starting: { kind: 'starting' },
  running,
  authRequired: { kind: 'authRequired', reason: 'r' },
  authenticating: { kind: 'authenticating' },
  error: { kind: 'error', message: 'm' },
  needsInput: { kind: 'needsInput', inputs: ['token'] },
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
  authEnded: { type: 'authEnded', notice: 'not granted' },
  scopeNeeded: { type: 'scopeNeeded', scopes: ['mcp:write'], message: 'Needs more permission' },
  inputMissing: { type: 'inputMissing', inputs: ['token'] },
  stop: { type: 'stop' },
  disable: { type: 'disable', reason: 'untrusted' },
};

type Row = Record<ServerEvent['type'], ServerState['kind'] | '-'>;
const row = (r: Partial<Row>): Row => ({
  start: '-',
  connected: '-',
  listsChanged: '-',
  failed: '-',
  unauthorized: '-',
  authStarted: '-',
  authEnded: '-',
  scopeNeeded: '-',
  inputMissing: '-',
  stop: '-',
  disable: 'disabled',
  ...r,
});

// The whole table: which (state, event) pairs move, and where to. '-' means the event is refused.
const table: Record<ServerState['kind'], Row> = {
  starting: row({ connected: 'running', failed: 'error', unauthorized: 'authRequired', inputMissing: 'needsInput', stop: 'stopped' }),
  // A running server signs in for more permission without leaving running (authEnded needs a sign-in under way).
  running: row({ listsChanged: 'running', failed: 'error', unauthorized: 'authRequired', authStarted: 'running', scopeNeeded: 'running', stop: 'stopped' }),
  authRequired: row({ start: 'starting', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped' }),
  authenticating: row({ start: 'starting', connected: 'running', failed: 'error', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped' }),
  error: row({ start: 'starting', failed: 'error', unauthorized: 'authRequired', authStarted: 'authenticating', stop: 'stopped' }),
  needsInput: row({ start: 'starting', unauthorized: 'authRequired', stop: 'stopped' }),
  stopped: row({ start: 'starting', unauthorized: 'authRequired', authStarted: 'authenticating' }),
  disabled: row({}),
};

describe('server state transitions', () => {
  for (const [from, r] of Object.entries(table)) {
    for (const [event, to] of Object.entries(r)) {
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
    assert.deepEqual(transition(states.starting, events.inputMissing), { kind: 'needsInput', inputs: ['token'] });
  });

  it('keeps a running server running through a sign-in for more permission, and says how it ended', () => {
    const needs = transition(running, events.scopeNeeded)!;
    assert.deepEqual(needs.kind === 'running' && needs.needsScope, { scopes: ['mcp:write'], message: 'Needs more permission' });
    const signing = transition(needs, { type: 'authStarted', redirectUri: 'http://127.0.0.1:1/callback' })!;
    assert.deepEqual(signing.kind === 'running' && signing.signIn, { redirectUri: 'http://127.0.0.1:1/callback' });
    assert.equal(transition(signing, events.start)?.kind, 'starting', 'a successful sign-in reconnects on the new tokens');
    const ended = transition(signing, events.authEnded)!;
    assert.equal(ended.kind, 'running');
    assert.equal(ended.kind === 'running' && ended.signIn, undefined);
    assert.equal(ended.kind === 'running' && ended.notice, 'not granted');
    assert.equal(ended.kind === 'running' && ended.tools, running.tools);
  });

  it('says which states can be started or stopped', () => {
    assert.deepEqual(
      Object.values(states)
        .filter(canStart)
        .map((s) => s.kind),
      ['authRequired', 'error', 'needsInput', 'stopped'],
    );
    assert.deepEqual(
      Object.values(states)
        .filter(canStop)
        .map((s) => s.kind),
      ['starting', 'running', 'authRequired', 'authenticating', 'error', 'needsInput'],
    );
  });
});

describe('actionsFor: the one place that says which actions a state allows', () => {
  const ctx: ActionContext = { configured: true, oauth: true, session: true, inputs: false, inlineSecrets: false };
  it('offers the actions of each state', () => {
    assert.deepEqual(actionsFor(running, ctx), ['restart', 'stop', 'logout']);
    assert.deepEqual(actionsFor(transition(running, events.scopeNeeded)!, ctx), ['authenticate', 'restart', 'stop', 'logout']);
    assert.deepEqual(actionsFor(transition(running, events.authStarted)!, ctx), ['cancel', 'pasteRedirect', 'restart', 'stop', 'logout']);
    assert.deepEqual(actionsFor(states.authRequired, ctx), ['authenticate', 'copyRedirectUri', 'logout']);
    assert.deepEqual(actionsFor(states.authenticating, ctx), ['cancel', 'pasteRedirect']);
    assert.deepEqual(actionsFor(states.needsInput, { ...ctx, inputs: true }), ['setInput', 'stop']);
    assert.deepEqual(actionsFor(states.stopped, { ...ctx, session: false, inlineSecrets: true }), ['start', 'moveSecrets']);
    assert.deepEqual(actionsFor(states.error, { ...ctx, configured: false }), []);
    // A workspace entry waiting for the person's yes offers Approve… (and its values), nothing that starts it.
    assert.deepEqual(actionsFor({ kind: 'disabled', reason: 'approval' }, { ...ctx, session: false, inputs: true }), ['approve', 'setInput']);
    assert.deepEqual(actionsFor({ kind: 'disabled', reason: 'untrusted' }, { ...ctx, session: false }), []);
  });
  it('offers Sign in with Another Account beside a session, and Switch Account where there is another account, on unpinned entries only', () => {
    assert.deepEqual(actionsFor(running, { ...ctx, accounts: 1 }), ['restart', 'stop', 'logout', 'addAccount']);
    assert.deepEqual(actionsFor(running, { ...ctx, accounts: 2 }), ['restart', 'stop', 'logout', 'addAccount', 'switchAccount']);
    // The active account logged out, another still signed in: sign in afresh, or switch to it.
    assert.deepEqual(actionsFor(states.authRequired, { ...ctx, session: false, accounts: 1 }), ['authenticate', 'copyRedirectUri', 'switchAccount']);
    assert.deepEqual(actionsFor(states.stopped, { ...ctx, accounts: 2 }), ['start', 'logout', 'addAccount', 'switchAccount']);
    // Pinned (auth.account): its one account, Log Out of it, nothing else.
    assert.deepEqual(actionsFor(running, { ...ctx, accounts: 2, pinned: true }), ['restart', 'stop', 'logout']);
    // Not while signing in, and never without OAuth.
    assert.deepEqual(actionsFor(transition(running, events.authStarted)!, { ...ctx, accounts: 2 }), ['cancel', 'pasteRedirect', 'restart', 'stop', 'logout']);
    for (const state of Object.values(states))
      assert.deepEqual(
        actionsFor(state, { ...ctx, oauth: false, accounts: 2 }).filter((a) => a.endsWith('Account')),
        [],
        state.kind,
      );
  });
  it('never offers Authenticate to a server that does not sign in with OAuth', () => {
    for (const state of Object.values(states)) assert.ok(!actionsFor(state, { ...ctx, oauth: false }).includes('authenticate'), state.kind);
  });
});

describe('scrubState', () => {
  it('scrubs and caps every text a state carries', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
    const s = scrubState({ kind: 'error', message: `boom ${jwt} [x](command:evil)`, detail: 'y'.repeat(20_000) });
    assert.ok(s.kind === 'error');
    assert.ok(!s.message.includes(jwt));
    assert.ok(!s.message.includes('](command:'));
    assert.ok((s.detail ?? '').length <= 8 * 1024 + 1);
  });
});
