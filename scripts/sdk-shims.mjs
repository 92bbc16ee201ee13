// An esbuild plugin for bundling the MCP SDK v2 client into the extension. The SDK picks its default
// JSON Schema validator through `@modelcontextprotocol/client/_shims`; on Node that is AJV (about
// 150 KB minified), imported even when the host passes its own validator. The hub validates tools'
// structured output with the SDK's own @cfworker/json-schema validator (src/core/hub.ts), so the
// bundle gets a shim that names that one as the default too: the same behaviour with or without the
// bundler, and AJV left out of the extension's bundle.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** @type {import('esbuild').Plugin} */
export const sdkShims = {
  name: 'mcp-hub-sdk-shims',
  setup(build) {
    // The gateway's server side (@modelcontextprotocol/server) has the same shim.
    build.onResolve({ filter: /^@modelcontextprotocol\/(client|server)\/_shims$/ }, (args) => ({ path: args.path.split('/')[1], namespace: 'mcp-hub-sdk-shims' }));
    build.onLoad({ filter: /.*/, namespace: 'mcp-hub-sdk-shims' }, () => ({
      contents: [
        // One copy of the validator for both packages (the client's; the same code, the same interface).
        "export { CfWorkerJsonSchemaValidator as DefaultJsonSchemaValidator } from '@modelcontextprotocol/client/validators/cf-worker';",
        // As in the SDK's Node shims: outside a browser a fetch TypeError is never a CORS error, and
        // the server's stdio entry takes Node's process.
        'export const CORS_IS_POSSIBLE = false;',
        "export { default as process } from 'node:process';",
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * The MCP Apps SDK (@modelcontextprotocol/ext-apps) imports zod as `import { z } from 'zod/v4'`: the
 * namespace as a value, so a bundler must keep all of zod classic, 43 locales (about 250 KB minified)
 * and the JSON Schema converters among it. It only reads members of it (`z.object(…)`), so importing
 * the module's namespace instead is the same code and lets esbuild keep only what is used.
 * @type {import('esbuild').Plugin}
 */
export const zodNamespace = {
  name: 'mcp-hub-zod-namespace',
  setup(build) {
    build.onLoad({ filter: /[\\/]@modelcontextprotocol[\\/]ext-apps[\\/]dist[\\/].*\.js$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/import\s*\{\s*z\s+as\s+([\w$]+)\s*\}\s*from\s*(["'])zod(?:\/v4)?\2/g, 'import * as $1 from "zod/v4"'),
      loader: 'js',
    }));
  },
};
