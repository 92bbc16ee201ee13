// A protected MCP server behind a real authorization server, and hubs signed in to it: the stage the
// OAuth integration tests share. Call inside a describe(): it closes what it made after each test
// (hubs) and after the suite (servers).
import assert from 'node:assert/strict';
import { after, afterEach } from 'node:test';
import { describeSignInFailure } from '../src/core/failure';
import type { McpHub } from '../src/core/hub';
import { isOAuthFlowError } from '../src/core/oauth/errors';
import { REVOKED } from '../src/core/oauth/revocation';
import type { OAuthTraceStep } from '../src/core/oauth/trace';
import { MemorySecretStore } from '../src/core/oauth/token-store';
import { startAuthorizationServer } from './fixtures/authorization-server';
import { startProtectedMcpServer, type ProtectedMcpServerFixture } from './fixtures/protected-server';
import { ScriptedBrowser } from './fixtures/scripted-browser';
import { createOAuthHub, entries, FakeBrowser, MemoryLogger, waitForKind } from './helpers';

export function protectedStage() {
  const hubs: McpHub[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.dispose()));
  });
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  /** An authorization server and the MCP server it protects, with the options given. */
  async function servers(asOptions: Parameters<typeof startAuthorizationServer>[0] = {}, mcpOptions: Partial<Parameters<typeof startProtectedMcpServer>[0]> = {}) {
    const as = await startAuthorizationServer(asOptions);
    const mcp = await startProtectedMcpServer({ authorizationServer: as, ...mcpOptions });
    closers.push(
      () => as.close(),
      () => mcp.close(),
    );
    return { as, mcp };
  }

  /** A hub with one server, `secure`, for `mcp` with these auth settings, waiting for sign-in. */
  async function hubFor(mcp: ProtectedMcpServerFixture, auth: Record<string, unknown> = {}, browser = new FakeBrowser(new ScriptedBrowser())) {
    const logger = new MemoryLogger();
    const hub = createOAuthHub({ store: new MemorySecretStore(), browser, logger });
    hubs.push(hub);
    await hub.applyConfig(entries({ secure: { url: mcp.url, auth } }), { trusted: true });
    await waitForKind(hub, 'secure', 'authRequired');
    return { hub, logger, browser };
  }

  return {
    servers,
    hubFor,
    /** Disposes a hub made by the test itself after the test. */
    track: (hub: McpHub) => void hubs.push(hub),
    /** Closes servers made by the test itself after the suite. */
    closeAtEnd: (...close: Array<() => Promise<void>>) => void closers.push(...close),
  };
}

/**
 * Authenticate on `secure` that fails with `code`: the row needs sign-in with that code. Resolves
 * with the sentence the row, the notification and the log say.
 */
export async function failedSignIn(hub: McpHub, code: string): Promise<string> {
  const error = await hub.authenticate('secure').then(
    () => assert.fail('the sign-in should have failed'),
    (e: unknown) => e,
  );
  assert.ok(isOAuthFlowError(error), String(error));
  assert.equal(error.code, code, error.message);
  const row = hub.server('secure')!.state;
  assert.ok(row.kind === 'authRequired' && row.code === code, JSON.stringify(row));
  return describeSignInFailure(error).message;
}

/**
 * The revocation steps of the trace of server `name`, once the revocation after Log Out has ended (its last
 * step is there). A budget, not a timing: the steps come when the requests end.
 */
export function revocation(hub: McpHub, name: string, budgetMs = 30_000): Promise<{ requests: OAuthTraceStep[]; outcome: string }> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const steps = hub.oauthTrace(name);
      const end = steps.find((s) => s.label === REVOKED);
      if (!end) return;
      done();
      resolve({ requests: steps.filter((s) => s.kind === 'revocation'), outcome: end.note ?? '' });
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no revocation in the trace: ${JSON.stringify(hub.oauthTrace(name))}`));
    }, budgetMs);
    const sub = hub.onDidChangeOAuthTrace(check);
    const done = () => {
      clearTimeout(timer);
      sub.dispose();
    };
    check();
  });
}
