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
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { AppCallBudget, appCallRefusal } from '../../core/apps/app-calls';
import type { SandboxSession } from '../../core/apps/sandbox-server';
import type { McpHub } from '../../core/hub';
import { appResourceUri, isDestructive } from '../../core/mcp-apps';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import { parseWorkbenchMessage, type ExtensionToWorkbench, type RunRecord, type ToolDetail, type WorkbenchToExtension } from '../../protocol';
import { toolView } from '../../view-model';
import { webviewHtml } from '../webview-html';
import type { AppFrames, LoadedApp } from './apps';
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
  private readonly apps: AppFramesOnDemand;

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
          else this.attach(panel, s.server, s.tool);
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
    const frames = described && appResourceUri(described) ? await this.apps.frameSource().catch(() => undefined) : undefined;
    if (this.open.has(key(server, tool))) return this.open.get(key(server, tool))!.panel.reveal();
    const panel = vscode.window.createWebviewPanel(TOOL_RUNNER_VIEW, title(server, tool), vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
    });
    this.attach(panel, server, tool, frames);
  }

  private attach(panel: vscode.WebviewPanel, server: string, tool: string, frames?: string): void {
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    // The HTML (with its CSP) before the options: a restored panel would otherwise render an empty page without one.
    const html = (frames?: string) =>
      (panel.webview.html = webviewHtml(panel.webview, dist, { script: 'workbench.js', title: title(server, tool), view: 'tool', media: true, ...(frames ? { frames } : {}) }));
    const runner = new ToolRunner(
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

interface RunnerHost {
  remember(record: RunRecord): RunRecord[];
  openResource(uri: string): Promise<void>;
  readonly apps: Pick<AppFrames, 'frameSource' | 'load'>;
  /** Sets the tab's HTML again, allowed to frame the MCP Apps sandbox pages at `frames`. */
  allowFrames(frames: string): void;
}

/** A run's app: its sandbox page, its budget of tool calls, the calls it has running. */
interface LiveApp {
  readonly runId: string;
  readonly session: SandboxSession;
  readonly budget: AppCallBudget;
  readonly calls: Map<string, AbortController>;
}

class ToolRunner {
  private readonly runs = new Map<string, AbortController>();
  private readonly subscription: { dispose(): void };
  private ready = false;
  /** The frame-src the tab's HTML allows (undefined until the tool turns out to have an app). */
  private frames: string | undefined;
  private app: LiveApp | undefined;
  private loadingApp: string | undefined;
  /** The one app call waiting for the person's yes (a destructive tool). */
  private confirming: { readonly callId: string; resolve(run: boolean): void } | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly server: string,
    private readonly tool: string,
    private readonly hub: McpHub,
    private history: RunRecord[],
    private readonly logger: Logger,
    private readonly host: RunnerHost,
    frames?: string,
  ) {
    this.frames = frames;
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
      case 'appCallTool':
        return this.appCall(message.runId, message.callId, message.name, message.arguments);
      case 'appConfirmed':
        if (this.confirming?.callId === message.callId) this.confirming.resolve(message.run);
        return;
      case 'appClosed':
        if (this.app?.runId === message.runId) this.closeApp();
        return;
      case 'answer':
      case 'copyDiagnostics':
        return;
    }
  }

  private postTool(): void {
    const server = this.hub.server(this.server);
    const tool = this.hub.listTools(this.server).find((t) => t.name === this.tool);
    if (tool && appResourceUri(tool) && this.frames === undefined) return void this.allowFrames();
    void this.post({
      type: 'tool',
      server: nameLabel(this.server),
      status: server?.state.kind ?? 'stopped',
      ...(tool ? { tool: toolDetail(tool) } : {}),
      history: this.history,
    });
  }

  /** The tool has an app: the tab's HTML is set again, allowed to frame its sandbox page (the tab reloads and says ready). */
  private async allowFrames(): Promise<void> {
    this.frames = '';
    try {
      this.frames = await this.host.apps.frameSource();
      this.ready = false;
      this.host.allowFrames(this.frames);
    } catch (error) {
      this.logger.warn(`MCP Apps: the sandbox server did not start: ${scrubber.message(error)}`);
      this.postTool();
    }
  }

  private async run(runId: string, args: Record<string, unknown>): Promise<void> {
    if (this.runs.has(runId)) return;
    const abort = new AbortController();
    this.runs.set(runId, abort);
    const started = Date.now();
    let ok = false;
    const withApp = this.hub.listTools(this.server).find((t) => t.name === this.tool);
    if (withApp && appResourceUri(withApp) && this.frames) void this.showApp(runId, withApp);
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

  /** Reads the run's app through the hub and hands it to the tab; the previous run's app goes. */
  private async showApp(runId: string, tool: Tool): Promise<void> {
    this.closeApp();
    this.loadingApp = runId;
    try {
      const { view, session } = await this.host.apps.load(this.server, tool);
      // A newer run began while this one's app was read: that run shows its own.
      if (this.loadingApp !== runId) return session.dispose();
      this.app = { runId, session, budget: new AppCallBudget(), calls: new Map() };
      await this.post({ type: 'app', runId, app: view });
    } catch (error) {
      await this.post({ type: 'appUnavailable', runId, message: scrubber.message(error) });
    }
  }

  private closeApp(): void {
    const app = this.app;
    if (!app) return;
    this.app = undefined;
    app.session.dispose();
    for (const abort of app.calls.values()) abort.abort();
    this.confirming?.resolve(false);
  }

  /** A tools/call from the run's app: same server, a tool for apps, within its budget, destructive only with the person's yes. */
  private async appCall(runId: string, callId: string, name: string, args: Record<string, unknown>): Promise<void> {
    const app = this.app;
    const fail = (message: string) => void this.post({ type: 'appCallFailed', callId, message });
    if (app?.runId !== runId) return fail('The app is no longer shown.');
    if (app.calls.has(callId)) return;
    const tools = this.hub.listTools(this.server);
    const refusal = appCallRefusal(tools, this.server, name) ?? app.budget.take();
    if (refusal) {
      this.logger.warn(`MCP App of ${scrubber.message(this.tool)}: ${refusal.message}`);
      return fail(refusal.message);
    }
    const abort = new AbortController();
    app.calls.set(callId, abort);
    try {
      const tool = tools.find((t) => t.name === name)!;
      if (isDestructive(tool) && !(await this.confirm(callId, tool))) return fail(`You declined to run "${nameLabel(tool.title ?? name)}".`);
      if (abort.signal.aborted) return fail('The app is no longer shown.');
      const result = await this.hub.callTool(this.server, name, args, { signal: abort.signal });
      await this.post({ type: 'appCallResult', callId, result: scrubResult(result) });
    } catch (error) {
      fail(abort.signal.aborted ? 'Cancelled: the app is no longer shown.' : scrubber.message(error));
    } finally {
      app.calls.delete(callId);
      app.budget.done();
    }
  }

  private confirm(callId: string, tool: Tool): Promise<boolean> {
    if (this.confirming) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.confirming = {
        callId,
        resolve: (run) => {
          this.confirming = undefined;
          resolve(run);
        },
      };
      void this.post({ type: 'appConfirm', callId, tool: nameLabel(tool.title ?? tool.name) });
    });
  }

  private post(message: ExtensionToWorkbench): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  dispose(): void {
    for (const abort of this.runs.values()) abort.abort();
    this.closeApp();
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
    ...(appResourceUri(tool) ? { app: true } : {}),
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
