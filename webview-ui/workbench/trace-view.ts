/**
 * <mcp-trace-view>: a server's OAuth trace: who is signed in, and the steps of the last sign-in and
 * the refreshes since (metadata, registration, browser, callback, token requests) with their status
 * codes and timings. It follows a sign-in live. Nothing secret ever reaches it.
 */
import { tabTables, themedHost } from '../components/theme';
import { css, html, LitElement, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { SessionView, TraceStepView } from '../../src/protocol';
import { onUpdate, post } from './host';

export class McpTraceView extends LitElement {
  static override properties = { server: { state: true }, steps: { state: true }, session: { state: true } };
  declare server: string;
  declare steps: readonly TraceStepView[];
  declare session: SessionView | undefined;

  constructor() {
    super();
    this.server = '';
    this.steps = [];
    this.session = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    onUpdate((message) => {
      if (message.type !== 'trace') return;
      this.server = message.server;
      this.steps = message.steps;
      this.session = message.session;
    });
  }

  override render() {
    const s = this.session;
    const account = s?.account ? (s.account.name ?? s.account.email ?? s.account.username) : undefined;
    return html`
      <h1>OAuth trace · <span class="server">${this.server}</span></h1>
      <section class="session" data-session>
        ${
          s
            ? html`<p>
                Signed in${account ? html` as <strong>${account}</strong>` : nothing} at
                <code>${s.issuer}</code>${s.scopes.length ? html` with scopes <code>${s.scopes.join(' ')}</code>` : nothing}.
                ${s.refreshedAt ? html`Last refreshed ${new Date(s.refreshedAt).toLocaleString()}.` : nothing}
                ${s.expiresAt ? html`The access token expires ${new Date(s.expiresAt).toLocaleString()}.` : nothing}
              </p>`
            : html`<p>Not signed in.</p>`
        }
        <vscode-button secondary data-diagnostics @click=${() => post({ type: 'copyDiagnostics' })}>Copy Diagnostics</vscode-button>
      </section>
      ${
        this.steps.length === 0
          ? html`<p>No sign-in or refresh since the editor started.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Step</th>
                  <th>Request</th>
                  <th>Status</th>
                  <th>ms</th>
                  <th>Note</th>
                </tr>
              </thead>
              <tbody>
                ${this.steps.map(
                  (t) =>
                    html`<tr class=${t.kind === 'error' || (t.status !== undefined && t.status >= 400) ? 'failed' : ''} data-step=${t.kind}>
                      <td>${new Date(t.at).toLocaleTimeString()}</td>
                      <td>${t.label}</td>
                      <td>${t.method ? html`<code>${t.method}</code> ` : nothing}${t.url ? html`<code class="url">${t.url}</code>` : nothing}</td>
                      <td>${t.status ?? ''}</td>
                      <td>${t.ms ?? ''}</td>
                      <td>${t.note ?? ''}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    `;
  }

  static override styles = [
    themedHost,
    tabTables,
    css`
      :host {
        padding: 12px 20px;
      }
      .url {
        word-break: break-all;
      }
      tr.failed td {
        color: var(--vscode-errorForeground);
      }
    `,
  ];
}

if (!customElements.get('mcp-trace-view')) customElements.define('mcp-trace-view', McpTraceView);
