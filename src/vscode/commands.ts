import * as vscode from 'vscode';
import type { McpHub } from '../core/hub';
import { canStart, canStop, type ServerState } from '../core/state';
import { openServerSettings } from './settings';

export const COMMANDS = {
  openSettings: 'mcpHub.openSettings',
  restartServer: 'mcpHub.restartServer',
  stopServer: 'mcpHub.stopServer',
  startServer: 'mcpHub.startServer',
  showLogs: 'mcpHub.showLogs',
} as const;

/** Asks which server when a command runs from the palette; commands from the panel pass the name. */
async function pickServer(hub: McpHub, title: string, fits: (s: ServerState) => boolean, name?: unknown): Promise<string | undefined> {
  if (typeof name === 'string') return name;
  const servers = hub.servers().filter((s) => s.config && fits(s.state));
  if (servers.length === 0) {
    void vscode.window.showInformationMessage(`MCP Hub: no server to ${title.toLowerCase()}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    servers.map((s) => ({ label: s.name, description: s.config!.type, detail: s.state.kind })),
    { title: `MCP Hub: ${title}`, placeHolder: 'Choose a server' },
  );
  return picked?.label;
}

export function registerCommands(hub: McpHub, channel: vscode.LogOutputChannel): vscode.Disposable[] {
  const run = (title: string, fits: (s: ServerState) => boolean, action: (name: string) => Promise<void>) => async (name?: unknown) => {
    const server = await pickServer(hub, title, fits, name);
    if (!server) return;
    try {
      await action(server);
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  return [
    vscode.commands.registerCommand(COMMANDS.openSettings, () => openServerSettings()),
    vscode.commands.registerCommand(COMMANDS.showLogs, () => channel.show()),
    vscode.commands.registerCommand(COMMANDS.restartServer, run('Restart Server', (s) => s.kind !== 'disabled', (n) => hub.restart(n))),
    vscode.commands.registerCommand(COMMANDS.stopServer, run('Stop Server', canStop, (n) => hub.stop(n))),
    vscode.commands.registerCommand(COMMANDS.startServer, run('Start Server', canStart, (n) => hub.start(n))),
  ];
}
