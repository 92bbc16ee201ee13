/** The Command Palette, as a person uses it. */
import type { Page } from 'playwright-core';

/**
 * Runs `command` (its category and title, e.g. "MCP Hub: Focus on Servers View"): F1, the command
 * typed, Enter once it is listed. On a loaded machine the palette can open before the workbench has
 * registered the command (or a keypress can land while focus moves), so a palette that does not list
 * it is closed and opened again, as a person would, until `timeout` runs out.
 */
export async function runFromPalette(page: Page, command: string, timeout: number): Promise<void> {
  const end = Date.now() + timeout;
  const box = page.locator('.quick-input-widget input');
  // The row shows the title apart from the category.
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: command.slice(command.indexOf(': ') + 2) }).first();
  for (;;) {
    const left = () => Math.max(1, end - Date.now());
    await page.keyboard.press('F1');
    await box.waitFor({ timeout: left() });
    await box.fill(`>${command}`);
    try {
      await row.waitFor({ timeout: Math.min(15_000, left()) });
      break;
    } catch (error) {
      if (Date.now() >= end) throw error;
      await page.keyboard.press('Escape');
    }
  }
  await box.press('Enter');
}
