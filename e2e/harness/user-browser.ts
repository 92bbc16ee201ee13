/**
 * The person at the browser, for the code-server launcher: pages that the extension opens with
 * openExternal arrive in the same Playwright context. This confirms VS Code's "open the external
 * website?" dialog and signs in on the authorization server's real login and consent pages.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface UserBrowser {
  /** Pages opened through openExternal, in order. */
  readonly opened: Page[];
  /** Whether to sign in on the next authorization page (false: leave it open, as a user who wanders off). */
  signIn: boolean;
  stop(): void;
}

export function playUser(context: BrowserContext, workbench: Page, log: (m: string) => void = () => undefined): UserBrowser {
  const user: UserBrowser = { opened: [], signIn: true, stop: () => (stopped = true) };
  let stopped = false;
  context.on('page', (page) => {
    if (page === workbench) return;
    user.opened.push(page);
    log(`browser: opened ${redactQuery(page.url())}`);
    if (user.signIn) void signIn(page, log).catch((e: Error) => log(`browser: sign-in failed: ${e.message}`));
  });
  // VS Code asks before opening an external site; answer as a user would.
  void (async () => {
    while (!stopped) {
      try {
        const open = workbench.getByRole('button', { name: 'Open', exact: true });
        if (await open.isVisible()) {
          log('browser: confirmed "open the external website"');
          await open.click();
        }
      } catch {
        // the page is reloading or closed
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return user;
}

async function signIn(page: Page, log: (m: string) => void): Promise<void> {
  await page.waitForLoadState('domcontentloaded');
  await page.locator('input[name="login"]').waitFor({ timeout: 30_000 });
  await page.fill('input[name="login"]', 'alice');
  await page.fill('input[name="password"]', 'secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click({ timeout: 30_000 });
  await page.getByText('Signed in to MCP Hub').waitFor({ timeout: 30_000 });
  log('browser: signed in; the callback page says to return to VS Code');
}

function redactQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return url;
  }
}
