// Bundles the extension host and the webviews' front ends into dist/. Type-checking is separate:
// `npm run typecheck`. `--production` minifies; `--analyze` prints what each bundle is made of (the
// metafiles are written to out/metafile-*.json either way, for esbuild's analyzer or by hand).
//
// The extension host is an ES module (VS Code loads `"main": "./dist/extension.mjs"` with import(),
// since 1.100) split into chunks (dist/chunks/), so what only some uses need is loaded with import()
// when first used, with one copy of every module shared by all: the gateway and the SDK's server
// side, the registry's flows and checks, MCP Apps' sandbox server, the .mcpb unzipper, jose (the SDK
// imports it on demand for DPoP and signed client assertions). The workbench tabs' script is split
// the same way (workbench-build.mjs). `npm run bench -- d` reports what activation loads.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdkShims, zodNamespace } from './sdk-shims.mjs';
import { workbenchBuild } from './workbench-build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const analyze = process.argv.includes('--analyze');
const dist = join(root, 'dist');
const out = join(root, 'out');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
mkdirSync(out, { recursive: true });

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning', legalComments: 'none', metafile: true };

const builds = {
  extension: esbuild.build({
    ...common,
    entryPoints: { extension: join(root, 'src/extension.ts') },
    outdir: dist,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    plugins: [sdkShims, zodNamespace],
    // The bundled CommonJS packages (yauzl, cross-spawn…) require Node's modules: an ES module has
    // no `require` of its own, so each file gets one.
    banner: { js: "import { createRequire as __mcpHubRequire } from 'node:module'; const require = __mcpHubRequire(import.meta.url);" },
    // The extension host defines a global \`navigator\` whose getter reports "PendingMigrationError:
    // navigator is now a global in nodejs" as an error of the extension that read it. zod's
    // \`allowsEval\` and jose's user agent check read it only to ask "a browser or worker?"; in the
    // extension host the answer is no, so the bundle says so without touching the global.
    define: { navigator: 'undefined' },
  }),
  // The sidebar panel.
  webview: esbuild.build({
    ...common,
    entryPoints: [join(root, 'webview-ui/main.ts')],
    outfile: join(dist, 'webview.js'),
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
  }),
  // The workbench tabs (tool runner, a server's question, an image resource, traces, the gateway's
  // clients), with the MCP Apps bridge in a chunk of its own (workbench-build.mjs).
  workbench: esbuild.build(workbenchBuild(root, dist, common)),
};

const results = await Promise.all(Object.values(builds));
for (const [i, name] of Object.keys(builds).entries()) {
  const { metafile } = results[i];
  writeFileSync(join(out, `metafile-${name}.json`), JSON.stringify(metafile));
  if (analyze) console.log(await esbuild.analyzeMetafile(metafile));
}
cpSync(join(root, 'webview-ui/style.css'), join(dist, 'webview.css'));
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
mkdirSync(join(dist, 'codicons'), { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, f), join(dist, 'codicons', f));
console.log(`built dist/ (${production ? 'production' : 'development'})`);
