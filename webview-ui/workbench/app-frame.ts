/**
 * <mcp-app-frame>: one run's MCP App in the tool runner tab. The app runs two frames down: this
 * element frames the sandbox proxy page (`sandbox="allow-scripts"`: an opaque origin, so neither the
 * proxy nor the app inside it can touch this page, its storage or `acquireVsCodeApi`), with only
 * the permissions the app declared, and talks to it through app-bridge.ts (a chunk of its own,
 * fetched with the first app the tab shows). Around the frame, in this page where the app cannot
 * reach: what the app asked for and did not get, the question before a destructive tool call, and
 * the messages and model context the app sent, as text.
 */
import { css, html, LitElement, nothing } from 'lit';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { themedHost } from '../components/theme';
import type { AppView, ExtensionToWorkbench } from '../../src/protocol';
import type { AppConnection } from './app-bridge';
import { APP_MAX_HEIGHT, hostContext } from './host-context';
import { onUpdate, post } from './host';

const PERMISSION_FEATURES: Record<string, string> = { camera: 'camera', microphone: 'microphone', geolocation: 'geolocation', clipboardWrite: 'clipboard-write' };
const SAID_KEPT = 5;
let calls = 0;
const newCallId = () => `c${Date.now().toString(36)}${(calls++).toString(36)}`;

interface Said {
  readonly kind: 'message' | 'context';
  readonly text: string;
}

export class McpAppFrame extends LitElement {
  static override properties = {
    outcome: { attribute: false },
    stopped: { state: true },
    said: { state: true },
    confirming: { state: true },
  };
  declare app: AppView;
  declare runId: string;
  declare args: Record<string, unknown>;
  /** How the run ended, once it has: the app hears it after the run's input, whenever either came. */
  declare outcome: { readonly result: Record<string, unknown> } | { readonly cancelled: string } | undefined;
  /** Why the app was stopped (our words), or '' when it closed of its own accord. */
  declare stopped: string | undefined;
  declare said: readonly Said[];
  declare confirming: { readonly callId: string; readonly tool: string } | undefined;

  private connection: AppConnection | undefined;
  private frame: HTMLIFrameElement | undefined;
  private readonly pending = new Map<string, { resolve(result: Record<string, unknown>): void; reject(error: Error): void }>();
  private readonly cleanups: Array<() => void> = [];

  constructor() {
    super();
    this.stopped = undefined;
    this.said = [];
    this.confirming = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.cleanups.push(onUpdate((message) => this.receive(message)));
    const teardown = () => void this.connection?.bridge.teardownResource({}).catch(() => undefined);
    window.addEventListener('pagehide', teardown);
    this.cleanups.push(() => window.removeEventListener('pagehide', teardown));
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    void this.close('');
  }

  protected override firstUpdated(): void {
    void this.mount();
  }

  /** Loads the bridge, then frames the sandbox page: the bridge listens before the page can say it is ready. */
  private async mount(): Promise<void> {
    const host = this.renderRoot.querySelector<HTMLElement>('.frame');
    if (!host || this.stopped !== undefined) return;
    let bridge: typeof import('./app-bridge');
    try {
      bridge = await import('./app-bridge');
    } catch {
      return this.close('The app could not be connected.');
    }
    // Closed, or taken off the page, while the bridge was fetched.
    if (this.stopped !== undefined || !this.isConnected) return;
    const { AppConnection, frameTransport, GuardedTransport } = bridge;
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts allow-forms');
    frame.setAttribute('allow', this.app.permissions.map((p) => PERMISSION_FEATURES[p]).join('; '));
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('title', `App of ${String(this.app.tool.title ?? this.app.tool.name)}`);
    frame.src = this.app.sandboxUrl;
    host.append(frame);
    this.frame = frame;
    const connection = new AppConnection(this.app, new GuardedTransport(frameTransport(frame), () => void this.close('The app sent too many messages and was stopped.')), {
      callTool: (name, args) => this.callTool(name, args),
      openLink: (url) => post({ type: 'openLink', url }),
      said: (kind, text) => (this.said = [...this.said, { kind, text }].slice(-SAID_KEPT)),
      resize: (height) => (frame.style.height = `${Math.max(40, Math.min(APP_MAX_HEIGHT, Math.ceil(height)))}px`),
      stop: (why) => void this.close(why ?? ''),
      hostContext: () => hostContext({ locale: this.app.locale, width: host.clientWidth, tool: this.app.tool }),
    });
    this.connection = connection;
    connection.toolInput(this.args);
    this.tellOutcome();
    connection.start().catch(() => void this.close('The app could not be connected.'));
    const observer = new MutationObserver(() => connection.contextChanged());
    observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    const resized = new ResizeObserver(() => connection.contextChanged());
    resized.observe(host);
    this.cleanups.push(
      () => observer.disconnect(),
      () => resized.disconnect(),
    );
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('outcome')) this.tellOutcome();
  }

  private told = false;

  private tellOutcome(): void {
    const outcome = this.outcome;
    if (!outcome || !this.connection || this.told) return;
    this.told = true;
    if ('result' in outcome) this.connection.toolResult(outcome.result);
    else this.connection.toolCancelled(outcome.cancelled);
  }

  private callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const callId = newCallId();
    return new Promise((resolve, reject) => {
      this.pending.set(callId, { resolve, reject });
      post({ type: 'appCallTool', runId: this.runId, callId, name, arguments: args });
    });
  }

  private receive(message: ExtensionToWorkbench): void {
    switch (message.type) {
      case 'appCallResult':
      case 'appCallFailed': {
        const call = this.pending.get(message.callId);
        if (!call) return;
        this.pending.delete(message.callId);
        if (message.type === 'appCallResult') call.resolve(message.result);
        else call.reject(new Error(message.message));
        return;
      }
      case 'appConfirm':
        if (this.pending.has(message.callId)) this.confirming = { callId: message.callId, tool: message.tool };
        return;
      default:
        return;
    }
  }

  private answer(run: boolean): void {
    const confirming = this.confirming;
    if (!confirming) return;
    this.confirming = undefined;
    post({ type: 'appConfirmed', callId: confirming.callId, run });
  }

  /** Tears the app down (asking it first when it closes in order) and tells the extension. */
  async close(why: string): Promise<void> {
    if (this.stopped !== undefined) return;
    this.stopped = why;
    const connection = this.connection;
    this.connection = undefined;
    if (this.confirming) this.answer(false);
    for (const call of this.pending.values()) call.reject(new Error('The app was closed.'));
    this.pending.clear();
    await connection?.close(why === '');
    this.frame?.remove();
    this.frame = undefined;
    post({ type: 'appClosed', runId: this.runId });
    this.dispatchEvent(new CustomEvent('app-closed', { bubbles: true, composed: true, detail: { why } }));
  }

  override render() {
    const dropped = this.app.dropped;
    return html`
      ${dropped.length > 0 ? html`<p class="note" data-dropped>The app asked for more than it is given: ${dropped.join('; ')}. It runs without it.</p>` : nothing}
      ${
        this.confirming
          ? html`<div class="confirm" role="alertdialog" aria-labelledby="app-confirm-text">
              <p id="app-confirm-text">The app asks to run “${this.confirming.tool}”, which its server marks as destructive: it may delete or overwrite things. Run it?</p>
              <vscode-button data-app-confirm @click=${() => this.answer(true)}>Run</vscode-button>
              <vscode-button secondary data-app-decline @click=${() => this.answer(false)}>Don’t Run</vscode-button>
            </div>`
          : nothing
      }
      ${
        this.stopped === undefined
          ? html`<div class=${this.app.prefersBorder === false ? 'frame' : 'frame bordered'}></div>
              <div class="actions"><vscode-button secondary data-close-app @click=${() => void this.close('')}>Close App</vscode-button></div>`
          : html`<p class="note" role="status" data-stopped>${this.stopped || 'The app was closed.'}</p>`
      }
      ${
        this.said.length > 0
          ? html`<section class="said" aria-label="From the app">
              ${this.said.map(
                (s) => html`<p data-said=${s.kind}><span class="label">${s.kind === 'message' ? 'Message from the app' : 'Context the app gave the model'}:</span> ${s.text}</p>`,
              )}
            </section>`
          : nothing
      }
    `;
  }

  static override styles = [
    themedHost,
    css`
      :host {
        display: block;
        margin-top: 8px;
      }
      .frame iframe {
        display: block;
        width: 100%;
        height: 320px;
        border: 0;
        background: transparent;
      }
      .frame.bordered {
        border: 1px solid var(--vscode-panel-border);
      }
      .actions {
        margin-top: 4px;
      }
      .note {
        color: var(--vscode-descriptionForeground);
        white-space: pre-wrap;
      }
      .confirm {
        margin: 8px 0;
        padding: 8px 12px;
        border: 1px solid var(--vscode-inputValidation-warningBorder);
        background: var(--vscode-inputValidation-warningBackground);
      }
      .said p {
        white-space: pre-wrap;
        margin: 4px 0;
      }
      .label {
        color: var(--vscode-descriptionForeground);
      }
    `,
  ];
}

if (!customElements.get('mcp-app-frame')) customElements.define('mcp-app-frame', McpAppFrame);
