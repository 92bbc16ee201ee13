import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const CACHE = join(ROOT, '.cache');
export const NODE24_VERSION = process.env.NODE24_VERSION ?? '24.9.0';
export const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION ?? '4.139.1';
export const NODE24_BIN = join(CACHE, `node-${NODE24_VERSION}`, 'bin');
export const CODE_SERVER = join(CACHE, `code-server-${CODE_SERVER_VERSION}`, 'node_modules/.bin/code-server');
export const ARTIFACTS = join(ROOT, 'artifacts/e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
