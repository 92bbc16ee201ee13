// `npm run bench`: bundles bench/run.ts the way the extension is bundled, then runs it with plain
// Node so the figures reflect production code rather than a TypeScript loader; then the editor part,
// scripts/bench-editor.mjs: activate() in a real VS Code with 20 servers (MCP_HUB_BENCH_EDITOR=0 skips it).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdkShims } from './sdk-shims.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'out/bench.js');
await esbuild.build({
  entryPoints: [join(root, 'bench/run.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile,
  // Playwright (the panel figure drives Chromium with it) reads its own files at run time.
  external: ['playwright-core'],
  logLevel: 'warning',
  plugins: [sdkShims],
});
// `npm run bench -- g h`: only those figures (letters as in bench/run.ts).
const only = process.argv.slice(2);
if (only.length === 0 || only.includes('i')) {
  // Figure (i) loads the panel as it ships into Chromium: build it minified, and on Linux set up
  // Chromium the way the e2e launcher does (e2e/setup.sh, once) unless MCP_HUB_BENCH_EDITOR=0.
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--production'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && process.platform === 'linux' && process.env.MCP_HUB_BENCH_EDITOR !== '0') {
    console.log('== (i) needs Chromium: e2e/setup.sh (once, a few minutes)');
    spawnSync('bash', [join(root, 'e2e/setup.sh')], { cwd: root, stdio: 'inherit' });
  }
}
const r = spawnSync(process.execPath, [outfile, ...only], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
if (only.length > 0 && !only.includes('f')) process.exit(0);
const editor = spawnSync(process.execPath, [join(root, 'scripts/bench-editor.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(editor.status ?? 1);
