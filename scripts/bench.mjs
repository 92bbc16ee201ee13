// `npm run bench`: bundles bench/run.ts the way the extension is bundled, then runs it with plain
// Node so the figures reflect production code rather than a TypeScript loader.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'out/bench.js');
await esbuild.build({ entryPoints: [join(root, 'bench/run.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'warning' });
const r = spawnSync(process.execPath, [outfile], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
