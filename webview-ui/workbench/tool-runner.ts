/**
 * <mcp-tool-runner>: one tool's runner tab. A form from the tool's inputSchema, Run (with a
 * confirmation first for a tool its server marks destructive), Cancel while it runs, progress, the
 * result, and the last runs to use again. A tool with an MCP App shows the app for each run
 * (<mcp-app-frame>), with the text result one click away. Everything shown comes from the server:
 * text bindings only.
 */
import { themedHost } from '../components/theme';
import { css, html, LitElement, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '../components/schema-form';
import '../components/tool-result';
import './app-frame';
import type { McpSchemaForm, SchemaFormSubmitDetail } from '../components/schema-form';
import type { AppView, ExtensionToWorkbench, RunRecord, ServerStatus, ToolDetail } from '../../src/protocol';
import type { McpAppFrame } from './app-frame';
import { keep, onUpdate, post } from './host';

type Run = { readonly id: string; readonly args: Record<string, unknown> } & (
  | { readonly kind: 'running'; readonly started: number; progress?: { progress: number; total?: number; message?: string } }
  | { readonly kind: 'done'; readonly result: Record<string, unknown>; readonly ms: number }
  | { readonly kind: 'failed'; readonly message: string }
);

/** The run's app: shown, could not be shown (why), or closed. */
type RunApp = { readonly kind: 'shown'; readonly app: AppView } | { readonly kind: 'unavailable'; readonly message: string } | { readonly kind: 'closed'; readonly why: string };

let counter = 0;
const newRunId = () => `r${Date.now().toString(36)}${(counter++).toString(36)}`;

export class McpToolRunner extends LitElement {
  static override properties = {
    server: { state: true },
    status: { state: true },
    tool: { state: true },
    history: { state: true },
    run: { state: true },
    confirming: { state: true },
    app: { state: true },
  };
  declare server: string;
  declare status: ServerStatus | undefined;
  declare tool: ToolDetail | undefined;
  declare history: readonly RunRecord[];
  declare run: Run | undefined;
  /** Arguments waiting for the person to confirm a destructive run. */
  declare confirming: Record<string, unknown> | undefined;
  declare app: RunApp | undefined;

  constructor() {
    super();
    this.server = '';
    this.status = undefined;
    this.tool = undefined;
    this.history = [];
    this.run = undefined;
    this.confirming = undefined;
    this.app = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    onUpdate((message) => this.receive(message));
  }

  private receive(message: ExtensionToWorkbench): void {
    switch (message.type) {
      case 'tool': {
        const schemaChanged = JSON.stringify(message.tool?.inputSchema) !== JSON.stringify(this.tool?.inputSchema);
        this.server = message.server;
        this.status = message.status;
        this.history = message.history;
        if (schemaChanged || !this.tool) this.tool = message.tool;
        if (message.tool) keep({ server: message.server, tool: message.tool.name });
        return;
      }
      case 'progress':
        if (this.run?.kind === 'running' && this.run.id === message.runId) {
          this.run = {
            ...this.run,
            progress: { progress: message.progress, ...(message.total !== undefined ? { total: message.total } : {}), ...(message.message ? { message: message.message } : {}) },
          };
        }
        return;
      case 'result':
        if (this.run?.kind === 'running' && this.run.id === message.runId)
          this.run = { kind: 'done', id: this.run.id, args: this.run.args, result: message.result, ms: message.ms };
        return;
      case 'failed':
        if (this.run?.kind === 'running' && this.run.id === message.runId) this.run = { kind: 'failed', id: this.run.id, args: this.run.args, message: message.message };
        return;
      case 'app':
        if (this.run?.id === message.runId) this.app = { kind: 'shown', app: message.app };
        return;
      case 'appUnavailable':
        if (this.run?.id === message.runId) this.app = { kind: 'unavailable', message: message.message };
        return;
      default:
        return;
    }
  }

  private onSubmit(event: CustomEvent<SchemaFormSubmitDetail>): void {
    event.stopPropagation();
    const args = (event.detail.value ?? {}) as Record<string, unknown>;
    if (typeof args !== 'object' || Array.isArray(args)) return;
    if (this.tool?.annotations?.destructive === true && this.tool.annotations.readOnly !== true) {
      this.confirming = args;
      return;
    }
    void this.start(args);
  }

  private async start(args: Record<string, unknown>): Promise<void> {
    this.confirming = undefined;
    // The previous run's app is asked to tear down before its frame goes.
    await this.renderRoot.querySelector<McpAppFrame>('mcp-app-frame')?.close('');
    const id = newRunId();
    this.app = undefined;
    this.run = { kind: 'running', id, args, started: Date.now() };
    post({ type: 'run', runId: id, args });
  }

  private cancel(): void {
    if (this.run?.kind === 'running') post({ type: 'cancel', runId: this.run.id });
  }

  private reuse(record: RunRecord): void {
    const form = this.renderRoot.querySelector<McpSchemaForm>('mcp-schema-form');
    if (form) form.value = record.args;
  }

  override render() {
    const tool = this.tool;
    if (!tool) {
      return html`<p class="notice">${this.status === undefined ? 'Loading…' : `The tool is not offered by ${this.server} right now (${this.status}).`}</p>`;
    }
    const running = this.run?.kind === 'running';
    return html`
      <header>
        <h1>${tool.title ?? tool.name}</h1>
        <div class="meta">
          <span class="server">${this.server}</span>
          ${tool.title ? html`<code>${tool.name}</code>` : nothing} ${badges(tool)}
        </div>
        ${tool.description ? html`<p class="description">${tool.description}</p>` : nothing}
        ${this.status && this.status !== 'running' ? html`<p class="notice" role="status">${this.server} is ${this.status}: a run waits for it to start, or says why it cannot.</p>` : nothing}
      </header>
      <mcp-schema-form .schema=${tool.inputSchema} submit-label="Run" ?disabled=${running} @submit=${(e: CustomEvent<SchemaFormSubmitDetail>) => this.onSubmit(e)}>
        ${running ? html`<vscode-button slot="actions" secondary data-cancel @click=${() => this.cancel()}>Cancel</vscode-button>` : nothing}
      </mcp-schema-form>
      ${this.confirming ? this.renderConfirm(this.confirming) : nothing} ${this.renderRun()} ${this.renderHistory()}
    `;
  }

  private renderConfirm(args: Record<string, unknown>) {
    return html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
      <p id="confirm-text">${this.server} marks this tool as destructive: it may delete or overwrite things. Run it?</p>
      <vscode-button data-confirm @click=${() => void this.start(args)}>Run Anyway</vscode-button>
      <vscode-button secondary @click=${() => (this.confirming = undefined)}>Back</vscode-button>
    </div>`;
  }

  private renderRun() {
    const run = this.run;
    if (!run) return nothing;
    const app = this.app;
    const shown = app?.kind === 'shown';
    return html`<section class="run" ?data-result=${run.kind === 'done'} aria-busy=${run.kind === 'running' ? 'true' : 'false'}>
      ${this.renderOutcome(run)} ${app?.kind === 'unavailable' ? html`<p class="note" data-app-unavailable>The tool’s app could not be shown: ${app.message}</p>` : nothing}
      ${app?.kind === 'closed' ? html`<p class="note" role="status" data-app-closed>${app.why || 'The app was closed.'}</p>` : nothing}
      ${
        shown
          ? html`<mcp-app-frame
              .app=${app.app}
              .runId=${run.id}
              .args=${run.args}
              .outcome=${outcomeOf(run)}
              @app-closed=${(e: CustomEvent<{ why: string }>) => (this.app = { kind: 'closed', why: e.detail.why })}
            ></mcp-app-frame>`
          : nothing
      }
      ${
        run.kind === 'done'
          ? shown
            ? html`<details class="text-result">
                <summary>Text result</summary>
                ${this.renderResult(run.result)}
              </details>`
            : this.renderResult(run.result)
          : nothing
      }
    </section>`;
  }

  private renderOutcome(run: Run) {
    if (run.kind === 'running') {
      const p = run.progress;
      const words = p ? `${p.total ? `${p.progress} of ${p.total}` : String(p.progress)}${p.message ? ` · ${p.message}` : ''}` : 'Running…';
      return html`<vscode-progress-bar indeterminate></vscode-progress-bar>
        <p role="status">${words}</p>`;
    }
    if (run.kind === 'failed') return html`<p class="error" role="alert">${run.message}</p>`;
    return html`<p class="took">${run.result.isError === true ? 'The tool reported an error' : 'Result'} · ${run.ms} ms</p>`;
  }

  private renderResult(result: Record<string, unknown>) {
    return html`<mcp-tool-result
      .result=${result}
      .outputSchema=${this.tool?.outputSchema}
      @copy=${(e: Event) => e instanceof CustomEvent && post({ type: 'copy', text: (e.detail as { json: string }).json })}
      @open-resource=${(e: CustomEvent<{ uri: string }>) => post({ type: 'openResource', uri: e.detail.uri })}
      @open-link=${(e: CustomEvent<{ url: string }>) => post({ type: 'openLink', url: e.detail.url })}
    ></mcp-tool-result>`;
  }

  private renderHistory() {
    if (this.history.length === 0) return nothing;
    return html`<details class="history">
      <summary>Last runs (${this.history.length})</summary>
      <ul>
        ${this.history.map(
          (r) =>
            html`<li>
              <span class=${r.ok ? 'ok' : 'error'}>${r.ok ? '✓' : '✗'}</span>
              <time datetime=${new Date(r.at).toISOString()}>${new Date(r.at).toLocaleString()}</time>
              <span class="took">${r.ms} ms</span>
              <code class="args">${JSON.stringify(r.args).slice(0, 200)}</code>
              <vscode-button secondary @click=${() => this.reuse(r)}>Use These Arguments</vscode-button>
            </li>`,
        )}
      </ul>
    </details>`;
  }

  static override styles = [
    themedHost,
    css`
      :host {
        padding: 12px 20px;
        max-width: 960px;
      }
      h1 {
        font-size: 1.4em;
        margin: 0 0 4px;
        font-weight: 600;
      }
      .meta {
        display: flex;
        gap: 8px;
        align-items: center;
        flex-wrap: wrap;
        color: var(--vscode-descriptionForeground);
      }
      .description {
        white-space: pre-wrap;
        color: var(--vscode-descriptionForeground);
      }
      .notice {
        color: var(--vscode-editorWarning-foreground);
      }
      .confirm {
        margin: 12px 0;
        padding: 8px 12px;
        border: 1px solid var(--vscode-inputValidation-warningBorder);
        background: var(--vscode-inputValidation-warningBackground);
      }
      .run {
        margin-top: 16px;
        border-top: 1px solid var(--vscode-panel-border);
        padding-top: 8px;
      }
      .error {
        color: var(--vscode-errorForeground);
        white-space: pre-wrap;
      }
      .took {
        color: var(--vscode-descriptionForeground);
      }
      .history {
        margin-top: 16px;
      }
      .history ul {
        list-style: none;
        padding: 0;
      }
      .history li {
        display: flex;
        gap: 8px;
        align-items: center;
        padding: 2px 0;
      }
      .args {
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        flex: 1;
      }
      .ok {
        color: var(--vscode-testing-iconPassed);
      }
      .note {
        color: var(--vscode-descriptionForeground);
      }
      .text-result {
        margin-top: 8px;
      }
    `,
  ];
}

/** How a run ended, as its app is told: its result, or that it did not finish (why). */
function outcomeOf(run: Run): { result: Record<string, unknown> } | { cancelled: string } | undefined {
  if (run.kind === 'done') return { result: run.result };
  return run.kind === 'failed' ? { cancelled: run.message } : undefined;
}

function badges(tool: ToolDetail) {
  const a = tool.annotations;
  if (!a) return nothing;
  const words = [a.readOnly && 'read-only', a.destructive && 'destructive', a.idempotent && 'idempotent', a.openWorld && 'open world'].filter(
    (w): w is string => typeof w === 'string',
  );
  return words.map((w) => html`<vscode-badge variant="counter" data-annotation=${w}>${w}</vscode-badge>`);
}

if (!customElements.get('mcp-tool-runner')) customElements.define('mcp-tool-runner', McpToolRunner);
