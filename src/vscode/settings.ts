import * as vscode from 'vscode';
import { mergeScopes, parseServers, SERVERS_KEY, SERVERS_SETTING, SETTINGS_SECTION, type ConfigEntry, type ConfigSource, type ToolFilter } from '../core/config';
import { ALLOWED_SERVERS_SETTING, DENIED_SERVERS_SETTING, MCP_ACCESS_SETTING, parseAccess, parseMatchers, type EditorMcpPolicy } from '../core/policy';
import { switchTool } from '../core/tool-switch';
import { isRecord } from '../protocol';

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

/**
 * VS Code's own MCP policies (chat.mcp.access, chat.mcp.allowedServers, chat.mcp.deniedServers),
 * as the editor applies them: an organisation's policy value wins over the person's settings, and
 * these settings are application-wide, so no workspace can loosen them.
 */
export function readEditorMcpPolicy(): EditorMcpPolicy {
  const config = vscode.workspace.getConfiguration();
  const allowed = parseMatchers(config.get<unknown>(ALLOWED_SERVERS_SETTING));
  const denied = parseMatchers(config.get<unknown>(DENIED_SERVERS_SETTING));
  return { access: parseAccess(config.get<unknown>(MCP_ACCESS_SETTING)), ...(allowed ? { allowed } : {}), ...(denied ? { denied } : {}) };
}

/** Fires when MCP Hub's servers or VS Code's MCP policies change. */
export function onDidChangeServerSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if ([SERVERS_SETTING, MCP_ACCESS_SETTING, ALLOWED_SERVERS_SETTING, DENIED_SERVERS_SETTING].some((key) => e.affectsConfiguration(key))) listener();
  });
}

/** Opens the user settings JSON at `mcpHub.servers`, adding the key when it is missing. */
export async function openServerSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: SERVERS_SETTING, edit: true } });
}

/**
 * Switches a tool on or off in the settings scope that defines the server (user, workspace or
 * folder settings), by editing that entry's `tools` filter. Throws, in words for the person, when
 * the entry cannot be edited that way (see tool-switch.ts).
 */
export async function setToolEnabled(server: string, source: ConfigSource, tool: string, enabled: boolean): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, source === 'workspaceFolder' ? folder : undefined);
  const inspected = config.inspect<unknown>(SERVERS_KEY);
  const [scope, target] =
    source === 'user'
      ? [inspected?.globalValue, vscode.ConfigurationTarget.Global]
      : source === 'workspace'
        ? [inspected?.workspaceValue, vscode.ConfigurationTarget.Workspace]
        : [inspected?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder];
  const servers = isRecord(scope) ? scope : {};
  const entry = servers[server];
  if (!isRecord(entry)) throw new Error(`"${server}" is not in the ${source} settings any more.`);
  const tools = isRecord(entry.tools) ? entry.tools : {};
  const filter: ToolFilter = {
    ...(Array.isArray(tools.allow) ? { allow: tools.allow.filter((p): p is string => typeof p === 'string') } : {}),
    ...(Array.isArray(tools.deny) ? { deny: tools.deny.filter((p): p is string => typeof p === 'string') } : {}),
  };
  const result = switchTool(filter, tool, enabled);
  if ('refused' in result) throw new Error(result.refused);
  const { allow, deny } = result.filter;
  const nextTools = { ...tools, allow, deny };
  if (!allow) delete nextTools.allow;
  if (!deny) delete nextTools.deny;
  const nextEntry: Record<string, unknown> = { ...entry, tools: nextTools };
  if (Object.keys(nextTools).length === 0) delete nextEntry.tools;
  await config.update(SERVERS_KEY, { ...servers, [server]: nextEntry }, target);
}
