/**
 * Starts code-server (the real VS Code workbench and Node extension host, from npm) on loopback,
 * in its own process group with private user-data, extensions and HOME folders under `dir`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CODE_SERVER, NODE24_BIN } from './paths';

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  readonly userDataDir: string;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startCodeServer(options: {
  dir: string;
  workspace: string;
  userSettings: Record<string, unknown>;
  env?: Record<string, string>;
  port?: number;
  /** Origins openExternal may open without VS Code's confirmation dialog (as if trusted earlier). */
  trustedDomains?: string[];
}): Promise<CodeServer> {
  const port = options.port ?? (await freePort());
  const userDataDir = join(options.dir, 'user-data');
  const home = join(options.dir, 'home');
  for (const d of [userDataDir, join(userDataDir, 'User'), home, join(options.dir, 'extensions'), options.workspace]) mkdirSync(d, { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(options.userSettings, null, 2));
  // prettier-ignore
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', userDataDir,
    '--extensions-dir', join(options.dir, 'extensions'),
    '--vscode-option', 'enable-smoke-test-driver',
    ...(options.trustedDomains ?? []).flatMap((d) => ['--link-protection-trusted-domains', d]),
    options.workspace,
  ];
  let output = '';
  const child = spawn(CODE_SERVER, args, {
    env: { ...process.env, ...options.env, PATH: `${NODE24_BIN}:${process.env.PATH}`, HOME: home, TMPDIR: options.dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    userDataDir,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The workbench URL that loads the extension in development mode and, optionally, runs a test module. */
export function workbenchUrl(server: CodeServer, workspace: string, extensionPath: string, testsPath?: string): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload: string[][] = [['extensionDevelopmentPath', remote(extensionPath)]];
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
