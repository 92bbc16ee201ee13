/**
 * "OAuth trace" and "Copy diagnostics" for a server that signs in with OAuth: a tab with who is
 * signed in and the steps of the last sign-in and refreshes (following a sign-in live), and a
 * scrubbed report on the clipboard for a bug report.
 */
import * as vscode from 'vscode';
import type { McpHub } from '../../core/hub';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { parseWorkbenchMessage, type ExtensionToWorkbench } from '../../protocol';
import { toServerView } from '../../view-model';
import { webviewHtml } from '../webview-html';
import { nameLabel } from './untrusted';

export const TRACE_VIEW = 'mcpHub.oauthTrace';

export class TraceTabs implements vscode.Disposable {
  private readonly open = new Map<string, vscode.WebviewPanel>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: McpHub,
    private readonly logger: Logger,
    private readonly version: string,
  ) {}

  show(server: string): void {
    const existing = this.open.get(server);
    if (existing) return existing.reveal();
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const title = `OAuth Trace · ${nameLabel(server)}`;
    const panel = vscode.window.createWebviewPanel(TRACE_VIEW, title, vscode.ViewColumn.Active, { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] });
    panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title, view: 'trace' });
    let ready = false;
    const post = () => {
      if (!ready) return;
      const view = this.hub.server(server) ? toServerView(this.hub.server(server)!) : undefined;
      const message: ExtensionToWorkbench = {
        type: 'trace',
        server: nameLabel(server),
        steps: this.hub.oauthTrace(server),
        ...(view?.session ? { session: view.session } : {}),
      };
      void panel.webview.postMessage(message);
    };
    const subscriptions = [
      this.hub.onDidChangeOAuthTrace(({ name }) => name === server && post()),
      this.hub.onDidChange(({ name }) => name === server && post()),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWorkbenchMessage(raw);
        if (!message) return this.logger.warn('ignored a malformed message from an OAuth trace');
        if (message.type === 'ready') {
          ready = true;
          post();
        } else if (message.type === 'copyDiagnostics') {
          void this.copyDiagnostics(server);
        }
      }),
    ];
    this.open.set(server, panel);
    panel.onDidDispose(() => {
      this.open.delete(server);
      for (const s of subscriptions) s.dispose();
    });
  }

  async copyDiagnostics(server: string): Promise<void> {
    // The report is loaded when first asked for (a chunk of the bundle of its own).
    const { diagnosticsReport } = await import('../../core/diagnostics.js');
    const report = diagnosticsReport(this.hub, server, { extensionVersion: this.version, vscodeVersion: vscode.version, platform: `${process.platform}-${process.arch}` });
    await vscode.env.clipboard.writeText(report);
    void vscode.window.showInformationMessage(`MCP Hub: diagnostics for "${scrubber.message(server)}" are on the clipboard (scrubbed of tokens and secrets).`);
  }

  dispose(): void {
    for (const panel of this.open.values()) panel.dispose();
  }
}
