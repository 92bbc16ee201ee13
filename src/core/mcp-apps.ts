/**
 * MCP Apps (the `io.modelcontextprotocol/ui` extension, SEP-1865): what the hub needs to carry apps
 * through untouched, and to tell which tool has an app and which tools an app may call. The values
 * are those of @modelcontextprotocol/ext-apps (EXTENSION_ID, RESOURCE_MIME_TYPE,
 * RESOURCE_URI_META_KEY); written here because the extension host needs nothing else of that
 * package (its app-bridge runs in the tool runner's webview).
 */
import type { ClientCapabilities, JSONObject, Tool } from '@modelcontextprotocol/client';
import { isRecord } from './config';

export const MCP_APPS_EXTENSION = 'io.modelcontextprotocol/ui';
export const MCP_APP_MIME_TYPE = 'text/html;profile=mcp-app';
/** The flat key older servers use for `_meta.ui.resourceUri`. */
export const LEGACY_RESOURCE_URI_KEY = 'ui/resourceUri';

/**
 * What the hub declares to its servers: it passes their apps on to clients that render them, so
 * servers that offer an app only to a client that can show one offer it to the hub.
 */
export const MCP_APPS_CLIENT_CAPABILITY: JSONObject = { mimeTypes: [MCP_APP_MIME_TYPE] };

/** Whether a client declared that it renders MCP Apps (and so keeps app-only tools from its model itself). */
export function rendersApps(caps: ClientCapabilities | undefined): boolean {
  const ui = (caps as { extensions?: Record<string, unknown> } | undefined)?.extensions?.[MCP_APPS_EXTENSION];
  if (!isRecord(ui)) return false;
  return !Array.isArray(ui.mimeTypes) || ui.mimeTypes.includes(MCP_APP_MIME_TYPE);
}

/** A tool only an app may call (`_meta.ui.visibility` without "model"): no model should see it. */
export function isAppOnly(tool: Tool): boolean {
  const ui = tool._meta?.ui;
  if (!isRecord(ui) || !Array.isArray(ui.visibility)) return false;
  return !ui.visibility.includes('model');
}

/** The tool with its app's resource URI (both spellings) passed through `rewrite`; everything else in `_meta.ui` kept. */
export function withAppUri(tool: Tool, rewrite: (uri: string) => string): Tool {
  const meta = tool._meta;
  if (!meta) return tool;
  const ui = meta.ui;
  const uiUri = isRecord(ui) && typeof ui.resourceUri === 'string' ? ui.resourceUri : undefined;
  const legacy = meta[LEGACY_RESOURCE_URI_KEY];
  if (uiUri === undefined && typeof legacy !== 'string') return tool;
  return {
    ...tool,
    _meta: {
      ...meta,
      ...(uiUri !== undefined && isRecord(ui) ? { ui: { ...ui, resourceUri: rewrite(uiUri) } } : {}),
      ...(typeof legacy === 'string' ? { [LEGACY_RESOURCE_URI_KEY]: rewrite(legacy) } : {}),
    },
  };
}

/** The MCP Apps extension as the servers behind one endpoint declare it (mime types of all of them), or undefined. */
export function appsExtensionOf(declared: ReadonlyArray<Readonly<Record<string, unknown>> | undefined>): JSONObject | undefined {
  const all = declared.map((d) => d?.[MCP_APPS_EXTENSION]).filter(isRecord);
  if (all.length === 0) return undefined;
  const mimeTypes = [...new Set(all.flatMap((d) => (Array.isArray(d.mimeTypes) ? d.mimeTypes.filter((m): m is string => typeof m === 'string') : [])))];
  return { ...(all[0] as JSONObject), ...(mimeTypes.length > 0 ? { mimeTypes } : {}) };
}

/** The `ui://` resource of a tool's app (`_meta.ui.resourceUri`, else the older flat key), or undefined. */
export function appResourceUri(tool: Tool): string | undefined {
  const ui = tool._meta?.ui;
  const uri = isRecord(ui) && typeof ui.resourceUri === 'string' ? ui.resourceUri : tool._meta?.[LEGACY_RESOURCE_URI_KEY];
  return typeof uri === 'string' && uri.startsWith('ui://') && uri.length <= 2048 ? uri : undefined;
}

/** Whether an app may call `tool`: its visibility includes "app", or it declares none (both, the default). */
export function appMayCall(tool: Tool): boolean {
  const ui = tool._meta?.ui;
  if (!isRecord(ui) || !Array.isArray(ui.visibility)) return true;
  return ui.visibility.includes('app');
}

/** Whether the server marks `tool` destructive (and not read-only): a run asks the person first. */
export function isDestructive(tool: Tool): boolean {
  return tool.annotations?.destructiveHint === true && tool.annotations.readOnlyHint !== true;
}
