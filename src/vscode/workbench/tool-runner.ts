/**
 * "Run…" on a tool: an editor tab (one per server and tool, restored after a reload) with a form
 * built from the tool's inputSchema. The tab posts validated intents; the run goes through the hub
 * (the server's filters, sign-in and timeout apply), can be cancelled upstream, and its progress and
 * result come back scrubbed and capped. The last runs per tool are kept, without secret-looking
 * values, to run again or edit. A tool with an MCP App shows it for each run (apps.ts): the app's
 * tool calls come back here and go through the hub like a run's, within the app's budget, to tools
 * of the same server that are for apps, and a destructive one only after the person says so.
 */
import * as vscode from 'vscode';
import type { Tool } from '@modelcontextprotocol/client';
import type { McpHub } from '../../core/hub';
import { appResourceUri } from '../../core/mcp-apps';
import type { Logger } from '../../core/ports';
import type { RunRecord } from '../../protocol';
import { webviewHtml } from '../webview-html';
import type { AppFrames, LoadedApp } from './apps';
import type { ToolRunner } from './tool-runner-tab';
import { nameLabel } from './untrusted';

export const TOOL_RUNNER_VIEW = 'mcpHub.toolRunner';
const HISTORY_KEY = 'mcpHub.toolRuns';
const RUNS_PER_TOOL = 10;
const TOOLS_REMEMBERED = 200;

/** A tab's own code (tool-runner-tab.ts), loaded with the first tab: a chunk of the bundle of its own. */
type Tab = typeof import('./tool-runner-tab.js');
const loadTab = (): Promise<Tab> => import('./tool-runner-tab.js');

interface PanelState {
  readonly server: string;
  readonly tool: string;
}

export class ToolRunners implements vscode.Disposable {
  private readonly open = new Map<string, ToolRunner>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly apps: AppFramesOnDemand;
  private disposed = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hub: McpHub,
    private readonly memento: vscode.Memento,
    private readonly logger: Logger,
    private readonly openResource: (server: string, uri: string) => Promise<void>,
  ) {
    this.apps = new AppFramesOnDemand(hub, logger);
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(TOOL_RUNNER_VIEW, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          const s = state as Partial<PanelState> | undefined;
          if (typeof s?.server !== 'string' || typeof s.tool !== 'string') panel.dispose();
          else this.attach(await loadTab(), panel, s.server, s.tool);
        },
      }),
      this.apps,
    );
  }

  /** Shows the runner of `tool` on `server`, opening it when it is not open yet. */
  async show(server: string, tool: string): Promise<void> {
    const existing = this.open.get(key(server, tool));
    if (existing) return existing.panel.reveal();
    // A tool with an app: the tab's first HTML may already frame the sandbox pages (no reload later).
    const described = this.hub.listTools(server).find((t) => t.name === tool);
    const [frames, tab] = await Promise.all([described && appResourceUri(described) ? this.apps.frameSource().catch(() => undefined) : undefined, loadTab()]);
    if (this.open.has(key(server, tool))) return this.open.get(key(server, tool))!.panel.reveal();
    const panel = vscode.window.createWebviewPanel(TOOL_RUNNER_VIEW, title(server, tool), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
    });
    this.attach(tab, panel, server, tool, frames);
  }

  private attach(tab: Tab, panel: vscode.WebviewPanel, server: string, tool: string, frames?: string): void {
    if (this.disposed) {
      panel.dispose();
      return;
    }
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    // The HTML (with its CSP) before the options: a restored panel would otherwise render an empty page without one.
    const html = (frames?: string) =>
      (panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title: title(server, tool), view: 'tool', media: true, ...(frames ? { frames } : {}) }));
    const runner = new tab.ToolRunner(
      panel,
      server,
      tool,
      this.hub,
      this.history(server, tool),
      this.logger,
      {
        remember: (record) => this.remember(server, tool, record),
        openResource: (uri) => this.openResource(server, uri),
        apps: this.apps,
        allowFrames: html,
      },
      frames,
    );
    panel.title = title(server, tool);
    html(frames);
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
    this.disposed = true;
    for (const runner of this.open.values()) runner.panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * MCP Apps on the extension's side (apps.ts: the sandbox server, an app read and checked), loaded
 * with the first tool that has an app rather than with the extension: a chunk of the bundle of its own.
 */
class AppFramesOnDemand implements vscode.Disposable {
  private frames: Promise<AppFrames> | undefined;
  private disposed = false;

  constructor(
    private readonly hub: McpHub,
    private readonly logger: Logger,
  ) {}

  private get(): Promise<AppFrames> {
    if (this.disposed) return Promise.reject(new Error('MCP Hub is shutting down.'));
    this.frames ??= import('./apps.js').then(({ AppFrames }) => new AppFrames(this.hub, this.logger));
    return this.frames;
  }

  async frameSource(): Promise<string> {
    return (await this.get()).frameSource();
  }

  async load(server: string, tool: Tool): Promise<LoadedApp> {
    return (await this.get()).load(server, tool);
  }

  dispose(): void {
    this.disposed = true;
    void this.frames?.then((frames) => frames.dispose()).catch(() => undefined);
  }
}

const key = (server: string, tool: string) => `${server}\u0000${tool}`;
const title = (server: string, tool: string) => `${nameLabel(tool)} · ${nameLabel(server)}`;
