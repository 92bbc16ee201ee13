// routeSdkConsole: the SDK's console lines go to our logger, scrubbed; everyone else's console is
// untouched. Checked where the SDK is a package of its own (plain Node) and where it is bundled in
// with the core (the extension's bundle, built as scripts/build.mjs builds it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { ClientCredentialsProvider } from '@modelcontextprotocol/client';
import { routeSdkConsole } from '../../src/core/sdk-console';
import { MemoryLogger, root } from '../helpers';

/** The SDK warns, synchronously, when client credentials come without the issuer they belong to. */
function sdkWarns(secret: string): void {
  new ClientCredentialsProvider({ clientId: 'c', clientSecret: secret });
}

function stderrDuring(run: () => void): string {
  const printed: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  try {
    run();
  } finally {
    process.stderr.write = write;
  }
  return printed.join('');
}

/** The esbuild plugin the extension's build uses (scripts/sdk-shims.mjs). */
async function sdkShims(): Promise<import('esbuild').Plugin> {
  return ((await import(join(root, 'scripts/sdk-shims.mjs'))) as { sdkShims: import('esbuild').Plugin }).sdkShims;
}

/**
 * Writes an entry that routes the SDK's console, gets the SDK (`code.sdk`) and makes it warn, then
 * loads another extension's file (`code.other`); `bundle` bundles it and says what to run and where
 * that other file goes. Only the SDK's line may reach the route; the other file's is printed.
 */
async function routesInBundle(code: { sdk: string; other: string }, bundle: (entry: string, dir: string) => Promise<{ main: string; other: string }>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-hub-sdk-console-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `import { routeSdkConsole } from ${JSON.stringify(join(root, 'src/core/sdk-console'))};`,
        code.sdk,
        `const lines: string[] = [];`,
        `const keep = (m: string) => void lines.push(m);`,
        `routeSdkConsole({ trace: keep, debug: keep, info: keep, warn: keep, error: keep });`,
        `new ClientCredentialsProvider({ clientId: 'c', clientSecret: 's' });`,
        code.other,
        `process.stdout.write(JSON.stringify(lines));`,
      ].join('\n'),
    );
    const { main, other } = await bundle(entry, dir);
    writeFileSync(other, `console.error('plain line');\n`);
    const run = spawnSync(process.execPath, [main, other], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const lines = JSON.parse(run.stdout) as string[];
    assert.equal(lines.length, 1, run.stdout);
    assert.match(lines[0], /^\[mcp-sdk\] Omitting `expectedIssuer`/);
    assert.equal(run.stderr, 'plain line\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('routeSdkConsole', () => {
  it("sends the SDK's lines to the logger, scrubbed, and leaves other callers' lines alone", () => {
    const logger = new MemoryLogger();
    const route = routeSdkConsole(logger);
    const printed = stderrDuring(() => {
      sdkWarns('s');
      console.warn('not the SDK: access_token=abc123def456');
    });
    route.dispose();
    assert.match(logger.text(), /^warn \[mcp-sdk\] Omitting `expectedIssuer` is deprecated/);
    assert.doesNotMatch(printed, /mcp-sdk/);
    // Another caller's line is printed as it was: the console belongs to others as well.
    assert.equal(printed, 'not the SDK: access_token=abc123def456\n');
  });

  it('the newest route gets the lines; with none left, the SDK prints again', () => {
    const first = new MemoryLogger();
    const second = new MemoryLogger();
    const a = routeSdkConsole(first);
    const b = routeSdkConsole(second);
    sdkWarns('s');
    b.dispose();
    b.dispose();
    sdkWarns('s');
    a.dispose();
    const printed = stderrDuring(() => sdkWarns('s'));
    assert.equal(second.lines.length, 1);
    assert.equal(first.lines.length, 1);
    assert.match(printed, /\[mcp-sdk\] Omitting/);
  });

  it('works the same in the bundle, where the SDK and the core are one file', async () => {
    await routesInBundle({ sdk: `import { ClientCredentialsProvider } from '@modelcontextprotocol/client';`, other: `require(process.argv[2]);` }, async (entry, dir) => {
      const main = join(dir, 'extension.js');
      await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: main,
        nodePaths: [join(root, 'node_modules')],
        plugins: [await sdkShims()],
        logLevel: 'silent',
      });
      // Another extension's code, in a file of its own.
      return { main, other: join(dir, 'other-extension.js') };
    });
  });

  it('works the same in the split bundle, where the SDK is in another chunk than the core', async () => {
    // Loaded on demand, as the gateway's server side is: the SDK lands in a chunk of its own.
    await routesInBundle(
      { sdk: `const { ClientCredentialsProvider } = await import('@modelcontextprotocol/client');`, other: `await import(process.argv[2]);` },
      async (entry, dir) => {
        const out = join(dir, 'dist');
        const built = await esbuild.build({
          entryPoints: { extension: entry },
          bundle: true,
          platform: 'node',
          format: 'esm',
          splitting: true,
          chunkNames: 'chunks/[name]-[hash]',
          outExtension: { '.js': '.mjs' },
          outdir: out,
          metafile: true,
          nodePaths: [join(root, 'node_modules')],
          banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
          plugins: [await sdkShims()],
          logLevel: 'silent',
        });
        // The split this test is about: the SDK's client is not in the entry file.
        const entryInputs = Object.keys(built.metafile.outputs[Object.keys(built.metafile.outputs).find((o) => o.endsWith('extension.mjs'))!].inputs);
        assert.ok(!entryInputs.some((i) => i.includes('@modelcontextprotocol/client')), entryInputs.join('\n'));
        // Another extension's code, in a folder of its own.
        mkdirSync(join(dir, 'other'));
        return { main: join(out, 'extension.mjs'), other: join(dir, 'other', 'other-extension.mjs') };
      },
    );
  });
});
