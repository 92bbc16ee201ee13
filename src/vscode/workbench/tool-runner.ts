/**
 * "Run…" on a tool: an editor tab (one per server and tool, restored after a reload) with a form
 * built from the tool's inputSchema. The tab posts validated intents; the run goes through the hub
 * (the server's filters, sign-in and timeout apply), can be cancelled upstream, and its progress and
 * result come back scrubbed and capped. The last runs per tool are kept, without secret-looking
 * values, to run again or edit.
 */
import * as vscode from 'vscode';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import type { McpHub } from '../../core/hub';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { parseWorkbenchMessage, type ExtensionToWorkbench, type RunRecord, type ToolDetail, type WorkbenchToExtension } from '../../protocol';
import { toolView } from '../../view-model';
import { webviewHtml } from '../webview-html';
import { nameLabel, redactArgs, scrubResult } from './untrusted';

export const TOOL_RUNNER_VIEW = 'mcpHub.toolRunner';
const HISTORY_KEY = 'mcpHub.toolRuns';
const RUNS_PER_TOOL = 10;
const TOOLS_REMEMBERED = 200;

interface PanelState {
  readonly server: string;
  readonly tool: string;
}

export class ToolRunners implements vscode.Disposable {
  private readonly open = new Map<string, ToolRunner>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: McpHub,
    private readonly memento: vscode.Memento,
    private readonly logger: Logger,
    private readonly openResource: (server: string, uri: string) => Promise<void>,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(TOOL_RUNNER_VIEW, {
        deserializeWebviewPanel: (panel, state: unknown) => {
          const s = state as Partial<PanelState> | undefined;
          if (typeof s?.server !== 'string' || typeof s.tool !== 'string') panel.dispose();
          else this.attach(panel, s.server, s.tool);
          return Promise.resolve();
        },
      }),
    );
  }

  /** Shows the runner of `tool` on `server`, opening it when it is not open yet. */
  show(server: string, tool: string): void {
    const existing = this.open.get(key(server, tool));
    if (existing) return existing.panel.reveal();
    const panel = vscode.window.createWebviewPanel(TOOL_RUNNER_VIEW, title(server, tool), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
    });
    this.attach(panel, server, tool);
  }

  private attach(panel: vscode.WebviewPanel, server: string, tool: string): void {
    const runner = new ToolRunner(panel, server, tool, this.hub, this.history(server, tool), this.logger, {
      remember: (record) => this.remember(server, tool, record),
      openResource: (uri) => this.openResource(server, uri),
    });
    panel.title = title(server, tool);
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    // The HTML (with its CSP) before the options: a restored panel would otherwise render an empty page without one.
    panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title: title(server, tool), view: 'tool', media: true });
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] };
    this.open.set(key(server, tool), runner);
    panel.onDidDispose(() => {
      runner.dispose();
      this.open.delete(key(server, tool));
    });
  }

  private history(server: string, tool: string): RunRecord[] {
    return this.memento.get<Record<string, RunRecord[]>>(HISTORY_KEY, {})[key(server, tool)] ?? [];
  }

  private remember(server: string, tool: string, record: RunRecord): RunRecord[] {
    const all = { ...this.memento.get<Record<string, RunRecord[]>>(HISTORY_KEY, {}) };
    const runs = [record, ...(all[key(server, tool)] ?? [])].slice(0, RUNS_PER_TOOL);
    delete all[key(server, tool)];
    const kept = Object.entries(all).slice(-(TOOLS_REMEMBERED - 1));
    void this.memento.update(HISTORY_KEY, Object.fromEntries([...kept, [key(server, tool), runs]]));
    return runs;
  }

  dispose(): void {
    for (const runner of this.open.values()) runner.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

class ToolRunner {
  private readonly runs = new Map<string, AbortController>();
  private readonly subscription: { dispose(): void };
  private ready = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly server: string,
    private readonly tool: string,
    private readonly hub: McpHub,
    private history: RunRecord[],
    private readonly logger: Logger,
    private readonly host: { remember(record: RunRecord): RunRecord[]; openResource(uri: string): Promise<void> },
  ) {
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const message = parseWorkbenchMessage(raw);
      if (!message) return this.logger.warn('ignored a malformed message from a tool runner');
      void this.handle(message);
    });
    // The form follows the server: its tool list changes, it stops, it needs sign-in.
    this.subscription = hub.onDidChange(({ name }) => {
      if (name === server && this.ready) this.postTool();
    });
  }

  private async handle(message: WorkbenchToExtension): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.postTool();
        return;
      case 'run':
        return this.run(message.runId, message.args);
      case 'cancel':
        this.runs.get(message.runId)?.abort();
        return;
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        return;
      case 'openLink':
        return openLink(message.url);
      case 'openResource':
        return this.host.openResource(message.uri);
      case 'answer':
        return;
    }
  }

  private postTool(): void {
    const server = this.hub.server(this.server);
    const tool = this.hub.listTools(this.server).find((t) => t.name === this.tool);
    void this.post({
      type: 'tool',
      server: nameLabel(this.server),
      status: server?.state.kind ?? 'stopped',
      ...(tool ? { tool: toolDetail(tool) } : {}),
      history: this.history,
    });
  }

  private async run(runId: string, args: Record<string, unknown>): Promise<void> {
    if (this.runs.has(runId)) return;
    const abort = new AbortController();
    this.runs.set(runId, abort);
    const started = Date.now();
    let ok = false;
    try {
      const result: CallToolResult = await this.hub.callTool(this.server, this.tool, args, {
        signal: abort.signal,
        onprogress: (p) =>
          void this.post({
            type: 'progress',
            runId,
            progress: p.progress,
            ...(p.total !== undefined ? { total: p.total } : {}),
            ...(p.message !== undefined ? { message: scrubber.message(p.message) } : {}),
          }),
      });
      ok = result.isError !== true;
      await this.post({ type: 'result', runId, result: scrubResult(result), ms: Date.now() - started });
    } catch (error) {
      const message = abort.signal.aborted ? 'Cancelled.' : scrubber.message(error);
      await this.post({ type: 'failed', runId, message });
    } finally {
      this.runs.delete(runId);
      const tool = this.hub.listTools(this.server).find((t) => t.name === this.tool);
      this.history = this.host.remember({ at: started, args: redactArgs(args, tool?.inputSchema), ok, ms: Date.now() - started });
    }
  }

  private post(message: ExtensionToWorkbench): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const abort of this.runs.values()) abort.abort();
    this.subscription.dispose();
  }
}

function toolDetail(tool: Tool): ToolDetail {
  const { annotations, ...view } = toolView(tool);
  return {
    ...view,
    name: tool.name,
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
    ...(annotations ? { annotations } : {}),
  };
}

/** A link in a result: http(s) only, through VS Code, which asks before opening a site it does not trust. */
async function openLink(url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return;
  await vscode.env.openExternal(vscode.Uri.parse(parsed.href));
}

const key = (server: string, tool: string) => `${server}\u0000${tool}`;
const title = (server: string, tool: string) => `${nameLabel(tool)} · ${nameLabel(server)}`;
