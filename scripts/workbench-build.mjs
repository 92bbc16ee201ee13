// How the workbench tabs' front end is bundled, for scripts/build.mjs and for the tests that load it
// in Chromium (test/fixtures/webview-assets.ts): an ES module (the page loads it with
// `<script type="module" nonce>`), split so that the MCP Apps bridge (webview-ui/workbench/app-bridge.ts
// with the MCP Apps SDK's AppBridge, the MCP SDK's protocol and zod: most of what the tabs would
// weigh) is a chunk of its own, fetched with the first app a tab shows. A module's imports are
// fetched under the page's CSP with its script's nonce, so the CSP stays as it is.
import { join } from 'node:path';
import { zodNamespace } from './sdk-shims.mjs';

/** @returns {import('esbuild').BuildOptions} */
export function workbenchBuild(root, outdir, options = {}) {
  return {
    bundle: true,
    entryPoints: { workbench: join(root, 'webview-ui/workbench.ts') },
    outdir,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    target: 'es2022',
    plugins: [zodNamespace],
    // The MCP SDK imports jose with import() for signed client assertions and DPoP, which the bridge
    // never makes: that code is left out, but esbuild's splitting would still write jose as a chunk
    // nothing loads.
    external: ['jose'],
    ...options,
  };
}
