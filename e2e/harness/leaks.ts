import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files under `dir` (settings, logs, extension storage, the browser's profile) that contain any of `secrets`. */
export function filesContaining(dir: string, secrets: Iterable<string>): string[] {
  // As written (UTF-8, Latin-1) and as UTF-16, which is how a browser's storage may keep a string.
  const needles = [...secrets].filter((s) => s.length >= 16).flatMap((s) => [s, Buffer.from(s, 'utf16le').toString('latin1')]);
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 20 * 1024 * 1024) {
        const text = readFileSync(p).toString('latin1');
        if (needles.some((n) => text.includes(n))) hits.push(p);
      }
    }
  };
  walk(dir);
  return hits;
}
