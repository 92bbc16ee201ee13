/**
 * MCP Apps for the tool runner, on the extension's side: the sandbox proxy server (started on the
 * first app, at an address VS Code maps for remote setups, which the runner's webview is allowed to
 * frame and nothing else), and each run's app read through the hub and checked. Its frame, bridge
 * and the app's own requests live in the webview (webview-ui/workbench/app-frame.ts); the tool calls
 * an app makes come back here (tool-runner.ts) to go through the hub.
 */
import * as vscode from 'vscode';
import type { Tool } from '@modelcontextprotocol/client';
import { appPolicy, appResourceFrom } from '../../core/apps/app-resource';
import { appToolInfo } from '../../core/apps/app-calls';
import { AppSandboxServer, type SandboxSession } from '../../core/apps/sandbox-server';
import type { McpHub } from '../../core/hub';
import { appResourceUri } from '../../core/mcp-apps';
import type { Logger } from '../../core/ports';
import { scrubber } from '../../core/scrub';
import type { AppView } from '../../protocol';
import { externalUri } from '../platform';
import { scrubResult } from './untrusted';

export interface LoadedApp {
  readonly view: AppView;
  readonly session: SandboxSession;
}

export class AppFrames implements vscode.Disposable {
  private readonly sandbox: AppSandboxServer;
  private base: Promise<string> | undefined;

  constructor(
    private readonly hub: McpHub,
    private readonly logger: Logger,
  ) {
    this.sandbox = new AppSandboxServer(logger);
  }

  /** The sandbox pages' base URL as the webview reaches it (what its CSP's frame-src names). */
  frameSource(): Promise<string> {
    this.base ??= (async () => {
      const port = await this.sandbox.start();
      const mapped = new URL(await externalUri(`http://127.0.0.1:${port}/`));
      if (mapped.host) this.sandbox.allowHost(mapped.host);
      return mapped.href.endsWith('/') ? mapped.href : `${mapped.href}/`;
    })();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  /** Reads `tool`'s app from `server` through the hub and opens its sandbox page. Throws app_unavailable (or the read's error). */
  async load(server: string, tool: Tool): Promise<LoadedApp> {
    const uri = appResourceUri(tool);
    if (!uri) throw new Error('The tool has no app.');
    const base = await this.frameSource();
    const result = await this.hub.use(server, (client) => client.readResource({ uri }));
    const state = this.hub.server(server)?.state;
    const listed = state?.kind === 'running' ? state.resources.find((r) => r.uri === uri) : undefined;
    const app = appResourceFrom(result, uri, listed);
    const policy = appPolicy(app.csp);
    // The spec asks hosts to keep an audit trail of the policies apps run under.
    this.logger.info(`MCP App ${scrubber.message(uri)} of ${scrubber.message(tool.name)}: Content-Security-Policy "${scrubber.message(policy)}"`);
    if (app.dropped.length > 0) this.logger.warn(`MCP App ${scrubber.message(uri)}: not granted: ${scrubber.message(app.dropped.join(', '))}`);
    const session = this.sandbox.open(policy);
    return {
      session,
      view: {
        sandboxUrl: new URL(session.path.slice(1), base).href,
        html: app.html,
        csp: app.csp,
        permissions: app.permissions,
        ...(app.prefersBorder !== undefined ? { prefersBorder: app.prefersBorder } : {}),
        locale: vscode.env.language,
        dropped: app.dropped.map((d) => scrubber.message(d)),
        tool: scrubResult(appToolInfo(tool)),
      },
    };
  }

  dispose(): void {
    void this.sandbox.close();
  }
}
