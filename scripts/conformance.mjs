// `npm run test:conformance`: the official MCP conformance suite, client side, against the hub core
// (test/conformance/adapter.ts). The suite needs Node 24, which scripts/node24.mjs provides; the
// project itself stays on Node 20. Results go to artifacts/conformance/; the exit code is the
// suite's: 0 when everything passes except what test/conformance/expected-failures.yml lists.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24 } from './node24.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const suite = join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const adapter = join(root, 'test/conformance/adapter.ts');
const baseline = join(root, 'test/conformance/expected-failures.yml');
const output = join(root, 'artifacts/conformance');

if (!existsSync(suite)) {
  console.error('The conformance suite is not installed; run `npm ci` first.');
  process.exit(1);
}
const node24 = ensureNode24();
// The runner splits --command on spaces, so no path in it may contain one.
const command = [node24, '--import', 'tsx', adapter];
if (command.some((part) => /\s/.test(part))) {
  console.error(`The conformance runner cannot run a command whose paths contain spaces: ${command.join(' ')}`);
  process.exit(1);
}

rmSync(output, { recursive: true, force: true });
const extra = process.argv.slice(2);
// Two passes: every scenario at the suite's default revision, then the 2026-07-28 set on its own
// (unless the caller chose a revision).
const passes = extra.includes('--spec-version')
  ? [{ label: 'as asked', args: extra, out: output }]
  : [
      { label: 'all scenarios', args: extra, out: output },
      { label: 'spec version 2026-07-28', args: ['--spec-version', '2026-07-28', ...extra], out: join(output, 'spec-2026-07-28') },
    ];
let failed = 0;
for (const pass of passes) {
  const code = await run(pass);
  if (code !== 0) failed = code;
}
process.exit(failed);

function run({ label, args: passArgs, out }) {
  const args = [suite, 'client', '--command', command.join(' '), '--suite', 'all', '--timeout', '60000', '-o', out, '--expected-failures', baseline, ...passArgs];
  console.log(`== MCP conformance suite (client, ${label}) with ${node24}`);
  const started = Date.now();
  // Each scenario's progress (long) goes to stderr and into a log; the summary and the baseline verdict
  // are on stdout.
  mkdirSync(out, { recursive: true });
  const log = createWriteStream(join(out, 'runner.log'));
  const child = spawn(node24, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
  child.stderr.pipe(log);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      console.log(`\n(${Math.round((Date.now() - started) / 1000)} s; per-scenario checks and client logs in ${out.slice(root.length + 1)}/)`);
      log.end(() => resolve(code ?? (signal ? 1 : 0)));
    });
  });
}
