/**
 * A small, safe markdown subset for tool output: headings, paragraphs, emphasis, inline code, code
 * blocks, lists, block quotes, rules and links. It parses into a tree of plain data; the view
 * (tool-result.ts) turns that tree into Lit templates with text bindings only, so HTML in the source
 * (`<script>`, `<img onerror=…>`) is shown as the text it is and never becomes an element.
 *
 * Bounded work: the parser is linear-ish (searches for closing delimiters are cached when they fail
 * and limited in reach), nesting is capped, and callers render long texts as plain text instead.
 */

export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code'; text: string }
  | { t: 'em'; children: Inline[] }
  | { t: 'strong'; children: Inline[] }
  | { t: 'link'; url: string; children: Inline[] }
  | { t: 'image'; url: string; alt: string };

export type Block =
  | { t: 'heading'; level: number; children: Inline[] }
  | { t: 'paragraph'; children: Inline[] }
  | { t: 'code'; lang?: string; text: string }
  | { t: 'list'; ordered: boolean; start: number; items: Block[][] }
  | { t: 'quote'; children: Block[] }
  | { t: 'rule' };

/** Characters of markdown formatted at all; a longer text is shown as plain text. */
export const MARKDOWN_LIMIT = 100_000;
const MAX_NESTING = 8;
const LABEL_REACH = 1000;

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+(.*))?$/;

const startsBlock = (line: string) => FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
const blank = (line: string) => line.trim() === '';

export function parseMarkdown(src: string, depth = 0): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  if (depth > MAX_NESTING) return [{ t: 'paragraph', children: [{ t: 'text', text: lines.join('\n').trim() }] }];
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}[ \\t]*$`).test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      blocks.push({ t: 'code', ...(fence[2] ? { lang: fence[2] } : {}), text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ t: 'heading', level: heading[1].length, children: parseInline(heading[2] ?? '', depth) });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ t: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      for (let m = QUOTE.exec(lines[i]); i < lines.length && m; m = i < lines.length ? QUOTE.exec(lines[i]) : null) {
        body.push(m[1]);
        i++;
      }
      blocks.push({ t: 'quote', children: parseMarkdown(body.join('\n'), depth + 1) });
      continue;
    }
    const item = ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]);
      const kind = ordered ? item[2].slice(-1) : item[2];
      const listIndent = item[1].length;
      const items: Block[][] = [];
      let current: string[] = [];
      let contentIndent = 0;
      while (i < lines.length) {
        const l = lines[i];
        const m = ITEM.exec(l);
        if (m && sameKind(m, ordered, kind) && m[1].length < listIndent + 2) {
          if (current.length > 0) items.push(parseMarkdown(current.join('\n'), depth + 1));
          current = [m[4] ?? ''];
          contentIndent = m[1].length + m[2].length + 1;
          i++;
          continue;
        }
        const lead = l.length - l.trimStart().length;
        if (blank(l)) {
          // a blank line ends the list unless the next line continues this item or starts another
          const next = lines[i + 1];
          const continues = next !== undefined && !blank(next) && (next.length - next.trimStart().length >= 2 || sameKind(ITEM.exec(next), ordered, kind));
          if (!continues) break;
          current.push('');
          i++;
          continue;
        }
        if (lead >= 2) {
          current.push(l.slice(Math.min(lead, contentIndent)));
          i++;
          continue;
        }
        if (!startsBlock(l) && !blank(lines[i - 1] ?? '')) {
          current.push(l); // a lazy continuation of the item's paragraph
          i++;
          continue;
        }
        break;
      }
      items.push(parseMarkdown(current.join('\n'), depth + 1));
      blocks.push({ t: 'list', ordered, start: ordered ? Math.min(Number(item[2].slice(0, -1)), 1e9) : 1, items });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !blank(lines[i]) && (para.length === 0 || !startsBlock(lines[i]))) para.push(lines[i++]);
    blocks.push({ t: 'paragraph', children: parseInline(para.map((l) => l.trim()).join('\n'), depth) });
  }
  return blocks;
}

function sameKind(m: RegExpExecArray | null, ordered: boolean, kind: string): boolean {
  if (!m) return false;
  return ordered ? /\d/.test(m[2]) && m[2].slice(-1) === kind : m[2] === kind;
}

const PUNCT = /[!-/:-@[-`{-~]/;
const URL_SCHEMES = /^(?:https?:\/\/|mailto:)/i;

/** Only web and mail links are offered as links; anything else (javascript:, command:, file:) stays text. */
export function isOpenableUrl(url: string): boolean {
  return URL_SCHEMES.test(url) && !/\s/.test(url);
}

export function parseInline(src: string, depth = 0): Inline[] {
  if (depth > MAX_NESTING) return src === '' ? [] : [{ t: 'text', text: src }];
  const out: Inline[] = [];
  let buf = '';
  const flush = () => {
    if (buf !== '') out.push({ t: 'text', text: buf });
    buf = '';
  };
  // Searches for a closer that failed from position p fail from any later position too.
  const failed = new Set<string>();
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '\\' && i + 1 < n && PUNCT.test(src[i + 1])) {
      buf += src[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      let run = 1;
      while (src[i + run] === '`') run++;
      const key = `code${run}`;
      const close = failed.has(key) ? -1 : findRun(src, i + run, run);
      if (close < 0) {
        failed.add(key);
        buf += '`'.repeat(run);
        i += run;
        continue;
      }
      flush();
      let text = src.slice(i + run, close).replace(/\n/g, ' ');
      if (text.length > 2 && text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') text = text.slice(1, -1);
      out.push({ t: 'code', text });
      i = close + run;
      continue;
    }
    if (c === '[' || (c === '!' && src[i + 1] === '[')) {
      const image = c === '!';
      const link = failed.has('link') ? undefined : parseLink(src, image ? i + 1 : i);
      if (link) {
        flush();
        out.push(image ? { t: 'image', url: link.url, alt: link.label } : { t: 'link', url: link.url, children: parseInline(link.label, depth + 1) });
        i = link.end;
        continue;
      }
      if (src.indexOf('](', i) < 0) failed.add('link');
      buf += image ? '![' : '[';
      i += image ? 2 : 1;
      continue;
    }
    if (c === '<') {
      const m = /^<((?:https?:\/\/|mailto:)[^\s<>]*)>/i.exec(src.slice(i, i + 2048));
      if (m) {
        flush();
        out.push({ t: 'link', url: m[1], children: [{ t: 'text', text: m[1] }] });
        i += m[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || /[\s(]/.test(src[i - 1]))) {
      const m = /^https?:\/\/[^\s<>]+/i.exec(src.slice(i, i + 2048));
      if (m) {
        let url = m[0].replace(/[.,;:!?'"*_]+$/, '');
        while (url.endsWith(')') && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) url = url.slice(0, -1);
        flush();
        out.push({ t: 'link', url, children: [{ t: 'text', text: url }] });
        i += url.length;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const double = src[i + 1] === c;
      const width = double ? 2 : 1;
      const opensWord = i + width < n && !/\s/.test(src[i + width]) && (c === '*' || i === 0 || !/[\p{L}\p{N}]/u.test(src[i - 1]));
      const key = `${c}${width}`;
      const close = opensWord && !failed.has(key) ? findCloser(src, i + width, c, width) : -1;
      if (close < 0) {
        if (opensWord) failed.add(key);
        buf += c.repeat(width);
        i += width;
        continue;
      }
      flush();
      const children = parseInline(src.slice(i + width, close), depth + 1);
      out.push(double ? { t: 'strong', children } : { t: 'em', children });
      i = close + width;
      continue;
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

/** The start of the next run of exactly `run` backticks at or after `from`, or -1. */
function findRun(src: string, from: number, run: number): number {
  let i = src.indexOf('`', from);
  while (i >= 0) {
    let len = 1;
    while (src[i + len] === '`') len++;
    if (len === run) return i;
    i = src.indexOf('`', i + len);
  }
  return -1;
}

/** A closing `*`/`_` (or `**`/`__`) not preceded by whitespace, after at least one character. */
function findCloser(src: string, from: number, c: string, width: number): number {
  const delim = c.repeat(width);
  let i = src.indexOf(delim, from + 1);
  while (i >= 0) {
    const before = src[i - 1];
    const after = src[i + width];
    const single = width === 2 || (after !== c && before !== c);
    const endsWord = c === '*' || after === undefined || !/[\p{L}\p{N}]/u.test(after);
    if (!/\s/.test(before) && single && endsWord && before !== '\\') return i;
    i = src.indexOf(delim, i + 1);
  }
  return -1;
}

/** `[label](url "title")` starting at the `[`. */
function parseLink(src: string, start: number): { label: string; url: string; end: number } | undefined {
  let depth = 0;
  let close = -1;
  const limit = Math.min(src.length, start + LABEL_REACH);
  for (let j = start; j < limit; j++) {
    const ch = src[j];
    if (ch === '\\') j++;
    else if (ch === '[') depth++;
    else if (ch === ']' && --depth === 0) {
      close = j;
      break;
    }
  }
  if (close < 0 || src[close + 1] !== '(') return undefined;
  const m = /^\(\s*(?:<([^<>\n]*)>|([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*))(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)/.exec(src.slice(close + 1, close + 1 + 2048));
  if (!m) return undefined;
  return { label: src.slice(start + 1, close), url: m[1] ?? m[2] ?? '', end: close + 1 + m[0].length };
}

/** The text of inline nodes without formatting (for alt texts and tests). */
export function inlineText(nodes: readonly Inline[]): string {
  return nodes.map((n) => (n.t === 'text' || n.t === 'code' ? n.text : n.t === 'image' ? n.alt : inlineText(n.children))).join('');
}
