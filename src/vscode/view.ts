import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { parseWebviewMessage, type ExtensionToWebview, type EnterpriseView, type GatewayView, type OrganisationView, type ServerView, type WebviewToExtension } from '../protocol';
import { webviewHtml } from './webview-html';

export const VIEW_ID = 'mcpHub.servers';

/**
 * The sidebar panel. It renders snapshots the extension pushes after a ready handshake and turns the
 * panel's validated messages into commands; it holds no state of its own beyond the view.
 */
export class ServersViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private pending: NodeJS.Immediate | undefined;
  /** Servers changed since the last message, or everything (`full`) after ready or a gateway change. */
  private readonly changed = new Set<string>();
  private full = true;
  /** The names, in order, of the last list the panel got. */
  private shown: readonly string[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly snapshot: () => { servers: ServerView[]; gateway?: GatewayView; enterprise?: EnterpriseView; organisation?: OrganisationView },
    private readonly onMessage: (message: WebviewToExtension) => void,
    private readonly logger: Logger,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    // The HTML (with its CSP) first: options set before it render the empty page, which VS Code reports
    // as "created a webview without a content security policy".
    view.webview.html = this.html(view.webview, dist);
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] };
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) {
          this.logger.warn('ignored a malformed message from the panel');
          return;
        }
        if (message.type === 'ready') {
          this.ready = true;
          this.full = true;
          this.post();
          return;
        }
        this.onMessage(message);
      }),
      view.onDidDispose(() => {
        this.view = undefined;
        this.ready = false;
      }),
    );
  }

  /**
   * Schedules a message: for the server named, only its row; without a name, the whole list (and the
   * gateway, company IdP and organisation lines). Several changes in one tick go out as one message.
   */
  refresh(server?: string): void {
    if (server === undefined) this.full = true;
    else this.changed.add(server);
    if (!this.view || !this.ready || this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.post();
    });
  }

  private post(): void {
    if (!this.view || !this.ready) return;
    const { servers, gateway, enterprise, organisation } = this.snapshot();
    const names = servers.map((s) => s.name);
    const sameRows = names.length === this.shown.length && names.every((n, i) => n === this.shown[i]);
    let message: ExtensionToWebview;
    if (this.full || !sameRows) {
      message = { type: 'servers', servers, ...(gateway ? { gateway } : {}), ...(enterprise ? { enterprise } : {}), ...(organisation ? { organisation } : {}) };
    } else {
      message = { type: 'update', servers: servers.filter((s) => this.changed.has(s.name)), removed: [] };
    }
    this.full = false;
    this.changed.clear();
    this.shown = names;
    if (message.type === 'update' && message.servers.length === 0) return;
    void this.view.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    return webviewHtml(webview, dist, { script: 'webview.js', title: 'MCP Hub' });
  }

  dispose(): void {
    if (this.pending) clearImmediate(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
