// `node scripts/make-icon.mjs`: media/icon.png (the Marketplace/extension-page icon, 256x256) drawn
// from media/icon.svg by Chromium (the one the e2e suite uses), so no image tool is needed.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const svg = readFileSync(join(root, 'media/icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 256, height: 256 } });
  await page.setContent(
    `<!DOCTYPE html><html><body style="margin:0;background:transparent">${svg.replace('<svg ', '<svg style="display:block;width:256px;height:256px" ')}</body></html>`,
  );
  await page.screenshot({ path: join(root, 'media/icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
console.log('media/icon.png written');
