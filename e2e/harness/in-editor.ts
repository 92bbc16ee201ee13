/**
 * Runs the in-editor suite (e2e/suite, bundled to out/e2e/suite.js) with one of two launchers:
 *  - code-server: offline; the real workbench in Debian's Chromium, driven by playwright-core;
 *  - electron: @vscode/test-electron, which downloads VS Code (machines with internet).
 * Either way the demo stack's servers are in the user settings and the harness plays the user's
 * browser for the OAuth journey.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ScriptedBrowser } from '../../test/fixtures/scripted-browser';
import { startCodeServer, workbenchUrl } from './code-server';
import { gatewayStarts, ourHostLogProblems, type LogEntry } from './host-log';
import { filesContaining } from './leaks';
import { removeMachinePolicy } from './machine-policy';
import { ARTIFACTS, CHROMIUM, ROOT } from './paths';
import { startDemoStack, type DemoStack } from './stack';
import { playUser } from './user-browser';

export type Launcher = 'code-server' | 'electron';

export interface InEditorResult {
  readonly exitCode: number;
  readonly results: { failures: number; results: Array<{ title: string; state: string; error?: string }> } | undefined;
  /** Files outside SecretStorage that hold a token the server saw, or the gateway token. */
  readonly leaks: string[];
  /** How many gateway tokens the suite handed over to look for (0: the check could not run). */
  readonly gatewayTokens: number;
  /** Whether a file the scan read holds VS Code's cache of provider definitions. */
  readonly definitionCache: boolean;
  /** The extension host's log files read, and the errors and warnings in them that are MCP Hub's. */
  readonly hostLog: { files: string[]; problems: LogEntry[] };
  /** MCP Hub's log channels found, and their "gateway listening" lines (one activation: one). */
  readonly gateway: { logs: number; starts: string[] };
  readonly log: string[];
}

export const SUITE = join(ROOT, 'out/e2e/suite.js');
/** The storage key under which VS Code caches extension-provided MCP server definitions (workspace storage). */
const VSCODE_DEFINITION_CACHE = 'mcp.extCachedServers';

export const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

export async function runInEditorSuite(launcher: Launcher): Promise<InEditorResult> {
  // A policy a killed UI run left behind would govern this suite too.
  removeMachinePolicy();
  const dir = mkdtempSync(join(tmpdir(), 'mcphub-e2e-'));
  const log: string[] = [];
  const say = (m: string) => log.push(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
  const stack = await startDemoStack({ everything: true });
  const resultsFile = join(dir, 'results.json');
  const report = await startTokenReport();
  const env = { MCP_HUB_E2E_RESULTS: resultsFile, MCP_HUB_E2E_OAUTH_URL: stack.mcp.url, MCP_HUB_E2E_ISSUER: stack.as.issuer, MCP_HUB_E2E_REPORT_URL: report.url };
  const workspace = join(dir, 'workspace');
  mkdirSync(workspace, { recursive: true });
  // VS Code starts extension-provided MCP servers only in a trusted workspace; a test run cannot answer the trust modal.
  const userSettings = { ...USER_SETTINGS, 'security.workspace.trust.enabled': false, 'mcpHub.servers': stack.servers };
  try {
    // In a test run VS Code refuses dialogs, so the authorization server is trusted up front.
    const exitCode =
      launcher === 'code-server' ? await viaCodeServer(dir, workspace, userSettings, env, say, [stack.as.url]) : await viaElectron(dir, workspace, userSettings, env, say);
    const results = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as InEditorResult['results']) : undefined;
    // Once the editor has closed (its storage is flushed at shutdown): the user data, with the global
    // and workspace storage (where VS Code caches provider definitions), and everything else here.
    const leaks = filesContaining(dir, [...stack.mcp.stats.bearerTokens, ...report.gatewayTokens]).map((f) => f.slice(dir.length));
    // The scan saw where VS Code caches provider definitions (else finding nothing would prove nothing).
    const definitionCache = filesContaining(dir, [VSCODE_DEFINITION_CACHE]).length > 0;
    const userDataDir = join(dir, 'user-data');
    const hostLog = ourHostLogProblems(userDataDir);
    const gateway = gatewayStarts(userDataDir);
    return { exitCode, results, leaks, gatewayTokens: report.gatewayTokens.length, definitionCache, hostLog, gateway, log };
  } finally {
    report.close();
    await stack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the suite hands over the gateway token it copied the way a person does (Connect a Client…,
 * Copy Token): in this process's memory only, so the search for it in files finds nothing of ours.
 */
async function startTokenReport(): Promise<{ url: string; gatewayTokens: string[]; close(): void }> {
  const gatewayTokens: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk.slice(0, 4096)));
    req.on('end', () => {
      try {
        const token = (JSON.parse(body) as { gatewayToken?: unknown }).gatewayToken;
        if (typeof token === 'string' && token.length >= 16) gatewayTokens.push(token);
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway-token`, gatewayTokens, close: () => server.close() };
}

async function viaCodeServer(
  dir: string,
  workspace: string,
  userSettings: object,
  env: Record<string, string>,
  say: (m: string) => void,
  trustedDomains: string[],
): Promise<number> {
  const server = await startCodeServer({ dir, workspace, userSettings: userSettings as Record<string, unknown>, env, trustedDomains });
  // A browser profile inside the run folder: the web workbench keeps its storage (workspace storage,
  // where VS Code caches provider definitions) in the browser's IndexedDB, and the leak scan reads it.
  // The clipboard: Connect a Client… copies there, and the suite reads it back.
  const context = await chromium.launchPersistentContext(join(dir, 'browser-profile'), {
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    viewport: { width: 1400, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let resolveExit!: (code: number) => void;
    const exit = new Promise<number>((r) => (resolveExit = r));
    // The workbench reports the suite's end through these, if the page defines them (before goto).
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => say(`editor: ${args.map(String).join(' ')}`));
    const user = playUser(context, page, say);
    await page.goto(workbenchUrl(server, workspace, ROOT, SUITE));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((r) => (timer = setTimeout(() => r(124), 5 * 60_000)));
    const code = await Promise.race([exit, timeout]);
    clearTimeout(timer);
    say(`in-editor suite exit code ${code}`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'in-editor.png') }).catch(() => undefined);
    user.stop();
    return code;
  } finally {
    await context.close();
    await server.stop();
    if (process.env.MCP_HUB_E2E_VERBOSE) say(server.output());
  }
}

/**
 * @vscode/test-electron. VS Code's openExternal goes to xdg-open on Linux: a stand-in on PATH hands
 * the URL to this process, where a scripted browser signs in.
 */
async function viaElectron(dir: string, workspace: string, userSettings: object, env: Record<string, string>, say: (m: string) => void): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  const browser = new ScriptedBrowser();
  const opener = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('url');
    res.end();
    if (url) void browser.open(url).then((r) => say(`browser: ended on ${new URL(r.finalUrl).pathname} (${r.status})`));
  });
  await new Promise<void>((r) => opener.listen(0, '127.0.0.1', r));
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'xdg-open'),
    `#!/bin/sh\nexec curl -s "http://127.0.0.1:${(opener.address() as AddressInfo).port}/?url=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1")"\n`,
  );
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const userDataDir = join(dir, 'user-data');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(userSettings, null, 2));
  try {
    return await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: SUITE,
      launchArgs: [workspace, '--user-data-dir', userDataDir, '--extensions-dir', join(dir, 'extensions'), '--disable-workspace-trust', '--disable-gpu'],
      extensionTestsEnv: { ...env, PATH: `${bin}:${process.env.PATH}` },
    });
  } catch (error) {
    say(`test-electron: ${(error as Error).message}`);
    return 1;
  } finally {
    opener.close();
  }
}

export type { DemoStack };
