import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { parseWebviewMessage, type ExtensionToWebview, type GatewayView, type ServerView, type WebviewToExtension } from '../protocol';

export const VIEW_ID = 'mcpHub.servers';

/**
 * The sidebar panel. It renders snapshots the extension pushes after a ready handshake and turns the
 * panel's validated messages into commands; it holds no state of its own beyond the view.
 */
export class ServersViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private pending: NodeJS.Immediate | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly snapshot: () => { servers: ServerView[]; gateway?: GatewayView },
    private readonly onMessage: (message: WebviewToExtension) => void,
    private readonly logger: Logger,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] };
    view.webview.html = this.html(view.webview, dist);
    this.disposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) {
          this.logger.warn('ignored a malformed message from the panel');
          return;
        }
        if (message.type === 'ready') {
          this.ready = true;
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

  /** Schedules a snapshot; several changes in one tick go out as one message. */
  refresh(): void {
    if (!this.view || !this.ready || this.pending) return;
    this.pending = setImmediate(() => {
      this.pending = undefined;
      this.post();
    });
  }

  private post(): void {
    if (!this.view || !this.ready) return;
    const message: ExtensionToWebview = { type: 'servers', ...this.snapshot() };
    void this.view.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(dist, ...path)).toString();
    // The codicon link's id is how <vscode-icon> (inside the panel's buttons) finds the icon font.
    const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${uri('codicons', 'codicon.css')}">
<link rel="stylesheet" href="${uri('webview.css')}">
<title>MCP Hub</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${uri('webview.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.pending) clearImmediate(this.pending);
    for (const d of this.disposables) d.dispose();
  }
}
