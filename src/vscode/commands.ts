import * as vscode from 'vscode';
import { CALLBACK_PATH } from '../core/oauth/callback-server';
import { isOAuthFlowError } from '../core/oauth/errors';
import type { HubServer, McpHub } from '../core/hub';
import { canStart, canStop } from '../core/state';
import { openServerSettings } from './settings';
import { externalUri } from './platform';

export const COMMANDS = {
  openSettings: 'mcpHub.openSettings',
  restartServer: 'mcpHub.restartServer',
  stopServer: 'mcpHub.stopServer',
  startServer: 'mcpHub.startServer',
  showLogs: 'mcpHub.showLogs',
  authenticate: 'mcpHub.authenticate',
  cancelAuthentication: 'mcpHub.cancelAuthentication',
  logout: 'mcpHub.logout',
  copyRedirectUri: 'mcpHub.copyRedirectUri',
  pasteRedirectUrl: 'mcpHub.pasteRedirectUrl',
} as const;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Asks which server when a command runs from the palette; commands from the panel pass the name. */
async function pickServer(hub: McpHub, title: string, fits: (s: HubServer) => boolean, name?: unknown): Promise<string | undefined> {
  if (typeof name === 'string') return name;
  const servers = hub.servers().filter((s) => s.config && fits(s));
  if (servers.length === 0) {
    void vscode.window.showInformationMessage(`MCP Hub: no server to ${title.toLowerCase()}.`);
    return undefined;
  }
  if (servers.length === 1) return servers[0]!.name;
  const picked = await vscode.window.showQuickPick(
    servers.map((s) => ({ label: s.name, description: s.config!.type, detail: s.state.kind })),
    { title: `MCP Hub: ${title}`, placeHolder: 'Choose a server' },
  );
  return picked?.label;
}

/** The redirect URI a user can register in advance: fixed only with auth.callbackPort. */
async function redirectUriOf(server: HubServer): Promise<string | undefined> {
  if (server.state.kind === 'authenticating' && server.state.redirectUri) return server.state.redirectUri;
  const port = server.config && server.config.type !== 'stdio' ? server.config.auth?.callbackPort : undefined;
  return port ? externalUri(`http://127.0.0.1:${port}${CALLBACK_PATH}`) : undefined;
}

/** Runs a sign-in with a cancellable progress notification; the panel shows the same state. */
async function authenticate(hub: McpHub, name: string): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MCP Hub: signing in to "${name}" in your browser…`, cancellable: true },
    async (_progress, token) => {
      const sub = token.onCancellationRequested(() => void hub.cancelAuthentication(name));
      try {
        await hub.authenticate(name);
        if (hub.server(name)?.state.kind === 'running') void vscode.window.setStatusBarMessage(`MCP Hub: signed in to "${name}"`, 5000);
      } catch (error) {
        if (isOAuthFlowError(error, 'cancelled')) return;
        void vscode.window.showErrorMessage(`MCP Hub: sign-in to "${name}" failed. ${message(error)}`);
      } finally {
        sub.dispose();
      }
    },
  );
}

export function registerCommands(hub: McpHub, channel: vscode.LogOutputChannel): vscode.Disposable[] {
  const run = (title: string, fits: (s: HubServer) => boolean, action: (name: string) => Promise<void>) => async (name?: unknown) => {
    const server = await pickServer(hub, title, fits, name);
    if (!server) return;
    try {
      await action(server);
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: ${message(error)}`);
    }
  };
  const oauth = (s: HubServer) => s.oauth;
  return [
    vscode.commands.registerCommand(COMMANDS.openSettings, () => openServerSettings()),
    vscode.commands.registerCommand(COMMANDS.showLogs, () => channel.show()),
    vscode.commands.registerCommand(COMMANDS.restartServer, run('Restart Server', (s) => s.state.kind !== 'disabled', (n) => hub.restart(n))),
    vscode.commands.registerCommand(COMMANDS.stopServer, run('Stop Server', (s) => canStop(s.state), (n) => hub.stop(n))),
    vscode.commands.registerCommand(COMMANDS.startServer, run('Start Server', (s) => canStart(s.state), (n) => hub.start(n))),
    vscode.commands.registerCommand(
      COMMANDS.authenticate,
      run('Authenticate', (s) => oauth(s) && (s.state.kind === 'authRequired' || s.state.kind === 'error' || s.state.kind === 'stopped'), (n) => authenticate(hub, n)),
    ),
    vscode.commands.registerCommand(COMMANDS.cancelAuthentication, run('Cancel Sign-in', (s) => s.state.kind === 'authenticating', (n) => hub.cancelAuthentication(n))),
    vscode.commands.registerCommand(COMMANDS.logout, run('Log Out', (s) => s.session !== undefined, (n) => hub.logout(n))),
    vscode.commands.registerCommand(
      COMMANDS.copyRedirectUri,
      run('Copy Redirect URI', oauth, async (n) => {
        const server = hub.server(n);
        const uri = server && (await redirectUriOf(server));
        if (!uri) {
          void vscode.window.showInformationMessage(
            `MCP Hub: "${n}" gets a new redirect URI for each sign-in. To register one in advance, set mcpHub.servers.${n}.auth.callbackPort; the URI is then http://127.0.0.1:<port>${CALLBACK_PATH}.`,
          );
          return;
        }
        await vscode.env.clipboard.writeText(uri);
        void vscode.window.showInformationMessage(`MCP Hub: copied the redirect URI ${uri}`);
      }),
    ),
    vscode.commands.registerCommand(
      COMMANDS.pasteRedirectUrl,
      run('Paste Redirect URL', (s) => s.state.kind === 'authenticating', async (n) => {
        const url = await vscode.window.showInputBox({
          title: `MCP Hub: finish signing in to "${n}"`,
          prompt: 'If the browser could not reach VS Code after you signed in, paste the address it ended on (it contains code= and state=).',
          placeHolder: `http://127.0.0.1:…${CALLBACK_PATH}?code=…&state=…`,
          ignoreFocusOut: true,
          password: true,
        });
        if (!url) return;
        const problem = await hub.pasteRedirectUrl(n, url);
        if (problem) void vscode.window.showErrorMessage(`MCP Hub: ${problem}`);
      }),
    ),
  ];
}
