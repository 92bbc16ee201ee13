/**
 * Names at the gateway's combined endpoint (/mcp), where every hub server's tools and prompts sit
 * side by side. Names stay within the common tool-name limit `^[A-Za-z0-9_-]{1,64}$`:
 *
 *   <server>__<tool>                 when both are already made of A-Z a-z 0-9 _ - and it fits,
 *                                    and no other entry of the list wants the same text;
 *   <cleaned, cut>_<8 hex>           otherwise: other characters become `_`, the text is cut to fit,
 *                                    and hex digits of sha256(server, tool) keep it apart.
 *
 * `NameIndex` gives every entry of a list its name at once, so two entries can never share one
 * (`fix` + `dyn__echo` and `fix__dyn` + `echo` both want `fix__dyn__echo`: both get the hashed
 * form). A name depends only on the entries that want the same text, not on their order.
 *
 * Resource URIs name their server too: ui:// (MCP Apps) stays ui:// as ui://<server>/<rest>, any
 * other URI becomes mcp-hub://<server>/<the URI as it is>, so a URI template stays a template.
 */
import { createHash } from 'node:crypto';

/** What a gateway endpoint shows: one server by name (its own route), or undefined for all of them (`/mcp`). */
export type View = string | undefined;

export const MAX_NAME = 64;
const SAFE = /^[A-Za-z0-9_-]+$/;
const SEPARATOR = '__';
const HASH_LENGTHS = [8, 16, 32, 64];

/** The plain name of an entry, or undefined when it needs the hashed form anyway. */
function plainName(server: string, name: string): string | undefined {
  const plain = `${server}${SEPARATOR}${name}`;
  return SAFE.test(server) && SAFE.test(name) && plain.length <= MAX_NAME ? plain : undefined;
}

function hashedName(server: string, name: string, hexDigits = 8): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([server, name]))
    .digest('hex')
    .slice(0, hexDigits);
  const cleaned = `${server}${SEPARATOR}${name}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_NAME - hash.length - 1);
  return `${cleaned}_${hash}`;
}

/** The name one entry gets when nothing else wants it (the plain form where it can be). */
export function combinedName(server: string, name: string): string {
  return plainName(server, name) ?? hashedName(server, name);
}

export interface Entry {
  readonly server: string;
  readonly name: string;
}

/** The exposed names of one list (tools, or prompts): unique by construction, and the way back. */
export class NameIndex<T extends Entry = Entry> {
  private readonly byExposed = new Map<string, T>();
  private readonly byEntry = new Map<string, string>();

  constructor(entries: readonly T[]) {
    const key = (e: Entry) => JSON.stringify([e.server, e.name]);
    const unique = new Map<string, T>();
    for (const e of entries) if (!unique.has(key(e))) unique.set(key(e), e);
    // The plain text each entry wants, and how many want it.
    const wanted = new Map<string, number>();
    for (const e of unique.values()) {
      const plain = plainName(e.server, e.name);
      if (plain !== undefined) wanted.set(plain, (wanted.get(plain) ?? 0) + 1);
    }
    const hashed: T[] = [];
    for (const [k, e] of unique) {
      const plain = plainName(e.server, e.name);
      if (plain !== undefined && wanted.get(plain) === 1) this.add(k, plain, e);
      else hashed.push(e);
    }
    // Sorted, so that the rare longer hash goes to the same entry whatever the list's order.
    hashed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    for (const e of hashed) {
      const name = HASH_LENGTHS.map((n) => hashedName(e.server, e.name, n)).find((n) => !this.byExposed.has(n));
      // 64 hex digits are the whole digest: taken only if sha256 itself collided.
      if (name === undefined) throw new Error(`No free name for ${e.server}/${e.name}.`);
      this.add(key(e), name, e);
    }
  }

  private add(key: string, exposed: string, entry: T): void {
    this.byExposed.set(exposed, entry);
    this.byEntry.set(key, exposed);
  }

  /** The name an entry is exposed under (undefined for one not in the list). */
  nameOf(server: string, name: string): string | undefined {
    return this.byEntry.get(JSON.stringify([server, name]));
  }

  /** The entry behind an exposed name. */
  lookup(exposed: string): T | undefined {
    return this.byExposed.get(exposed);
  }

  get size(): number {
    return this.byExposed.size;
  }
}

const HUB_SCHEME = 'mcp-hub://';
const UI_SCHEME = 'ui://';

/** A server's resource URI as /mcp serves it. */
export function combinedUri(server: string, uri: string): string {
  const s = encodeURIComponent(server);
  if (uri.startsWith(UI_SCHEME)) return `${UI_SCHEME}${s}/${uri.slice(UI_SCHEME.length)}`;
  return `${HUB_SCHEME}${s}/${uri}`;
}

/** The server and original URI of a URI /mcp serves, or undefined for anything else. */
export function splitCombinedUri(uri: string): { server: string; uri: string } | undefined {
  const ui = uri.startsWith(UI_SCHEME);
  if (!ui && !uri.startsWith(HUB_SCHEME)) return undefined;
  const rest = uri.slice((ui ? UI_SCHEME : HUB_SCHEME).length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) return undefined;
  let server: string;
  try {
    server = decodeURIComponent(rest.slice(0, slash));
  } catch {
    return undefined;
  }
  const inner = rest.slice(slash + 1);
  if (ui) return { server, uri: `${UI_SCHEME}${inner}` };
  // Earlier versions encoded the whole URI (mcp-hub://files/file%3A%2F%2F...): still understood.
  if (!inner.includes(':') && /^[A-Za-z][A-Za-z0-9+.-]*%3A/i.test(inner)) {
    try {
      return { server, uri: decodeURIComponent(inner) };
    } catch {
      return undefined;
    }
  }
  return { server, uri: inner };
}
