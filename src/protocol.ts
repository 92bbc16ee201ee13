/**
 * The one message protocol between the extension and the MCP Hub panel. Both sides import it; it
 * imports nothing, so the webview bundle never pulls in the extension's code. Every message that
 * crosses the boundary is checked with the guards below before use.
 */

export type ServerStatus = 'starting' | 'running' | 'authRequired' | 'authenticating' | 'error' | 'needsInput' | 'stopped' | 'disabled';

export type ServerAction =
  | 'start'
  | 'stop'
  | 'restart'
  | 'authenticate'
  | 'cancel'
  | 'logout'
  | 'pasteRedirect'
  | 'copyRedirectUri'
  /** Set or change a ${input:…} value the entry uses. */
  | 'setInput'
  /** Move inline auth.clientSecret / auth.privateKey to secret storage. */
  | 'moveSecrets';
export const SERVER_ACTIONS: readonly ServerAction[] = [
  'start',
  'stop',
  'restart',
  'authenticate',
  'cancel',
  'logout',
  'pasteRedirect',
  'copyRedirectUri',
  'setInput',
  'moveSecrets',
];

export interface ToolView {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
}

/** What the panel shows of an OAuth session: never a token. */
export interface SessionView {
  readonly issuer: string;
  readonly scopes: readonly string[];
  /** Epoch milliseconds; absent when the server gave no expiry. */
  readonly expiresAt?: number;
}

export interface ServerView {
  readonly name: string;
  readonly transport: 'stdio' | 'streamable-http' | 'sse' | 'http' | 'invalid';
  /** The command (without arguments) or the URL (without query): arguments and queries can hold secrets. */
  readonly target: string;
  readonly source: 'user' | 'workspace' | 'workspaceFolder';
  readonly status: ServerStatus;
  /** The error, the reason sign-in is needed, or why the server is disabled. */
  readonly message?: string;
  /** More about an error, e.g. the last lines a stdio server wrote to stderr (scrubbed). */
  readonly detail?: string;
  /** Warnings about the entry, e.g. a client secret written inline in settings. */
  readonly warnings?: readonly string[];
  /** The ${input:…} values the entry is waiting for. */
  readonly missingInputs?: readonly string[];
  /** A running server: a sign-in for more permission is under way. */
  readonly signingIn?: boolean;
  /** Epoch milliseconds of the next automatic retry. */
  readonly retryAt?: number;
  readonly serverName?: string;
  readonly serverVersion?: string;
  /** The protocol revision a running server negotiated, e.g. '2026-07-28'. */
  readonly protocolVersion?: string;
  readonly tools: readonly ToolView[];
  readonly resourceCount: number;
  readonly promptCount: number;
  readonly session?: SessionView;
  readonly redirectUri?: string;
  /** The buttons that fit the state, in display order; computed by the extension. */
  readonly actions: readonly ServerAction[];
}

/** The local gateway, for the panel's header: off, or where it listens and how many client sessions are open. */
export type GatewayView = { readonly on: false } | { readonly on: true; readonly address: string; readonly sessions: number };

export type ExtensionToWebview = { readonly type: 'servers'; readonly servers: readonly ServerView[]; readonly gateway?: GatewayView };

export type WebviewToExtension =
  | { readonly type: 'ready' }
  | { readonly type: 'action'; readonly action: ServerAction; readonly server: string }
  | { readonly type: 'openSettings' }
  | { readonly type: 'showLogs' }
  | { readonly type: 'connectClient' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a message from the webview; anything malformed or unknown is undefined. */
export function parseWebviewMessage(message: unknown): WebviewToExtension | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  switch (message.type) {
    case 'ready':
    case 'openSettings':
    case 'showLogs':
    case 'connectClient':
      return Object.keys(message).length === 1 ? { type: message.type } : undefined;
    case 'action': {
      const { action, server } = message;
      if (typeof action !== 'string' || !(SERVER_ACTIONS as readonly string[]).includes(action)) return undefined;
      if (typeof server !== 'string' || server.length === 0 || server.length > 200) return undefined;
      return { type: 'action', action: action as ServerAction, server };
    }
    default:
      return undefined;
  }
}

/** Validates a message from the extension (the webview's side of the same check). */
export function parseExtensionMessage(message: unknown): ExtensionToWebview | undefined {
  if (!isRecord(message) || message.type !== 'servers' || !Array.isArray(message.servers)) return undefined;
  const ok = message.servers.every((s) => isRecord(s) && typeof s.name === 'string' && typeof s.status === 'string' && Array.isArray(s.tools) && Array.isArray(s.actions));
  const g = message.gateway;
  const gatewayOk = g === undefined || (isRecord(g) && (g.on === false || (g.on === true && typeof g.address === 'string' && typeof g.sessions === 'number')));
  return ok && gatewayOk ? (message as ExtensionToWebview) : undefined;
}

/** The words a row shows for its status, e.g. "Connected · 12 tools". */
export function statusLabel(view: ServerView): string {
  switch (view.status) {
    case 'running':
      return `Connected · ${view.tools.length} ${view.tools.length === 1 ? 'tool' : 'tools'}${view.signingIn ? ' · waiting for authorization…' : ''}`;
    case 'starting':
      return 'Starting…';
    case 'authRequired':
      return 'Authentication required';
    case 'authenticating':
      return 'Waiting for authorization…';
    case 'error':
      return `Error: ${view.message ?? 'unknown error'}`;
    case 'needsInput':
      return `Needs a value: ${(view.missingInputs ?? []).map((n) => '${input:' + n + '}').join(', ')}`;
    case 'stopped':
      return 'Stopped';
    case 'disabled':
      return view.message ? `Disabled: ${view.message}` : 'Disabled';
  }
}

export const ACTION_LABELS: Readonly<Record<ServerAction, string>> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  authenticate: 'Authenticate',
  cancel: 'Cancel',
  logout: 'Log Out',
  pasteRedirect: 'Paste Redirect URL…',
  copyRedirectUri: 'Copy Redirect URI',
  setInput: 'Set Value…',
  moveSecrets: 'Move to Secret Storage',
};
