import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  mergeScopes,
  parseServers,
  SERVERS_KEY,
  SERVERS_SETTING,
  SETTINGS_SECTION,
  type ConfigEntry,
  type ConfigSource,
  type ManagedSettings,
  type ToolFilter,
} from '../core/config';
import { POLICY_SETTING, type OrganisationPolicy } from '../core/managed-policy';
import { MANAGED_CHOICES_SETTING, managedEntries, parseManagedChoices } from '../core/policies';
import { ALLOWED_SERVERS_SETTING, DENIED_SERVERS_SETTING, GALLERY_URL_SETTING, MCP_ACCESS_SETTING, parseAccess, parseMatchers, type EditorMcpPolicy } from '../core/policy';
import { OFFICIAL_REGISTRY, REGISTRY_URL_SETTING } from '../core/registry/url';
import { switchTool } from '../core/tool-switch';
import { isRecord } from '../protocol';

/**
 * The servers the organisation manages (with the person's choices for them, from their user
 * settings only), then `mcpHub.servers` from every scope with `inspect`, so each entry knows where
 * it came from (workspace entries must not start in an untrusted workspace) and the workspace value
 * is seen even when VS Code hides it from `get` in restricted mode.
 */
export function readServerSettings(organisation: OrganisationPolicy): ConfigEntry[] {
  const choices = parseManagedChoices(vscode.workspace.getConfiguration().inspect<unknown>(MANAGED_CHOICES_SETTING)?.globalValue);
  const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(SERVERS_KEY);
  return mergeScopes(
    managedEntries(organisation, choices),
    parseServers(inspected?.globalValue, 'user'),
    parseServers(inspected?.workspaceValue, 'workspace'),
    parseServers(inspected?.workspaceFolderValue, 'workspaceFolder'),
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
  return {
    access: parseAccess(config.get<unknown>(MCP_ACCESS_SETTING)),
    ...(allowed ? { allowed } : {}),
    ...(denied ? { denied } : {}),
    registryUrl: editorRegistryUrl(),
  };
}

let productGallery: { url: string | undefined } | undefined;

/**
 * The MCP registry VS Code is connected to, as its WorkbenchMcpGalleryManifestService decides:
 * `chat.mcp.gallery.serviceUrl` (application scope, policy McpGalleryServiceUrl) when set, else the
 * product's own gallery (`mcpGallery.serviceUrl` in its product.json), else, for a build without
 * one, the official MCP Registry.
 */
export function editorRegistryUrl(): string {
  const set = vscode.workspace.getConfiguration().get<unknown>(GALLERY_URL_SETTING);
  if (typeof set === 'string' && set.trim() !== '') return set.trim();
  productGallery ??= { url: readProductGallery() };
  return productGallery.url ?? OFFICIAL_REGISTRY;
}

function readProductGallery(): string | undefined {
  try {
    const product = JSON.parse(readFileSync(join(vscode.env.appRoot, 'product.json'), 'utf8')) as unknown;
    const url = isRecord(product) && isRecord(product.mcpGallery) ? product.mcpGallery.serviceUrl : undefined;
    return typeof url === 'string' && url.trim() !== '' ? url.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The registry Add Server… searches: `mcpHub.registry.url` (default: the official MCP Registry); but
 * where only registry servers may run (chat.mcp.access: registry), the registry VS Code names, so
 * what is added may run.
 */
export function addServerRegistryUrl(): { url: string; setting: string } {
  const policy = readEditorMcpPolicy();
  if (policy.access === 'registry') return { url: policy.registryUrl ?? OFFICIAL_REGISTRY, setting: GALLERY_URL_SETTING };
  const set = vscode.workspace.getConfiguration().get<unknown>(REGISTRY_URL_SETTING);
  return { url: typeof set === 'string' && set.trim() !== '' ? set : OFFICIAL_REGISTRY, setting: REGISTRY_URL_SETTING };
}

/** Fires when MCP Hub's servers, the person's choices for managed ones, or VS Code's MCP policies change. */
export function onDidChangeServerSettings(listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    const keys = [SERVERS_SETTING, MANAGED_CHOICES_SETTING, MCP_ACCESS_SETTING, ALLOWED_SERVERS_SETTING, DENIED_SERVERS_SETTING, GALLERY_URL_SETTING];
    if (keys.some((key) => e.affectsConfiguration(key))) listener();
  });
}

/**
 * The organisation's policy as VS Code's policies deliver it: the value the editor gives as the
 * setting's default, which only a policy changes (see managed-policy.ts); the person's value is not read.
 */
export function readVSCodePolicyValue(): unknown {
  return vscode.workspace.getConfiguration().inspect<unknown>(POLICY_SETTING)?.defaultValue;
}

/** Turns a server the organisation offers on or off, in the person's user settings (`mcpHub.managedServers.<name>.enabled`). */
export async function setManagedEnabled(name: string, enabled: boolean): Promise<void> {
  const config = vscode.workspace.getConfiguration();
  const all = config.inspect<unknown>(MANAGED_CHOICES_SETTING)?.globalValue;
  const choices = isRecord(all) ? all : {};
  const entry = isRecord(choices[name]) ? choices[name] : {};
  await config.update(MANAGED_CHOICES_SETTING, { ...choices, [name]: { ...entry, enabled } }, vscode.ConfigurationTarget.Global);
}

/** Opens the user settings JSON at `mcpHub.servers`, adding the key when it is missing. */
export async function openServerSettings(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: SERVERS_SETTING, edit: true } });
}

/**
 * Switches a tool on or off in the settings scope that defines the server (user, workspace or
 * folder settings), by editing that entry's `tools` filter; for a server the organisation manages,
 * the person's filter for it in `mcpHub.managedServers` (user settings), which can only narrow the
 * policy's. Throws, in words for the person, when the entry cannot be edited that way (see tool-switch.ts).
 */
export async function setToolEnabled(target: { key: string; source: ConfigSource; managed?: ManagedSettings }, tool: string, enabled: boolean): Promise<void> {
  const { key, source } = target;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const managed = source === 'managed';
  const config = managed ? vscode.workspace.getConfiguration() : vscode.workspace.getConfiguration(SETTINGS_SECTION, source === 'workspaceFolder' ? folder : undefined);
  const setting = managed ? MANAGED_CHOICES_SETTING : SERVERS_KEY;
  const inspected = config.inspect<unknown>(setting);
  const [scope, where] =
    source === 'user' || managed
      ? [inspected?.globalValue, vscode.ConfigurationTarget.Global]
      : source === 'workspace'
        ? [inspected?.workspaceValue, vscode.ConfigurationTarget.Workspace]
        : [inspected?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder];
  const servers = isRecord(scope) ? scope : {};
  const entry = managed ? (isRecord(servers[key]) ? servers[key] : {}) : servers[key];
  if (!isRecord(entry)) throw new Error(`"${key}" is not in the ${source} settings any more.`);
  const tools = isRecord(entry.tools) ? entry.tools : {};
  const filter: ToolFilter = {
    ...(Array.isArray(tools.allow) ? { allow: tools.allow.filter((p): p is string => typeof p === 'string') } : {}),
    ...(Array.isArray(tools.deny) ? { deny: tools.deny.filter((p): p is string => typeof p === 'string') } : {}),
  };
  const result = switchTool(filter, tool, enabled, target.managed);
  if ('refused' in result) throw new Error(result.refused);
  const { allow, deny } = result.filter;
  const nextTools = { ...tools, allow, deny };
  if (!allow) delete nextTools.allow;
  if (!deny) delete nextTools.deny;
  const nextEntry: Record<string, unknown> = { ...entry, tools: nextTools };
  if (Object.keys(nextTools).length === 0) delete nextEntry.tools;
  await config.update(setting, { ...servers, [key]: nextEntry }, where);
}

/**
 * One settings scope's `mcpHub.servers` (user, workspace or workspace folder settings), as written
 * there, and how to write that scope's value back (the other scopes are never touched).
 */
export function serversIn(source: Exclude<ConfigSource, 'managed'>): { servers: Record<string, unknown>; write: (next: Record<string, unknown>) => Thenable<void> } {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, source === 'workspaceFolder' ? folder : undefined);
  const inspected = config.inspect<unknown>(SERVERS_KEY);
  const [scope, target] =
    source === 'user'
      ? [inspected?.globalValue, vscode.ConfigurationTarget.Global]
      : source === 'workspace'
        ? [inspected?.workspaceValue, vscode.ConfigurationTarget.Workspace]
        : [inspected?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder];
  return { servers: isRecord(scope) ? scope : {}, write: (next) => config.update(SERVERS_KEY, next, target) };
}
