// `npm start`, the main job: builds the extension and opens VS Code with it in development mode on
// demo/, whose settings configure a local stdio server and @modelcontextprotocol/server-everything.
// Without `code` on PATH it packages the VSIX instead and says how to install it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run(process.execPath, ['scripts/build.mjs']);

const workspace = join(root, 'demo');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
writeFileSync(
  join(workspace, '.vscode/settings.json'),
  JSON.stringify(
    {
      'mcpHub.servers': {
        fixture: { command: process.execPath, args: [join(root, 'test/fixtures/stdio-server.mjs')] },
        everything: { command: process.execPath, args: [join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'] },
      },
    },
    null,
    2,
  ) + '\n',
);

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode) {
  console.log('Opening VS Code with MCP Hub in development mode on demo/ (trust the folder to start its servers).');
  spawn('code', ['--new-window', `--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
} else {
  run('npm', ['run', 'package']);
  console.log(`\n\`code\` is not on PATH. Install the extension with:\n  code --install-extension ${join(root, 'dist-vsix/mcp-hub.vsix')}\nand open ${workspace}.`);
}
