// Bundles the extension host (CommonJS, `vscode` external) and the panel's front end into dist/.
// Type-checking is separate: `npm run typecheck`.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdkShims } from './sdk-shims.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const common = { bundle: true, minify: production, sourcemap: !production, logLevel: 'warning', legalComments: 'none' };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [join(root, 'src/extension.ts')],
    outfile: join(dist, 'extension.js'),
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    plugins: [sdkShims],
    // The extension host defines a global \`navigator\` whose getter reports "PendingMigrationError:
    // navigator is now a global in nodejs" as an error of the extension that read it. zod's
    // \`allowsEval\` and jose's user agent check read it only to ask "a browser or worker?"; in the
    // extension host the answer is no, so the bundle says so without touching the global.
    define: { navigator: 'undefined' },
  }),
  // The sidebar panel and the workbench tabs (tool runner, a server's question, an image resource).
  ...[
    ['webview-ui/main.ts', 'webview.js'],
    ['webview-ui/workbench.ts', 'workbench.js'],
  ].map(([entry, out]) =>
    esbuild.build({
      ...common,
      entryPoints: [join(root, entry)],
      outfile: join(dist, out),
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
    }),
  ),
]);
cpSync(join(root, 'webview-ui/style.css'), join(dist, 'webview.css'));
const codicons = join(root, 'node_modules/@vscode/codicons/dist');
mkdirSync(join(dist, 'codicons'), { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, f), join(dist, 'codicons', f));
console.log(`built dist/ (${production ? 'production' : 'development'})`);
