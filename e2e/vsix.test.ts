// The extension as a person installs it: the VSIX (`npm run package`) installed with
// `code-server --install-extension`, then its page in the Extensions view of the real workbench. The
// header shows the icon (loaded), the page opens with what MCP Hub is and how to install it, and it
// shows no broken image: the page keeps an image only with an https src (its sanitizer drops relative
// ones, which is what left 6 images without a src), so every image there must be an https one (the
// VSIX built with --images-url) or none (scripts/package.mjs). Screenshot:
// artifacts/e2e/extension-page.png (docs/images/extension-page.png is a copy). And it runs as installed:
// activated from the packaged ES module and its chunks, its panel shows the gateway on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { startCodeServer, type CodeServer } from './harness/code-server';
import { USER_SETTINGS } from './harness/in-editor';
import { runFromPalette } from './harness/palette';
import { ARTIFACTS, CHROMIUM, CODE_SERVER, NODE24_BIN, ROOT } from './harness/paths';

const VSIX = join(ROOT, 'dist-vsix/mcp-hub.vsix');
const TIMEOUT = 60_000;

describe('the installed extension presents itself', { timeout: 5 * 60_000 }, () => {
  let dir: string;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    assert.ok(existsSync(VSIX), `${VSIX} is missing: npm run package`);
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'mcphub-vsix-'));
    const extensions = join(dir, 'extensions');
    mkdirSync(extensions, { recursive: true });
    const install = spawnSync(CODE_SERVER, ['--extensions-dir', extensions, '--user-data-dir', join(dir, 'user-data'), '--install-extension', VSIX], {
      env: { ...process.env, PATH: `${NODE24_BIN}:${process.env.PATH}`, HOME: join(dir, 'home'), TMPDIR: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(install.status, 0, `code-server --install-extension failed:\n${install.stdout}\n${install.stderr}`);
    const workspace = join(dir, 'workspace');
    // Trust is not what this is about: without the Restricted Mode banner the page is as a person sees it.
    server = await startCodeServer({ dir, workspace, userSettings: { ...USER_SETTINGS, 'security.workspace.trust.enabled': false } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: TIMEOUT });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows its icon, opens with what it is and how to install it, and shows no broken image', async () => {
    // The installed extension is running (its activity-bar item is there), not a development copy.
    await page.locator('.activitybar .action-item a[aria-label^="MCP Hub"]').waitFor({ timeout: TIMEOUT });
    // The Extensions view, filtered to installed extensions, then MCP Hub's entry.
    await runFromPalette(page, 'Extensions: Show Installed Extensions', TIMEOUT);
    const entry = page.locator('.extensions-viewlet .extension-list-item', { hasText: 'MCP Hub' }).first();
    await entry.waitFor({ timeout: TIMEOUT });
    await entry.click();

    const editor = page.locator('.extension-editor');
    await editor.locator('.header .name', { hasText: 'MCP Hub' }).waitFor({ timeout: TIMEOUT });
    // The header's icon is the packaged PNG, loaded (a missing icon shows a default image).
    const icon = editor.locator('.header .icon-container img.icon');
    await icon.waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(
      (img) => !!img && (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0,
      await icon.elementHandle(),
      { timeout: TIMEOUT },
    );
    const iconSrc = (await icon.getAttribute('src')) ?? '';
    assert.match(iconSrc, /icon\.png/, `the header shows the extension's icon, not the default (${iconSrc})`);

    // The README is rendered in a webview of its own.
    const frame = await readmeFrame(page);
    const headings = (await frame.locator('h2').allTextContents()).map((h) => h.trim());
    assert.ok(
      headings.indexOf('Install') >= 0 && headings.indexOf('Install') < headings.indexOf('Build from source'),
      `install comes before building from source: ${headings.join(' | ')}`,
    );
    assert.equal(headings.indexOf('Install'), 0, `the page starts with what MCP Hub is, then how to install it: ${headings.join(' | ')}`);
    const sources = await frame.evaluate<(string | null)[]>('[...document.querySelectorAll("img")].map((img) => img.getAttribute("src"))');
    for (const src of sources) assert.match(src ?? '(no src)', /^https:\/\//, 'every image on the page has a src the page can load');
    await page.screenshot({ path: join(ARTIFACTS, 'extension-page.png') });
  });

  it('activates as installed: its panel shows, and the gateway, loaded from a chunk of its own, listens', async () => {
    await runFromPalette(page, 'MCP Hub: Focus on Servers View', TIMEOUT);
    // The panel's gateway line: the view's webview (activate() registered it) says the gateway,
    // which the extension loads with import() when it starts it, is on.
    const line = await textIn(page, '#mcp-gateway', /^Gateway on port \d+/);
    assert.match(line, /^Gateway on port \d+/);
  });
});

/** The webview frame of the extension editor that shows the README (its "MCP Hub" title and "Install"). */
async function readmeFrame(page: Page): Promise<Frame> {
  const end = Date.now() + TIMEOUT;
  for (;;) {
    for (const frame of page.frames()) {
      const title = await frame
        .locator('h1')
        .first()
        .textContent({ timeout: 100 })
        .catch(() => null);
      if (
        title?.trim() === 'MCP Hub' &&
        (await frame
          .locator('h2', { hasText: 'Install' })
          .count()
          .catch(() => 0)) > 0
      )
        return frame;
    }
    if (Date.now() > end) throw new Error('no frame shows the README');
    await page.waitForEvent('framenavigated', { timeout: 1_000 }).catch(() => undefined);
  }
}

/** The text of `selector` in whichever frame shows it, once it matches `pattern`. */
async function textIn(page: Page, selector: string, pattern: RegExp): Promise<string> {
  const end = Date.now() + TIMEOUT;
  let last = '';
  for (;;) {
    for (const frame of page.frames()) {
      const text = await frame
        .locator(selector)
        .first()
        .innerText({ timeout: 100 })
        .catch(() => undefined);
      if (text === undefined) continue;
      last = text.trim();
      if (pattern.test(last)) return last;
    }
    if (Date.now() > end) throw new Error(`no frame shows ${selector} matching ${pattern} (last: "${last}")`);
    await page.waitForEvent('framenavigated', { timeout: 1_000 }).catch(() => undefined);
  }
}
