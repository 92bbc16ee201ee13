/**
 * Whether an entry runs what a registry version describes (for registry-only policies), and the
 * answers it holds (so an update keeps them): the entry's command line, environment, URL and headers
 * matched against a shape (install.ts), each slot taking any text.
 */
import type { ServerConfig } from '../config';
import type { KeyValueShape, Shape, Text } from './install';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** One text as an anchored pattern, slots as captures (texts hold no control characters). */
interface Pattern {
  readonly regex: RegExp;
  readonly slots: readonly string[];
}
function pattern(text: Text): Pattern {
  const slots: string[] = [];
  const body = text
    .map((p) => {
      if (typeof p === 'string') return escape(p);
      slots.push(p.slot);
      return '([\\s\\S]*?)';
    })
    .join('');
  return { regex: new RegExp(`^${body}$`), slots };
}

function take(p: Pattern, value: string, answers: Record<string, string>): boolean {
  const m = p.regex.exec(value);
  if (!m) return false;
  p.slots.forEach((slot, i) => {
    if (m[i + 1] !== undefined) answers[slot] = m[i + 1];
  });
  return true;
}

/**
 * Matches the arguments group by group, trying an optional group both ways; what was tried at a
 * (group, argument) position is remembered, so no registry entry can make this slow.
 */
function matchArgs(groups: ReadonlyArray<{ parts: readonly Pattern[]; optional: boolean }>, args: readonly string[]): Record<string, string> | undefined {
  const failed = new Set<number>();
  const walk = (g: number, a: number): Record<string, string> | undefined => {
    if (g === groups.length) return a === args.length ? {} : undefined;
    const key = g * (args.length + 1) + a;
    if (failed.has(key)) return undefined;
    const group = groups[g];
    if (a + group.parts.length <= args.length) {
      const here: Record<string, string> = {};
      if (group.parts.every((p, i) => take(p, args[a + i], here))) {
        const rest = walk(g + 1, a + group.parts.length);
        if (rest) return { ...here, ...rest };
      }
    }
    if (group.optional) {
      const rest = walk(g + 1, a);
      if (rest) return rest;
    }
    failed.add(key);
    return undefined;
  };
  return walk(0, 0);
}

/** The fields of an entry that say what runs; everything else (tools, timeout, disabled…) is the person's. */
export interface RunFields {
  readonly command?: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly type?: string;
  readonly url?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What a parsed entry runs. A remote's URL is taken as written (`raw.url`) when given: the parsed one
 * is normalised and may differ from the registry's text in case or a trailing slash.
 */
export function runFieldsOf(config: ServerConfig, raw?: Readonly<Record<string, unknown>>): RunFields {
  if (config.type === 'stdio') return { command: config.command, args: config.args, env: config.env, ...(config.cwd !== undefined ? { cwd: config.cwd } : {}) };
  const type = raw ? raw.type : config.type;
  return { ...(typeof type === 'string' ? { type } : {}), url: typeof raw?.url === 'string' ? raw.url : config.url, headers: config.headers };
}

/**
 * The answers an entry holds for a shape, or undefined when it does not run what the shape describes:
 * another command, an argument, environment variable or header the shape does not have, another URL.
 */
export function answersIn(shape: Shape, entry: RunFields): Record<string, string> | undefined {
  const answers: Record<string, string> = {};
  const keyValues = (items: readonly KeyValueShape[], given: Readonly<Record<string, string>> | undefined): boolean => {
    const names = Object.keys(given ?? {});
    if (names.some((n) => !items.some((k) => k.name === n))) return false;
    for (const item of items) {
      const value = given?.[item.name];
      if (value === undefined) {
        if (!item.optional) return false;
        continue;
      }
      if (!take(pattern(item.value), value, answers)) return false;
    }
    return true;
  };
  if (shape.kind === 'remote') {
    if (entry.command !== undefined || entry.url === undefined) return undefined;
    const type = entry.type ?? 'http';
    // The entry may let MCP Hub negotiate ("http") where the registry names one transport.
    if (type !== shape.type && type !== 'http') return undefined;
    // A URL without variables is compared as a URL (settings keep it normalised: lowercase host, a path).
    const literal = shape.url.every((p) => typeof p === 'string');
    const expected = literal ? normalUrl(shape.url.join('')) : undefined;
    if (literal ? expected === undefined || expected !== normalUrl(entry.url) : !take(pattern(shape.url), entry.url, answers)) return undefined;
    return keyValues(shape.headers, entry.headers) ? answers : undefined;
  }
  if (entry.url !== undefined || entry.command !== shape.command || entry.cwd !== shape.cwd) return undefined;
  if (!keyValues(shape.env, entry.env)) return undefined;
  const env = entry.env ?? {};
  // A container's `-e NAME` is there exactly when its variable is.
  const groups = shape.args.map((g) => ({ parts: g.parts.map(pattern), optional: g.env !== undefined ? false : g.optional, skip: g.env !== undefined && !(g.env in env) }));
  const args = matchArgs(
    groups.filter((g) => !g.skip),
    entry.args ?? [],
  );
  return args ? { ...answers, ...args } : undefined;
}

function normalUrl(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

/** Whether an entry runs what `shape` describes, with any answers. */
export function matchEntry(shape: Shape, entry: RunFields): boolean {
  return answersIn(shape, entry) !== undefined;
}
