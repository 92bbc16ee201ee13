/**
 * <mcp-question>: a server's question (elicitation/create) in an editor tab. The server's name is
 * always shown. Form mode: a form from the requested schema, with a warning when it seems to ask for
 * a password, token or key (servers must not ask for those in a form). URL mode: the full domain,
 * and the URL opens in the browser only on Open. Closing the tab cancels.
 */
import { themedHost } from '../components/theme';
import { css, html, LitElement, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '../components/schema-form';
import type { SchemaFormSubmitDetail } from '../components/schema-form';
import { isRecord, type ElicitationAction, type ElicitationView } from '../../src/protocol';
import { onUpdate, post } from './host';

export class McpQuestion extends LitElement {
  static override properties = { server: { state: true }, request: { state: true }, answered: { state: true } };
  declare server: string;
  declare request: ElicitationView | undefined;
  declare answered: boolean;

  constructor() {
    super();
    this.server = '';
    this.request = undefined;
    this.answered = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    onUpdate((message) => {
      if (message.type !== 'elicitation') return;
      this.server = message.server;
      this.request = message.request;
      this.answered = false;
    });
  }

  private answer(action: ElicitationAction, content?: Record<string, unknown>): void {
    if (this.answered) return;
    this.answered = true;
    post(content ? { type: 'answer', action, content } : { type: 'answer', action });
  }

  override render() {
    const r = this.request;
    if (!r) return html`<p>Loading…</p>`;
    return html`
      <h1><span class="server">${this.server}</span> asks</h1>
      <p class="message">${r.message}</p>
      ${r.mode === 'url' ? this.renderUrl(r) : this.renderForm(r)}
    `;
  }

  private renderForm(r: Extract<ElicitationView, { mode: 'form' }>) {
    return html`
      ${
        r.sensitive.length > 0
          ? html`<p class="warning" role="alert" data-sensitive>
              This form seems to ask for a password, token or key (${r.sensitive.join(', ')}). MCP servers must not ask for those in a form: enter one only if you trust
              ${this.server} and know why it asks.
            </p>`
          : nothing
      }
      <mcp-schema-form
        .schema=${r.requestedSchema}
        submit-label="Accept"
        ?disabled=${this.answered}
        @submit=${(e: CustomEvent<SchemaFormSubmitDetail>) => {
          e.stopPropagation();
          const value = e.detail.value;
          this.answer('accept', isRecord(value) ? value : {});
        }}
      >
        <vscode-button slot="actions" secondary data-decline ?disabled=${this.answered} @click=${() => this.answer('decline')}>Decline</vscode-button>
        <vscode-button slot="actions" secondary data-cancel ?disabled=${this.answered} @click=${() => this.answer('cancel')}>Cancel</vscode-button>
      </mcp-schema-form>
    `;
  }

  private renderUrl(r: Extract<ElicitationView, { mode: 'url' }>) {
    return html`
      <p>${this.server} wants to open a page on <strong class="domain" data-domain>${r.domain}</strong> in your browser:</p>
      <p><code class="url">${r.url}</code></p>
      <div class="actions">
        <vscode-button data-open ?disabled=${this.answered} @click=${() => this.answer('accept')}>Open in Browser</vscode-button>
        <vscode-button secondary data-decline ?disabled=${this.answered} @click=${() => this.answer('decline')}>Decline</vscode-button>
        <vscode-button secondary data-cancel ?disabled=${this.answered} @click=${() => this.answer('cancel')}>Cancel</vscode-button>
      </div>
    `;
  }

  static override styles = [
    themedHost,
    css`
      :host {
        padding: 12px 20px;
        max-width: 760px;
      }
      h1 {
        font-size: 1.3em;
        font-weight: 600;
      }
      .message {
        white-space: pre-wrap;
      }
      .warning {
        padding: 8px 12px;
        border: 1px solid var(--vscode-inputValidation-warningBorder);
        background: var(--vscode-inputValidation-warningBackground);
      }
      .url {
        word-break: break-all;
      }
      .domain {
        font-size: 1.1em;
      }
      .actions {
        display: flex;
        gap: 8px;
      }
    `,
  ];
}

if (!customElements.get('mcp-question')) customElements.define('mcp-question', McpQuestion);
