// The editor part of `npm run bench` (also runnable alone: `node scripts/bench-editor.mjs`): MCP Hub's
// activate() in a real VS Code with 20 servers configured, as VS Code measures it (bench/editor.ts).
// Needs the offline e2e launcher's code-server, Node 24 and Chromium in .cache/; installs them the
// way `npm run test:e2e` does (e2e/setup.sh, a few minutes once) unless MCP_HUB_BENCH_EDITOR=0.
// When they cannot be had, prints a "skipped" line with the command that sets them up, and exits 0.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.139.1';
const NODE24_VERSION = process.env.NODE24_VERSION ?? '24.9.0';
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ready = () =>
  existsSync(join(root, '.cache', `code-server-${CODE_SERVER_VERSION}`, 'node_modules/.bin/code-server')) &&
  existsSync(join(root, '.cache', `node-${NODE24_VERSION}`, 'bin/node')) &&
  existsSync(chromium);
const skip = (why, setUp = true) => {
  const how = setUp ? 'set it up with `bash e2e/setup.sh` (code-server, Node 24 and Chromium into .cache/, a few minutes), then run' : 'run it with';
  console.log(`(f) activation in the real editor: skipped: ${why}; ${how} \`node scripts/bench-editor.mjs\`.`);
  process.exit(0);
};

if (process.env.MCP_HUB_BENCH_EDITOR === '0') skip('MCP_HUB_BENCH_EDITOR=0', false);
if (!ready()) {
  if (process.platform !== 'linux') skip('the offline launcher (code-server + Debian Chromium) is set up on Linux only');
  console.log('== (f) needs code-server, Node 24 and Chromium: e2e/setup.sh (once, a few minutes)');
  // Under `npm run`, npm_* variables would reach setup.sh's nested npm; it drops them itself.
  const setup = spawnSync('bash', [join(root, 'e2e/setup.sh')], { cwd: root, stdio: 'inherit' });
  if (setup.status !== 0 || !ready()) skip(`e2e/setup.sh failed (exit ${setup.status ?? setup.signal})`);
}

// What ships (minified, as `npm run package` builds it), and the probe that runs in the extension host.
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) process.exit(build.status ?? 1);
await esbuild.build({
  entryPoints: [join(root, 'bench/editor-probe.ts')],
  outfile: join(root, 'out/bench/editor-probe.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/editor.ts')], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
