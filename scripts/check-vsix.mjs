// After `npm run package`: every bundle the build wrote (dist/**/*.js, *.mjs, *.css: the extension's
// chunks in dist/chunks/ too) must be in the VSIX, so neither the extension nor a webview of the
// installed extension loads a script that was left out (.vscodeignore); the icon
// must be in it; and the packaged README (dist/README.md, scripts/package.mjs) may show only https
// images: the extension's page drops any other src, which leaves a broken image.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const ls = spawnSync(npx, ['vsce', 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (ls.status !== 0) process.exit(ls.status ?? 1);
const packaged = new Set(ls.stdout.split('\n').map((l) => l.trim()));
const bundles = readdirSync(join(root, 'dist'), { recursive: true })
  .map((f) => String(f).replaceAll('\\', '/'))
  .filter((f) => /\.(m?js|css)$/.test(f))
  .map((f) => `dist/${f}`);
const missing = bundles.filter((f) => !packaged.has(f));
if (missing.length > 0) {
  console.error(`The VSIX leaves out ${missing.join(', ')}: add them to .vscodeignore.`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
if (typeof manifest.icon !== 'string' || !packaged.has(manifest.icon)) {
  console.error(manifest.icon ? `The VSIX leaves out the icon ${manifest.icon}: add it to .vscodeignore.` : 'package.json has no icon.');
  process.exit(1);
}
const images = [...readFileSync(join(root, 'dist/README.md'), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)|<img\b[^>]*\bsrc=["']?([^"'\s>]+)/gi)].map((m) => m[1] ?? m[2]);
const broken = images.filter((src) => !/^https:\/\//i.test(src));
if (broken.length > 0) {
  console.error(`The packaged README shows images the extension's page cannot load: ${broken.join(', ')}`);
  process.exit(1);
}
console.log(
  `VSIX check: all ${bundles.length} bundles are packaged (${bundles.join(', ')}), the icon (${manifest.icon}), and the README with ${images.length ? `${images.length} https images` : 'no images (npm run package -- --images-url=https://… puts them in)'}`,
);
