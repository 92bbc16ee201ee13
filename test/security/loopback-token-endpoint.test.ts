// An authorization server over http on a loopback address the SDK will not send tokens to. MCP Hub's
// URL guard allows http on all of 127.0.0.0/8 for a server on this machine, but the SDK sends token
// requests over http only to localhost, *.localhost, 127.0.0.1 and [::1], and it checks only at the
// token request: after registration and after the person signed in in the browser. Against a real
// authorization server (oidc-provider) on such an address, the sign-in stops before registration and
// before any page opens, with an error that names the token_endpoint field, in our words.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemorySecretStore } from '../../src/core/oauth/token-store';
import { scrubState } from '../../src/core/state';
import { toServerView } from '../../src/view-model';
import { startAuthorizationServer } from '../fixtures/authorization-server';
import { startProtectedMcpServer } from '../fixtures/protected-server';
import { ScriptedBrowser } from '../fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitFor, waitForKind } from '../helpers';

const tally = { servers: 0, pagesOpened: 0, registrations: 0, tokenRequests: 0 };

describe('http token endpoints the SDK refuses', () => {
  after(() => {
    console.log(
      `security[loopback-token-endpoint]: authorization servers ${tally.servers}, pages opened ${tally.pagesOpened}, registrations ${tally.registrations}, token requests ${tally.tokenRequests}`,
    );
  });

  for (const host of ['127.0.0.2', '127.255.255.254']) {
    it(`an authorization server on http://${host} is refused before registration and before the browser`, async () => {
      tally.servers++;
      const as = await startAuthorizationServer({ host });
      const mcp = await startProtectedMcpServer({ authorizationServer: as });
      const browser = new FakeBrowser(new ScriptedBrowser());
      const logger = new MemoryLogger();
      const h = createOAuthHub({ store: new MemorySecretStore(), browser, logger });
      try {
        await h.applyConfig(entries({ secure: { url: mcp.url } }), { trusted: true });
        await waitForKind(h, 'secure', 'authRequired');
        await h.authenticate('secure').catch(() => undefined);
        const s = await waitFor(h, 'secure', (x) => x.state.kind === 'error' || x.state.kind === 'authRequired');
        tally.pagesOpened += browser.opened.length;
        tally.registrations += as.stats.registrations.length;
        tally.tokenRequests += as.stats.tokenRequests.length;
        assert.deepEqual(browser.opened, [], 'no page opened');
        assert.deepEqual(as.stats.registrations, [], 'no client registered');
        assert.deepEqual(as.stats.tokenRequests, [], 'no token request');

        // In our words: which field, which origin, which hosts work; never the SDK's own text.
        const state = scrubState(s.state);
        const message = state.kind === 'error' ? state.message : state.kind === 'authRequired' ? state.reason : '';
        assert.ok(message.includes('token_endpoint'), message);
        assert.ok(message.includes(`http://${host}:`), message);
        assert.ok(message.includes('127.0.0.1') && message.includes('localhost') && message.includes('[::1]'), message);
        assert.doesNotMatch(message, /Refusing to send credentials|non-https token endpoint/);
        assert.ok(JSON.stringify(toServerView(h.server('secure')!)).includes('token_endpoint'));
      } finally {
        await h.dispose();
        await mcp.close();
        await as.close();
      }
    });
  }

  it('counted no page, registration or token request', () => {
    assert.deepEqual({ pages: tally.pagesOpened, registrations: tally.registrations, tokens: tally.tokenRequests }, { pages: 0, registrations: 0, tokens: 0 });
  });
});
