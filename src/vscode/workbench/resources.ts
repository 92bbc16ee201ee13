/**
 * A server's resource in a read-only editor: a virtual document (`mcp-hub-resource:`) in the
 * language its MIME type names, scrubbed and capped like every text from a server. Images open in a
 * preview tab. When the server supports subscriptions, the document follows its updates.
 */
import * as vscode from 'vscode';
import type { ReadResourceResult } from '@modelcontextprotocol/client';
import type { McpHub } from '../../core/hub';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { parseWorkbenchMessage, type ExtensionToWorkbench } from '../../protocol';
import { webviewHtml } from '../webview-html';
import { nameLabel } from './untrusted';

export const RESOURCE_SCHEME = 'mcp-hub-resource';
const TEXT_MAX = 5_000_000;
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const LANGUAGES: Record<string, string> = {
  'text/markdown': 'markdown',
  'application/json': 'json',
  'application/ld+json': 'json',
  'text/html': 'html',
  'text/css': 'css',
  'text/csv': 'csv',
  'text/javascript': 'javascript',
  'application/javascript': 'javascript',
  'text/typescript': 'typescript',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'application/yaml': 'yaml',
  'text/yaml': 'yaml',
  'text/x-python': 'python',
  'text/x-shellscript': 'shellscript',
  'application/sql': 'sql',
  'text/x-rust': 'rust',
  'text/x-go': 'go',
  'text/x-java': 'java',
};

export function languageOf(mimeType: string | undefined): string {
  const mime = mimeType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return LANGUAGES[mime] ?? (mime.endsWith('+json') ? 'json' : mime.endsWith('+xml') ? 'xml' : 'plaintext');
}

export class ResourceDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changes.event;
  private readonly subscribed = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: McpHub,
    private readonly logger: Logger,
  ) {
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(RESOURCE_SCHEME, this), this.changes);
  }

  /** Reads `uri` from `server` and shows it: text in an editor, an image in a preview. */
  async open(server: string, uri: string): Promise<void> {
    try {
      const result = await this.read(server, uri);
      const first = result.contents[0];
      if (first && 'blob' in first && typeof first.blob === 'string' && first.mimeType && IMAGE_TYPES.has(first.mimeType)) {
        return this.preview(server, uri, first.mimeType, first.blob);
      }
      const doc = await vscode.workspace.openTextDocument(documentUri(server, uri));
      await vscode.languages.setTextDocumentLanguage(doc, languageOf(first?.mimeType));
      await vscode.window.showTextDocument(doc, { preview: true });
      await this.follow(server, uri);
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: could not read the resource from "${scrubber.message(server)}": ${scrubber.message(error)}`);
    }
  }

  async provideTextDocumentContent(docUri: vscode.Uri): Promise<string> {
    const target = parseDocumentUri(docUri);
    if (!target) return '';
    const result = await this.read(target.server, target.uri);
    return render(result);
  }

  private read(server: string, uri: string): Promise<ReadResourceResult> {
    return this.hub.use(server, (client) => client.readResource({ uri }));
  }

  /** Subscribes once per resource when the server offers it; its updates re-read the document. */
  private async follow(server: string, uri: string): Promise<void> {
    const s = this.hub.server(server);
    if (s?.state.kind !== 'running' || !s.state.serverInfo.offers?.subscribe || this.subscribed.has(`${server}\u0000${uri}`)) return;
    this.subscribed.add(`${server}\u0000${uri}`);
    await this.hub
      .use(server, async (client) => {
        client.setNotificationHandler('notifications/resources/updated', (n) => {
          this.changes.fire(documentUri(server, n.params.uri));
        });
        await client.subscribeResource({ uri });
      })
      .catch((error: unknown) => this.logger.debug(`[${server}] subscribing to a resource failed: ${scrubber.message(error)}`));
  }

  private preview(server: string, uri: string, mimeType: string, base64: string): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const title = `${basename(uri)} · ${nameLabel(server)}`;
    const panel = vscode.window.createWebviewPanel('mcpHub.resourcePreview', title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [dist] });
    panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title, view: 'image', media: true });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      if (parseWorkbenchMessage(raw)?.type !== 'ready') return;
      const message: ExtensionToWorkbench = { type: 'image', title, mimeType, data: base64.length <= TEXT_MAX ? base64 : '' };
      void panel.webview.postMessage(message);
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The document's text: each content's text, or what a binary content is, scrubbed and capped. */
function render(result: ReadResourceResult): string {
  const parts = result.contents.map((c) =>
    'text' in c && typeof c.text === 'string'
      ? c.text
      : `(${c.mimeType ?? 'binary'} content, ${Math.floor((('blob' in c && typeof c.blob === 'string' ? c.blob : '').length * 3) / 4)} bytes)`,
  );
  const text = parts.join('\n\n');
  return scrubber.content(text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX)}\n\n(cut at ${TEXT_MAX} characters)` : text);
}

export function documentUri(server: string, uri: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RESOURCE_SCHEME, path: `/${encodeURIComponent(server)}/${basename(uri)}`, query: new URLSearchParams({ uri }).toString() });
}

function parseDocumentUri(docUri: vscode.Uri): { server: string; uri: string } | undefined {
  const server = decodeURIComponent(docUri.path.split('/')[1] ?? '');
  const uri = new URLSearchParams(docUri.query).get('uri');
  return server && uri ? { server, uri } : undefined;
}

function basename(uri: string): string {
  const last =
    uri
      .replace(/[?#].*$/, '')
      .split('/')
      .filter(Boolean)
      .pop() ?? 'resource';
  return (
    scrubber
      .message(last)
      .replace(/[\\/:*?"<>|]/g, '_')
      .slice(0, 80) || 'resource'
  );
}
