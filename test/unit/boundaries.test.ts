// The import rules of the architecture: the core never imports `vscode` (it runs under plain Node),
// the protocol imports nothing, and the webview imports only the protocol, its own files, Lit and single
// @vscode-elements components.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../helpers';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s(?:[^;]*?from\s+)?'([^']+)'/gm)].map((m) => m[1]);

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
  it('webview-ui imports only the protocol, its own files, lit and single @vscode-elements components', () => {
    const webview = join(root, 'webview-ui');
    const protocol = join(root, 'src/protocol');
    for (const file of sources(webview)) {
      for (const spec of importsOf(file)) {
        const target = resolve(dirname(file), spec);
        const ok = spec.startsWith('.')
          ? target === protocol || target.startsWith(webview + sep)
          : /^lit(\/|$)/.test(spec) || /^@vscode-elements\/elements\/dist\/vscode-[a-z-]+\/index\.js$/.test(spec);
        assert.ok(ok, `${relative(root, file)} imports ${spec}`);
      }
    }
  });
});
