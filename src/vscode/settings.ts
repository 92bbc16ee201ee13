import * as vscode from 'vscode';
import { mergeScopes, parseServers, SERVERS_KEY, SERVERS_SETTING, SETTINGS_SECTION, type ConfigEntry } from '../core/config';

/**
 * Reads `mcpHub.servers` from every scope with `inspect`, so each entry knows where it came from
 * (workspace entries must not start in an untrusted workspace) and the workspace value is seen even
 * when VS Code hides it from `get` in restricted mode.
 */
export function readServerSettings(): ConfigEntry[] {
  const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(SERVERS_KEY);
  if (!inspected) return [];
  return mergeScopes(
    parseServers(inspected.globalValue, 'user'),
    parseServers(inspected.workspaceValue, 'workspace'),
    parseServers(inspected.workspaceFolderValue, 'workspaceFolder'),
  );
}

export function onDidChangeServerSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration(SERVERS_SETTING)) listener();
  });
}

/** Opens the user settings JSON at `mcpHub.servers`, adding the key when it is missing. */
export async function openServerSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: SERVERS_SETTING, edit: true } });
}
