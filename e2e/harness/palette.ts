/** The Command Palette, as a person uses it. */
import type { Page } from 'playwright-core';

/** Runs `command` (its category and title, e.g. "MCP Hub: Focus on Servers View"): F1, the command typed, Enter once it is listed. */
export async function runFromPalette(page: Page, command: string, timeout: number): Promise<void> {
  await page.keyboard.press('F1');
  const box = page.locator('.quick-input-widget input');
  await box.waitFor({ timeout });
  await box.fill(`>${command}`);
  // The row shows the title apart from the category.
  await page
    .locator('.quick-input-list .monaco-list-row', { hasText: command.slice(command.indexOf(': ') + 2) })
    .first()
    .waitFor({ timeout });
  await box.press('Enter');
}
