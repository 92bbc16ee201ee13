// `npm run test:e2e`: the e2e suites in a real VS Code (the last one installs the VSIX). Builds the extension and the in-editor suite,
// picks a launcher (--launcher=code-server|electron, or MCP_HUB_E2E_LAUNCHER; by default
// @vscode/test-electron when VS Code's download site answers, else the offline code-server one,
// which e2e/setup.sh installs into .cache/), then runs e2e/*.test.ts with node:test.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const flag = process.argv.find((a) => a.startsWith('--launcher='))?.split('=')[1];

async function online() {
  try {
    const r = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(3000) });
    return r.ok;
  } catch {
    return false;
  }
}

const launcher = flag ?? process.env.MCP_HUB_E2E_LAUNCHER ?? ((await online()) ? 'electron' : 'code-server');
if (!['code-server', 'electron'].includes(launcher)) {
  console.error(`unknown launcher "${launcher}"; use code-server or electron`);
  process.exit(2);
}
console.log(`== e2e launcher: ${launcher}`);

const run = (cmd, args, env = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// The UI suite drives the browser workbench, so it needs code-server and Chromium either way.
run('bash', ['e2e/setup.sh']);
// The VSIX, for the installed extension's page (e2e/vsix.test.ts); then the development build the
// other suites load.
run(process.execPath, ['scripts/package.mjs']);
run(process.execPath, ['scripts/build.mjs']);
await esbuild.build({
  entryPoints: [join(root, 'e2e/suite/index.ts')],
  outfile: join(root, 'out/e2e/suite.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
});
run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', 'e2e/in-editor.test.ts', 'e2e/ui.test.ts', 'e2e/vsix.test.ts'], {
  MCP_HUB_E2E_LAUNCHER: launcher,
});
