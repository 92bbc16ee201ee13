// `npm start`, the main job on a fresh machine: builds the extension, starts the demo stack (a local
// authorization server with a login page, an OAuth-protected MCP server with a few tools, a plain
// stdio server) and opens VS Code with the extension in development mode and those servers in its
// settings: desktop VS Code when `code` is on PATH, else the real workbench (code-server, installed
// into .cache/ on first use) in your browser at a printed URL. Ctrl+C stops everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer, workbenchUrl, type CodeServer } from '../e2e/harness/code-server';
import { USER_SETTINGS } from '../e2e/harness/in-editor';
import { CACHE, ROOT } from '../e2e/harness/paths';
import { startDemoStack } from '../e2e/harness/stack';

const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

async function main(): Promise<void> {
  const desktop = !process.argv.includes('--web') && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!desktop) run('bash', ['e2e/setup.sh']);
  run(process.execPath, ['scripts/build.mjs']);

  const stack = await startDemoStack({ broken: false, withInput: true });
  const dir = join(CACHE, 'demo');
  rmSync(dir, { recursive: true, force: true });
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeFileSync(join(workspace, 'README.md'), '# MCP Hub demo\n\nOpen the MCP Hub view in the activity bar and click Authenticate.\n');
  const userSettings = { ...USER_SETTINGS, 'mcpHub.servers': stack.servers };

  let server: CodeServer | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the demo…');
    await server?.stop();
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  if (desktop) {
    const userData = join(dir, 'vscode-user');
    mkdirSync(join(userData, 'User'), { recursive: true });
    writeFileSync(join(userData, 'User/settings.json'), JSON.stringify(userSettings, null, 2));
    spawn('code', ['--new-window', '--user-data-dir', userData, '--extensions-dir', join(dir, 'vscode-extensions'), `--extensionDevelopmentPath=${ROOT}`, workspace], {
      stdio: 'ignore',
      detached: true,
    }).unref();
    console.log('\nVS Code is opening with MCP Hub in development mode.');
  } else {
    // The demo's own authorization server is trusted, so its page opens without a confirmation.
    server = await startCodeServer({ dir, workspace, userSettings, trustedDomains: [stack.as.url], port: Number(process.env.PORT ?? 0) || undefined });
    console.log(`\nOpen this URL in your browser (on this machine):\n\n  ${workbenchUrl(server, workspace, ROOT)}\n`);
  }
  console.log(`Then:
  1. Click "MCP Hub" in the activity bar: "local-demo" is Connected, "protected-demo" says Authentication required.
  2. Click Authenticate. A sign-in page opens: any user name, password "secret", then Allow.
  3. The row turns "Connected · N tools" (N the server's tool count). Reload the window: still connected, no sign-in.
  4. Log Out brings "Authentication required" back.
  5. "keyed-demo" says Needs a value: click Set Value…, type anything; it is kept in secret storage and the server starts.
  6. "Gateway on port N" under the summary: Connect a Client… copies a ready configuration (Claude Code, Cursor, …) for these servers.
Authorization server: ${stack.as.issuer}   protected MCP server: ${stack.mcp.url}
Press Ctrl+C to stop everything.`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
