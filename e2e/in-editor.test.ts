// The in-editor suite (e2e/suite) in a real VS Code, with the launcher scripts/e2e.mjs chose.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runInEditorSuite, type Launcher } from './harness/in-editor';

it(
  'passes the in-editor suite in a real VS Code; no token (the gateway token included) is left outside SecretStorage; one gateway start; a quiet extension host log',
  { timeout: 8 * 60_000 },
  async () => {
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
    // A fresh profile's first activation: the gateway binds one port (storing its first token must not restart it).
    assert.ok(result.gateway.logs > 0, "MCP Hub's log was found");
    assert.equal(result.gateway.starts.length, 1, `one gateway start:\n${result.gateway.starts.join('\n')}`);
    // The extension host's log holds no error or warning of ours.
    assert.ok(result.hostLog.files.length > 0, "the extension host's log was found");
    assert.deepEqual(
      result.hostLog.problems.map((p) => `${p.level}: ${p.text}`),
      [],
      `errors and warnings of MCP Hub in ${result.hostLog.files.join(', ')}`,
    );
  },
);
