/**
 * The panel's workbench intents, turned into editor tabs and settings edits: run a tool, switch it
 * on or off, read a resource, fill a prompt or a resource template, the OAuth trace and diagnostics.
 */
import * as vscode from 'vscode';
import type { McpHub } from '../../core/hub';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import type { WebviewToExtension } from '../../protocol';
import { setToolEnabled } from '../settings';
import { PromptsAndTemplates } from './prompts';
import { ResourceDocuments } from './resources';
import { ToolRunners } from './tool-runner';
import { TraceTabs } from './trace';

export const RUN_TOOL_COMMAND = 'mcpHub.runTool';

export type WorkbenchIntent = Extract<WebviewToExtension, { server: string }>;

export class Workbench implements vscode.Disposable {
  readonly runners: ToolRunners;
  readonly resources: ResourceDocuments;
  readonly traces: TraceTabs;
  readonly prompts: PromptsAndTemplates;

  constructor(
    context: vscode.ExtensionContext,
    private readonly hub: McpHub,
    private readonly logger: Logger,
  ) {
    this.resources = new ResourceDocuments(context.extensionUri, hub, logger);
    this.traces = new TraceTabs(context.extensionUri, hub, logger, (context.extension.packageJSON as { version?: string }).version ?? '0.0.0');
    this.prompts = new PromptsAndTemplates(hub, logger, (server, uri) => this.resources.open(server, uri));
    this.runners = new ToolRunners(context.extensionUri, hub, context.globalState, logger, (server, uri) => this.resources.open(server, uri));
    context.subscriptions.push(vscode.commands.registerCommand(RUN_TOOL_COMMAND, (server?: unknown, tool?: unknown) => this.pickAndRun(server, tool)));
  }

  /** "MCP Hub: Run Tool…": which server and tool, unless the caller says. */
  private async pickAndRun(server?: unknown, tool?: unknown): Promise<void> {
    if (typeof server === 'string' && typeof tool === 'string') return this.runners.show(server, tool);
    const picks = this.hub
      .servers()
      .filter((s) => s.state.kind === 'running')
      .flatMap((s) =>
        s.state.kind === 'running'
          ? s.state.tools.map((t) => ({ label: scrubber.message(t.title ?? t.name), description: scrubber.message(s.name), server: s.name, tool: t.name }))
          : [],
      );
    if (picks.length === 0) {
      void vscode.window.showInformationMessage('MCP Hub: no running server has tools to run.');
      return;
    }
    const picked = await vscode.window.showQuickPick(picks, { title: 'MCP Hub: Run Tool', placeHolder: 'Choose a tool', matchOnDescription: true });
    if (picked) await this.runners.show(picked.server, picked.tool);
  }

  async handle(intent: WorkbenchIntent): Promise<void> {
    const server = this.hub.server(intent.server);
    if (!server) return;
    switch (intent.type) {
      case 'runTool':
        return this.runners.show(intent.server, intent.tool);
      case 'setToolEnabled':
        try {
          await setToolEnabled(
            { key: server.settingsKey ?? intent.server, source: server.source, ...(server.config?.managed ? { managed: server.config.managed } : {}) },
            intent.tool,
            intent.enabled,
          );
        } catch (error) {
          void vscode.window.showErrorMessage(`MCP Hub: ${scrubber.message(error)}`);
        }
        return;
      case 'openResource':
        return this.resources.open(intent.server, intent.uri);
      case 'openPrompt':
        return this.prompts.openPrompt(intent.server, intent.prompt);
      case 'openTemplates':
        return this.prompts.openTemplate(intent.server);
      case 'showTrace':
        return this.traces.show(intent.server);
      case 'copyDiagnostics':
        return this.traces.copyDiagnostics(intent.server);
    }
  }

  dispose(): void {
    this.runners.dispose();
    this.traces.dispose();
    this.prompts.dispose();
    this.resources.dispose();
  }
}
