/**
 * The person at the browser, for the code-server launcher: pages that the extension opens with
 * openExternal arrive in the same Playwright context. This confirms VS Code's "open the external
 * website?" dialog, answers MCP Hub's "Sign in now?" notification, and signs in on the
 * authorization server's real login and consent pages.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface UserBrowser {
  /** Pages opened through openExternal, in order. */
  readonly opened: Page[];
  /** Whether to sign in on the next authorization page (false: leave it open, as a user who wanders off). */
  signIn: boolean;
  /** Who signs in on a login page (default alice). */
  username: string;
  stop(): void;
}

export function playUser(context: BrowserContext, workbench: Page, log: (m: string) => void = () => undefined): UserBrowser {
  const user: UserBrowser = { opened: [], signIn: true, username: 'alice', stop: () => (stopped = true) };
  let stopped = false;
  context.on('page', (page) => {
    if (page === workbench) return;
    user.opened.push(page);
    log(`browser: opened ${redactQuery(page.url())}`);
    if (user.signIn) void signIn(page, user.username, log).catch((e: Error) => log(`browser: sign-in failed: ${e.message}`));
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
        // MCP Hub asks before signing in for VS Code's own MCP client: say yes.
        const signInNow = workbench.locator('.notification-list-item', { hasText: 'needs you to sign in. Sign in now?' }).getByRole('button', { name: 'Sign In', exact: true });
        if (await signInNow.first().isVisible()) {
          log('editor: answered "Sign in now?" with Sign In');
          await signInNow.first().click();
        }
      } catch {
        // the page is reloading or closed
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return user;
}

async function signIn(page: Page, username: string, log: (m: string) => void): Promise<void> {
  await page.waitForLoadState('domcontentloaded');
  const login = page.locator('input[name="login"]');
  const allow = page.getByRole('button', { name: 'Allow' });
  const done = page.getByText('Signed in to MCP Hub');
  // Signed in to the authorization server already (an earlier sign-in in this browser): no login page.
  await login.or(allow).or(done).first().waitFor({ timeout: 30_000 });
  if (await login.isVisible()) {
    await page.fill('input[name="login"]', username);
    await page.fill('input[name="password"]', 'secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  if (!(await done.isVisible())) await allow.click({ timeout: 30_000 });
  await done.waitFor({ timeout: 30_000 });
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
