/**
 * The one message protocol between the extension and the MCP Hub panel. Both sides import it; it
 * imports nothing, so the webview bundle never pulls in the extension's code. Every message that
 * crosses the boundary is checked with the guards below before use.
 */

export type ServerStatus = 'starting' | 'running' | 'authRequired' | 'authenticating' | 'error' | 'needsInput' | 'awaitingApproval' | 'blocked' | 'stopped' | 'disabled';

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
  | 'moveSecrets'
  /** Answer "Run MCP server X from this workspace?" for a workspace entry waiting for it. */
  | 'approve'
  /** Move an entry installed from a registry to the newer version there (keeping its answers). */
  | 'update'
  /** Turn a server the organisation offers (default or optional) on or off, for good (the person's settings keep it). */
  | 'turnOn'
  | 'turnOff'
  /** Sign in with another account: added beside the server's others, it becomes the active one. */
  | 'addAccount'
  /** Choose which of the accounts signed in to the server's URL the unpinned entries use. */
  | 'switchAccount';
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
  'approve',
  'update',
  'turnOn',
  'turnOff',
  'addAccount',
  'switchAccount',
];

/** A tool's hints from its server (MCP tool annotations): hints, not guarantees. */
export interface ToolAnnotationsView {
  readonly readOnly?: boolean;
  readonly destructive?: boolean;
  readonly idempotent?: boolean;
  readonly openWorld?: boolean;
}

export interface ToolView {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly annotations?: ToolAnnotationsView;
}

/** A tool the server offers that the entry's tools.allow / tools.deny (or the organisation's) filters out, and why (our words). */
export interface FilteredToolView {
  readonly name: string;
  readonly reason: string;
  /** The organisation's policy keeps it out: no switch turns it on. */
  readonly locked?: boolean;
}

export interface ResourceView {
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly mimeType?: string;
  readonly description?: string;
}

export interface PromptView {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly arguments: ReadonlyArray<{ readonly name: string; readonly description?: string; readonly required?: boolean }>;
}

/** What the panel shows of an OAuth session: never a token. */
export interface SessionView {
  readonly issuer: string;
  readonly scopes: readonly string[];
  /** Epoch milliseconds; absent when the server gave no expiry. */
  readonly expiresAt?: number;
  /** Who is signed in, when the authorization server says (ID token or userinfo claims). */
  readonly account?: { readonly name?: string; readonly email?: string; readonly username?: string };
  /** Where the authorization server names nobody: the entry's auth.account, a label the person chose (unchecked). */
  readonly label?: string;
  /** Epoch milliseconds of the sign-in. */
  readonly obtainedAt?: number;
  /** Epoch milliseconds of the last refresh; absent until one happened. */
  readonly refreshedAt?: number;
}

export interface ServerView {
  readonly name: string;
  readonly transport: 'stdio' | 'streamable-http' | 'sse' | 'http' | 'invalid';
  /**
   * The URL (without query), or the command line as far as it names the program (`npx
   * @modelcontextprotocol/server-filesystem …`): queries, flags' values and key-like arguments can be secrets (scrub.ts decides).
   */
  readonly target: string;
  readonly source: 'managed' | 'user' | 'workspace' | 'workspaceFolder';
  readonly status: ServerStatus;
  /** A server the organisation manages: who (the policy's organisation name, scrubbed) and how it is offered. */
  readonly managed?: { readonly by: string; readonly availability: 'required' | 'default' | 'optional' };
  /** A blocked server: whose policy blocks it, VS Code's MCP policy or the organisation's policy for MCP Hub. */
  readonly blockedBy?: 'vscode' | 'organisation';
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
  /** Tools of a running server that the settings filter out. */
  readonly filteredTools?: readonly FilteredToolView[];
  /** Whether the panel may switch tools on and off (writes tools.deny where the entry is defined). */
  readonly toolSwitches?: boolean;
  readonly resourceCount: number;
  readonly promptCount: number;
  /** A running server's resources (at most MAX_RESOURCE_VIEWS; resourceCount has them all). */
  readonly resources?: readonly ResourceView[];
  /** Whether the server may have resource templates (it offers resources). */
  readonly templates?: boolean;
  readonly prompts?: readonly PromptView[];
  /** Whether the server signs in with OAuth, so an OAuth trace and diagnostics make sense. */
  readonly oauth?: boolean;
  readonly session?: SessionView;
  readonly redirectUri?: string;
  /** The buttons that fit the state, in display order; computed by the extension. */
  readonly actions: readonly ServerAction[];
  /** An entry installed from a registry: the newer version there, shown as "Update available (x.y.z)". */
  readonly updateAvailable?: string;
}

/**
 * The local gateway, for the panel's header: off (by the organisation's policy, when it names who),
 * or where it listens, how many client sessions are open, and whether it is for VS Code's own client only.
 */
export type GatewayView =
  { readonly on: false; readonly organisation?: string } | { readonly on: true; readonly address: string; readonly sessions: number; readonly vscodeOnly?: boolean };

/** A client of the gateway, as its handshake (or, for a 2026-07-28 client, its requests) named it: untrusted text, scrubbed and capped. */
export interface GatewayClientView {
  readonly name: string;
  readonly version: string;
  /** `classic`: a 2025-era session; `2026-07-28`: a sessionless client, known by the name it gives in each request. */
  readonly era: 'classic' | '2026-07-28';
  /** The hub server whose own endpoint it uses; absent for /mcp (all servers). */
  readonly server?: string;
  /** Epoch ms: when its session opened, or when it was first seen (2026-07-28). */
  readonly since: number;
  /** Epoch ms of its last request. */
  readonly lastSeen: number;
  /** Calls to servers it made, and how many of them failed. */
  readonly calls: number;
  readonly failed: number;
}

/** One server's calls through the gateway in the last hour. */
export interface GatewayServerUsageView {
  readonly server: string;
  /** Every request that reached the server through the gateway (lists, reads, prompts, completions, tool calls). */
  readonly calls: number;
  readonly toolCalls: number;
  readonly failed: number;
}

/** A failed call: where it went and why, in words that hold none of its arguments or results. */
export interface GatewayErrorView {
  readonly at: number;
  readonly server: string;
  readonly method: string;
  /** The client that called, as the clients list names it. */
  readonly client?: string;
  readonly message: string;
}

/** Who uses the gateway: its clients, calls per server over a rolling window, and the last errors. */
export interface GatewayUsageView {
  readonly clients: readonly GatewayClientView[];
  readonly servers: readonly GatewayServerUsageView[];
  readonly errors: readonly GatewayErrorView[];
  readonly windowMinutes: number;
}

/**
 * The company IdP (mcpHub.enterprise.idp), for the panel's header: where, whether someone is signed
 * in and who (the IdP's claims, scrubbed), and whether a sign-in is under way.
 */
export interface EnterpriseView {
  /** The IdP's host (or the VS Code account provider's name). */
  readonly label: string;
  readonly signedIn: boolean;
  readonly signingIn: boolean;
  /** Who is signed in, e.g. "Ada Lovelace (ada@example.com)". */
  readonly account?: string;
  /** Whose sign-in it is: MCP Hub's own, or a VS Code account's. */
  readonly via: 'hub' | 'vscode';
}

/**
 * The organisation's policy, for the panel's header: who manages MCP Hub here and where the policy
 * comes from; or, when it cannot be used, where and why (nothing runs then).
 */
export type OrganisationView =
  | { readonly kind: 'ok'; readonly name: string; readonly origin: string; readonly gateway: 'on' | 'off' | 'vscode'; readonly userServers: 'all' | 'registry' | 'none' }
  | { readonly kind: 'broken'; readonly origin: string; readonly problem: string };

export const MAX_RESOURCE_VIEWS = 2000;

/**
 * `servers`: the whole list (after `ready`, and when the order or the gateway changes).
 * `update`: only the servers that changed, and the names of removed ones; the rest stay as they are.
 */
export type ExtensionToWebview =
  | {
      readonly type: 'servers';
      readonly servers: readonly ServerView[];
      readonly gateway?: GatewayView;
      readonly enterprise?: EnterpriseView;
      readonly organisation?: OrganisationView;
    }
  | { readonly type: 'update'; readonly servers: readonly ServerView[]; readonly removed: readonly string[] };

export type WebviewToExtension =
  | { readonly type: 'ready' }
  | { readonly type: 'action'; readonly action: ServerAction; readonly server: string }
  | { readonly type: 'openSettings' }
  | { readonly type: 'showLogs' }
  | { readonly type: 'connectClient' }
  /** Add Server…: search an MCP registry and add one of its servers. */
  | { readonly type: 'addServer' }
  /** Opens the gateway's usage tab: who uses it, calls per server, the last errors. */
  | { readonly type: 'showGatewayUsage' }
  /** The company IdP: sign in (browser), cancel that, or sign out (and so out of the servers signed in through it). */
  | { readonly type: 'enterpriseSignIn' }
  | { readonly type: 'enterpriseCancel' }
  | { readonly type: 'enterpriseSignOut' }
  /** Opens the tool's runner in an editor tab. */
  | { readonly type: 'runTool'; readonly server: string; readonly tool: string }
  /** Switches a tool on or off (tools.deny in the settings scope that defines the server). */
  | { readonly type: 'setToolEnabled'; readonly server: string; readonly tool: string; readonly enabled: boolean }
  /** Reads a resource into a read-only editor. */
  | { readonly type: 'openResource'; readonly server: string; readonly uri: string }
  /** Opens the server's resource templates (fill the variables, then read). */
  | { readonly type: 'openTemplates'; readonly server: string }
  /** Opens a prompt: fill its arguments, preview its messages, copy them. */
  | { readonly type: 'openPrompt'; readonly server: string; readonly prompt: string }
  /** Opens the server's OAuth trace (the last sign-in and refreshes). */
  | { readonly type: 'showTrace'; readonly server: string }
  /** Puts a scrubbed report about the server on the clipboard. */
  | { readonly type: 'copyDiagnostics'; readonly server: string };

/**
 * A plain object (not null, not an array): the one home of this guard. The protocol imports nothing,
 * so the core, the editor adapters and the webview can all take it from here.
 */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const NAME_MAX = 200;
const URI_MAX = 8192;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= NAME_MAX;

/** Validates a message from the webview; anything malformed or unknown is undefined. */
export function parseWebviewMessage(message: unknown): WebviewToExtension | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  const keys = Object.keys(message).sort().join(',');
  switch (message.type) {
    case 'ready':
    case 'openSettings':
    case 'showLogs':
    case 'connectClient':
    case 'addServer':
    case 'showGatewayUsage':
    case 'enterpriseSignIn':
    case 'enterpriseCancel':
    case 'enterpriseSignOut':
      return keys === 'type' ? { type: message.type } : undefined;
    case 'action': {
      const { action, server } = message;
      if (typeof action !== 'string' || !(SERVER_ACTIONS as readonly string[]).includes(action)) return undefined;
      if (!isName(server)) return undefined;
      return { type: 'action', action: action as ServerAction, server };
    }
    case 'openTemplates':
    case 'showTrace':
    case 'copyDiagnostics':
      return keys === 'server,type' && isName(message.server) ? { type: message.type, server: message.server } : undefined;
    case 'runTool':
      return keys === 'server,tool,type' && isName(message.server) && isName(message.tool) ? { type: 'runTool', server: message.server, tool: message.tool } : undefined;
    case 'setToolEnabled':
      return keys === 'enabled,server,tool,type' && isName(message.server) && isName(message.tool) && typeof message.enabled === 'boolean'
        ? { type: 'setToolEnabled', server: message.server, tool: message.tool, enabled: message.enabled }
        : undefined;
    case 'openResource':
      return keys === 'server,type,uri' && isName(message.server) && typeof message.uri === 'string' && message.uri.length > 0 && message.uri.length <= URI_MAX
        ? { type: 'openResource', server: message.server, uri: message.uri }
        : undefined;
    case 'openPrompt':
      return keys === 'prompt,server,type' && isName(message.server) && isName(message.prompt) ? { type: 'openPrompt', server: message.server, prompt: message.prompt } : undefined;
    default:
      return undefined;
  }
}

const isServerView = (s: unknown) => isRecord(s) && typeof s.name === 'string' && typeof s.status === 'string' && Array.isArray(s.tools) && Array.isArray(s.actions);

function isGatewayView(g: unknown): g is GatewayView {
  return isRecord(g) && (g.on === false || (g.on === true && typeof g.address === 'string' && typeof g.sessions === 'number'));
}

const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown) => typeof v === 'string' && v.length <= URI_MAX;

function isGatewayUsageView(u: unknown): u is GatewayUsageView {
  if (!isRecord(u) || !Array.isArray(u.clients) || !Array.isArray(u.servers) || !Array.isArray(u.errors) || !isCount(u.windowMinutes)) return false;
  const client = (c: unknown) =>
    isRecord(c) &&
    isText(c.name) &&
    isText(c.version) &&
    (c.era === 'classic' || c.era === '2026-07-28') &&
    (c.server === undefined || isText(c.server)) &&
    isTime(c.since) &&
    isTime(c.lastSeen) &&
    isCount(c.calls) &&
    isCount(c.failed);
  const server = (s: unknown) => isRecord(s) && isText(s.server) && isCount(s.calls) && isCount(s.toolCalls) && isCount(s.failed);
  const error = (e: unknown) => isRecord(e) && isTime(e.at) && isText(e.server) && isText(e.method) && (e.client === undefined || isText(e.client)) && isText(e.message);
  return u.clients.every(client) && u.servers.every(server) && u.errors.every(error);
}

/** Validates a message from the extension (the webview's side of the same check). */
export function parseExtensionMessage(message: unknown): ExtensionToWebview | undefined {
  if (!isRecord(message) || !Array.isArray(message.servers) || !message.servers.every(isServerView)) return undefined;
  if (message.type === 'update') {
    return Array.isArray(message.removed) && message.removed.every((n) => typeof n === 'string') ? (message as ExtensionToWebview) : undefined;
  }
  if (message.type !== 'servers') return undefined;
  const gatewayOk = message.gateway === undefined || isGatewayView(message.gateway);
  const e = message.enterprise;
  const enterpriseOk =
    e === undefined ||
    (isRecord(e) &&
      typeof e.label === 'string' &&
      typeof e.signedIn === 'boolean' &&
      typeof e.signingIn === 'boolean' &&
      (e.via === 'hub' || e.via === 'vscode') &&
      (e.account === undefined || typeof e.account === 'string'));
  const o = message.organisation;
  const organisationOk =
    o === undefined ||
    (isRecord(o) &&
      typeof o.origin === 'string' &&
      ((o.kind === 'ok' && typeof o.name === 'string' && typeof o.gateway === 'string' && typeof o.userServers === 'string') ||
        (o.kind === 'broken' && typeof o.problem === 'string')));
  return gatewayOk && enterpriseOk && organisationOk ? (message as ExtensionToWebview) : undefined;
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
    case 'awaitingApproval':
      return 'Waiting for your approval';
    case 'blocked':
      return view.blockedBy === 'organisation' ? "Blocked by your organisation's policy" : 'Blocked by policy';
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
  approve: 'Approve…',
  update: 'Update',
  turnOn: 'Turn On',
  turnOff: 'Turn Off',
  addAccount: 'Sign in with Another Account…',
  switchAccount: 'Switch Account…',
};

// ---------------------------------------------------------------------------------------------
// The workbench: editor tabs that run a tool, answer a server's question, show a prompt, resource
// templates or an OAuth trace. One protocol for all of them; each tab is told what it shows.

/** A tool as its runner needs it: the schemas the form and the result view are built from. */
export interface ToolDetail {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema?: Record<string, unknown>;
  readonly annotations?: ToolAnnotationsView;
  /** The tool has an MCP App (`_meta.ui.resourceUri`): a run shows it. */
  readonly app?: boolean;
}

/** What an MCP App may reach, as allowed (origins checked; see src/core/apps/app-resource.ts). */
export interface AppCspView {
  readonly connectDomains: readonly string[];
  readonly resourceDomains: readonly string[];
  readonly frameDomains: readonly string[];
  readonly baseUriDomains: readonly string[];
}

export type AppPermissionView = 'camera' | 'microphone' | 'geolocation' | 'clipboardWrite';

/** A tool's MCP App, as its runner frames it for one run. */
export interface AppView {
  /** The sandbox proxy page for this app (the hub's loopback server, as VS Code maps it). */
  readonly sandboxUrl: string;
  /** The app's document, from its ui:// resource. */
  readonly html: string;
  readonly csp: AppCspView;
  readonly permissions: readonly AppPermissionView[];
  readonly prefersBorder?: boolean;
  /** VS Code's display language (BCP 47), for the app's host context. */
  readonly locale: string;
  /** What the app declared and was not granted, e.g. "connectDomains: http://10.0.0.1". */
  readonly dropped: readonly string[];
  /** The tool as the app's host context names it (name, title, description, schemas). */
  readonly tool: Record<string, unknown>;
}

/** One earlier run of a tool, kept to run again or edit: its arguments without secret-looking values. */
export interface RunRecord {
  readonly at: number;
  readonly args: Record<string, unknown>;
  readonly ok: boolean;
  readonly ms: number;
}

/** A server's question (elicitation/create), as the tab shows it. */
export type ElicitationView =
  | { readonly mode: 'form'; readonly message: string; readonly requestedSchema: Record<string, unknown>; readonly sensitive: readonly string[] }
  | { readonly mode: 'url'; readonly message: string; readonly url: string; readonly domain: string };

export type ElicitationAction = 'accept' | 'decline' | 'cancel';

/** One step of a sign-in or refresh, as the OAuth trace shows it: never a token, code, verifier or secret. */
export interface TraceStepView {
  /** Epoch ms. */
  readonly at: number;
  /** metadata, registration, authorize, callback, token, refresh, userinfo, revocation, error or info. */
  readonly kind: string;
  /** What the step is, in our words ("Token request"). */
  readonly label: string;
  /** For HTTP steps: the method, the URL (origin and path only), the status and the duration in ms. */
  readonly method?: string;
  readonly url?: string;
  readonly status?: number;
  readonly ms?: number;
  /** A short remark: an OAuth error code, the scope asked for, our error code and message. */
  readonly note?: string;
}

export type ExtensionToWorkbench =
  | { readonly type: 'tool'; readonly server: string; readonly status: ServerStatus; readonly tool?: ToolDetail; readonly history: readonly RunRecord[] }
  | { readonly type: 'progress'; readonly runId: string; readonly progress: number; readonly total?: number; readonly message?: string }
  | { readonly type: 'result'; readonly runId: string; readonly result: Record<string, unknown>; readonly ms: number }
  | { readonly type: 'failed'; readonly runId: string; readonly message: string }
  | { readonly type: 'elicitation'; readonly server: string; readonly request: ElicitationView }
  /** A server's OAuth trace (the last sign-in and the refreshes since), with its session. */
  | { readonly type: 'trace'; readonly server: string; readonly steps: readonly TraceStepView[]; readonly session?: SessionView }
  /** An image resource, as base64 of one of the image types a webview may show. */
  | { readonly type: 'image'; readonly title: string; readonly mimeType: string; readonly data: string }
  /** The run's MCP App, to frame (the text result still arrives as `result`). */
  | { readonly type: 'app'; readonly runId: string; readonly app: AppView }
  /** The run's tool has an app that cannot be shown, and why (our words). */
  | { readonly type: 'appUnavailable'; readonly runId: string; readonly message: string }
  /** The answer to an app's tool call: its result (scrubbed), or why it failed or was refused. */
  | { readonly type: 'appCallResult'; readonly callId: string; readonly result: Record<string, unknown> }
  | { readonly type: 'appCallFailed'; readonly callId: string; readonly message: string }
  /** An app asks to run a tool its server marks destructive: the tab asks the person. */
  | { readonly type: 'appConfirm'; readonly callId: string; readonly tool: string }
  /** Who uses the gateway (its usage tab), and whether it is on. */
  | { readonly type: 'gatewayUsage'; readonly usage: GatewayUsageView; readonly gateway: GatewayView };

export type WorkbenchToExtension =
  | { readonly type: 'ready' }
  | { readonly type: 'run'; readonly runId: string; readonly args: Record<string, unknown> }
  | { readonly type: 'cancel'; readonly runId: string }
  | { readonly type: 'copy'; readonly text: string }
  | { readonly type: 'openLink'; readonly url: string }
  | { readonly type: 'openResource'; readonly uri: string }
  | { readonly type: 'answer'; readonly action: ElicitationAction; readonly content?: Record<string, unknown> }
  /** From the OAuth trace: a scrubbed report about the server on the clipboard. */
  | { readonly type: 'copyDiagnostics' }
  /** The run's app calls a tool of the same server (tools/call from the app). */
  | { readonly type: 'appCallTool'; readonly runId: string; readonly callId: string; readonly name: string; readonly arguments: Record<string, unknown> }
  /** The person's answer to `appConfirm`. */
  | { readonly type: 'appConfirmed'; readonly callId: string; readonly run: boolean }
  /** The run's app was torn down (a new run, its own request, a flood of messages, the person closed it). */
  | { readonly type: 'appClosed'; readonly runId: string };

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Tool arguments and answers larger than this (as JSON) are refused. */
export const MAX_ARGS_CHARS = 1_000_000;
const COPY_MAX = 5_000_000;

const fitsJson = (v: unknown) => {
  try {
    return JSON.stringify(v).length <= MAX_ARGS_CHARS;
  } catch {
    return false;
  }
};

/** Validates a message from a workbench tab; anything malformed or unknown is undefined. */
export function parseWorkbenchMessage(message: unknown): WorkbenchToExtension | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  const keys = Object.keys(message).sort().join(',');
  switch (message.type) {
    case 'ready':
    case 'copyDiagnostics':
      return keys === 'type' ? { type: message.type } : undefined;
    case 'run':
      return keys === 'args,runId,type' && typeof message.runId === 'string' && RUN_ID.test(message.runId) && isRecord(message.args) && fitsJson(message.args)
        ? { type: 'run', runId: message.runId, args: message.args }
        : undefined;
    case 'cancel':
      return keys === 'runId,type' && typeof message.runId === 'string' && RUN_ID.test(message.runId) ? { type: 'cancel', runId: message.runId } : undefined;
    case 'copy':
      return keys === 'text,type' && typeof message.text === 'string' && message.text.length <= COPY_MAX ? { type: 'copy', text: message.text } : undefined;
    case 'openLink':
    case 'openResource': {
      const field = message.type === 'openLink' ? 'url' : 'uri';
      const value = message[field];
      if (keys !== `type,${field}` || typeof value !== 'string' || value.length === 0 || value.length > URI_MAX) return undefined;
      return message.type === 'openLink' ? { type: 'openLink', url: value } : { type: 'openResource', uri: value };
    }
    case 'appCallTool':
      return keys === 'arguments,callId,name,runId,type' &&
        typeof message.runId === 'string' &&
        RUN_ID.test(message.runId) &&
        typeof message.callId === 'string' &&
        RUN_ID.test(message.callId) &&
        isName(message.name) &&
        isRecord(message.arguments) &&
        fitsJson(message.arguments)
        ? { type: 'appCallTool', runId: message.runId, callId: message.callId, name: message.name, arguments: message.arguments }
        : undefined;
    case 'appConfirmed':
      return keys === 'callId,run,type' && typeof message.callId === 'string' && RUN_ID.test(message.callId) && typeof message.run === 'boolean'
        ? { type: 'appConfirmed', callId: message.callId, run: message.run }
        : undefined;
    case 'appClosed':
      return keys === 'runId,type' && typeof message.runId === 'string' && RUN_ID.test(message.runId) ? { type: 'appClosed', runId: message.runId } : undefined;
    case 'answer': {
      const { action, content } = message;
      if (action !== 'accept' && action !== 'decline' && action !== 'cancel') return undefined;
      if (content === undefined) return keys === 'action,type' ? { type: 'answer', action } : undefined;
      return keys === 'action,content,type' && action === 'accept' && isRecord(content) && fitsJson(content) ? { type: 'answer', action, content } : undefined;
    }
    default:
      return undefined;
  }
}

/** Validates a message from the extension, on the tab's side. */
export function parseWorkbenchUpdate(message: unknown): ExtensionToWorkbench | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  switch (message.type) {
    case 'tool':
      return typeof message.server === 'string' && typeof message.status === 'string' && Array.isArray(message.history) && (message.tool === undefined || isRecord(message.tool))
        ? (message as ExtensionToWorkbench)
        : undefined;
    case 'progress':
      return typeof message.runId === 'string' && typeof message.progress === 'number' ? (message as ExtensionToWorkbench) : undefined;
    case 'result':
      return typeof message.runId === 'string' && isRecord(message.result) && typeof message.ms === 'number' ? (message as ExtensionToWorkbench) : undefined;
    case 'failed':
      return typeof message.runId === 'string' && typeof message.message === 'string' ? (message as ExtensionToWorkbench) : undefined;
    case 'elicitation':
      return typeof message.server === 'string' && isRecord(message.request) && (message.request.mode === 'form' || message.request.mode === 'url')
        ? (message as ExtensionToWorkbench)
        : undefined;
    case 'trace':
      return typeof message.server === 'string' &&
        Array.isArray(message.steps) &&
        message.steps.every((t) => isRecord(t) && typeof t.label === 'string' && typeof t.at === 'number')
        ? (message as ExtensionToWorkbench)
        : undefined;
    case 'image':
      return typeof message.title === 'string' && typeof message.mimeType === 'string' && typeof message.data === 'string' ? (message as ExtensionToWorkbench) : undefined;
    case 'app':
      return typeof message.runId === 'string' && isAppView(message.app) ? (message as ExtensionToWorkbench) : undefined;
    case 'appUnavailable':
      return typeof message.runId === 'string' && typeof message.message === 'string' ? (message as ExtensionToWorkbench) : undefined;
    case 'appCallResult':
      return typeof message.callId === 'string' && isRecord(message.result) ? (message as ExtensionToWorkbench) : undefined;
    case 'appCallFailed':
      return typeof message.callId === 'string' && typeof message.message === 'string' ? (message as ExtensionToWorkbench) : undefined;
    case 'appConfirm':
      return typeof message.callId === 'string' && typeof message.tool === 'string' ? (message as ExtensionToWorkbench) : undefined;
    case 'gatewayUsage':
      return isGatewayUsageView(message.usage) && isGatewayView(message.gateway) ? (message as ExtensionToWorkbench) : undefined;
    default:
      return undefined;
  }
}

/** The largest app document the extension sends (and the tab accepts), in characters. */
export const APP_HTML_MAX_CHARS = 5_000_000;
const APP_PERMISSIONS: readonly string[] = ['camera', 'microphone', 'geolocation', 'clipboardWrite'];
const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');

function isAppView(v: unknown): v is AppView {
  if (!isRecord(v) || !isRecord(v.csp) || !isRecord(v.tool)) return false;
  const { csp } = v;
  return (
    typeof v.sandboxUrl === 'string' &&
    /^https?:\/\//.test(v.sandboxUrl) &&
    typeof v.html === 'string' &&
    v.html.length <= APP_HTML_MAX_CHARS &&
    isStrings(csp.connectDomains) &&
    isStrings(csp.resourceDomains) &&
    isStrings(csp.frameDomains) &&
    isStrings(csp.baseUriDomains) &&
    Array.isArray(v.permissions) &&
    v.permissions.every((p) => typeof p === 'string' && APP_PERMISSIONS.includes(p)) &&
    (v.prefersBorder === undefined || typeof v.prefersBorder === 'boolean') &&
    typeof v.locale === 'string' &&
    isStrings(v.dropped)
  );
}
