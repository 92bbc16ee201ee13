/**
 * A server's question (elicitation/create) answered in the editor: an editor tab titled with the
 * server's name. Form mode shows a form built from the requested schema (with the warning the spec
 * asks for when a form seems to want a password or token); URL mode shows the full domain and opens
 * the URL in the browser only when the person says so. Closing the tab cancels.
 */
import * as vscode from 'vscode';
import type { ElicitAnswer, ElicitationHandler, ElicitParams, Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { parseWorkbenchMessage, type ElicitationView, type ExtensionToWorkbench } from '../../protocol';
import { webviewHtml } from '../webview-html';
import { nameLabel, sensitiveFields } from './untrusted';

export const ELICITATION_VIEW = 'mcpHub.elicitation';

export class EditorElicitation implements ElicitationHandler {
  readonly modes = { form: true, url: true };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly logger: Logger,
  ) {}

  elicit(server: string, params: ElicitParams): Promise<ElicitAnswer> {
    const view = toView(params);
    if (!view) {
      this.logger.warn(`[${server}] asked for input with a URL MCP Hub will not open; declined`);
      return Promise.resolve({ action: 'decline' });
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const title = `${nameLabel(server)} asks`;
    const panel = vscode.window.createWebviewPanel(
      ELICITATION_VIEW,
      title,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      {
        enableScripts: true,
        enableCommandUris: false,
        localResourceRoots: [dist],
      },
    );
    panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title, view: 'elicitation' });
    return new Promise<ElicitAnswer>((resolve) => {
      let answered = false;
      const finish = (answer: ElicitAnswer) => {
        if (answered) return;
        answered = true;
        resolve(answer);
        panel.dispose();
      };
      panel.webview.onDidReceiveMessage(async (raw: unknown) => {
        const message = parseWorkbenchMessage(raw);
        if (!message) return this.logger.warn('ignored a malformed message from a question tab');
        if (message.type === 'ready') {
          const update: ExtensionToWorkbench = { type: 'elicitation', server: nameLabel(server), request: view };
          void panel.webview.postMessage(update);
        } else if (message.type === 'answer') {
          if (message.action === 'accept' && view.mode === 'url') await vscode.env.openExternal(vscode.Uri.parse(view.url));
          finish(
            message.action === 'accept' && view.mode === 'form' ? { action: 'accept', content: (message.content ?? {}) as ElicitAnswer['content'] } : { action: message.action },
          );
        }
      });
      panel.onDidDispose(() => finish({ action: 'cancel' }));
    });
  }
}

/** What the tab shows; undefined for a URL mode request whose URL is not http(s). */
function toView(params: ElicitParams): ElicitationView | undefined {
  const message = scrubber.detail(params.message);
  if (params.mode === 'url') {
    let url: URL;
    try {
      url = new URL(params.url);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return { mode: 'url', message, url: url.href, domain: url.hostname };
  }
  const schema = params.requestedSchema as unknown as Record<string, unknown>;
  return { mode: 'form', message, requestedSchema: schema, sensitive: sensitiveFields(schema) };
}
