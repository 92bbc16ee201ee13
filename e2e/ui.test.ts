// The person's journey in the real workbench (code-server in Debian's Chromium, via playwright-core):
// the MCP Hub view, Authenticate in the webview, sign-in on the real authorization server's page,
// Connected, the OAuth trace, reload without a browser, a second account and Switch Account, Log Out,
// Cancel, an error row's detail, and the workbench: a tool run from its form, a server's question
// answered, a resource opened, a tool's MCP App shown in its runner (a real published app) with a
// button in it calling a tool; and
// the company IdP: one sign-in from the panel's header, after which two enterprise servers connect;
// and last, an organisation policy installed on the machine (/etc/mcp-hub/policy.json): a required
// server, a blocked user server and an administrator's tool deny. Screenshots go to artifacts/e2e/.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Frame, type FrameLocator, type Page } from 'playwright-core';
import { freePort, startCodeServer, workbenchUrl, type CodeServer } from './harness/code-server';
import { USER_SETTINGS } from './harness/in-editor';
import { gatewayStarts, ourHostLogProblems } from './harness/host-log';
import { runFromPalette } from './harness/palette';
import { filesContaining } from './harness/leaks';
import { MACHINE_POLICY, machinePolicySkip, removeMachinePolicy, removeVSCodePolicyFile, writeMachinePolicy, writeVSCodePolicyFile } from './harness/machine-policy';
import { ARTIFACTS, CHROMIUM, ROOT } from './harness/paths';
import { startDemoStack, startEnterpriseStack, type DemoStack, type EnterpriseStack } from './harness/stack';
import { playUser, type UserBrowser } from './harness/user-browser';
import { startHttpServer, type HttpFixture } from '../test/fixtures/http-server';
import { catalog, server as registryServer, startRegistry, type RegistryFixture } from '../test/fixtures/registry';

const OAUTH = 'protected-demo';
const TIMEOUT = 60_000;
/** The API key the registry's remote server wants in its X-Api-Key header. */
const REGISTRY_SECRET = 'e2e-registry-key-3b8d1f';

describe('the MCP Hub panel in a real workbench', { timeout: 10 * 60_000 }, () => {
  let dir: string;
  let stack: DemoStack;
  let enterprise: EnterpriseStack;
  let registry: RegistryFixture;
  let registryRemote: HttpFixture;
  let server: CodeServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let user: UserBrowser;
  let url: string;
  let vscodePolicyFile = false;
  const log: string[] = [];

  const panel = (): FrameLocator => page.frameLocator('iframe.webview.ready[src*="purpose=webviewView"]').frameLocator('iframe#active-frame');
  const row = (name: string) => panel().locator(`.server[data-server="${name}"]`);
  const status = (name: string) => row(name).locator('.status');
  // Worded actions are <vscode-button>s, icon ones <vscode-toolbar-button>s: both carry class "action".
  const action = (name: string, act: string) => row(name).locator(`.action[data-action="${act}"]`);
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  /** The webview frame (an editor tab's or the panel's) that has `selector` in it, with `text` when given. */
  async function frameWith(selector: string, text?: string): Promise<Frame> {
    const end = Date.now() + TIMEOUT;
    const find = (frame: Frame) => (text === undefined ? frame.locator(selector) : frame.locator(selector).filter({ hasText: text })).first();
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no webview shows ${selector}${text ? ` with "${text}"` : ''}`);
      // Whichever comes first: the element in a frame there now, or a frame navigating (a new
      // webview), after which every frame is asked again.
      const inFrames = page.frames().map((frame) =>
        find(frame)
          .waitFor({ state: 'attached', timeout: left })
          .then(() => frame),
      );
      const navigated = page.waitForEvent('framenavigated', { timeout: left }).then(() => undefined);
      const found = await Promise.any([...inFrames, navigated]).catch(() => undefined);
      if (found) return found;
    }
  }

  /** Opens the tools of a server's row and presses Run… on one. */
  async function runFromPanel(server: string, tool: string): Promise<void> {
    const tools = row(server).locator('summary[data-section="tools"]');
    if ((await row(server).locator(`[data-tool="${tool}"]`).count()) === 0) await tools.click();
    await row(server).locator(`[data-tool="${tool}"] [data-run]`).click();
  }

  /**
   * Opens the MCP Hub view with its Focus command from the Command Palette, which only ever opens
   * it (a click on the activity-bar icon toggles, and after a reload the workbench restores the side
   * bar in its own time, so a click could close what was about to open).
   */
  async function openView(): Promise<void> {
    await page.waitForSelector('.monaco-workbench', { timeout: TIMEOUT });
    await page.locator('.activitybar .action-item a[aria-label^="MCP Hub"]').waitFor({ timeout: TIMEOUT });
    await runFromPalette(page, 'MCP Hub: Focus on Servers View', TIMEOUT);
    await row(OAUTH).waitFor({ timeout: TIMEOUT });
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // A policy a killed run left behind would govern every step.
    removeMachinePolicy();
    removeVSCodePolicyFile();
    // MCP Hub's policy through VS Code's policy file: code-server does not apply that file, so it must change nothing (every step runs the person's servers).
    vscodePolicyFile = writeVSCodePolicyFile({ McpHubOrganizationPolicy: JSON.stringify({ organization: 'VS Code policy', userServers: 'none' }) });
    dir = mkdtempSync(join(tmpdir(), 'mcphub-ui-'));
    stack = await startDemoStack({ broken: true, withInput: true, everything: true, apps: true });
    // code-server forwards the loopback callback through its port proxy: the IdP's administrator
    // registers that redirect URI, for a fixed callback port.
    const editorPort = await freePort();
    const callbackPort = await freePort();
    enterprise = await startEnterpriseStack({ callbackPort, redirectUris: [`http://127.0.0.1:${editorPort}/proxy/${callbackPort}/callback`] });
    // An MCP registry serving the v0.1 API, whose remote server wants an API key header.
    registryRemote = await startHttpServer({ name: 'registry-remote', requireHeader: ['x-api-key', REGISTRY_SECRET] });
    registry = await startRegistry(catalog({ remoteUrl: registryRemote.url }));
    const workspace = join(dir, 'workspace');
    // The person's settings also name their company IdP and two servers behind it, and the registry.
    server = await startCodeServer({
      dir,
      workspace,
      port: editorPort,
      userSettings: {
        ...USER_SETTINGS,
        // VS Code starts extension-provided MCP servers only in a trusted workspace (this run is not about trust).
        'security.workspace.trust.enabled': false,
        'mcpHub.servers': { ...stack.servers, ...enterprise.servers },
        'mcpHub.enterprise.idp': enterprise.idpSettings,
        'mcpHub.registry.url': registry.url,
        // A person's own value of the policy setting is no policy (only VS Code's policy sets it): every step runs their servers.
        'mcpHub.organizationPolicy': JSON.stringify({ organization: 'Me', userServers: 'none' }),
      },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    user = playUser(context, page, (m) => log.push(m));
    url = workbenchUrl(server, workspace, ROOT);
    await page.goto(url);
    await openView();
  });

  after(async () => {
    removeMachinePolicy();
    removeVSCodePolicyFile();
    user?.stop();
    await browser?.close();
    await server?.stop();
    await stack?.close();
    await enterprise?.close();
    await registry?.close();
    await registryRemote?.close();
    rmSync(dir, { recursive: true, force: true });
    for (const line of log) console.log(`  ${line}`);
  });

  it('shows a protected server as "Authentication required" and a local one as connected', async () => {
    // Rows tell stdio servers apart by their program, and never show a value that may be secret.
    await panel().locator('.server[data-server="everything"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await row('everything').locator('.target').innerText(), 'npx @modelcontextprotocol/server-everything …');
    assert.equal(await row('local-demo').locator('.target').innerText(), 'node stdio-server.mjs');
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="authRequired"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await status(OAUTH).innerText(), 'Authentication required');
    await panel().locator('.server[data-server="local-demo"][data-status="running"]').waitFor({ timeout: TIMEOUT });
    assert.match(await status('local-demo').innerText(), /^Connected · \d+ tools$/);
    await panel().locator('.server[data-server="everything"][data-status="running"]').waitFor({ timeout: TIMEOUT });
    assert.match(await row('everything').locator('vscode-badge.revision').innerText(), /^MCP \d{4}-\d{2}-\d{2}$/);
    await shot('1-auth-required');
  });

  it('signs in: Authenticate in the panel, the real sign-in page in the browser, then "Connected · N tools"', async () => {
    user.signIn = true;
    const pagesBefore = user.opened.length;
    await action(OAUTH, 'authenticate').click();
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(user.opened.length, pagesBefore + 1, 'one browser page, the authorization server');
    assert.match(await status(OAUTH).innerText(), /^Connected · \d+ tools$/);
    await row(OAUTH).locator('.session').waitFor();
    assert.match(await row(OAUTH).locator('.session').innerText(), /Signed in/);
    // Just signed in: the session line says so, not "refreshed".
    assert.match(await row(OAUTH).locator('.session .signed-in').innerText(), /^signed in /);
    // The protocol badge says what it is, and its tooltip which era.
    const badge = row(OAUTH).locator('vscode-badge.revision');
    assert.match(await badge.innerText(), /^MCP \d{4}-\d{2}-\d{2}$/);
    assert.match((await badge.getAttribute('title')) ?? '', /^MCP protocol revision .*(classic era|and later)/);
    await row(OAUTH).locator('summary[data-section="tools"]').click();
    // The tool rows render when the section opens, each with its Run… button.
    await row(OAUTH).locator('[data-tool] [data-run]').first().waitFor({ timeout: TIMEOUT });
    await shot('2-connected');
  });

  it('opens the OAuth trace of the sign-in: metadata, registration, browser, callback, token', async () => {
    await row(OAUTH).locator('[data-trace]').click();
    const trace = await frameWith('mcp-trace-view tr[data-step="token"]');
    const text = await trace.locator('mcp-trace-view').innerText();
    for (const step of ['metadata', 'registration', 'authorize', 'callback', 'token']) assert.ok((await trace.locator(`mcp-trace-view tr[data-step="${step}"]`).count()) > 0, step);
    assert.doesNotMatch(text, /code=|access_token|refresh_token|code_verifier/);
    await shot('10-oauth-trace');
  });

  it('is connected again after a window reload, with no browser page opened', async () => {
    const pagesBefore = user.opened.length;
    await page.reload();
    await openView();
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(user.opened.length, pagesBefore);
  });

  it('signs in with another account beside the first, and switches back: the row names the account it runs as', async () => {
    const account = row(OAUTH).locator('.session .account-name');
    assert.match(await account.innerText(), /^Alice \(alice@example\.com\)$/);
    // The person signs in as bob (the authorization server is asked for a fresh sign-in, prompt=login).
    user.username = 'bob';
    await action(OAUTH, 'addAccount').click();
    await row(OAUTH).locator('.session .account-name', { hasText: 'Bob' }).waitFor({ timeout: TIMEOUT });
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    user.username = 'alice';
    // Two accounts now: Switch Account… lists both, the active one marked.
    await action(OAUTH, 'switchAccount').click();
    const choice = (text: string) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
    await choice('Alice').waitFor({ timeout: TIMEOUT });
    assert.match(await choice('Bob').innerText(), /bob@example\.com[\s\S]*Active/);
    await shot('3-switch-account');
    await choice('Alice').click();
    await row(OAUTH).locator('.session .account-name', { hasText: 'Alice' }).waitFor({ timeout: TIMEOUT });
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
  });

  it('logs out: back to "Authentication required"', async () => {
    await action(OAUTH, 'logout').click();
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="authRequired"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await status(OAUTH).innerText(), 'Authentication required');
  });

  it('cancels while "Waiting for authorization…"', async () => {
    user.signIn = false; // the person opens the page but never signs in
    await action(OAUTH, 'authenticate').click();
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="authenticating"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await status(OAUTH).innerText(), 'Waiting for authorization…');
    await shot('3-waiting');
    await action(OAUTH, 'cancel').click();
    await panel().locator(`.server[data-server="${OAUTH}"][data-status="authRequired"]`).waitFor({ timeout: TIMEOUT });
    assert.match(await row(OAUTH).innerText(), /Sign-in was cancelled/);
  });

  it('asks for an ${input:…} value in a password box, once, and starts the server that needs it', async () => {
    const KEYED = 'keyed-demo';
    const secret = 'e2e-demo-api-key-5a7c9e';
    await panel().locator(`.server[data-server="${KEYED}"][data-status="needsInput"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await status(KEYED).innerText(), 'Needs a value: ${input:demo-api-key}');
    await shot('5-needs-input');
    await action(KEYED, 'setInput').click();
    const box = page.locator('.quick-input-widget input');
    await box.waitFor({ timeout: TIMEOUT });
    assert.equal(await box.getAttribute('type'), 'password', 'typed into a password box');
    await box.fill(secret);
    await box.press('Enter');
    await panel().locator(`.server[data-server="${KEYED}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    assert.match(await status(KEYED).innerText(), /^Connected · \d+ tools$/);
    assert.ok(!(await row(KEYED).innerText()).includes(secret), 'the value is never shown');
    await shot('6-input-set');
  });

  it('adds a server from a registry: Add Server… in the title bar, a search, its secret in a password box, then Connected', async () => {
    const NAME = 'remote-http';
    const quickInput = page.locator('.quick-input-widget');
    const box = quickInput.locator('input');
    const choice = (text: string) => quickInput.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    // The view's title bar: the "+" that says Add Server….
    const add = page.getByRole('button', { name: 'Add Server…', exact: true }).first();
    await page.locator('.sidebar .composite.title').hover();
    await add.click({ timeout: TIMEOUT });
    await box.waitFor({ timeout: TIMEOUT });
    // It searches as the person types, and each item names the server, its version and its repository.
    await box.fill('remote');
    // Once the registry has answered the search, only what matches is listed.
    await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'weather' }).first().waitFor({ state: 'detached', timeout: TIMEOUT });
    await choice('Remote (Streamable HTTP)').waitFor({ timeout: TIMEOUT });
    assert.match(await choice('Remote (Streamable HTTP)').innerText(), /3\.0\.0[\s\S]*io\.github\.acme\/remote-http · github\.com\/acme\/remote-http/);
    await choice('remote-sse').waitFor({ timeout: TIMEOUT });
    await shot('13-add-server-search');
    await choice('Remote (Streamable HTTP)').click();
    // The header it needs is a secret: a password box.
    await quickInput.locator('input[type="password"]').waitFor({ timeout: TIMEOUT });
    assert.match(await quickInput.innerText(), /X-Api-Key \(header\)/);
    await box.fill(REGISTRY_SECRET);
    await box.press('Enter');
    // Where it goes, and exactly what it connects to, before anything is written.
    await choice('User settings').waitFor({ timeout: TIMEOUT });
    assert.match(await choice('User settings').innerText(), new RegExp(`Runs: ${registryRemote.url.replace(/[.]/g, '\\.')}`));
    await choice('User settings').hover();
    await shot('14-add-server-where');
    await choice('User settings').click();
    await panel().locator(`.server[data-server="${NAME}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    assert.match(await status(NAME).innerText(), /^Connected · \d+ tools$/);
    assert.ok(!(await row(NAME).innerText()).includes(REGISTRY_SECRET), 'the value is never shown');
    await row(NAME).scrollIntoViewIfNeeded();
    await shot('15-added-from-registry');
    // settings.json holds an ordinary entry with its provenance and an ${input:…}, never the key.
    const settings = readFileSync(join(server.userDataDir, 'User/settings.json'), 'utf8');
    assert.ok(!settings.includes(REGISTRY_SECRET));
    assert.match(settings, /"X-Api-Key": "\$\{input:remote-http\.header\.X-Api-Key\}"/);
    assert.match(settings, /"name": "io\.github\.acme\/remote-http"/);
  });

  it('shows a newer version on the row, and Update moves the server to it, keeping its secret', async () => {
    const NAME = 'remote-http';
    registry.publish({
      server: registryServer('io.github.acme/remote-http', '3.1.0', {
        title: 'Remote (Streamable HTTP)',
        remotes: [{ type: 'streamable-http', url: registryRemote.url, headers: [{ name: 'X-Api-Key', description: 'API key', isRequired: true, isSecret: true }] }],
      }),
    });
    await runFromPalette(page, 'MCP Hub: Check for Server Updates', TIMEOUT);
    await row(NAME).locator('.update-available').waitFor({ timeout: TIMEOUT });
    assert.equal(await row(NAME).locator('.update-available').innerText(), 'Update available (3.1.0)');
    await row(NAME).scrollIntoViewIfNeeded();
    await shot('16-update-available');
    await action(NAME, 'update').click();
    await row(NAME).locator('.update-available').waitFor({ state: 'detached', timeout: TIMEOUT });
    await panel().locator(`.server[data-server="${NAME}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    const settings = readFileSync(join(server.userDataDir, 'User/settings.json'), 'utf8');
    assert.match(settings, /"version": "3\.1\.0"/);
    assert.match(settings, /"X-Api-Key": "\$\{input:remote-http\.header\.X-Api-Key\}"/);
    assert.ok(!settings.includes(REGISTRY_SECRET));
  });

  it('shows an error row with its detail on demand', async () => {
    await panel().locator('.server[data-server="broken-demo"][data-status="error"]').waitFor({ timeout: TIMEOUT });
    assert.match(await status('broken-demo').innerText(), /^Error: /);
    await row('broken-demo').locator('summary[data-section="detail"]').click();
    await row('broken-demo').locator('details[data-section="detail"] pre').waitFor();
    assert.match(await row('broken-demo').locator('details[data-section="detail"] pre').innerText(), /fixture: missing API key/);
    await shot('4-error-detail');
  });

  it('runs a tool from its form in an editor tab and shows the result', async () => {
    await panel().locator('.server[data-server="local-demo"][data-status="running"]').waitFor({ timeout: TIMEOUT });
    await runFromPanel('local-demo', 'echo');
    const runner = await frameWith('mcp-tool-runner h1', 'echo');
    await runner.locator('mcp-schema-form vscode-textfield').first().locator('input').fill('hello from the form');
    await runner.locator('mcp-schema-form vscode-button', { hasText: 'Run' }).click();
    const result = runner.locator('mcp-tool-result');
    await result.getByText('hello from the form').waitFor({ timeout: TIMEOUT });
    await shot('7-tool-runner');
  });

  it("answers a server's question (elicitation) in its form", async () => {
    await runFromPanel('local-demo', 'greet_person');
    const runner = await frameWith('mcp-tool-runner h1', 'greet_person');
    await runner.locator('mcp-schema-form vscode-button', { hasText: 'Run' }).click();
    const question = await frameWith('mcp-question mcp-schema-form');
    assert.match(await question.locator('mcp-question h1').innerText(), /local-demo asks/);
    await question.locator('mcp-schema-form vscode-textfield').first().locator('input').fill('Ada');
    await shot('8-elicitation');
    await question.locator('mcp-schema-form vscode-button', { hasText: 'Accept' }).click();
    await runner.locator('mcp-tool-result').getByText('Hello, Ada!').waitFor({ timeout: TIMEOUT });
  });

  it("shows a tool's MCP App in its runner, and a button in the app calls a tool through the hub", async () => {
    await panel().locator('.server[data-server="time-app"][data-status="running"]').waitFor({ timeout: TIMEOUT });
    await runFromPanel('time-app', 'get-time');
    const runner = await frameWith('mcp-tool-runner h1', 'Get Time');
    await runner.locator('mcp-schema-form vscode-button', { hasText: 'Run' }).click();
    // The app, two frames down (the sandbox proxy, then the app), shows the run's result.
    const app = runner.frameLocator('mcp-app-frame iframe').frameLocator('iframe');
    const time = app.locator('#server-time');
    await time.filter({ hasText: /^\d{4}-\d{2}-\d{2}T/ }).waitFor({ timeout: TIMEOUT });
    const first = await time.innerText();
    await runner.locator('details.text-result > summary').scrollIntoViewIfNeeded();
    await shot('13-mcp-app');
    // Its own button calls get-time again, through the tab, the extension and the hub.
    await app.getByRole('button', { name: 'Get Server Time' }).click();
    await time
      .filter({ hasNotText: first })
      .filter({ hasText: /^\d{4}-\d{2}-\d{2}T/ })
      .waitFor({ timeout: TIMEOUT });
    assert.ok((await time.innerText()) > first, 'a later time, from the second call');
    // The text result is one click away.
    await runner.locator('details.text-result > summary').click();
    await runner.locator('details.text-result mcp-tool-result').getByText(first, { exact: true }).waitFor({ timeout: TIMEOUT });
  });

  it('opens a resource in a read-only editor', async () => {
    const section = row('local-demo').locator('summary[data-section="resources"]');
    if ((await row('local-demo').locator('[data-resource="fixture://readme"]').count()) === 0) await section.click();
    await row('local-demo').locator('[data-resource="fixture://readme"]').click();
    await page.locator('.monaco-editor .view-lines', { hasText: '# Fixture' }).first().waitFor({ timeout: TIMEOUT });
    await shot('9-resource');
  });

  it('signs in to the company IdP once from the panel, and two enterprise servers turn Connected', async () => {
    const bar = panel().locator('#mcp-enterprise');
    try {
      for (const name of Object.keys(enterprise.servers)) await panel().locator(`.server[data-server="${name}"][data-status="authRequired"]`).waitFor({ timeout: TIMEOUT });
      await bar.locator('[data-command="enterpriseSignIn"]').waitFor({ timeout: TIMEOUT });
    } catch (error) {
      await shot('11-enterprise-failed');
      console.log((await panel().locator('mcp-hub-panel').innerHTML()).slice(0, 1500));
      for (const f of findFiles(join(dir, 'user-data', 'logs'), /MCP Hub\.log$/)) copyFileSync(f, join(ARTIFACTS, 'enterprise-mcp-hub.log'));
      throw error;
    }
    user.signIn = true;
    const pagesBefore = user.opened.length;
    await bar.locator('[data-command="enterpriseSignIn"]').click();
    try {
      for (const name of Object.keys(enterprise.servers)) await panel().locator(`.server[data-server="${name}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
    } catch (error) {
      await shot('11-enterprise-failed');
      for (const p of user.opened.slice(pagesBefore)) console.log(`page ${p.url().slice(0, 300)}: ${(await p.content().catch(() => '')).slice(0, 800)}`);
      for (const f of findFiles(join(dir, 'user-data', 'logs'), /MCP Hub\.log$/)) copyFileSync(f, join(ARTIFACTS, 'enterprise-mcp-hub.log'));
      throw error;
    }
    assert.equal(user.opened.length, pagesBefore + 1, 'one browser page in all: the IdP sign-in');
    assert.deepEqual(enterprise.idp.stats.logins, ['alice'], 'signed in at the company IdP');
    assert.match(await bar.innerText(), /Company sign-in: Alice \(alice@example\.com\)/);
    await bar.locator('[data-command="enterpriseSignOut"]').waitFor();
    await row('company-wiki').scrollIntoViewIfNeeded();
    await shot('11-enterprise');
    await bar.scrollIntoViewIfNeeded();
    await shot('12-company-sign-in');
    // No ID token, ID-JAG, refresh or access token in any file outside secret storage.
    const tokens = enterprise.tokens();
    assert.ok(tokens.length >= 4, 'the IdP and the servers issued tokens');
    assert.deepEqual(
      filesContaining(dir, tokens).map((f) => f.slice(dir.length)),
      [],
      'files holding a token',
    );
  });

  it("VS Code's own MCP client uses the hub's servers, and the panel's gateway line shows it as a gateway client", async () => {
    // VS Code's "MCP: Browse Resources…" starts its MCP servers (the hub's, through the gateway) and
    // lists their resources. (That VS Code's client reads an MCP App's ui:// resource is shown by the
    // in-editor suite, which reads it as VS Code's mcp-resource: file.)
    await runFromPalette(page, 'MCP: Browse Resources', TIMEOUT);
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: TIMEOUT });
    await shot('17-vscode-browse-resources');
    await page.keyboard.press('Escape');

    // The panel's gateway line opens who uses the gateway: VS Code's own client (code-server names
    // itself "code-server" in its handshake) with its calls, and the calls per server.
    await panel().locator('#mcp-gateway').click();
    const usage = await frameWith('mcp-gateway-view tr[data-client="code-server"]');
    const vscodeRow = usage.locator('mcp-gateway-view tr[data-client="code-server"]').first();
    assert.match(await vscodeRow.innerText(), /1\.139/, 'its version from the handshake');
    await usage.locator('mcp-gateway-view tr[data-server="time-app"]').waitFor({ timeout: TIMEOUT });
    const calls = Number(await usage.locator('mcp-gateway-view tr[data-server="time-app"] td').first().innerText());
    assert.ok(calls >= 1, `time-app's requests through the gateway: its lists (${calls})`);
    const shown = await usage.locator('mcp-gateway-view').innerText();
    assert.doesNotMatch(shown, /<!DOCTYPE|# Fixture/i, 'nothing of what was read');
    await shot('18-gateway-clients');
  });

  it('leaves a quiet extension host log across the first activation and a reload, and starts the gateway once per window', () => {
    const userData = join(dir, 'user-data');
    const { files, problems } = ourHostLogProblems(userData);
    assert.ok(files.length > 0, "the extension host's log was found");
    assert.deepEqual(
      problems.map((p) => `${p.level}: ${p.text}`),
      [],
      `errors and warnings of MCP Hub in ${files.join(', ')}`,
    );
    // Two windows (the first load and the reload): one gateway start each.
    const { starts } = gatewayStarts(userData);
    assert.equal(starts.length, 2, starts.join('\n'));
  });

  it(
    `holds an organisation's policy installed at ${MACHINE_POLICY}: a required server, a blocked user server, a tool the administrator denies`,
    { skip: machinePolicySkip() },
    async () => {
      const MANAGED = 'company-tools';
      const OPTIONAL = 'company-extra';
      assert.equal(
        await panel().locator('#mcp-organisation').count(),
        0,
        `no policy yet: the person's own mcpHub.organizationPolicy is ignored${vscodePolicyFile ? ", and code-server does not apply VS Code's /etc/vscode/policy.json" : ''}`,
      );
      const node = process.execPath;
      const fixture = join(ROOT, 'test/fixtures/stdio-server.mjs');
      writeMachinePolicy({
        organization: 'Acme Corp',
        servers: {
          [MANAGED]: { command: node, args: [fixture], env: { FIXTURE_NAME: 'acme-tools' }, availability: 'required', tools: { deny: ['dangerous_*'] } },
          [OPTIONAL]: { command: node, args: [fixture], env: { FIXTURE_NAME: 'acme-extra' }, availability: 'optional' },
        },
        // The person's own servers: the demo's remote ones and its local fixture, but not "everything" (npx).
        allow: { urls: ['http://127.0.0.1:*/*', 'http://[::1]:*/*'], commands: [[node, fixture]] },
        gateway: 'vscode',
      });
      // The file is watched: the panel follows without a reload.
      await panel().locator(`.server[data-server="${MANAGED}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
      assert.equal(await panel().locator('#mcp-organisation').innerText(), 'Managed by Acme Corp');
      await panel().locator('#mcp-organisation').scrollIntoViewIfNeeded();
      await shot('13-organisation-header');
      assert.equal(await row(MANAGED).locator('.managed-by').innerText(), 'Managed by Acme Corp · required');
      assert.equal(await action(MANAGED, 'stop').count(), 0, 'a required server offers no Stop');
      await row(MANAGED).locator('summary[data-section="tools"]').click();
      // The lists render the rows in view: bring the filtered ones there.
      await row(MANAGED).locator('.filtered-heading').scrollIntoViewIfNeeded();
      const denied = row(MANAGED).locator('[data-tool="dangerous_delete"]');
      await denied.waitFor({ timeout: TIMEOUT });
      assert.equal(await denied.locator('.tool-reason').innerText(), "kept off by Acme Corp's policy (tools.deny: dangerous_*)");
      assert.equal(await denied.locator('[data-switch]').count(), 0, 'no switch turns it on');
      assert.match(await panel().locator('#mcp-gateway').innerText(), /· VS Code only/);
      assert.equal(await panel().locator('[data-command="connectClient"]').count(), 0, 'no other client can be connected');
      await row(MANAGED).scrollIntoViewIfNeeded();
      await denied.scrollIntoViewIfNeeded();
      await shot('14-managed-server');

      // An optional server waits for the person: Turn On (kept in their user settings), then Turn Off.
      await panel().locator(`.server[data-server="${OPTIONAL}"][data-status="disabled"]`).waitFor({ timeout: TIMEOUT });
      assert.equal(await status(OPTIONAL).innerText(), 'Disabled: offered by Acme Corp; Turn On to start it');
      await action(OPTIONAL, 'turnOn').click();
      await panel().locator(`.server[data-server="${OPTIONAL}"][data-status="running"]`).waitFor({ timeout: TIMEOUT });
      await action(OPTIONAL, 'turnOff').click();
      await panel().locator(`.server[data-server="${OPTIONAL}"][data-status="disabled"]`).waitFor({ timeout: TIMEOUT });
      assert.equal(await status(OPTIONAL).innerText(), 'Disabled: offered by Acme Corp; Turn On to start it');

      await panel().locator('.server[data-server="everything"][data-status="blocked"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await status('everything').innerText(), "Blocked by your organisation's policy");
      assert.equal(await row('everything').locator('.message').innerText(), 'Not started: its command line is not one Acme Corp allows (allow.commands).');
      await panel().locator('.server[data-server="local-demo"][data-status="running"]').waitFor({ timeout: TIMEOUT });
      await row('everything').scrollIntoViewIfNeeded();
      await shot('15-blocked-by-policy');

      // A broken policy: nothing runs, and the panel names the file and the field.
      writeMachinePolicy({ organization: 'Acme Corp', servers: { [MANAGED]: { command: node, args: [fixture], availability: 'always' } } });
      await panel().locator('#mcp-organisation[role="alert"]').waitFor({ timeout: TIMEOUT });
      assert.equal(
        await panel().locator('#mcp-organisation').innerText(),
        `Your organisation's policy (${MACHINE_POLICY}) cannot be used: servers.${MANAGED}.availability: must be "required", "default" or "optional". No server runs until it is fixed.`,
      );
      await panel().locator('.server[data-server="local-demo"][data-status="blocked"]').waitFor({ timeout: TIMEOUT });
      await panel().locator('#mcp-organisation').scrollIntoViewIfNeeded();
      await shot('16-broken-policy');

      // Removed: the managed server goes, the person's own servers run again.
      removeMachinePolicy();
      await panel().locator('.server[data-server="local-demo"][data-status="running"]').waitFor({ timeout: TIMEOUT });
      await panel().locator('.server[data-server="everything"][data-status="running"]').waitFor({ timeout: TIMEOUT });
      assert.equal(await row(MANAGED).count(), 0);
      assert.equal(await panel().locator('#mcp-organisation').count(), 0);
    },
  );
});

/** Files under `root` whose path matches `pattern`. */
function findFiles(root: string, pattern: RegExp): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => pattern.test(f));
}
