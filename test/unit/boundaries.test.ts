// The import rules of the architecture: the core never imports `vscode` (it runs under plain Node),
// the protocol imports nothing, and the webview imports only the protocol, its own files and the
// packages bundled into it (lit, single @vscode-elements/elements components, the MCP Apps SDK's app-bridge).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../helpers';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);

describe('import boundaries', () => {
  it('src/core never imports vscode or the adapters', () => {
    for (const file of sources(join(root, 'src/core'))) {
      for (const spec of importsOf(file)) {
        assert.ok(spec !== 'vscode' && !spec.includes('/vscode/'), `${relative(root, file)} imports ${spec}`);
      }
    }
  });
  it('src/protocol.ts imports nothing', () => {
    assert.deepEqual(importsOf(join(root, 'src/protocol.ts')), []);
  });
  it('webview-ui imports only the protocol, its own files, lit, single vscode-elements components and the MCP Apps app-bridge', () => {
    const webview = join(root, 'webview-ui');
    const bundled = /^(?:lit|lit\/directives\/[a-z-]+\.js|@vscode-elements\/elements\/dist\/vscode-[a-z-]+\/index\.js|@modelcontextprotocol\/ext-apps\/app-bridge)$/;
    for (const file of sources(webview)) {
      const text = readFileSync(file, 'utf8');
      // `import … from`, side-effect `import '…'` and `import('…')`
      const specs = [...importsOf(file), ...[...text.matchAll(/^\s*import\s+'([^']+)'/gm), ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((m) => m[1])];
      for (const spec of specs) {
        // a relative import must land on src/protocol or stay inside webview-ui/
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : undefined;
        const ok = target !== undefined ? target === join(root, 'src/protocol') || !relative(webview, target).startsWith('..') : bundled.test(spec);
        assert.ok(ok, `${relative(root, file)} imports ${spec}`);
      }
    }
  });
});
