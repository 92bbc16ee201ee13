// src/core/oauth/README.md is the map a newcomer reads first ("where is a 403 insufficient_scope
// handled?"): this keeps it true. Every file of the folder is in its table and every file it names
// exists; every `name` it places in a file (`StepUp.take` (step-up.ts)) is there: declared there
// when it is code, else (a gap's name such as `stagedSignIn`) said there. And the wing stays in small
// pieces: no file over 350 lines, server-auth.ts under 300.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../helpers';

const folder = join(root, 'src/core/oauth');
const map = readFileSync(join(folder, 'README.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const core = sources(join(root, 'src/core')).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const declaration = (name: string) => new RegExp(`\\b(?:function|class|const|let|type|interface|enum)\\s+${name}\\b`);
const method = (name: string) => new RegExp(`^\\s*(?:(?:private|readonly|static|async|get|set)\\s+)*${name}\\s*[(<:]`, 'm');

/** Each `name` the map places in a file: in prose, `a` (file.ts) or (`a`, file.ts), and in the files table. */
function placements(): Array<{ names: string[]; file: string }> {
  const out: Array<{ names: string[]; file: string }> = [];
  const names = (text: string) => [...text.matchAll(/`([\w.]+)`/g)].map((n) => n[1]);
  // `a`, `b` (file.ts)
  for (const m of map.matchAll(/((?:`[\w.]+`(?:,\s*)?)+)\s*\(([\w./-]+\.ts)\)/g)) out.push({ names: names(m[1]), file: m[2] });
  // (`a`, file.ts) and (`a`, file.ts; `b`, other.ts)
  for (const m of map.matchAll(/((?:`[\w.]+`,\s*)+)([\w./-]+\.ts)\b/g)) out.push({ names: names(m[1]), file: m[2] });
  for (const m of map.matchAll(/^\| ([\w./-]+\.ts) \| ([^|]*) \|$/gm)) {
    out.push({ names: names(m[2].split(':')[0]), file: m[1] });
  }
  return out;
}

describe('the map of src/core/oauth (README.md)', () => {
  it('lists every file of the folder, and only files that exist', () => {
    const listed = new Set([...map.matchAll(/^\| ([\w./-]+\.ts) \|/gm)].map((m) => m[1]));
    const present = sources(folder).map((f) => relative(folder, f).split('\\').join('/'));
    for (const file of present) assert.ok(listed.has(file), `${file} is not in the map's table of files`);
    for (const file of listed) assert.ok(present.includes(file), `the map lists ${file}, which does not exist`);
  });

  it('places each name in the file that has it', () => {
    const found = placements();
    assert.ok(found.length > 60, `only ${found.length} placements read: the map's format changed?`);
    for (const { names, file } of found) {
      const path = resolve(folder, file);
      assert.ok(existsSync(path), `the map names ${file}, which does not exist`);
      const text = readFileSync(path, 'utf8');
      for (const name of names) {
        for (const part of name.split('.')) {
          const declaredSomewhere = core.some((c) => declaration(part).test(c.text) || (name.includes('.') && method(part).test(c.text)));
          const here = declaredSomewhere ? declaration(part).test(text) || method(part).test(text) : new RegExp(`\\b${part}\\b`).test(text);
          assert.ok(here, `the map places ${name} in ${file}, which does not ${declaredSomewhere ? 'declare' : 'mention'} ${part}`);
        }
      }
    }
  });

  it('keeps the wing in small pieces: no file over 350 lines, server-auth.ts under 300', () => {
    for (const file of sources(folder)) {
      const lines = readFileSync(file, 'utf8').split('\n').length - 1;
      const limit = file.endsWith('server-auth.ts') ? 299 : 350;
      assert.ok(lines <= limit, `${relative(root, file)} has ${lines} lines (at most ${limit}): split it along a job it does`);
    }
  });

  it('names tests that exist', () => {
    for (const m of map.matchAll(/test\/unit\/[\w-]+\.test\.ts/g)) assert.ok(existsSync(join(root, m[0])), `${m[0]} does not exist`);
  });
});
