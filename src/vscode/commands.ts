import * as vscode from 'vscode';
import { CALLBACK_PATH } from '../core/oauth/callback-server';
import { isOAuthFlowError } from '../core/oauth/errors';
import { describeSignInFailure, notificationSentence, notificationText } from '../core/failure';
import type { HubServer, McpHub } from '../core/hub';
import type { InputStore } from '../core/inputs';
import { scrubber } from '../core/scrub';
import { actionsFor } from '../core/state';
import { inlineSecrets, inputReference } from '../core/variables';
import type { ServerAction } from '../protocol';
import type { ConsentPrompter } from './consent';
import { moveToSecretStorage, promptForInput } from './inputs';
import { openServerSettings, setManagedEnabled } from './settings';
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
  setInput: 'mcpHub.setInput',
  moveSecrets: 'mcpHub.moveSecrets',
  approveServer: 'mcpHub.approveServer',
  turnOnServer: 'mcpHub.turnOnServer',
  turnOffServer: 'mcpHub.turnOffServer',
  signInWithAnotherAccount: 'mcpHub.signInWithAnotherAccount',
  switchAccount: 'mcpHub.switchAccount',
} as const;

/**
 * A server name in a notification. Names come from settings, which a workspace can supply, so they
 * pass the scrubber (which defuses markdown links) like any other text.
 */
const shown = (name: string) => `"${scrubber.message(name)}"`;

/** Whether `action` fits the server now: the same answer the panel's buttons come from. */
const allows = (action: ServerAction) => (s: HubServer) => actionsFor(s.state, s.actionContext).includes(action);

/** Asks which server when a command runs from the palette; commands from the panel pass the name. */
async function pickServer(hub: McpHub, title: string, fits: (s: HubServer) => boolean, name?: unknown): Promise<string | undefined> {
  if (typeof name === 'string') return name;
  const servers = hub.servers().filter((s) => s.config && fits(s));
  if (servers.length === 0) {
    void vscode.window.showInformationMessage(`MCP Hub: no server to ${title.toLowerCase()}.`);
    return undefined;
  }
  if (servers.length === 1) return servers[0].name;
  const picked = await vscode.window.showQuickPick(
    servers.map((s) => ({ label: s.name, description: s.config!.type, detail: s.state.kind })),
    { title: `MCP Hub: ${title}`, placeHolder: 'Choose a server' },
  );
  return picked?.label;
}

/** The redirect URI a user can register in advance: fixed only with auth.callbackPort. */
async function redirectUriOf(server: HubServer): Promise<string | undefined> {
  const state = server.state;
  if (state.kind === 'authenticating' && state.redirectUri) return state.redirectUri;
  if (state.kind === 'running' && state.signIn?.redirectUri) return state.signIn.redirectUri;
  const port = server.config && server.config.type !== 'stdio' ? server.config.auth?.callbackPort : undefined;
  return port ? externalUri(`http://127.0.0.1:${port}${CALLBACK_PATH}`) : undefined;
}

/** Runs a sign-in with a cancellable progress notification; the panel shows the same state. */
async function authenticate(hub: McpHub, name: string): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `MCP Hub: signing in to ${shown(name)} in your browser…`, cancellable: true },
    async (_progress, token) => {
      const sub = token.onCancellationRequested(() => void hub.cancelAuthentication(name));
      try {
        await hub.authenticate(name);
        const state = hub.server(name)?.state;
        if (state?.kind === 'running') void vscode.window.setStatusBarMessage(`MCP Hub: signed in to ${shown(name)}`, 5000);
        // Signed in, but the server refused what the sign-in got: the row's sentence and code.
        else if (state?.kind === 'error' && state.code) {
          void vscode.window.showErrorMessage(
            `MCP Hub: signed in, but ${shown(name)} did not connect. ${notificationSentence({ code: state.code, message: state.message, ...(state.detail ? { detail: state.detail } : {}) })}`,
          );
        }
      } catch (error) {
        if (isOAuthFlowError(error, 'cancelled')) return;
        void vscode.window.showErrorMessage(`MCP Hub: the sign-in to ${shown(name)} did not complete. ${notificationText(error, describeSignInFailure)}`);
      } finally {
        sub.dispose();
      }
    },
  );
}

/**
 * Switch Account: the accounts signed in to the server's URL, by their display name and email (text the authorization server
 * sent: scrubbed and capped, shown as plain text), the active one marked; and Sign in with Another Account.
 */
async function switchAccount(hub: McpHub, name: string): Promise<void> {
  const accounts = await hub.accounts(name);
  // A quick pick renders $(name) as an icon: an authorization server's text shows as it is.
  const plain = (text: string) => text.replace(/\$\(/g, '$ (');
  const another = { label: '$(add) Sign in with another account…', key: undefined };
  const picked = await vscode.window.showQuickPick(
    [
      ...accounts.map((a) => ({
        label: plain(a.label),
        ...(a.description ? { description: plain(a.description) } : {}),
        ...(a.active ? { detail: 'Active: the one this server uses now' } : {}),
        key: a.key,
      })),
      another,
    ],
    { title: `MCP Hub: account for ${shown(name)}`, placeHolder: 'Choose the account this server uses' },
  );
  if (!picked) return;
  if (picked.key === undefined) await hub.signInWithAnotherAccount(name);
  else if (!accounts.find((a) => a.key === picked.key)?.active) await hub.switchAccount(name, picked.key);
}

/** Turns a server the organisation offers on or off for good; never one it requires, nor one of the person's own. */
async function turnManaged(hub: McpHub, name: string, on: boolean): Promise<void> {
  const managed = hub.server(name)?.config?.managed;
  if (!managed) throw new Error(`${shown(name)} is not a server your organisation manages; set "disabled" in its settings instead.`);
  if (managed.availability === 'required') throw new Error(`${shown(name)} is required by ${scrubber.message(managed.by)}; it cannot be turned off.`);
  await setManagedEnabled(name, on);
}

export function registerCommands(hub: McpHub, channel: vscode.LogOutputChannel, inputs: InputStore, consent: ConsentPrompter): vscode.Disposable[] {
  const run = (title: string, fits: (s: HubServer) => boolean, action: (name: string) => Promise<void>) => async (name?: unknown) => {
    const server = await pickServer(hub, title, fits, name);
    if (!server) return;
    try {
      await action(server);
    } catch (error) {
      // Our words and a code only: the server's own text goes to the panel's details and the log.
      void vscode.window.showErrorMessage(`MCP Hub: ${title} ${shown(server)}: ${notificationText(error)}`);
    }
  };
  const oauth = (s: HubServer) => s.oauth;
  // Commands that act on one server the state allows it for: [command, title, action, what it does].
  const simple: Array<[string, string, ServerAction, (name: string) => Promise<void>]> = [
    [COMMANDS.restartServer, 'Restart Server', 'restart', (n) => hub.restart(n)],
    [COMMANDS.stopServer, 'Stop Server', 'stop', (n) => hub.stop(n)],
    [COMMANDS.startServer, 'Start Server', 'start', (n) => hub.start(n)],
    [COMMANDS.authenticate, 'Authenticate', 'authenticate', (n) => authenticate(hub, n)],
    [COMMANDS.cancelAuthentication, 'Cancel Sign-in', 'cancel', (n) => hub.cancelAuthentication(n)],
    [COMMANDS.logout, 'Log Out', 'logout', (n) => hub.logout(n)],
    [COMMANDS.signInWithAnotherAccount, 'Sign in with Another Account', 'addAccount', (n) => hub.signInWithAnotherAccount(n)],
    [COMMANDS.switchAccount, 'Switch Account', 'switchAccount', (n) => switchAccount(hub, n)],
    [COMMANDS.approveServer, 'Approve Server', 'approve', (n) => consent.ask(n).then(() => undefined)],
    [COMMANDS.turnOnServer, 'Turn On Server', 'turnOn', (n) => turnManaged(hub, n, true)],
    [COMMANDS.turnOffServer, 'Turn Off Server', 'turnOff', (n) => turnManaged(hub, n, false)],
  ];
  return [
    vscode.commands.registerCommand(COMMANDS.openSettings, () => openServerSettings()),
    vscode.commands.registerCommand(COMMANDS.showLogs, () => channel.show()),
    ...simple.map(([id, title, action, act]) => vscode.commands.registerCommand(id, run(title, allows(action), act))),
    vscode.commands.registerCommand(
      COMMANDS.copyRedirectUri,
      run('Copy Redirect URI', oauth, async (n) => {
        const server = hub.server(n);
        const uri = server && (await redirectUriOf(server));
        if (!uri) {
          void vscode.window.showInformationMessage(
            `MCP Hub: ${shown(n)} gets a new redirect URI for each sign-in. To register one in advance, set auth.callbackPort in its settings; the URI is then http://127.0.0.1:<port>${CALLBACK_PATH}.`,
          );
          return;
        }
        await vscode.env.clipboard.writeText(uri);
        void vscode.window.showInformationMessage('MCP Hub: copied the redirect URI.');
      }),
    ),
    vscode.commands.registerCommand(
      COMMANDS.pasteRedirectUrl,
      run('Paste Redirect URL', allows('pasteRedirect'), async (n) => {
        const url = await vscode.window.showInputBox({
          title: `MCP Hub: finish signing in to ${shown(n)}`,
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
    vscode.commands.registerCommand(
      COMMANDS.setInput,
      run(
        'Set Value',
        (s) => s.inputs.length > 0,
        async (n) => {
          const server = hub.server(n);
          if (!server || server.inputs.length === 0) return;
          const missing = server.state.kind === 'needsInput' ? server.state.inputs : [];
          let name = server.inputs.length === 1 ? server.inputs[0] : undefined;
          if (!name) {
            const picked = await vscode.window.showQuickPick(
              server.inputs.map((i) => ({ label: inputReference(i), description: missing.includes(i) ? 'not set' : 'set', name: i })),
              { title: `MCP Hub: values used by ${shown(n)}`, placeHolder: 'Choose the value to set, change or clear' },
            );
            name = picked?.name;
          }
          if (name) await promptForInput(inputs, name, n, server.inputScope);
        },
      ),
    ),
    vscode.commands.registerCommand(
      COMMANDS.moveSecrets,
      run('Move to Secret Storage', allows('moveSecrets'), async (n) => {
        const config = hub.server(n)?.config;
        if (!config) return;
        const moved: string[] = [];
        for (const field of inlineSecrets(config)) {
          const input = await moveToSecretStorage(inputs, n, field);
          if (input) moved.push(`${field} → ${inputReference(input)}`);
        }
        if (moved.length > 0) void vscode.window.showInformationMessage(`MCP Hub: moved ${moved.join(', ')} to secret storage for ${shown(n)}.`);
      }),
    ),
  ];
}
