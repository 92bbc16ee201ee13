/**
 * "Gateway Clients": a tab with who uses the gateway (its clients, from their handshakes), calls per
 * server in the last hour and the last errors, following the traffic live. It opens from the panel's
 * gateway line or the command "MCP Hub: Show Gateway Clients". The counts live in the core
 * (src/core/gateway/usage.ts); nothing of a call's arguments or results ever reaches them.
 */
import * as vscode from 'vscode';
import type { GatewayUsage } from '../../core/gateway/usage';
import type { Logger } from '../../core/ports';
import { parseWorkbenchMessage, type ExtensionToWorkbench, type GatewayView } from '../../protocol';
import { webviewHtml } from '../webview-html';

export const GATEWAY_USAGE_VIEW = 'mcpHub.gatewayUsage';
export const SHOW_GATEWAY_USAGE_COMMAND = 'mcpHub.showGatewayUsage';
/** Traffic is shown at most this often (a burst of calls is one update), and the hour rolls on at least once a minute. */
const UPDATE_MS = 500;
const ROLL_MS = 60_000;

export interface GatewayUsageSource {
  readonly usage: GatewayUsage;
  status(): GatewayView;
  readonly onDidChange: vscode.Event<void>;
}

export class GatewayUsageTab implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: GatewayUsageSource,
    private readonly logger: Logger,
  ) {}

  show(): void {
    if (this.panel) return this.panel.reveal();
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const title = 'Gateway Clients';
    const panel = vscode.window.createWebviewPanel(GATEWAY_USAGE_VIEW, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [dist],
    });
    panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title, view: 'gateway' });
    this.panel = panel;
    let ready = false;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const post = () => {
      if (!ready) return;
      const message: ExtensionToWorkbench = { type: 'gatewayUsage', usage: this.source.usage.snapshot(), gateway: this.source.status() };
      void panel.webview.postMessage(message);
    };
    const soon = () => {
      if (pending === undefined) pending = setTimeout(() => ((pending = undefined), post()), UPDATE_MS);
    };
    const roll = setInterval(post, ROLL_MS);
    const subscriptions = [
      this.source.usage.onDidChange(soon),
      this.source.onDidChange(soon),
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWorkbenchMessage(raw);
        if (!message) return this.logger.warn('ignored a malformed message from the gateway clients tab');
        if (message.type === 'ready') {
          ready = true;
          post();
        }
      }),
    ];
    panel.onDidDispose(() => {
      this.panel = undefined;
      clearInterval(roll);
      if (pending !== undefined) clearTimeout(pending);
      for (const s of subscriptions) s.dispose();
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
