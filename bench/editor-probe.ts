/**
 * The editor benchmark's probe, loaded by VS Code as the `extensionTestsPath` module (bundled to
 * out/bench/editor-probe.js): it runs in the same extension host as MCP Hub, waits for MCP Hub to
 * have been activated by VS Code (its own `onStartupFinished` event; the probe never activates it),
 * then reads VS Code's own activation times for it from the "Startup Performance" document
 * (Developer: Startup Performance, table "Extension Activation Stats") and writes them to the file
 * named by MCP_HUB_BENCH_RESULT.
 */
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';

const ID = 'mcp-hub.mcp-hub';
const TIMEOUT_MS = 90_000;

export interface ProbeResult {
  readonly extensionId: string;
  /** Milliseconds VS Code spent loading dist/extension.mjs (import(), with the chunks it imports). */
  readonly loadCode: number;
  /** Milliseconds in the synchronous part of activate(). */
  readonly callActivate: number;
  /** Milliseconds from activate() returning its promise to that promise resolving. */
  readonly finishActivate: number;
  readonly event: string;
  /** Servers in the user settings, and those the hub's API lists (all of them, once settings are applied). */
  readonly serversConfigured: number;
  readonly serversListed: number;
  readonly row: string;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function run(): Promise<void> {
  const out = process.env.MCP_HUB_BENCH_RESULT;
  if (!out) throw new Error('MCP_HUB_BENCH_RESULT is not set');
  try {
    const ext = await until('MCP Hub to be activated', () => {
      const e = vscode.extensions.getExtension<{ servers(): unknown[] }>(ID);
      return e?.isActive ? e : undefined;
    });
    const configured = Object.keys(vscode.workspace.getConfiguration('mcpHub').get<Record<string, unknown>>('servers') ?? {}).length;
    const serversListed = await until('the hub to list every configured server', () => {
      const n = ext.exports.servers().length;
      return n >= configured ? n : undefined;
    });
    // The document's provider is registered when the workbench first needs it: by this command.
    await vscode.commands.executeCommand('perfview.show');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'perf', path: 'Startup Performance' }));
    // | Extension | Eager | Load Code | Call Activate | Finish Activate | Event | By |
    const row = await until('MCP Hub in the Extension Activation Stats', () =>
      doc
        .getText()
        .split('\n')
        .find((l) => l.toLowerCase().replace(/\s/g, '').startsWith(`|${ID}|`)),
    );
    const cells = row
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    const result: ProbeResult = {
      extensionId: cells[0],
      loadCode: Number(cells[2]),
      callActivate: Number(cells[3]),
      finishActivate: Number(cells[4]),
      event: cells[5],
      serversConfigured: configured,
      serversListed,
      row,
    };
    writeFileSync(out, JSON.stringify(result));
  } catch (error) {
    writeFileSync(out, JSON.stringify({ error: String(error) }));
    throw error;
  }
}
