// `npm test`: type-check both sides, lint (ESLint, the Prettier check), bundle, and run the unit,
// security and integration tests (real servers, no network beyond loopback). The stages share
// nothing (the tests import the sources, not dist/), so they all run at once: each one's output is
// kept and printed whole when it ends, and the closing note gives each stage's time and the total.
// The test files run side by side, each in its own process: every server a test starts listens on
// an ephemeral loopback port and every file it writes is in its own temporary folder.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const started = performance.now();

/** The JavaScript file behind a package's command, run with this Node (no npx, no shell). */
function bin(pkg, name = pkg) {
  const manifest = require.resolve(`${pkg}/package.json`, { paths: [root] });
  const { bin: entry } = JSON.parse(readFileSync(manifest, 'utf8'));
  return join(dirname(manifest), typeof entry === 'string' ? entry : entry[name]);
}

const files = (...dirs) =>
  dirs.flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => join(dir, f)),
  );

// Most test files spend their time waiting on servers, timers and child processes rather than on the
// CPU, so more of them run at once than there are cores. Integration files sort first, so the
// longest-waiting ones start at once.
const TEST_FILES_AT_ONCE = 8;
const timings = join(tmpdir(), `mcp-hub-test-timings-${process.pid}.jsonl`);

// prettier-ignore
const stages = [
  { title: 'type-check (extension, tests)', yields: true, args: [bin('typescript', 'tsc'), '--noEmit', '-p', 'tsconfig.json'] },
  { title: 'type-check (webview)', yields: true, args: [bin('typescript', 'tsc'), '--noEmit', '-p', 'webview-ui/tsconfig.json'] },
  { title: 'ESLint', yields: true, args: [bin('eslint'), '.'] },
  { title: 'Prettier check', yields: true, args: [bin('prettier'), '--check', '.'] },
  { title: 'build', yields: true, args: ['scripts/build.mjs'] },
  {
    title: 'unit, security and integration tests',
    args: [
      '--import', 'tsx', '--test', `--test-concurrency=${TEST_FILES_AT_ONCE}`,
      '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=./scripts/test-timings.mjs', `--test-reporter-destination=${timings}`,
      ...files('test/unit', 'test/security', 'test/integration'),
    ],
  },
];

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function run(stage) {
  return new Promise((resolve) => {
    const begun = performance.now();
    const output = [];
    const child = spawn(process.execPath, stage.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    // The checks only need the CPU; the tests wait on servers and timers, so they go first. (A
    // check that has already ended, or a system that refuses, just runs at the usual priority.)
    if (stage.yields && child.pid) {
      try {
        setPriority(child.pid, 10);
      } catch {
        // see above
      }
    }
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const result = { ...stage, ok: code === 0, exit: code ?? signal, ms: performance.now() - begun };
      const text = Buffer.concat(output).toString('utf8').trimEnd();
      console.log(`\n== ${stage.title}: ${result.ok ? 'passed' : `FAILED (exit ${result.exit})`} in ${seconds(result.ms)}`);
      if (text) console.log(text);
      resolve(result);
    });
  });
}

console.log(`== running ${stages.map((s) => s.title).join(', ')} at once`);
const results = await Promise.all(stages.map(run));

/** The test files whose tests took longest, from the timings reporter: where to look when the run slows down. */
function slowestFiles(count) {
  try {
    const perFile = readFileSync(timings, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    return perFile.sort((a, b) => b.ms - a.ms).slice(0, count);
  } catch {
    return [];
  } finally {
    rmSync(timings, { force: true });
  }
}

const width = Math.max(...results.map((r) => r.title.length));
console.log('\n== npm test, stage by stage (all at once)');
for (const r of results) console.log(`  ${r.title.padEnd(width)}  ${seconds(r.ms).padStart(7)}  ${r.ok ? 'ok' : `FAILED (exit ${r.exit})`}`);
const slowest = slowestFiles(5);
if (slowest.length) {
  console.log('  slowest test files (time in their tests):');
  for (const f of slowest) console.log(`    ${seconds(f.ms).padStart(7)}  ${f.file}`);
}
const failed = results.filter((r) => !r.ok);
console.log(`== total ${seconds(performance.now() - started)}: ${failed.length ? `FAILED: ${failed.map((r) => r.title).join(', ')}` : 'all passed'}`);
process.exit(failed.length ? 1 : 0);
