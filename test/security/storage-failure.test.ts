// Secret storage that fails (a locked keyring) must not take down servers that never sign in, and
// Stop during a sign-in must end the sign-in and free its callback port.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { McpHub } from '../../src/core/hub';
import { MemorySecretStore, TokenStore } from '../../src/core/oauth/token-store';
import { systemClock, type SecretStore } from '../../src/core/ports';
import { startAuthorizationServer } from '../fixtures/authorization-server';
import { startHttpServer } from '../fixtures/http-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { entries, fastRetry, FakeBrowser, MemoryLogger, waitFor, waitForKind } from '../helpers';

const broken: SecretStore = {
  get: async () => Promise.reject(new Error('keyring is locked: secret-ring-token-abcdef123456')),
  store: async () => Promise.reject(new Error('keyring is locked')),
  delete: async () => Promise.reject(new Error('keyring is locked')),
  onDidChange: () => ({ dispose() {} }),
};
let hostile = 0;
let takenDown = 0;
let flowsLeftRunning = 0;

describe('failing secret storage and Stop during sign-in', () => {
  after(() => console.log(`security[storage-failure]: failing stores ${hostile} hostile inputs, servers taken down ${takenDown}, flows left running ${flowsLeftRunning}`));

  it('a server that never signs in runs while secret storage fails', async () => {
    hostile++;
    const fixture = await startHttpServer();
    const logger = new MemoryLogger();
    const h = new McpHub({
      logger,
      clock: systemClock,
      clientInfo: { name: 't', version: '0' },
      retry: fastRetry,
      oauth: { store: new TokenStore(broken), browser: new FakeBrowser() },
    });
    try {
      await h.applyConfig(entries({ plain: { url: fixture.url } }), { trusted: true });
      await waitForKind(h, 'plain', 'running').catch((e: unknown) => {
        takenDown++;
        throw e;
      });
      assert.ok(!logger.text().includes('secret-ring-token-abcdef123456'));
    } finally {
      await h.dispose();
      await fixture.close();
    }
  });

  it('Stop during a sign-in ends it and closes its callback server', async () => {
    hostile++;
    const as = await startAuthorizationServer();
    const mcp = await startProtectedMcpServer({ authorizationServer: as });
    const browser = new FakeBrowser();
    const h = new McpHub({
      logger: new MemoryLogger(),
      clock: systemClock,
      clientInfo: { name: 't', version: '0' },
      retry: fastRetry,
      oauth: { store: new TokenStore(new MemorySecretStore()), browser },
    });
    try {
      await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
      await waitForKind(h, 'secure', 'authRequired');
      const signIn = h.authenticate('secure');
      const waiting = await waitFor(h, 'secure', (s) => s.state.kind === 'authenticating' && s.state.redirectUri !== undefined);
      const redirect = waiting.state.kind === 'authenticating' ? waiting.state.redirectUri! : '';
      await h.stop('secure');
      await assert.rejects(signIn, /cancelled|stopped|ended/i);
      assert.equal(h.server('secure')!.state.kind, 'stopped');
      const stillOpen = await fetch(redirect).then(
        () => true,
        () => false,
      );
      if (stillOpen) flowsLeftRunning++;
      assert.equal(stillOpen, false, 'the callback server is closed');
    } finally {
      await h.dispose();
      await mcp.close();
      await as.close();
    }
  });
});
