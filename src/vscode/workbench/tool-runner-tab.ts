/**
 * One tool runner tab (tool-runner.ts opens and restores them): the form's intents, the runs through
 * the hub with their progress, results and cancellation, and a run's MCP App with the tool calls it
 * makes. Loaded with the first tab (a chunk of the extension's bundle of its own).
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
import type { AppFrames } from './apps';
import { nameLabel, redactArgs, scrubResult } from './untrusted';

export interface RunnerHost {
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

export class ToolRunner {
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
