// `npm test`: type-check both sides, lint (ESLint and the Prettier check), bundle, then run the unit
// and integration tests in one node:test run (real servers, no network beyond loopback). Later stages
// join here as they land.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(title, command, args) {
  console.log(`\n== ${title}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${title} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const files = (dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f));

step('type-check (extension, tests)', npx, ['tsc', '--noEmit', '-p', 'tsconfig.json']);
step('type-check (webview)', npx, ['tsc', '--noEmit', '-p', 'webview-ui/tsconfig.json']);
step('lint (ESLint, Prettier check)', npm, ['run', 'lint', '--silent']);
step('build', process.execPath, ['scripts/build.mjs']);
// prettier-ignore
step('unit, security and integration tests', process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec',
  ...files('test/unit'), ...files('test/security'), ...files('test/integration'),
]);
