/**
 * Composition root: builds the VS Code adapters around the editor-free core and returns the public
 * API. Activation never throws on bad settings: each bad entry becomes that server's error state.
 */
import * as vscode from 'vscode';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { InputRouter } from './core/gateway/input-router';
import { join } from 'node:path';
import { McpHub } from './core/hub';
import { verifierOnDemand } from './core/registry/verify-on-demand';
import { systemClock } from './core/ports';
import { scrubState, type ServerState } from './core/state';
import type { ConfigSource } from './core/config';
import type { SessionInfo } from './core/oauth/server-auth';
import { organisationView, toServerView } from './view-model';
import type { ServerAction } from './protocol';
import { TokenStore } from './core/oauth/token-store';
import { InputStore } from './core/inputs';
import { scrubber } from './core/scrub';
import { browserOpener, externalUri, secretStore } from './vscode/platform';
import { COMMANDS, registerCommands } from './vscode/commands';
import { ConsentPrompter, WorkspaceConsentStore, workspaceId } from './vscode/consent';
import { EnterpriseHost } from './vscode/enterprise';
import { createLogger } from './vscode/logger';
import { onDidChangeServerSettings, openServerSettings, readEditorMcpPolicy, readServerSettings } from './vscode/settings';
import { globalStateEras } from './vscode/eras';
import { GATEWAY_COMMANDS, GatewayHost, registerGatewayCommands, registerMcpProvider } from './vscode/gateway';
import { RegistryHost, REGISTRY_COMMANDS } from './vscode/registry';
import { OrganisationHost } from './vscode/organisation';
import { gatewayMode } from './core/policies';
import { ServersViewProvider, VIEW_ID } from './vscode/view';
import { EditorElicitation } from './vscode/workbench/elicitation';
import { GatewayUsageTab, SHOW_GATEWAY_USAGE_COMMAND } from './vscode/workbench/gateway-usage';
import { Workbench } from './vscode/workbench/workbench';

/** What other extensions (and the e2e tests) get from `activate()`. */
export interface McpHubApi {
  servers(): Array<{ name: string; source: ConfigSource; type?: string; state: ServerState; oauth: boolean; session?: SessionInfo; secretKey?: string }>;
  readonly onDidChange: vscode.Event<{ name: string }>;
  listTools(server: string): readonly Tool[];
  callTool(server: string, tool: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

let hub: McpHub | undefined;

const ACTION_COMMANDS: Record<ServerAction, string> = {
  start: COMMANDS.startServer,
  stop: COMMANDS.stopServer,
  restart: COMMANDS.restartServer,
  authenticate: COMMANDS.authenticate,
  cancel: COMMANDS.cancelAuthentication,
  logout: COMMANDS.logout,
  copyRedirectUri: COMMANDS.copyRedirectUri,
  pasteRedirect: COMMANDS.pasteRedirectUrl,
  setInput: COMMANDS.setInput,
  moveSecrets: COMMANDS.moveSecrets,
  approve: COMMANDS.approveServer,
  update: REGISTRY_COMMANDS.updateServer,
  turnOn: COMMANDS.turnOnServer,
  turnOff: COMMANDS.turnOffServer,
  addAccount: COMMANDS.signInWithAnotherAccount,
  switchAccount: COMMANDS.switchAccount,
};

export async function activate(context: vscode.ExtensionContext): Promise<McpHubApi> {
  const channel = vscode.window.createOutputChannel('MCP Hub', { log: true });
  context.subscriptions.push(channel);
  const logger = createLogger(channel);
  const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';

  const secrets = secretStore(context.secrets);
  const inputs = new InputStore(secrets);
  // A server's questions (elicitation, sampling) go to the gateway client whose call they arrive in;
  // those of the person's own calls, and those tied to no call, to the person, in an editor tab.
  const questions = new InputRouter(logger, new EditorElicitation(context.extensionUri, logger));
  // MCP bundles installed from a registry are unpacked here, one folder per SHA-256.
  const bundles = join(context.globalStorageUri.fsPath, 'mcp-bundles');
  const theHub = new McpHub({
    logger,
    clock: systemClock,
    clientInfo: { name: 'mcp-hub-vscode', version },
    // ${input:…} values live in SecretStorage; no server ever gets the editor's folder as its cwd
    // unless the workspace is trusted and the server is defined there.
    inputs,
    // Tokens live in SecretStorage only, one secret per server host.
    oauth: { store: new TokenStore(secrets, { logger }), browser: browserOpener, externalUri },
    // The protocol era each server spoke, so the next start costs no probe.
    eras: globalStateEras(context.globalState),
    // Workspace servers run only once the person approved their exact entry, remembered per workspace.
    consent: new WorkspaceConsentStore(context.workspaceState),
    elicitation: questions,
    sampling: questions,
    // Where only registry servers may run, the registry confirms what each entry runs (bundles from their unpacked manifest).
    registryVerifier: verifierOnDemand(bundles),
  });
  hub = theHub;
  const consent = new ConsentPrompter(theHub, logger);
  context.subscriptions.push(consent);
  const bench = new Workbench(context, theHub, logger);
  context.subscriptions.push(bench);

  // The organisation's policy: the managed file at this OS's fixed path, or VS Code's policy.
  const organisation = new OrganisationHost(logger);
  context.subscriptions.push(organisation);
  // Nothing starts before it is read: settings are applied, and the gateway started, only after.
  const policyRead = organisation.refresh();
  // The local gateway: the hub's servers for VS Code's own MCP client and for any other client, as the organisation allows.
  const gateway = new GatewayHost(theHub, context.secrets, logger, version, questions, () => {
    const org = organisation.policy;
    return { mode: gatewayMode(org), ...(org.kind === 'ok' ? { by: org.policy.organization } : {}) };
  });
  // Who uses the gateway: a tab opened from the panel's gateway line.
  const usageTab = new GatewayUsageTab(context.extensionUri, gateway, logger);
  context.subscriptions.push(
    usageTab,
    vscode.commands.registerCommand(SHOW_GATEWAY_USAGE_COMMAND, () => usageTab.show()),
  );
  // The company IdP (mcpHub.enterprise.idp): one sign-in for every server that accepts it.
  const enterprise = new EnterpriseHost(theHub, inputs, logger);
  context.subscriptions.push(enterprise);
  // MCP registries: Add Server…, and updates of the servers installed from one.
  const registry = new RegistryHost(theHub, inputs, logger, bundles);
  context.subscriptions.push(registry);
  const view = new ServersViewProvider(
    context.extensionUri,
    () => {
      const company = enterprise.view();
      const org = organisationView(organisation.policy);
      return { servers: theHub.servers().map(toServerView), gateway: gateway.status(), ...(company ? { enterprise: company } : {}), ...(org ? { organisation: org } : {}) };
    },
    (message) => {
      switch (message.type) {
        case 'openSettings':
          void openServerSettings();
          return;
        case 'showLogs':
          channel.show();
          return;
        case 'connectClient':
          void vscode.commands.executeCommand(GATEWAY_COMMANDS.connectClient);
          return;
        case 'addServer':
          void vscode.commands.executeCommand(REGISTRY_COMMANDS.addServer);
          return;
        case 'showGatewayUsage':
          usageTab.show();
          return;
        case 'enterpriseSignIn':
          void enterprise.signIn();
          return;
        case 'enterpriseCancel':
          enterprise.cancel();
          return;
        case 'enterpriseSignOut':
          void enterprise.signOut();
          return;
        case 'action':
          void vscode.commands.executeCommand(ACTION_COMMANDS[message.action], message.server);
          return;
        case 'ready':
          return;
        default:
          void bench.handle(message);
      }
    },
    logger,
  );
  const onDidChange = new vscode.EventEmitter<{ name: string }>();
  context.subscriptions.push(
    gateway,
    registerMcpProvider(theHub, gateway),
    gateway.onDidChange(() => view.refresh()),
    enterprise.onDidChange(() => view.refresh()),
    ...registerGatewayCommands(gateway),
    context.secrets.onDidChange((e) => void gateway.onSecretChanged(e.key)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mcpHub.gateway')) void gateway.apply();
    }),
  );
  context.subscriptions.push(
    view,
    onDidChange,
    vscode.window.registerWebviewViewProvider(VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: false } }),
    ...registerCommands(theHub, channel, inputs, consent),
    theHub.onDidChange(({ name }) => {
      view.refresh(name);
      onDidChange.fire({ name });
    }),
  );

  const apply = async () => {
    await policyRead;
    try {
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const id = workspaceId();
      const diff = await theHub.applyConfig(readServerSettings(organisation.policy), {
        trusted: vscode.workspace.isTrusted,
        ...(folder?.scheme === 'file' ? { workspaceFolder: folder.fsPath } : {}),
        ...(id ? { workspaceId: id } : {}),
        policy: readEditorMcpPolicy(),
        organisation: organisation.policy,
      });
      consent.offerWaiting();
      logger.info(`settings applied: +${diff.added.length} -${diff.removed.length} ~${diff.changed.length} =${diff.unchanged.length}`);
    } catch (error) {
      logger.error(`applying settings failed: ${scrubber.message(error)}`);
    }
    view.refresh();
  };
  context.subscriptions.push(
    onDidChangeServerSettings(() => void apply()),
    // Granting trust restarts what it affects: workspace entries, and user entries using ${workspaceFolder}.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void apply()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void apply()),
  );
  // In the background: activate() waits for no server, nor for the secret storage reads that
  // resolving ${input:…} values takes; the view and the API follow through onDidChange.
  void enterprise
    .apply()
    .catch(() => undefined)
    .then(apply)
    // The first update check once the entries are known; then daily.
    .then(() => registry.startUpdateChecks());
  void policyRead.then(() => {
    // From now on a new, changed, removed or broken organisation policy applies at once, to the servers and the gateway.
    context.subscriptions.push(
      organisation.onDidChange(() => {
        void apply();
        void gateway.onPolicyChanged();
        view.refresh();
      }),
    );
    void gateway.apply();
  });

  return {
    servers: () =>
      theHub.servers().map((s) => ({
        name: s.name,
        source: s.source,
        ...(s.config ? { type: s.config.type } : {}),
        state: scrubState(s.state),
        oauth: s.oauth,
        // Issuer and scopes come from the authorization server: scrubbed like every API value.
        ...(s.session ? { session: apiSession(s.session) } : {}),
        ...(s.secretKey ? { secretKey: s.secretKey } : {}),
      })),
    onDidChange: onDidChange.event,
    listTools: (server) => theHub.listTools(server),
    callTool: (server, tool, args) => theHub.callTool(server, tool, args),
  };
}

/** The session as other extensions see it: issuer, scopes, expiry, last refresh; not who is signed in (personal data). */
function apiSession(session: SessionInfo): SessionInfo {
  const { account: _account, ...rest } = session;
  return { ...rest, ...(rest.issuer ? { issuer: scrubber.message(rest.issuer) } : {}), scopes: rest.scopes.map((x) => scrubber.message(x)) };
}

export async function deactivate(): Promise<void> {
  const h = hub;
  hub = undefined;
  await h?.dispose();
}
