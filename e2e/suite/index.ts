/**
 * The in-editor suite's entry: both launchers (@vscode/test-electron and the offline code-server
 * one) load this module in the extension host and call run(). Results also go to a file, which the
 * code-server harness reads.
 */
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  // Bundled together with this entry (esbuild), so the suite file is required here, not globbed.
  mocha.suite.emit('pre-require', globalThis, 'hub.e2e', mocha);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the suite must load after pre-require, which a hoisted import would not wait for.
  require('./hub.e2e');
  const results: Array<{ title: string; state: string; error?: string }> = [];
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.MCP_HUB_E2E_RESULTS;
      if (file) writeFileSync(file, JSON.stringify({ failures, results }, null, 2));
      if (failures > 0) reject(new Error(`${failures} in-editor test(s) failed`));
      else resolve();
    });
    runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed' }));
    runner.on('fail', (t, err: Error) => results.push({ title: t.fullTitle(), state: 'failed', error: err.message }));
  });
}
