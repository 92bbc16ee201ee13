// `npm run package [-- --images-url=https://host/path/]`: the VSIX in dist-vsix/, then its check
// (scripts/check-vsix.mjs).
//
// The README packaged is not README.md as it is: VS Code's extension page (1.139, seen in its
// workbench source and in e2e/vsix.test.ts) keeps an image only when its src is an http(s) URL (its
// sanitizer drops relative, file: and data: sources) and its CSP loads only https: images. So the
// README's relative images cannot be shown from the installed files: with --images-url (where the
// repository's files are published, over https) they become absolute URLs under it; without it they
// are left out of the packaged README rather than shown broken. Links stay as written.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.slice(2).find((a) => a.startsWith('--images-url='));
const imagesUrl = flag?.slice('--images-url='.length);
if (imagesUrl !== undefined && !/^https:\/\/[^/\s]+/.test(imagesUrl)) {
  console.error(`--images-url must be an https URL (the extension page loads no other images): ${imagesUrl}`);
  process.exit(2);
}

/** README.md for the extension's page: relative images made absolute under `base`, or left out. */
function packagedReadme(readme, base) {
  return readme.replace(/^([ \t]*)!\[([^\]]*)\]\(([^)\s]+)\)[ \t]*\n(\n?)/gm, (whole, indent, alt, src, blank) => {
    if (/^https:\/\//i.test(src)) return whole;
    if (/^[a-z][a-z0-9+.-]*:/i.test(src)) return blank;
    return base ? `${indent}![${alt}](${new URL(src.replace(/^\.\//, ''), base.endsWith('/') ? base : `${base}/`).href})\n${blank}` : blank;
  });
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, [join(root, 'scripts/build.mjs'), '--production']);
mkdirSync(join(root, 'dist-vsix'), { recursive: true });
writeFileSync(join(root, 'dist/README.md'), packagedReadme(readFileSync(join(root, 'README.md'), 'utf8'), imagesUrl));
// prettier-ignore
run(process.platform === 'win32' ? 'npx.cmd' : 'npx', [
  'vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links',
  '--readme-path', 'dist/README.md', '--out', 'dist-vsix/mcp-hub.vsix',
]);
run(process.execPath, [join(root, 'scripts/check-vsix.mjs')]);
