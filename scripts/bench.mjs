// `npm run bench`: bundles bench/run.ts the way the extension is bundled, then runs it with plain
// Node so the figures reflect production code rather than a TypeScript loader; then the editor part,
// scripts/bench-editor.mjs: activate() in a real VS Code with 20 servers (MCP_HUB_BENCH_EDITOR=0 skips it).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
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
  logLevel: 'warning',
  plugins: [sdkShims],
});
// `npm run bench -- g h`: only those figures (letters as in bench/run.ts).
const only = process.argv.slice(2);
const r = spawnSync(process.execPath, [outfile, ...only], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
if (only.length > 0 && !only.includes('f')) process.exit(0);
const editor = spawnSync(process.execPath, [join(root, 'scripts/bench-editor.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(editor.status ?? 1);
