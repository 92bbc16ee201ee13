/**
 * <mcp-gateway-view>: who uses the gateway: the clients connected (name and version from their
 * handshake, or from each request of a 2026-07-28 client), calls per server in the last hour, and
 * the last errors. It follows the traffic live. Every name here is a client's own words, scrubbed and
 * capped by the extension, and is rendered as text only; no call's arguments or results reach it.
 */
import { tabTables, themedHost, visuallyHidden } from '../components/theme';
import { css, html, LitElement, nothing } from 'lit';
import type { GatewayClientView, GatewayUsageView, GatewayView } from '../../src/protocol';
import { onUpdate } from './host';

const EMPTY: GatewayUsageView = { clients: [], servers: [], errors: [], windowMinutes: 60 };

export class McpGatewayView extends LitElement {
  static override properties = { usage: { state: true }, gateway: { state: true }, loaded: { state: true } };
  declare usage: GatewayUsageView;
  declare gateway: GatewayView | undefined;
  declare loaded: boolean;

  constructor() {
    super();
    this.usage = EMPTY;
    this.gateway = undefined;
    this.loaded = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    onUpdate((message) => {
      if (message.type !== 'gatewayUsage') return;
      this.usage = message.usage;
      this.gateway = message.gateway;
      this.loaded = true;
    });
  }

  override render() {
    const { clients, servers, errors, windowMinutes } = this.usage;
    return html`
      <h1>Gateway clients</h1>
      <p class="status" data-gateway>${this.statusText()}</p>
      <section aria-labelledby="clients-heading">
        <h2 id="clients-heading">Connected clients</h2>
        ${
          clients.length === 0
            ? html`<p class="muted" data-empty="clients">${this.loaded ? 'No client is connected.' : 'Loading…'}</p>`
            : html`<table data-table="clients">
                <caption class="visually-hidden">
                  Clients of the gateway, most recently active first
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Client</th>
                    <th scope="col">Version</th>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Protocol</th>
                    <th scope="col">Since</th>
                    <th scope="col">Last request</th>
                    <th scope="col" class="num">Calls</th>
                    <th scope="col" class="num">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  ${clients.map(
                    (c) =>
                      html`<tr data-client=${c.name}>
                        <th scope="row" class="client">${c.name}</th>
                        <td>${c.version}</td>
                        <td><code>${endpoint(c)}</code></td>
                        <td>${c.era === 'classic' ? 'session' : '2026-07-28 (no session)'}</td>
                        <td>${time(c.since)}</td>
                        <td>${time(c.lastSeen)}</td>
                        <td class="num">${c.calls.toLocaleString()}</td>
                        <td class="num">${c.failed.toLocaleString()}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="servers-heading">
        <h2 id="servers-heading">Calls per server, last ${windowMinutes === 60 ? 'hour' : `${windowMinutes} minutes`}</h2>
        ${
          servers.length === 0
            ? html`<p class="muted" data-empty="servers">No calls in the last ${windowMinutes === 60 ? 'hour' : `${windowMinutes} minutes`}.</p>`
            : html`<table data-table="servers">
                <thead>
                  <tr>
                    <th scope="col">Server</th>
                    <th scope="col" class="num">Requests</th>
                    <th scope="col" class="num">Tool calls</th>
                    <th scope="col" class="num">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  ${servers.map(
                    (s) =>
                      html`<tr data-server=${s.server}>
                        <th scope="row">${s.server}</th>
                        <td class="num">${s.calls.toLocaleString()}</td>
                        <td class="num">${s.toolCalls.toLocaleString()}</td>
                        <td class="num ${s.failed > 0 ? 'failed' : ''}">${s.failed.toLocaleString()}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="errors-heading">
        <h2 id="errors-heading">Last errors</h2>
        ${
          errors.length === 0
            ? html`<p class="muted" data-empty="errors">No errors.</p>`
            : html`<ol class="errors" data-list="errors">
                ${errors.map(
                  (e) =>
                    html`<li data-error=${e.server}>
                      <span class="when">${time(e.at)}</span> <strong>${e.server}</strong> <code>${e.method}</code>${e.client ? html` from ${e.client}` : nothing}:
                      <span class="message">${e.message}</span>
                    </li>`,
                )}
              </ol>`
        }
      </section>
    `;
  }

  private statusText(): string {
    const g = this.gateway;
    if (!g) return '';
    if (!g.on) return g.organisation ? `The gateway is off (${g.organisation}'s policy).` : 'The gateway is off.';
    return `The gateway listens on ${g.address}${g.vscodeOnly ? ", for VS Code's own client only" : ''}. Arguments and results of calls are never shown here.`;
  }

  static override styles = [
    themedHost,
    tabTables,
    visuallyHidden,
    css`
      :host {
        padding: 12px 20px;
      }
      h2 {
        font-size: 1.1em;
        font-weight: 600;
        margin-top: 1.5em;
      }
      th,
      td {
        overflow-wrap: anywhere;
      }
      tbody th {
        font-weight: normal;
      }
      .num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      .failed,
      .errors .message {
        color: var(--vscode-errorForeground);
      }
      .muted,
      .when {
        color: var(--vscode-descriptionForeground);
      }
      .errors {
        padding-left: 1.2em;
      }
      .errors li {
        margin: 4px 0;
        overflow-wrap: anywhere;
      }
    `,
  ];
}

function endpoint(c: GatewayClientView): string {
  return c.server === undefined ? '/mcp' : `/servers/${encodeURIComponent(c.server)}/mcp`;
}

function time(at: number): string {
  return new Date(at).toLocaleTimeString();
}

if (!customElements.get('mcp-gateway-view')) customElements.define('mcp-gateway-view', McpGatewayView);
