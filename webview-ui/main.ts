/**
 * The MCP Hub sidebar panel. It renders what the extension sends (`servers` messages) and posts
 * back what the user asks for. Everything it shows comes from server configuration or from the
 * servers themselves, so it is untrusted text: the DOM is built with createElement/textContent only.
 *
 * The webview's CSP allows no inline styles, so looks come from style.css through classes and the
 * `hidden` attribute; nothing here sets element.style.
 */
import {
  ACTION_LABELS,
  SERVER_ACTIONS,
  parseExtensionMessage,
  statusLabel,
  type GatewayView,
  type ServerAction,
  type ServerStatus,
  type ServerView,
  type SessionView,
  type ToolView,
  type WebviewToExtension,
} from '../src/protocol';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();

function post(message: WebviewToExtension): void {
  vscode.postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// Persisted UI state: which <details> are open, per server. Survives re-renders and panel re-opens.

type Section = 'tools' | 'detail';

interface UiState {
  open: Record<Section, string[]>;
}

function loadState(): UiState {
  const raw = vscode.getState();
  const state: UiState = { open: { tools: [], detail: [] } };
  if (typeof raw === 'object' && raw !== null && 'open' in raw) {
    const open = raw.open;
    if (typeof open === 'object' && open !== null) {
      for (const section of ['tools', 'detail'] as const) {
        const list = (open as Record<string, unknown>)[section];
        if (Array.isArray(list)) state.open[section] = list.filter((n): n is string => typeof n === 'string');
      }
    }
  }
  return state;
}

const uiState = loadState();

function isOpen(section: Section, server: string): boolean {
  return uiState.open[section].includes(server);
}

function setOpen(section: Section, server: string, open: boolean): void {
  const list = uiState.open[section].filter((n) => n !== server);
  if (open) list.push(server);
  if (list.length === uiState.open[section].length && open === isOpen(section, server)) return;
  uiState.open[section] = list;
  vscode.setState(uiState);
}

/** Forgets open sections of servers that no longer exist, so the state cannot grow without bound. */
function pruneState(names: ReadonlySet<string>): void {
  let changed = false;
  for (const section of ['tools', 'detail'] as const) {
    const kept = uiState.open[section].filter((n) => names.has(n));
    if (kept.length !== uiState.open[section].length) {
      uiState.open[section] = kept;
      changed = true;
    }
  }
  if (changed) vscode.setState(uiState);
}

// ---------------------------------------------------------------------------------------------
// Small DOM helpers.

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function icon(name: string, extraClass?: string): HTMLSpanElement {
  const span = el('span', `codicon codicon-${name}${extraClass ? ` ${extraClass}` : ''}`);
  span.setAttribute('aria-hidden', 'true');
  return span;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------
// Presentation tables.

const STATUS_ICONS: Record<ServerStatus, { icon: string; tone: string; spin?: boolean }> = {
  running: { icon: 'pass-filled', tone: 'ok' },
  starting: { icon: 'loading', tone: 'busy', spin: true },
  authenticating: { icon: 'loading', tone: 'busy', spin: true },
  authRequired: { icon: 'lock', tone: 'warn' },
  error: { icon: 'error', tone: 'error' },
  needsInput: { icon: 'key', tone: 'warn' },
  stopped: { icon: 'debug-stop', tone: 'muted' },
  disabled: { icon: 'circle-slash', tone: 'muted' },
};

const ACTION_ICONS: Record<ServerAction, string> = {
  start: 'play',
  stop: 'debug-stop',
  restart: 'refresh',
  authenticate: 'sign-in',
  cancel: 'close',
  logout: 'sign-out',
  pasteRedirect: 'link',
  copyRedirectUri: 'copy',
  setInput: 'key',
  moveSecrets: 'lock',
};

/** Actions whose words are shown next to the icon; the rest are compact icon buttons (with a tooltip). */
const TEXT_ACTIONS: ReadonlySet<ServerAction> = new Set(['authenticate', 'cancel', 'logout', 'pasteRedirect', 'setInput', 'moveSecrets']);

const SOURCE_LABELS: Record<string, string> = { workspace: 'workspace', workspaceFolder: 'folder' };

function safeStatusLabel(view: ServerView): string {
  try {
    return statusLabel(view) ?? String(view.status);
  } catch {
    return String(view.status);
  }
}

// ---------------------------------------------------------------------------------------------
// Time formatting.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });

function retryText(retryAt: number, now: number): string {
  const seconds = Math.ceil((retryAt - now) / 1000);
  return seconds > 0 ? `retrying in ${seconds} s` : 'retrying…';
}

function expiryText(expiresAt: number, now: number): string {
  const diff = expiresAt - now;
  const abs = Math.abs(diff);
  const minute = 60_000;
  const hour = 60 * minute;
  if (abs >= 24 * hour) {
    const when = new Date(expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    return diff >= 0 ? `expires ${when}` : `expired ${when}`;
  }
  let phrase: string;
  if (abs < minute) phrase = relative.format(Math.round(diff / 1000), 'second');
  else if (abs < hour) phrase = relative.format(Math.round(diff / minute), 'minute');
  else phrase = relative.format(Math.round(diff / hour), 'hour');
  return diff >= 0 ? `expires ${phrase}` : `expired ${phrase}`;
}

/** Refreshes the countdowns and expiry texts in place (no re-render, so focus and selection stay). */
function tick(): void {
  const now = Date.now();
  for (const node of document.querySelectorAll<HTMLElement>('[data-retry-at]')) {
    const at = Number(node.dataset.retryAt);
    if (Number.isFinite(at)) node.textContent = retryText(at, now);
  }
  for (const node of document.querySelectorAll<HTMLElement>('[data-expires-at]')) {
    const at = Number(node.dataset.expiresAt);
    if (Number.isFinite(at)) node.textContent = expiryText(at, now);
  }
}

// ---------------------------------------------------------------------------------------------
// Skeleton: built once. Only `content` is replaced on each render; the live region persists.

const root = document.getElementById('root') ?? document.body.appendChild(el('div'));
root.replaceChildren();

const header = el('header', 'toolbar');
const summary = el('span', 'summary');
summary.id = 'mcp-summary';
// Open Settings and Show Logs live in the view's title bar (package.json menus), not here again.
header.append(summary);

// The local gateway: on (where, how many client sessions) or off, and Connect a Client….
const gatewayBar = el('div', 'gateway-bar');
gatewayBar.hidden = true;
const gatewayText = el('span', 'gateway-text');
gatewayText.id = 'mcp-gateway';
const connect = el('button', 'link-button', 'Connect a Client…');
connect.type = 'button';
connect.dataset.command = 'connectClient';
connect.addEventListener('click', () => post({ type: 'connectClient' }));
gatewayBar.append(icon('broadcast', 'gateway-icon'), gatewayText, connect);

const content = el('div', 'content');
const loading = el('p', 'muted loading', 'Loading servers…');
content.append(loading);

const live = el('div', 'sr-only');
live.setAttribute('role', 'status');
live.setAttribute('aria-live', 'polite');
live.setAttribute('aria-atomic', 'true');

root.append(header, gatewayBar, content, live);

function renderGateway(gateway: GatewayView | undefined): void {
  gatewayBar.hidden = gateway === undefined;
  if (!gateway) return;
  const sessions = gateway.on ? (num(gateway.sessions) ?? 0) : 0;
  const address = gateway.on ? (str(gateway.address) ?? '') : '';
  gatewayText.textContent = gateway.on
    ? `Gateway on port ${address.split(':').pop() ?? ''}${sessions > 0 ? ` · ${sessions} ${sessions === 1 ? 'client' : 'clients'}` : ''}`
    : 'Gateway off';
  gatewayBar.title = gateway.on
    ? `Your MCP Hub servers are offered to VS Code chat and to the clients you connect, at http://${address}/mcp (loopback only).`
    : 'Turn on mcpHub.gateway.enabled to offer your servers to other clients.';
  connect.hidden = !gateway.on;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

function renderEmpty(): HTMLElement {
  const box = el('section', 'empty');
  box.setAttribute('aria-label', 'No MCP servers');
  box.append(el('p', undefined, 'No MCP servers are configured. Add them under "mcpHub.servers" in your settings, for example:'));
  const pre = el('pre', 'example');
  pre.append(el('code', undefined, '"mcpHub.servers": {\n  "everything": {\n    "command": "npx",\n    "args": ["-y", "@modelcontextprotocol/server-everything"]\n  }\n}'));
  const button = el('button', 'button primary');
  button.type = 'button';
  button.dataset.command = 'openSettingsEmpty';
  button.append(icon('json'), el('span', undefined, 'Open Settings (JSON)'));
  button.addEventListener('click', () => post({ type: 'openSettings' }));
  box.append(pre, button);
  return box;
}

function actionButton(view: ServerView, action: ServerAction): HTMLButtonElement {
  const label = ACTION_LABELS[action];
  const withText = TEXT_ACTIONS.has(action);
  const button = el('button', `action ${withText ? 'button' : 'icon-button'}${action === 'authenticate' ? ' primary' : withText ? ' secondary' : ''}`);
  button.type = 'button';
  button.dataset.action = action;
  button.dataset.server = view.name;
  button.title = label;
  button.setAttribute('aria-label', `${label.replace(/…$/, '')} ${view.name}`);
  button.append(icon(ACTION_ICONS[action]));
  if (withText) button.append(el('span', undefined, label));
  button.addEventListener('click', () => post({ type: 'action', action, server: view.name }));
  return button;
}

function detailsSection(view: ServerView, section: Section, title: string, body: HTMLElement): HTMLDetailsElement {
  const details = el('details', `section section-${section}`);
  details.dataset.section = section;
  details.open = isOpen(section, view.name);
  const sum = el('summary', undefined, title);
  sum.dataset.server = view.name;
  sum.dataset.section = section;
  details.append(sum, body);
  details.addEventListener('toggle', () => setOpen(section, view.name, details.open));
  return details;
}

function toolList(tools: readonly ToolView[]): HTMLUListElement {
  const list = el('ul', 'tools');
  list.setAttribute('role', 'list');
  for (const tool of tools) {
    if (typeof tool !== 'object' || tool === null) continue;
    const name = str(tool.name) ?? '(unnamed)';
    const item = el('li', 'tool');
    const head = el('div', 'tool-head');
    head.append(el('code', 'tool-name', name));
    const title = str(tool.title);
    if (title && title !== name) head.append(el('span', 'tool-title muted', title));
    item.append(head);
    const description = str(tool.description);
    if (description) {
      const desc = el('div', 'tool-description muted', description);
      desc.title = description;
      item.append(desc);
    }
    list.append(item);
  }
  return list;
}

function sessionLine(session: SessionView, now: number): HTMLElement {
  const line = el('div', 'session muted');
  const parts = ['Signed in'];
  const issuer = str(session.issuer);
  if (issuer) parts.push(`issuer ${issuer}`);
  const scopes = Array.isArray(session.scopes) ? session.scopes.filter((s): s is string => typeof s === 'string') : [];
  if (scopes.length > 0) parts.push(`scopes ${scopes.join(' ')}`);
  line.append(icon('account'), el('span', undefined, parts.join(' · ')));
  const expiresAt = num(session.expiresAt);
  if (expiresAt !== undefined) {
    const exp = el('span', 'expires', expiryText(expiresAt, now));
    exp.dataset.expiresAt = String(expiresAt);
    exp.title = new Date(expiresAt).toLocaleString();
    line.append(document.createTextNode(' · '), exp);
  }
  return line;
}

function renderServer(view: ServerView, index: number, now: number): HTMLLIElement {
  const status = view.status;
  const label = safeStatusLabel(view);
  const look = STATUS_ICONS[status] ?? { icon: 'circle-outline', tone: 'muted' };

  const row = el('li', `server tone-${look.tone}`);
  row.dataset.server = view.name;
  row.dataset.status = status;
  const nameId = `server-${index}-name`;
  const statusId = `server-${index}-status`;
  row.setAttribute('aria-labelledby', nameId);
  row.setAttribute('aria-describedby', statusId);

  const actions = Array.isArray(view.actions) ? (view.actions as readonly unknown[]).filter((a): a is ServerAction => (SERVER_ACTIONS as readonly unknown[]).includes(a)) : [];

  // Line 1: name, transport, source, compact icon actions.
  const head = el('div', 'server-head');
  const name = el('span', 'name', view.name);
  name.id = nameId;
  const serverName = str(view.serverName);
  if (serverName) name.title = [serverName, str(view.serverVersion)].filter(Boolean).join(' ');
  head.append(name);
  const transport = str(view.transport);
  if (transport) head.append(el('span', `badge transport${transport === 'invalid' ? ' invalid' : ''}`, transport));
  const revision = status === 'running' ? str(view.protocolVersion) : undefined;
  if (revision) {
    const badge = el('span', 'badge revision', revision);
    badge.title = `MCP protocol revision ${revision}`;
    head.append(badge);
  }
  const source = SOURCE_LABELS[view.source];
  if (source) {
    const src = el('span', 'source muted', source);
    src.title = view.source === 'workspace' ? 'From workspace settings' : 'From workspace folder settings';
    head.append(src);
  }
  const iconActions = el('span', 'icon-actions');
  for (const action of actions) if (!TEXT_ACTIONS.has(action)) iconActions.append(actionButton(view, action));
  head.append(iconActions);
  row.append(head);

  // Line 2: the command or URL.
  const target = str(view.target);
  if (target) {
    const t = el('div', 'target muted', target);
    t.title = target;
    row.append(t);
  }

  // Line 3: status.
  const statusLine = el('div', 'status-line');
  statusLine.append(icon(look.icon, `status-icon${look.spin ? ' codicon-modifier-spin' : ''}`));
  const statusText = el('span', 'status', label);
  statusText.id = statusId;
  statusLine.append(statusText);
  row.append(statusLine);

  const retryAt = num(view.retryAt);
  if (status === 'error' && retryAt !== undefined) {
    const retry = el('div', 'retry muted', retryText(retryAt, now));
    retry.dataset.retryAt = String(retryAt);
    row.append(retry);
  }

  // The message: the error's is already in the status words, and so is a disabled server's.
  const message = str(view.message);
  if (message && (status === 'authRequired' || status === 'running' || status === 'needsInput' || (status === 'disabled' && !label.includes(message)))) {
    row.append(el('div', 'message muted', message));
  }

  // Warnings about the entry itself (a secret written in settings.json).
  if (Array.isArray(view.warnings)) {
    for (const warning of view.warnings) {
      if (typeof warning !== 'string') continue;
      const line = el('div', 'warning');
      line.append(icon('warning'), el('span', undefined, ` ${warning}`));
      row.append(line);
    }
  }

  if (status === 'running') {
    const counts: string[] = [];
    const resources = num(view.resourceCount) ?? 0;
    const prompts = num(view.promptCount) ?? 0;
    if (resources > 0) counts.push(`${resources} ${resources === 1 ? 'resource' : 'resources'}`);
    if (prompts > 0) counts.push(`${prompts} ${prompts === 1 ? 'prompt' : 'prompts'}`);
    if (counts.length > 0) row.append(el('div', 'counts muted', counts.join(' · ')));
  }

  if (typeof view.session === 'object' && view.session !== null) row.append(sessionLine(view.session, now));

  const redirectUri = str(view.redirectUri);
  if (redirectUri) {
    const line = el('div', 'redirect muted small');
    line.append(el('span', 'label', 'Redirect URI '), el('span', 'uri', redirectUri));
    line.title = redirectUri;
    row.append(line);
  }

  const textActions = actions.filter((a) => TEXT_ACTIONS.has(a));
  if (textActions.length > 0) {
    const bar = el('div', 'text-actions');
    for (const action of textActions) bar.append(actionButton(view, action));
    row.append(bar);
  }

  if (status === 'running' && view.tools.length > 0) {
    row.append(detailsSection(view, 'tools', `Tools (${view.tools.length})`, toolList(view.tools)));
  }

  const detail = str(view.detail);
  if (detail) {
    const pre = el('pre', 'detail');
    pre.textContent = detail;
    row.append(detailsSection(view, 'detail', 'Details', pre));
  }

  return row;
}

// ---------------------------------------------------------------------------------------------
// Focus preservation and announcements.

interface FocusKey {
  server?: string;
  action?: string;
  section?: string;
  command?: string;
}

function focusKey(): FocusKey | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !root.contains(active)) return undefined;
  const { server, action, section, command } = active.dataset;
  if (command) return { command };
  if (server !== undefined && (action || section)) return { server, action, section };
  return undefined;
}

function restoreFocus(key: FocusKey | undefined): void {
  if (!key) return;
  const candidates = root.querySelectorAll<HTMLElement>('[data-command], [data-server][data-action], summary[data-server]');
  const list = [...candidates];
  let target: HTMLElement | undefined;
  if (key.command) {
    // The two "open settings" buttons stand in for each other when the list appears or empties.
    const alt = key.command === 'openSettingsEmpty' ? 'openSettings' : undefined;
    target = list.find((n) => n.dataset.command === key.command) ?? list.find((n) => n.dataset.command === alt);
  } else {
    const sameServer = list.filter((n) => n.dataset.server === key.server && !n.dataset.command);
    target =
      sameServer.find((n) => (key.action ? n.dataset.action === key.action : n.dataset.section === key.section)) ??
      // The button pressed is often replaced (Start becomes Stop): stay in the same row.
      sameServer.find((n) => n.dataset.action) ??
      sameServer[0];
  }
  if (target && target !== document.activeElement) target.focus({ preventScroll: true });
}

let lastStatuses: Map<string, string> | undefined;

function announce(servers: readonly ServerView[]): void {
  const previous = lastStatuses;
  lastStatuses = new Map(servers.map((s) => [s.name, s.status]));
  if (!previous) return; // The first picture is not news.
  const changes = servers.filter((s) => previous.get(s.name) !== s.status).map((s) => `${s.name}: ${safeStatusLabel(s)}`);
  if (changes.length === 0) return;
  live.textContent = '';
  // A fresh text node in a later task makes screen readers announce even a repeated phrase.
  setTimeout(() => {
    live.textContent = changes.join('. ');
  }, 50);
}

const rows = new Map<string, { json: string; node: HTMLLIElement }>();

function render(servers: readonly ServerView[]): void {
  const key = focusKey();
  const now = Date.now();
  pruneState(new Set(servers.map((s) => s.name)));

  const running = servers.filter((s) => s.status === 'running').length;
  summary.textContent = servers.length === 0 ? '' : `${servers.length} ${servers.length === 1 ? 'server' : 'servers'} · ${running} running`;

  if (servers.length === 0) {
    rows.clear();
    content.replaceChildren(renderEmpty());
  } else {
    // Keyed by server: a row is rebuilt only when its view changed, so one server retrying in the
    // background does not rebuild (and steal the pointer or focus from) the others.
    let list = content.querySelector<HTMLUListElement>('ul.servers');
    if (!list) {
      list = el('ul', 'servers');
      list.setAttribute('role', 'list');
      list.setAttribute('aria-label', 'MCP servers');
      content.replaceChildren(list);
    }
    const next = new Map<string, { json: string; node: HTMLLIElement }>();
    servers.forEach((view, i) => {
      const json = JSON.stringify([view, i]);
      const old = rows.get(view.name);
      next.set(view.name, old && old.json === json ? old : { json, node: renderServer(view, i, now) });
    });
    // Touch only rows that moved or changed: a removed-and-reinserted element would lose focus.
    [...next.values()].forEach(({ node }, i) => {
      if (list.children[i] !== node) list.insertBefore(node, list.children[i] ?? null);
    });
    while (list.children.length > next.size) list.lastElementChild!.remove();
    rows.clear();
    for (const [k, v] of next) rows.set(k, v);
  }

  restoreFocus(key);
  announce(servers);
}

// ---------------------------------------------------------------------------------------------
// Wiring.

let current: readonly ServerView[] = [];

window.addEventListener('message', (event: MessageEvent) => {
  const message = parseExtensionMessage(event.data);
  if (!message) return;
  if (message.type === 'servers') {
    renderGateway(message.gateway);
    current = message.servers;
  } else {
    const changed = new Map(message.servers.map((s) => [s.name, s]));
    current = current.filter((s) => !message.removed.includes(s.name)).map((s) => changed.get(s.name) ?? s);
  }
  render(current);
});

setInterval(tick, 1000);

post({ type: 'ready' });
