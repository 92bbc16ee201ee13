// ${input:…} values through the hub: a server waits for its value, starts once it is set, restarts
// when it changes, waits again when it is cleared; the value reaches the server and no surface.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { McpHub } from '../../src/core/hub';
import { InputStore } from '../../src/core/inputs';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { systemClock } from '../../src/core/ports';
import { actionsFor, scrubState } from '../../src/core/state';
import { toServerView } from '../../src/view-model';
import { startHttpServer } from '../fixtures/http-server';
import { entries, fastRetry, MemoryLogger, stdioEntry, waitFor } from '../helpers';

describe('${input:…} values', () => {
  it('a server waits for its value, starts when it is set, restarts on change, waits again when cleared', async () => {
    const store = new MemorySecretStore();
    const inputs = new InputStore(store);
    const logger = new MemoryLogger();
    const fixture = await startHttpServer({ requireHeader: ['x-api-key', 'first-value-1234567'] });
    const h = new McpHub({ logger, clock: systemClock, clientInfo: { name: 't', version: '0' }, retry: fastRetry, inputs });
    try {
      await h.applyConfig(entries({ api: { url: fixture.url, headers: { 'X-Api-Key': '${input:api-key}' } } }), { trusted: true });
      const waiting = h.server('api')!;
      assert.deepEqual(waiting.state, { kind: 'needsInput', inputs: ['api-key'] });
      assert.deepEqual(actionsFor(waiting.state, waiting.actionContext), ['setInput', 'stop']);
      assert.match(toServerView(waiting).message ?? '', /Set Value… asks for it once and keeps it in VS Code secret storage/);
      assert.equal(toServerView(waiting).missingInputs?.[0], 'api-key');

      await inputs.set('api-key', 'first-value-1234567');
      await waitFor(h, 'api', (s) => s.state.kind === 'running');

      await inputs.set('api-key', 'second-value-7654321');
      // The new value restarts the server; this fixture wants the first, so it now answers 401.
      await waitFor(h, 'api', (s) => s.state.kind === 'authRequired' || s.state.kind === 'error');

      await inputs.clear('api-key');
      await waitFor(h, 'api', (s) => s.state.kind === 'needsInput');

      const surfaces = [JSON.stringify(h.servers().map((s) => scrubState(s.state))), JSON.stringify(h.servers().map(toServerView)), logger.text()].join('\n');
      assert.ok(!surfaces.includes('first-value-1234567') && !surfaces.includes('second-value-7654321'));
    } finally {
      await h.dispose();
      await fixture.close();
    }
  });

  it('passes ${input:…}, ${env:…} and ${userHome} to a stdio server, and refuses unknown variables by name', async () => {
    const inputs = new InputStore(new MemorySecretStore());
    await inputs.set('token', 'stdio-secret-value-42');
    const h = new McpHub({
      logger: new MemoryLogger(),
      clock: systemClock,
      clientInfo: { name: 't', version: '0' },
      retry: fastRetry,
      inputs,
      userHome: tmpdir(),
      env: { GREETING: 'hello' },
    });
    try {
      await h.applyConfig(
        entries({
          ok: stdioEntry({ FIXTURE_NAME: '${env:GREETING}-${input:token}' }),
          typo: { command: 'node', args: ['${HOME}/x'] },
        }),
        { trusted: true },
      );
      await waitFor(h, 'ok', (s) => s.state.kind === 'running');
      const who = await h.callTool('ok', 'whoami');
      assert.match((who.content[0] as { text: string }).text, /^hello-stdio-secret-value-42 pid=/);
      const typo = h.server('typo')!;
      assert.ok(typo.state.kind === 'error');
      assert.match(typo.state.message, /mcpHub\.servers\.typo\.args\[0\].*\$\{HOME\}.*\$\{userHome\}/);
    } finally {
      await h.dispose();
    }
  });
});
