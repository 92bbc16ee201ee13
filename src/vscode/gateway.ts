/**
 * The gateway in the editor: its token in SecretStorage, its settings, a fixed port shared between
 * windows (one holds it; another takes it over when that window closes), VS Code's own MCP client
 * fed through `lm.registerMcpServerDefinitionProvider` (definitions without the token, which VS Code
 * caches on disk; the token and any sign-in in `resolveMcpServerDefinition`, per start), and the
 * commands that connect other clients and rotate the token.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { EditorClient } from '../core/gateway/editor-client';
import type { InputRouter } from '../core/gateway/input-router';
import type { McpGateway } from '../core/gateway/gateway';
import { sessionIdleSetting } from '../core/gateway/settings';
import { GatewayToken } from '../core/gateway/token';
import { GatewayUsage } from '../core/gateway/usage';
import type { McpHub } from '../core/hub';
import type { GatewayMode } from '../core/managed-policy';
import type { Logger } from '../core/ports';
import type { GatewayView } from '../protocol';
import { notificationText } from '../core/failure';

const SECTION = 'mcpHub.gateway';
/** How often a window waiting for a fixed port held by another window tries again. */
const TAKEOVER_MS = 5_000;
export const PROVIDER_ID = 'mcpHub.servers';

export class GatewayHost implements vscode.Disposable {
  private gateway: McpGateway | undefined;
  private token = '';
  /** What the organisation's policy allowed when the gateway was last (re)started. */
  private mode: GatewayMode = 'on';
  private retry: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly stored: GatewayToken;
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** The gateway started, stopped, moved or got a new token. */
  readonly onDidChange = this._onDidChange.event;
  /** Who uses the gateway: kept across its restarts, for the window's life. */
  readonly usage = new GatewayUsage();

  constructor(
    private readonly hub: McpHub,
    secrets: vscode.SecretStorage,
    private readonly logger: Logger,
    private readonly version: string,
    private readonly questions?: InputRouter,
    /** What the organisation's policy allows: the gateway for every client, for VS Code's own only, or none. */
    private readonly allowed: () => { mode: GatewayMode; by?: string } = () => ({ mode: 'on' }),
  ) {
    this.stored = new GatewayToken(secrets);
  }

  /** Restarts the gateway when the organisation's policy now allows something else. */
  async onPolicyChanged(): Promise<void> {
    if (this.allowed().mode !== this.mode) await this.apply();
  }

  get running(): boolean {
    return this.gateway !== undefined && this.gateway.port !== 0;
  }

  url(server?: string): string | undefined {
    return this.running ? this.gateway!.url(server) : undefined;
  }

  /** What the panel's header shows. */
  status(): GatewayView {
    const g = this.gateway;
    if (g && g.port !== 0) return { on: true, address: `127.0.0.1:${g.port}`, sessions: g.sessionCount, ...(this.mode === 'vscode' ? { vscodeOnly: true } : {}) };
    const allowed = this.allowed();
    return allowed.mode === 'off' ? { on: false, ...(allowed.by ? { organisation: allowed.by } : {}) } : { on: false };
  }

  /** Whether the organisation's policy keeps the gateway off. */
  get offByPolicy(): boolean {
    return this.allowed().mode === 'off';
  }

  /** Whether other clients may be connected: the gateway runs, for any client. */
  get forAnyClient(): boolean {
    return this.running && this.mode === 'on';
  }

  /** The token now: for a start of VS Code's own client and the person's clipboard only. */
  currentToken(): string {
    return this.token;
  }

  /** (Re)starts as the settings say; called at activation and when they change. */
  async apply(): Promise<void> {
    await this.stopGateway();
    const config = vscode.workspace.getConfiguration(SECTION);
    this.mode = this.allowed().mode;
    if (this.disposed || !config.get<boolean>('enabled', true) || this.mode === 'off') {
      if (this.mode === 'off') this.logger.info("gateway: off (your organisation's policy)");
      this._onDidChange.fire();
      return;
    }
    // For VS Code's own client only: a token of this start, in memory, never stored or copied, so
    // no other client can be given one.
    this.token = this.mode === 'vscode' ? randomBytes(32).toString('base64url') : await this.stored.current();
    const port = config.get<number>('port', 0);
    const idle = sessionIdleSetting(config.get<unknown>('sessionIdleMinutes'));
    if (idle.problem) this.logger.warn(`gateway: ${idle.problem}`);
    await this.listen(port, idle.minutes * 60_000);
  }

  private async listen(port: number, sessionIdleMs: number): Promise<void> {
    // The gateway, and the SDK's server side with it, is loaded the first time it starts (a chunk of
    // the bundle of its own), not with the extension.
    const { McpGateway } = await import('../core/gateway/gateway.js');
    if (this.disposed) return;
    const gateway = new McpGateway(this.hub, {
      port,
      sessionIdleMs,
      token: () => this.token,
      version: this.version,
      logger: this.logger,
      ...(this.questions ? { questions: this.questions } : {}),
      traffic: this.usage,
      onSessionsChanged: () => this._onDidChange.fire(),
      onSignInNeeded: (server) => this.logger.info(`gateway: a client called ${server}, which needs sign-in (Authenticate in the MCP Hub panel)`),
    });
    try {
      await gateway.start();
      this.gateway = gateway;
      this._onDidChange.fire();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE' && port !== 0) {
        // Another window holds the fixed port: its gateway serves the same servers. Take over when it closes.
        this.logger.info(`gateway: port ${port} is in use (another window?); trying again every ${TAKEOVER_MS / 1000} s`);
        this.retry = setTimeout(() => void this.listen(port, sessionIdleMs), TAKEOVER_MS);
        return;
      }
      this.logger.error(`gateway: could not start: ${(error as Error).message}`);
    }
  }

  /** A new token: every client must be given it again (VS Code's own client gets it at once). */
  async rotateToken(): Promise<void> {
    await this.stored.replace();
    await this.apply();
  }

  private async stopGateway(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const gateway = this.gateway;
    this.gateway = undefined;
    await gateway?.stop();
  }

  dispose(): void {
    this.disposed = true;
    void this.stopGateway();
    this._onDidChange.dispose();
    this.usage.dispose();
  }

  /** Reacts to another window rotating the token; our own writes (the first token, a rotation here) change nothing. */
  async onSecretChanged(key: string): Promise<void> {
    if (this.mode === 'on' && (await this.stored.changedElsewhere(key))) await this.apply();
  }
}

/**
 * VS Code's own MCP client (chat, agent mode) gets one HTTP server per hub server, through the
 * gateway. VS Code keeps what provideMcpServerDefinitions returns in workspace storage, headers
 * included: the definitions carry no token, which resolveMcpServerDefinition adds to each start.
 */
export function registerMcpProvider(hub: McpHub, host: GatewayHost): vscode.Disposable {
  const lm = vscode.lm as Partial<typeof vscode.lm>;
  if (typeof lm.registerMcpServerDefinitionProvider !== 'function') return { dispose: () => undefined };
  const client = new EditorClient(hub, { url: (name) => host.url(name), token: () => host.currentToken() });
  const listed = () => (shared() ? client.list() : []);
  const changed = new vscode.EventEmitter<void>();
  let last = '';
  const fireIfChanged = () => {
    const now = JSON.stringify(listed());
    if (now === last) return;
    last = now;
    changed.fire();
  };
  const subscriptions = [host.onDidChange(fireIfChanged), hub.onDidChange(fireIfChanged), changed];
  const registration = lm.registerMcpServerDefinitionProvider(PROVIDER_ID, {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => listed().map((s) => new vscode.McpHttpServerDefinition(s.name, vscode.Uri.parse(s.url))),
    resolveMcpServerDefinition: async (definition) => {
      const start = await client.start(definition.label, {
        confirmSignIn: async (name, permission) => {
          const [question, button] = permission ? [`${permission}. Authenticate now?`, 'Authenticate'] : [`${name} needs you to sign in. Sign in now?`, 'Sign In'];
          return (await vscode.window.showInformationMessage(question, button)) === button;
        },
        signInFailed: (error) => void vscode.window.showWarningMessage(notificationText(error)),
      });
      if (!start) return undefined;
      // Only HTTP definitions are provided. What resolve returns is not cached: the token lives in
      // this start's definition, in memory.
      const http = definition as vscode.McpHttpServerDefinition;
      http.uri = vscode.Uri.parse(start.url);
      http.headers = { ...http.headers, ...start.headers };
      return http;
    },
  });
  return vscode.Disposable.from(registration, ...subscriptions);
}

function shared(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('shareWithVSCode', true);
}

/**
 * "MCP Hub: Connect a Client…": a ready configuration on the clipboard, holding no token (it refers
 * to the client's environment variable or input); the token goes to the clipboard apart, when the
 * person asks, and is never shown.
 */
export async function connectClient(host: GatewayHost): Promise<void> {
  const url = host.url();
  if (url && !host.forAnyClient) {
    void vscode.window.showWarningMessage("Your organisation's policy offers the MCP Hub servers to VS Code's own chat only: no other client can be connected.");
    return;
  }
  if (!url && host.offByPolicy) {
    void vscode.window.showWarningMessage("Your organisation's policy turns the MCP Hub gateway off: no client can be connected.");
    return;
  }
  if (!url) {
    void vscode.window.showWarningMessage('The MCP Hub gateway is off. Turn on mcpHub.gateway.enabled to connect other clients.');
    return;
  }
  // The clients' configurations are loaded when first asked for (a chunk of the bundle of its own).
  const { clientConfigs } = await import('../core/gateway/client-configs.js');
  const items = clientConfigs(url).map((c) => ({ label: c.label, detail: c.where, config: c }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Connect a client to the MCP Hub gateway', placeHolder: 'Which client?' });
  if (!picked) return;
  await vscode.env.clipboard.writeText(picked.config.text);
  const port = vscode.workspace.getConfiguration(SECTION).get<number>('port', 0);
  const stable = port === 0 ? ' The port changes with every window; set mcpHub.gateway.port for a stable URL.' : '';
  const copyToken = 'Copy Token';
  const choice = await vscode.window.showInformationMessage(
    `Copied the ${picked.config.label} configuration (${picked.config.where}). It holds no token. ${picked.config.token} The token grants use of all your MCP Hub servers: keep it private, and rotate it with "MCP Hub: Rotate Gateway Token" if it leaks.${stable}`,
    copyToken,
  );
  if (choice !== copyToken) return;
  await vscode.env.clipboard.writeText(host.currentToken());
  void vscode.window.showInformationMessage('Copied the gateway token (it replaced the configuration on the clipboard).');
}

export const GATEWAY_COMMANDS = {
  connectClient: 'mcpHub.connectClient',
  rotateToken: 'mcpHub.rotateGatewayToken',
} as const;

export function registerGatewayCommands(host: GatewayHost): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(GATEWAY_COMMANDS.connectClient, () => connectClient(host)),
    vscode.commands.registerCommand(GATEWAY_COMMANDS.rotateToken, async () => {
      await host.rotateToken();
      void vscode.window.showInformationMessage(
        'The MCP Hub gateway has a new token. VS Code\'s own client is handed it when it next starts each server; other clients need it where their configuration reads it ("MCP Hub: Connect a Client…", then Copy Token).',
      );
    }),
  ];
}
