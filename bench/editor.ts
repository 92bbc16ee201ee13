// The editor part of `npm run bench` (run by scripts/bench-editor.mjs, which builds first): how long
// MCP Hub's activate() takes in a real VS Code (code-server's workbench in Debian's Chromium, the
// Node extension host) with 20 servers in the user settings, as VS Code itself measures it. Each
// round is a fresh window (a new extension host) that loads the production build in development
// mode; bench/editor-probe.ts runs in that extension host and reads VS Code's activation times from
// its Startup Performance document. Prints figures, asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { startCodeServer, workbenchUrl, type CodeServer } from '../e2e/harness/code-server';
import { USER_SETTINGS } from '../e2e/harness/in-editor';
import { CHROMIUM, CODE_SERVER_VERSION, ROOT } from '../e2e/harness/paths';
import type { ProbeResult } from './editor-probe';

const SERVERS = 20;
const ROUNDS = Number(process.env.BENCH_EDITOR_ROUNDS ?? 5);
const WARMUP = 1;
const TARGET_MS = 50;
const PROBE = join(ROOT, 'out/bench/editor-probe.js');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One process serving SERVERS/2 Streamable HTTP endpoints on loopback, one per path. */
async function startRemoteServers(paths: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/http-server-cli.ts'), '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, FIXTURE_PATHS: paths.join(','), FIXTURE_NAME: 'bench-remote' },
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  return { child, port: (JSON.parse(line) as { port: number }).port };
}

/** Half local (stdio, the fixture under `node`), half remote (Streamable HTTP, with and without the SSE fallback). */
function serverSettings(port: number, remotePaths: string[]): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  const stdio = SERVERS - remotePaths.length;
  for (let i = 0; i < stdio; i++) {
    servers[`local-${i}`] = { command: 'node', args: [join(ROOT, 'test/fixtures/stdio-server.mjs')], env: { FIXTURE_NAME: `local-${i}` } };
  }
  remotePaths.forEach((p, i) => {
    servers[`remote-${i}`] = { ...(i % 2 ? { type: 'streamable-http' } : {}), url: `http://127.0.0.1:${port}${p}` };
  });
  return servers;
}

/** A fresh window: VS Code starts a new extension host, activates MCP Hub, and runs the probe. */
async function round(browser: Browser, server: CodeServer, workspace: string, resultFile: string): Promise<ProbeResult> {
  rmSync(resultFile, { force: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    let resolveExit!: (code: number) => void;
    const exit = new Promise<number>((r) => (resolveExit = r));
    // The workbench reports the probe's end through this, if the page defines it before loading.
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    await page.goto(workbenchUrl(server, workspace, ROOT, PROBE));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exit, new Promise<number>((r) => (timer = setTimeout(() => r(124), 180_000)))]);
    clearTimeout(timer);
    const result = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as ProbeResult & { error?: string }) : undefined;
    if (!result || result.error || code !== 0) throw new Error(`the probe failed (exit ${code}): ${result?.error ?? 'no result'}`);
    return result;
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mcphub-bench-editor-'));
  const remotePaths = Array.from({ length: SERVERS / 2 }, (_, i) => `/r${i}`);
  const remote = await startRemoteServers(remotePaths);
  const servers = serverSettings(remote.port, remotePaths);
  const resultFile = join(dir, 'result.json');
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  try {
    server = await startCodeServer({ dir, workspace, userSettings: { ...USER_SETTINGS, 'mcpHub.servers': servers }, env: { MCP_HUB_BENCH_RESULT: resultFile } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    const results: ProbeResult[] = [];
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const r = await round(browser, server, workspace, resultFile);
      const total = r.callActivate + r.finishActivate;
      console.log(
        `    ${i < WARMUP ? 'warm-up' : `round ${i - WARMUP + 1}`}: activate() ${total} ms (call ${r.callActivate} + until resolved ${r.finishActivate}), code loading ${r.loadCode} ms, ${r.serversListed}/${r.serversConfigured} servers, event ${r.event}`,
      );
      if (i >= WARMUP) results.push(r);
      // Let the last window's servers wind down before the next one starts.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    const totals = results.map((r) => r.callActivate + r.finishActivate);
    const loads = results.map((r) => r.loadCode);
    const shown = results.map((r) => r.loadCode + r.callActivate);
    console.log(
      `    activate() until its promise resolved, ${SERVERS} servers configured: median ${median(totals)} ms, min ${Math.min(...totals)}, max ${Math.max(...totals)}, N=${ROUNDS} (target < ${TARGET_MS} ms)`,
    );
    console.log(`    loading dist/extension.mjs and the chunks it imports before that: median ${median(loads)} ms, min ${Math.min(...loads)}, max ${Math.max(...loads)}`);
    console.log(`    Running Extensions' "Activation" (code loading + synchronous activate call): median ${median(shown)} ms`);
  } finally {
    await browser?.close();
    await server?.stop();
    remote.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `(f) activation in the real editor: code-server ${CODE_SERVER_VERSION}, ${SERVERS} servers (${SERVERS / 2} stdio, ${SERVERS / 2} Streamable HTTP), ${WARMUP} warm-up + ${ROUNDS} fresh windows, ${cpus().length} cores`,
);
main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
