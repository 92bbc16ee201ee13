/// <reference types="mocha" />
/**
 * In the real editor, through the extension's public API and the vscode API. The harness starts
 * the demo stack and puts its servers in the user settings; it also plays the user's browser.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { McpHubApi } from '../../src/extension';

const OAUTH = 'protected-demo';
const LOCAL = 'local-demo';
/** The reference server (npx @modelcontextprotocol/server-everything). */
const EVERYTHING = 'everything';
const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

async function api(): Promise<McpHubApi> {
  const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string } | undefined)?.name === 'mcp-hub');
  assert.ok(ext, 'the MCP Hub extension is loaded');
  return (await ext.activate()) as McpHubApi;
}

function waitFor(hub: McpHubApi, name: string, kinds: string[], ms = 60_000): Promise<ReturnType<McpHubApi['servers']>[number]> {
  return new Promise((resolve, reject) => {
    const find = () => hub.servers().find((s) => s.name === name);
    const check = () => {
      const s = find();
      if (s && kinds.includes(s.state.kind)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(s);
      }
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`${name} did not reach ${kinds.join('/')}; it is ${JSON.stringify(find()?.state)}`));
    }, ms);
    const sub = hub.onDidChange(check);
    check();
  });
}

/** Waits until `done()` holds, asking again whenever the editor moves (an editor or selection change) and every 100 ms. */
async function until(done: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const subs = [vscode.window.onDidChangeActiveTextEditor(() => finish()), vscode.window.onDidChangeTextEditorSelection(() => finish())];
      const timer = setTimeout(() => finish(), 100);
      function finish(): void {
        clearTimeout(timer);
        for (const sub of subs) sub.dispose();
        resolve();
      }
    });
  }
}

/**
 * The name VS Code gives a hub server's tool: `mcp_<prefix>_<tool>`, the prefix being the server's
 * serverInfo title or name (the gateway reports the hub's name for the server, and no title),
 * lowercased, other characters as `_`, cut to 13 characters; dots become `_` and the whole is cut
 * to 64 (VS Code's rule, 1.139).
 */
function vsCodeToolName(server: string, tool: string): string {
  return `mcp_${server
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .slice(0, 13)}_${tool}`
    .replaceAll('.', '_')
    .slice(0, 64);
}

/** Starts the hub server VS Code knows as `label` in VS Code's own MCP client, until it lists `tool` under the name it is expected to have. */
async function startInVsCode(label: string, tool: string): Promise<vscode.LanguageModelToolInformation> {
  // VS Code names extension-provided servers <extension id>/<label>. It learns of them shortly after
  // activation (when the provider's definitions change), so the start is repeated until the tools are there.
  const name = vsCodeToolName(label, tool);
  const find = () => vscode.lm.tools.find((t) => t.tags.includes('mcp') && t.name === name);
  let found: vscode.LanguageModelToolInformation | undefined;
  for (let i = 0; i < 30 && !found; i++) {
    await vscode.commands.executeCommand('workbench.mcp.startServer', `mcp-hub.mcp-hub/${label}`, { waitForLiveTools: true, errorOnUserInteraction: true });
    for (let j = 0; j < 10 && !(found = find()); j++) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(found, `VS Code lists ${name} (it has: ${vscode.lm.tools.map((t) => t.name).join(', ')})`);
  return found;
}

/** VS Code's own MCP client: start the hub server it knows as `label`, then call one of its tools as chat would. */
async function callThroughVsCode(label: string, tool: string, input: Record<string, unknown>): Promise<string> {
  const found = await startInVsCode(label, tool);
  const result = await vscode.lm.invokeTool(found.name, { input, toolInvocationToken: undefined });
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * "MCP Hub: Connect a Client…" as the person uses it: the first client in the list (its configuration
 * goes to the clipboard), then the notification's Copy Token (the token goes to the clipboard).
 */
async function connectAClient(): Promise<{ config: string; token: string }> {
  const before = `clipboard-before-${Date.now()}`;
  await vscode.env.clipboard.writeText(before);
  const command = Promise.resolve(vscode.commands.executeCommand('mcpHub.connectClient'));
  let config = before;
  for (let i = 0; i < 50 && config === before; i++) {
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    await sleep(200);
    config = await vscode.env.clipboard.readText();
  }
  // The notification follows the copy; its one button (the primary action) is Copy Token.
  await sleep(500);
  let token = config;
  for (let i = 0; i < 50 && token === config; i++) {
    await vscode.commands.executeCommand('notification.acceptPrimaryAction');
    await sleep(200);
    token = await vscode.env.clipboard.readText();
  }
  await command;
  await vscode.env.clipboard.writeText('');
  return { config, token };
}

/** Hands the gateway token to the harness (over loopback, never a file), which looks for it in every file once the editor has closed. */
async function reportGatewayToken(token: string): Promise<void> {
  const url = process.env.MCP_HUB_E2E_REPORT_URL;
  assert.ok(url, 'the harness listens for the gateway token');
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ gatewayToken: token }) });
  assert.equal(response.status, 204);
}

async function pidOf(hub: McpHubApi, name: string): Promise<number> {
  return Number(/pid=(\d+)/.exec(text(await hub.callTool(name, 'whoami')))![1]);
}

describe('MCP Hub in the editor', () => {
  it('takes servers from the settings to running, and an OAuth server to authRequired', async () => {
    const hub = await api();
    const local = await waitFor(hub, LOCAL, ['running']);
    assert.equal(local.type, 'stdio');
    assert.ok(local.state.kind === 'running' && local.state.tools.some((t) => t.name === 'echo'));
    const remote = await waitFor(hub, OAUTH, ['authRequired']);
    assert.equal(remote.oauth, true);
  });

  it('calls a tool', async () => {
    const hub = await api();
    assert.equal(text(await hub.callTool(LOCAL, 'echo', { text: 'from the editor' })), 'from the editor');
    assert.equal(hub.listTools(LOCAL).length > 0, true);
  });

  it("offers the hub's servers to VS Code's own MCP client, which calls a stdio server's tool through the gateway", async () => {
    const hub = await api();
    await waitFor(hub, LOCAL, ['running']);
    assert.equal(await callThroughVsCode(LOCAL, 'echo', { text: 'from VS Code chat' }), 'from VS Code chat');
  });

  it("names every hub server's tools in VS Code mcp_<server>_<tool>, the same shape for each", async () => {
    const hub = await api();
    for (const server of [LOCAL, EVERYTHING]) {
      await waitFor(hub, server, ['running']);
      await startInVsCode(server, 'echo');
      const mine = hub.listTools(server).map((t) => t.name);
      assert.ok(mine.length > 1, `${server} has tools`);
      const prefix = vsCodeToolName(server, '');
      const listed = vscode.lm.tools.filter((t) => t.tags.includes('mcp') && t.name.startsWith(prefix)).map((t) => t.name);
      assert.deepEqual(listed.sort(), mine.map((t) => vsCodeToolName(server, t)).sort(), `${server}'s tools in vscode.lm.tools`);
    }
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(names.includes('mcp_local-demo_echo') && names.includes('mcp_everything_echo'), names.join(', '));
    assert.ok(!names.some((n) => /mcp_hub|_mc_/.test(n)), `no repeated or cut-off parts: ${names.join(', ')}`);
    assert.equal(await callThroughVsCode(EVERYTHING, 'echo', { message: 'named well' }), 'Echo: named well');
  });

  it("lets VS Code's own MCP client read an MCP App through the hub: the app's tool for the model, its ui:// resource, no app-only tool", async () => {
    const hub = await api();
    await waitFor(hub, 'time-app', ['running']);
    // The model-visible tool, under the name VS Code gives it. The stable API shows name,
    // description and input schema only: `_meta.ui` (the app's resourceUri) is not observable here.
    const tool = await startInVsCode('time-app', 'get-time');
    assert.equal(tool.description, 'Returns the current server time as an ISO 8601 string.');
    assert.equal((tool.inputSchema as { type?: string } | undefined)?.type, 'object');
    // The app's ui:// resource, read by VS Code's own client through the gateway (resources/read):
    // VS Code serves an MCP server's resources as mcp-resource:// files (what "MCP: Browse
    // Resources…" opens), named by the hex of its id for the server and the resource's scheme,
    // authority and path (VS Code 1.139, mcpTypes.ts McpResourceURI.fromServer).
    const id = Buffer.from('mcp-hub.mcp-hub/time-app', 'utf8').toString('hex');
    const uri = vscode.Uri.from({ scheme: 'mcp-resource', authority: id, path: '/ui/get-time/mcp-app.html' });
    const html = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(html, /<title>Get Time App<\/title>/, html.slice(0, 300));
    // A server whose app polls a tool only apps may call: VS Code lists its model tool, never the app-only one.
    await waitFor(hub, 'monitor-app', ['running']);
    await startInVsCode('monitor-app', 'get-system-info');
    assert.ok(
      hub.listTools('monitor-app').some((t) => t.name === 'poll-system-stats'),
      'the hub has the app-only tool (an app may call it)',
    );
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(!names.includes(vsCodeToolName('monitor-app', 'poll-system-stats')), `no app-only tool for the model: ${names.join(', ')}`);
  });

  it('applies a settings edit as a diff', async () => {
    const hub = await api();
    const config = vscode.workspace.getConfiguration('mcpHub');
    const servers = config.inspect<Record<string, Record<string, unknown>>>('servers')!.globalValue!;
    const before = await pidOf(hub, LOCAL);
    const local = servers[LOCAL];
    await config.update('servers', { ...servers, 'added-demo': { ...local, env: { FIXTURE_NAME: 'added-demo' } } }, vscode.ConfigurationTarget.Global);
    await waitFor(hub, 'added-demo', ['running']);
    assert.match(text(await hub.callTool('added-demo', 'whoami')), /^added-demo /);
    assert.equal(await pidOf(hub, LOCAL), before, 'the unchanged server kept its process');
    await config.update('servers', servers, vscode.ConfigurationTarget.Global);
    await until(() => hub.servers().every((s) => s.name !== 'added-demo'), 'added-demo to leave the hub');
  });

  it('opens the settings JSON at mcpHub.servers', async () => {
    await vscode.commands.executeCommand('mcpHub.openSettings');
    await until(() => vscode.window.activeTextEditor !== undefined, 'the settings editor');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor opened');
    assert.match(editor.document.fileName, /settings\.json$/);
    // VS Code reveals the setting (the cursor lands at or just inside its value) after the editor opens.
    const keyLine = editor.document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('"mcpHub.servers"'));
    assert.ok(keyLine >= 0, 'the file has the setting');
    const offset = () => vscode.window.activeTextEditor!.selection.active.line - keyLine;
    await until(() => offset() >= 0 && offset() <= 2, 'the cursor at the setting', 10_000).catch(() => undefined);
    assert.ok(offset() >= 0 && offset() <= 2, `the cursor is at the setting (${offset()} lines from it)`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('signs in through the Authenticate command, keeps the session under the host key, and logs out', async () => {
    const hub = await api();
    await waitFor(hub, OAUTH, ['authRequired']);
    // The harness signs in on the real authorization server page that openExternal opens.
    await vscode.commands.executeCommand('mcpHub.authenticate', OAUTH);
    const s = await waitFor(hub, OAUTH, ['running']);
    assert.ok(s.state.kind === 'running' && s.state.tools.length > 0);
    assert.equal(text(await hub.callTool(OAUTH, 'echo', { text: 'signed in' })), 'signed in');
    const url = new URL(process.env.MCP_HUB_E2E_OAUTH_URL!);
    assert.equal(s.secretKey, `mcpHub.oauth/${url.host}`);
    assert.equal(s.session?.issuer, process.env.MCP_HUB_E2E_ISSUER);
    assert.ok(s.session!.expiresAt! > Date.now());
    // Nothing in the settings holds a token.
    const settings = JSON.stringify(vscode.workspace.getConfiguration('mcpHub').inspect('servers'));
    assert.doesNotMatch(settings, /access_token|refresh_token|eyJ/);
    // VS Code's own MCP client reaches the signed-in server through the gateway; the sign-in stays the hub's.
    assert.equal(await callThroughVsCode(OAUTH, 'echo', { text: 'chat on a signed-in server' }), 'chat on a signed-in server');

    await vscode.commands.executeCommand('mcpHub.logout', OAUTH);
    const out = await waitFor(hub, OAUTH, ['authRequired']);
    assert.equal(out.session, undefined);
    assert.ok(out.state.kind === 'authRequired' && out.state.reason === 'Signed out.');
  });

  it("asks to sign in when VS Code's own MCP client starts a server that needs it, then returns the tool's result", async () => {
    const hub = await api();
    await waitFor(hub, OAUTH, ['authRequired']);
    // VS Code still holds its connection from before the log-out: stop it, so its next start asks MCP Hub.
    await vscode.commands.executeCommand('workbench.mcp.stopServer', `mcp-hub.mcp-hub/${OAUTH}`);
    // The harness answers "Sign in now?" with Sign In and signs in on the real page. A test run may
    // keep notifications in the notification center, so the center is kept open meanwhile.
    let done = false;
    const call = callThroughVsCode(OAUTH, 'echo', { text: 'signed in when chat asked' }).finally(() => (done = true));
    while (!done) {
      await vscode.commands.executeCommand('notifications.showList');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(await call, 'signed in when chat asked');
    const s = await waitFor(hub, OAUTH, ['running']);
    assert.ok(s.session, "the session is the hub's");
  });

  it('holds a workspace server until the person approves it, and stops everything when VS Code turns MCP off', async () => {
    const hub = await api();
    const local = vscode.workspace.getConfiguration('mcpHub').inspect<Record<string, Record<string, unknown>>>('servers')!.globalValue![LOCAL];
    // A folder's settings bring a server: in a trusted workspace it still waits for the person's yes
    // (a test run refuses the modal, as a dismissed modal decides nothing).
    await vscode.workspace
      .getConfiguration('mcpHub')
      .update('servers', { 'folder-demo': { ...local, env: { FIXTURE_NAME: 'folder-demo' } } }, vscode.ConfigurationTarget.Workspace);
    try {
      const waiting = await waitFor(hub, 'folder-demo', ['disabled']);
      assert.equal(waiting.source, 'workspace');
      assert.ok(waiting.state.kind === 'disabled' && waiting.state.reason === 'approval', JSON.stringify(waiting.state));
      await assert.rejects(hub.callTool('folder-demo', 'echo', { text: 'x' }), /waits for your approval/);
    } finally {
      await vscode.workspace.getConfiguration('mcpHub').update('servers', undefined, vscode.ConfigurationTarget.Workspace);
    }
    // chat.mcp.access (policy ChatMCP) "none" stops the person's own servers at once, and "all" starts them again.
    const mcp = vscode.workspace.getConfiguration('chat.mcp');
    await mcp.update('access', 'none', vscode.ConfigurationTarget.Global);
    try {
      const blocked = await waitFor(hub, LOCAL, ['disabled']);
      assert.ok(
        blocked.state.kind === 'disabled' && blocked.state.reason === 'policy' && /chat\.mcp\.access: none/.test(blocked.state.message ?? ''),
        JSON.stringify(blocked.state),
      );
      await assert.rejects(hub.callTool(LOCAL, 'echo', { text: 'x' }), /blocked by policy/);
    } finally {
      await mcp.update('access', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(hub, LOCAL, ['running']);
  });

  it("keeps the gateway token out of files: VS Code's client got it per start, and Connect a Client's configuration refers to it", async () => {
    // After the journeys above with VS Code's own client (workbench.mcp.startServer, invokeTool).
    const hub = await api();
    await waitFor(hub, LOCAL, ['running']);
    assert.equal(await callThroughVsCode(LOCAL, 'echo', { text: 'once more through the gateway' }), 'once more through the gateway');
    const { config, token } = await connectAClient();
    assert.match(token, /^[A-Za-z0-9_-]{43,}$/, 'Copy Token put the gateway token on the clipboard');
    assert.ok(config.includes('${MCP_HUB_TOKEN}'), `the configuration refers to the token: ${config}`);
    assert.ok(!config.includes(token), 'the configuration holds no token');
    // The harness looks for it under the user data (settings, logs, global and workspace storage) after the editor closes.
    await reportGatewayToken(token);
  });
});
