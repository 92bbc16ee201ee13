/**
 * <mcp-hub-panel>: the MCP Hub sidebar. It asks for the server list (the `ready` handshake), renders
 * what the extension sends and posts back what the user asks for. `servers` replaces the whole list;
 * `update` replaces only the servers it names (by name) and drops the removed ones, so the rows of
 * the others keep their objects and are not rendered again.
 *
 * Everything shown comes from settings or from the servers themselves, so it is untrusted text: it is
 * rendered only through Lit's text and attribute bindings, never as HTML. The CSP allows no inline
 * styles: looks come from style.css classes and the controls' constructable stylesheets.
 */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { parseExtensionMessage, type EnterpriseView, type GatewayView, type OrganisationView, type ServerView } from '../../src/protocol';
import { LightElement } from './light-element';
import { num, plural, safeStatusLabel, str } from './format';
import { captureFocus, restoreFocus } from './focus';
import { icon } from './icon';
import { post, pruneOpen } from './vscode-api';
import { settleWindows } from './row-window';
import './server-row';

const EXAMPLE = `"mcpHub.servers": {
  "everything": {
    "command": "npx",
    "args": ["-y", "@modelcontextprotocol/server-everything"]
  }
}`;

/** The first server of each name: rows are keyed by name. */
function byName(servers: readonly ServerView[]): ServerView[] {
  const seen = new Set<string>();
  return servers.filter((s) => {
    if (seen.has(s.name)) return false;
    seen.add(s.name);
    return true;
  });
}

export class HubPanel extends LightElement {
  static override properties = {
    servers: { state: true },
    gateway: { state: true },
    enterprise: { state: true },
    organisation: { state: true },
    loaded: { state: true },
    announcement: { state: true },
  };

  declare servers: readonly ServerView[];
  declare gateway: GatewayView | undefined;
  declare enterprise: EnterpriseView | undefined;
  declare organisation: OrganisationView | undefined;
  declare loaded: boolean;
  declare announcement: string;
  /** Resolves when the last message is on screen: the rows in view, their lists and the focus. */
  rendered: Promise<void> = Promise.resolve();
  /** The statuses last shown, to announce changes; undefined before the first list. */
  private statuses: Map<string, string> | undefined;
  private announceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.servers = [];
    this.gateway = undefined;
    this.enterprise = undefined;
    this.organisation = undefined;
    this.loaded = false;
    this.announcement = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    // Asked again on every connect: the extension answers with the whole list.
    post({ type: 'ready' });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('message', this.onMessage);
    clearTimeout(this.announceTimer);
  }

  private readonly onMessage = (event: MessageEvent): void => this.receive(event.data);

  /** Applies one message from the extension; anything malformed is ignored. */
  receive(data: unknown): void {
    const message = parseExtensionMessage(data);
    if (!message) return;
    const focus = captureFocus(this);
    if (message.type === 'servers') {
      this.servers = byName(message.servers);
      this.gateway = message.gateway;
      this.enterprise = message.enterprise;
      this.organisation = message.organisation;
      this.loaded = true;
      pruneOpen(new Set(this.servers.map((s) => s.name)));
      this.announce(this.servers);
    } else {
      // An update belongs to a list: before the first one, the `servers` answering `ready` is on its way.
      if (!this.loaded) return;
      const changed = new Map(byName(message.servers).map((s) => [s.name, s]));
      const removed = new Set(message.removed);
      const next = this.servers.filter((s) => !removed.has(s.name)).map((s) => changed.get(s.name) ?? s);
      const known = new Set(next.map((s) => s.name));
      for (const s of changed.values()) if (!known.has(s.name) && !removed.has(s.name)) next.push(s);
      this.servers = next;
      if (removed.size > 0) pruneOpen(new Set(next.map((s) => s.name)));
      this.announce(next.filter((s) => changed.get(s.name) === s));
    }
    this.rendered = this.settleWindows().then(() => restoreFocus(this, focus));
  }

  /**
   * Renders the rows in view of the lists in the server rows in this frame (one layout for all the
   * lists, not one a list), rather than empty lists for a frame; then the focus is put back, as it
   * may have been on one of them.
   */
  private async settleWindows(): Promise<void> {
    for (let level = 0; level < 3; level++) {
      await this.settled();
      if (!settleWindows()) return;
    }
    await this.settled();
  }

  /** Resolves when the panel, its rows and their lists have rendered. */
  async settled(): Promise<void> {
    await this.updateComplete;
    await Promise.all([...this.querySelectorAll('mcp-server-row')].map((row) => row.updateComplete));
    await Promise.all([...this.querySelectorAll<LightElement>('mcp-tool-list, mcp-resource-list, mcp-prompt-list')].map((list) => list.updateComplete));
  }

  /** Tells a screen reader which servers changed status (the first list is not news). */
  private announce(changed: readonly ServerView[]): void {
    const previous = this.statuses;
    this.statuses = new Map(this.servers.map((s) => [s.name, s.status]));
    if (!previous) return;
    const news = changed.filter((s) => previous.get(s.name) !== s.status).map((s) => `${s.name}: ${safeStatusLabel(s)}`);
    if (news.length === 0) return;
    // Emptied first and filled in a later task, so a screen reader announces even a repeated phrase.
    this.announcement = '';
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => (this.announcement = news.join('. ')), 50);
  }

  protected override render() {
    const running = this.servers.filter((s) => s.status === 'running').length;
    return html`
      ${
        this.servers.length > 0
          ? html`<header class="toolbar">
              <span class="summary" id="mcp-summary">${plural(this.servers.length, 'server', 'servers')} · ${running.toLocaleString()} running</span>
            </header>`
          : nothing
      }
      ${this.organisation ? this.renderOrganisation(this.organisation) : nothing} ${this.gateway ? this.renderGateway(this.gateway) : nothing}
      ${this.enterprise ? this.renderEnterprise(this.enterprise) : nothing}
      <div class="content">
        ${
          !this.loaded
            ? html`<p class="muted loading">Loading servers…</p>`
            : this.servers.length === 0
              ? this.renderEmpty()
              : html`<div class="servers" role="list" aria-label="MCP servers">
                  ${repeat(
                    this.servers,
                    (s) => s.name,
                    (s) => html`<mcp-server-row .server=${s}></mcp-server-row>`,
                  )}
                </div>`
        }
      </div>
      <div class="sr-only" role="status" aria-live="polite" aria-atomic="true">${this.announcement}</div>
    `;
  }

  /** Who manages MCP Hub here, from which file or VS Code policy; or why that policy cannot be used (then nothing runs). */
  private renderOrganisation(o: OrganisationView) {
    const origin = str(o.origin) ?? '';
    if (o.kind === 'broken') {
      const problem = str(o.problem) ?? '';
      return html`<div class="gateway-bar organisation-bar broken" id="mcp-organisation" role="alert">
        ${icon('error', 'gateway-icon')}
        <span class="gateway-text">Your organisation's policy (${origin}) cannot be used: ${problem}. No server runs until it is fixed.</span>
      </div>`;
    }
    const name = str(o.name) ?? '';
    return html`<div class="gateway-bar organisation-bar" id="mcp-organisation" title=${`Your organisation's policy, from ${origin}: your settings cannot change it.`}>
      ${icon('organization', 'gateway-icon')}
      <span class="gateway-text">Managed by ${name}</span>
    </div>`;
  }

  private renderGateway(gateway: GatewayView) {
    const on = gateway.on === true;
    const address = on ? (str(gateway.address) ?? '') : '';
    const sessions = on ? (num(gateway.sessions) ?? 0) : 0;
    const vscodeOnly = on && gateway.vscodeOnly === true;
    const offBy = gateway.on === false ? str(gateway.organisation) : undefined;
    const text = on
      ? `Gateway on port ${address.split(':').pop() ?? ''}${vscodeOnly ? ' · VS Code only' : ''}${sessions > 0 ? ` · ${plural(sessions, 'client', 'clients')}` : ''}`
      : offBy
        ? `Gateway off (${offBy}'s policy)`
        : 'Gateway off';
    const title = on
      ? vscodeOnly
        ? `Your MCP Hub servers are offered to VS Code chat only, as your organisation's policy says (loopback only).`
        : `Your MCP Hub servers are offered to VS Code chat and to the clients you connect, at http://${address}/mcp (loopback only).`
      : offBy
        ? `Your organisation's policy turns the gateway off: no client, VS Code's own included, is offered your MCP Hub servers.`
        : 'Turn on mcpHub.gateway.enabled to offer your servers to other clients.';
    return html`<div class="gateway-bar" title=${title}>
      ${icon('broadcast', 'gateway-icon')}
      <span class="gateway-text" id="mcp-gateway">${text}</span>
      ${
        on && !vscodeOnly
          ? html`<button type="button" class="link-button" data-command="connectClient" data-focus="connectClient" @click=${() => post({ type: 'connectClient' })}>
              Connect a Client…
            </button>`
          : nothing
      }
    </div>`;
  }

  /** The company IdP: who is signed in, with Sign Out; or Sign In; or Cancel while the browser is open. */
  private renderEnterprise(e: EnterpriseView) {
    const label = str(e.label) ?? '';
    const account = str(e.account);
    const text = e.signingIn ? `Signing in to ${label}…` : e.signedIn ? `Company sign-in: ${account ?? label}` : `Company sign-in: ${label}`;
    const title = e.signedIn
      ? `Signed in to your company IdP (${label})${account ? ` as ${account}` : ''}; servers that accept it connect without a sign-in of their own.`
      : `Sign in once to your company IdP (${label}); then every server that accepts it connects.`;
    const button = (command: 'enterpriseSignIn' | 'enterpriseCancel' | 'enterpriseSignOut', words: string) =>
      html`<button type="button" class="link-button" data-command=${command} data-focus=${command} @click=${() => post({ type: command })}>${words}</button>`;
    return html`<div class="gateway-bar enterprise-bar" id="mcp-enterprise" title=${title}>
      ${icon(e.signedIn ? 'verified' : 'organization', 'gateway-icon')}
      <span class="gateway-text">${text}</span>
      ${
        e.signingIn
          ? button('enterpriseCancel', 'Cancel')
          : e.signedIn
            ? e.via === 'hub'
              ? button('enterpriseSignOut', 'Sign Out')
              : nothing
            : button('enterpriseSignIn', 'Sign In')
      }
    </div>`;
  }

  private renderEmpty() {
    return html`<section class="empty" aria-label="No MCP servers">
      <p>No MCP servers are configured. Add one from an MCP registry, or write them under "mcpHub.servers" in your settings, for example:</p>
      <pre class="example"><code>${EXAMPLE}</code></pre>
      <vscode-button icon="add" data-command="addServer" data-focus="addServer" @click=${() => post({ type: 'addServer' })}>Add Server…</vscode-button>
      <vscode-button icon="json" secondary data-command="openSettings" data-focus="openSettings" @click=${() => post({ type: 'openSettings' })}>Open Settings (JSON)</vscode-button>
    </section>`;
  }
}

customElements.define('mcp-hub-panel', HubPanel);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-hub-panel': HubPanel;
  }
}
