// After `npm run package`: every bundle the build wrote (dist/*.js, *.css) must be in the VSIX, so
// no webview of the installed extension loads a script that was left out (.vscodeignore).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const ls = spawnSync(npx, ['vsce', 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (ls.status !== 0) process.exit(ls.status ?? 1);
const packaged = new Set(ls.stdout.split('\n').map((l) => l.trim()));
const bundles = readdirSync(join(root, 'dist'))
  .filter((f) => /\.(js|css)$/.test(f))
  .map((f) => `dist/${f}`);
const missing = bundles.filter((f) => !packaged.has(f));
if (missing.length > 0) {
  console.error(`The VSIX leaves out ${missing.join(', ')}: add them to .vscodeignore.`);
  process.exit(1);
}
console.log(`VSIX check: all ${bundles.length} bundles are packaged (${bundles.join(', ')})`);
