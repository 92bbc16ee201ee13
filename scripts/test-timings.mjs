// A node:test reporter for `npm test` (scripts/test.mjs): one JSON line per test file with the time
// its top-level tests and suites took, so the closing note can name the files that set the pace.
import { relative } from 'node:path';

export default async function* timings(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  for (const [file, ms] of perFile) yield `${JSON.stringify({ file, ms })}\n`;
}
