// The in-editor suite (e2e/suite) in a real VS Code, with the launcher scripts/e2e.mjs chose.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runInEditorSuite, type Launcher } from './harness/in-editor';

it('passes the in-editor suite in a real VS Code, and no token (the gateway token included) is left outside SecretStorage', { timeout: 8 * 60_000 }, async () => {
  const launcher = (process.env.MCP_HUB_E2E_LAUNCHER ?? 'code-server') as Launcher;
  const result = await runInEditorSuite(launcher);
  for (const line of result.log) console.log(line);
  for (const r of result.results?.results ?? []) console.log(`  ${r.state === 'passed' ? '✔' : '✖'} ${r.title}${r.error ? ` — ${r.error}` : ''}`);
  assert.ok(result.results, 'the suite wrote its results');
  assert.equal(result.results.failures, 0, 'in-editor failures');
  assert.ok(result.results.results.length >= 5, 'every in-editor test ran');
  assert.equal(result.exitCode, 0);
  assert.ok(result.gatewayTokens > 0, 'the suite handed over the gateway token to look for');
  assert.ok(result.definitionCache, "the scan read VS Code's cache of provider definitions (mcp.extCachedServers)");
  assert.deepEqual(result.leaks, [], 'files holding a token (a server token, or the gateway token)');
});
