/**
 * <mcp-server-row>: one server, given as one ServerView object. The panel hands each row its object
 * and Lit re-renders a row only when that object is replaced, so an update for one server leaves the
 * other rows alone. The row is the list item itself (role, class `server`, data-server, data-status).
 */
import { html, nothing, type TemplateResult } from 'lit';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import { ACTION_LABELS, type ServerAction, type ServerStatus, type ServerView } from '../../src/protocol';
import { LightElement } from './light-element';
import { actionsOf, isRecord, num, plural, records, revisionBadge, safeStatusLabel, str, strings } from './format';
import { icon } from './icon';
import { isOpen, post, setOpen, type Section } from './vscode-api';
import './prompt-list';
import './relative-time';
import './resource-list';
import './session';
import './tool-list';

const STATUS_LOOKS: Record<ServerStatus, { icon: string; tone: string; spin?: boolean }> = {
  running: { icon: 'pass-filled', tone: 'ok' },
  starting: { icon: 'loading', tone: 'busy', spin: true },
  authenticating: { icon: 'loading', tone: 'busy', spin: true },
  authRequired: { icon: 'lock', tone: 'warn' },
  error: { icon: 'error', tone: 'error' },
  needsInput: { icon: 'key', tone: 'warn' },
  awaitingApproval: { icon: 'shield', tone: 'warn' },
  blocked: { icon: 'circle-slash', tone: 'error' },
  stopped: { icon: 'debug-stop', tone: 'muted' },
  disabled: { icon: 'circle-slash', tone: 'muted' },
};
const UNKNOWN_LOOK = { icon: 'circle-outline', tone: 'muted' };

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
  approve: 'shield',
  update: 'cloud-download',
  turnOn: 'debug-start',
  turnOff: 'circle-slash',
  addAccount: 'person-add',
  switchAccount: 'account',
};

/** Actions shown as buttons with words under the status; the rest are icon buttons in the row's head. */
const TEXT_ACTIONS: ReadonlySet<ServerAction> = new Set([
  'approve',
  'authenticate',
  'cancel',
  'logout',
  'pasteRedirect',
  'setInput',
  'moveSecrets',
  'update',
  'turnOn',
  'turnOff',
  'switchAccount',
]);

const AVAILABILITY: Partial<Record<string, string>> = {
  required: 'required',
  default: 'on by default',
  optional: 'optional',
};

const SOURCES: Partial<Record<string, { label: string; title: string }>> = {
  managed: { label: 'managed', title: "From your organisation's policy" },
  workspace: { label: 'workspace', title: 'From workspace settings' },
  workspaceFolder: { label: 'folder', title: 'From workspace folder settings' },
};

let rowCount = 0;

export class ServerRow extends LightElement {
  static override properties = { server: { attribute: false } };

  declare server: ServerView | undefined;
  /** Ids for aria-labelledby/-describedby; unique in the page, stable for the row's life. */
  private readonly uid = `mcp-row-${++rowCount}`;

  constructor() {
    super();
    this.server = undefined;
  }

  protected override willUpdate(): void {
    const view = this.server;
    if (!view) return;
    this.setAttribute('role', 'listitem');
    this.className = `server tone-${(STATUS_LOOKS[view.status] ?? UNKNOWN_LOOK).tone}`;
    this.dataset.server = view.name;
    this.dataset.status = view.status;
    this.setAttribute('aria-labelledby', `${this.uid}-name`);
    this.setAttribute('aria-describedby', `${this.uid}-status`);
  }

  protected override render() {
    const view = this.server;
    if (!view) return nothing;
    const { name, status } = view;
    const look = STATUS_LOOKS[status] ?? UNKNOWN_LOOK;
    const label = safeStatusLabel(view);
    const actions = actionsOf(view);
    const textActions = actions.filter((a) => TEXT_ACTIONS.has(a));
    const running = status === 'running';

    const serverName = str(view.serverName);
    const transport = str(view.transport);
    const revisionText = running ? str(view.protocolVersion) : undefined;
    const revision = revisionText === undefined ? undefined : revisionBadge(revisionText);
    const source = SOURCES[view.source];
    const target = str(view.target);
    const retryAt = status === 'error' ? num(view.retryAt) : undefined;
    // The error's message is already in the status words, and so is a disabled server's.
    const message = str(view.message);
    const showMessage =
      message &&
      (status === 'authRequired' ||
        running ||
        status === 'needsInput' ||
        status === 'awaitingApproval' ||
        status === 'blocked' ||
        (status === 'disabled' && !label.includes(message)));
    const redirectUri = str(view.redirectUri);
    const session = isRecord(view.session) ? view.session : undefined;
    const oauth = view.oauth === true;
    const detail = str(view.detail);
    const update = str(view.updateAvailable);
    const managed = isRecord(view.managed) ? { by: str(view.managed.by), availability: AVAILABILITY[String(view.managed.availability)] } : undefined;

    return html`
      <div class="server-head">
        <span class="name" id=${`${this.uid}-name`} title=${serverName ? [serverName, str(view.serverVersion)].filter(Boolean).join(' ') : name}>${name}</span>
        ${transport ? html`<vscode-badge class=${transport === 'invalid' ? 'transport invalid' : 'transport'}>${transport}</vscode-badge>` : nothing}
        ${revision ? html`<vscode-badge class="revision" title=${revision.title}>${revision.label}</vscode-badge>` : nothing}
        ${source ? html`<span class="source muted" title=${source.title}>${source.label}</span>` : nothing}
        <span class="icon-actions">${actions.filter((a) => !TEXT_ACTIONS.has(a)).map((a) => this.renderIconAction(name, a))}</span>
      </div>
      ${target ? html`<div class="target muted" title=${target}>${target}</div>` : nothing}
      ${
        managed?.by
          ? html`<div class="managed-by muted" title=${`Managed by ${managed.by}: your settings cannot change it${managed.availability === 'required' ? ', nor stop it' : ''}.`}>
              ${icon('organization')}<span>Managed by ${managed.by}${managed.availability ? html` · <span class="availability">${managed.availability}</span>` : nothing}</span>
            </div>`
          : nothing
      }
      <div class="status-line">
        ${icon(look.icon, look.spin ? 'status-icon codicon-modifier-spin' : 'status-icon')}
        <span class="status" id=${`${this.uid}-status`}>${label}</span>
      </div>
      ${retryAt !== undefined ? html`<mcp-time class="retry muted" kind="retry" .at=${retryAt}></mcp-time>` : nothing}
      ${update ? html`<div class="update-available">${icon('cloud-download')}<span>Update available (${update})</span></div>` : nothing}
      ${showMessage ? html`<div class="message muted">${message}</div>` : nothing}
      ${strings(view.warnings).map((w) => html`<div class="warning">${icon('warning')}<span>${w}</span></div>`)} ${running ? this.renderCounts(view) : nothing}
      ${session || oauth ? html`<mcp-session .server=${name} .session=${session} ?oauth=${oauth}></mcp-session>` : nothing}
      ${redirectUri ? html`<div class="redirect muted small" title=${redirectUri}><span class="label">Redirect URI </span><span class="uri">${redirectUri}</span></div>` : nothing}
      ${textActions.length > 0 ? html`<div class="text-actions">${textActions.map((a) => this.renderTextAction(name, a))}</div>` : nothing}
      ${running ? this.renderLists(view) : nothing} ${detail ? this.renderSection(name, 'detail', 'Details', () => html`<pre class="detail">${detail}</pre>`) : nothing}
    `;
  }

  private renderIconAction(server: string, action: ServerAction) {
    const label = ACTION_LABELS[action];
    return html`<vscode-toolbar-button
      class="action"
      icon=${ACTION_ICONS[action]}
      data-action=${action}
      data-server=${server}
      data-focus=${`action:${action}`}
      label=${`${label.replace(/…$/, '')} ${server}`}
      title=${label}
      @click=${() => post({ type: 'action', action, server })}
    ></vscode-toolbar-button>`;
  }

  private renderTextAction(server: string, action: ServerAction) {
    const label = ACTION_LABELS[action];
    return html`<vscode-button
      class="action"
      icon=${ACTION_ICONS[action]}
      ?secondary=${action !== 'authenticate'}
      data-action=${action}
      data-server=${server}
      data-focus=${`action:${action}`}
      aria-label=${`${label.replace(/…$/, '')} ${server}`}
      @click=${() => post({ type: 'action', action, server })}
      >${label}</vscode-button
    >`;
  }

  /** Resources and prompts the extension did not list: their numbers only. */
  private renderCounts(view: ServerView) {
    const counts: string[] = [];
    const resources = num(view.resourceCount) ?? 0;
    const prompts = num(view.promptCount) ?? 0;
    if (resources > 0 && !Array.isArray(view.resources)) counts.push(plural(resources, 'resource', 'resources'));
    if (prompts > 0 && !Array.isArray(view.prompts)) counts.push(plural(prompts, 'prompt', 'prompts'));
    return counts.length > 0 ? html`<div class="counts muted">${counts.join(' · ')}</div>` : nothing;
  }

  private renderLists(view: ServerView) {
    const { name } = view;
    const tools = records(view.tools, 'name').length;
    const filtered = records(view.filteredTools, 'name').length;
    const resources = Array.isArray(view.resources) ? view.resources : undefined;
    const resourceCount = Math.max(num(view.resourceCount) ?? 0, resources?.length ?? 0);
    const templates = view.templates === true;
    const prompts = Array.isArray(view.prompts) ? records(view.prompts, 'name').length : 0;
    return html`
      ${
        tools > 0 || filtered > 0
          ? this.renderSection(
              name,
              'tools',
              `Tools (${tools.toLocaleString()}${filtered > 0 ? ` · ${filtered.toLocaleString()} filtered out` : ''})`,
              () => html`<mcp-tool-list .server=${name} .tools=${view.tools} .filtered=${view.filteredTools} ?switches=${view.toolSwitches === true}></mcp-tool-list>`,
            )
          : nothing
      }
      ${
        resources && (resourceCount > 0 || templates)
          ? this.renderSection(
              name,
              'resources',
              resourceCount > 0 ? `Resources (${resourceCount.toLocaleString()})` : 'Resources',
              () => html`<mcp-resource-list .server=${name} .resources=${resources} .total=${resourceCount} ?templates=${templates}></mcp-resource-list>`,
            )
          : nothing
      }
      ${
        prompts > 0
          ? this.renderSection(name, 'prompts', `Prompts (${prompts.toLocaleString()})`, () => html`<mcp-prompt-list .server=${name} .prompts=${view.prompts}></mcp-prompt-list>`)
          : nothing
      }
    `;
  }

  /** A native <details>: keyboard and screen readers know it. Its body is rendered only while open. */
  private renderSection(server: string, section: Section, summary: string, body: () => TemplateResult) {
    const open = isOpen(section, server);
    return html`<details class=${`section section-${section}`} data-section=${section} ?open=${open} @toggle=${(e: Event) => this.toggled(server, section, e)}>
      <summary data-section=${section} data-server=${server} data-focus=${`section:${section}`}>${summary}</summary>
      ${open ? body() : nothing}
    </details>`;
  }

  private toggled(server: string, section: Section, event: Event): void {
    const open = (event.currentTarget as HTMLDetailsElement).open;
    if (open === isOpen(section, server)) return;
    setOpen(section, server, open);
    this.requestUpdate();
  }
}

customElements.define('mcp-server-row', ServerRow);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-server-row': ServerRow;
  }
}
