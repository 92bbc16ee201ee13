/**
 * Writing registry servers into one settings scope's `mcpHub.servers` value: a fresh key for a new
 * entry (never another entry's), and an updated entry that keeps what the person set on it. Pure: the
 * editor reads the scope, calls these, and writes the result back.
 */
import { isRecord } from '../config';

/** The fields that say what an entry runs; everything else on it is the person's own. */
export const RUN_FIELDS = ['type', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'registry'] as const;

/**
 * A key for a new entry from the registry's server name (`io.github.acme/weather` → `weather`),
 * made of letters, digits, ".", "_" and "-", and `weather-2`, `weather-3`… when `taken`.
 */
export function freeKey(registryName: string, taken: (key: string) => boolean): string {
  const last = registryName.slice(registryName.lastIndexOf('/') + 1);
  const base =
    last
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 48) || 'server';
  for (let n = 1; ; n++) {
    const key = n === 1 ? base : `${base}-${n}`;
    if (!taken(key)) return key;
  }
}

/**
 * The scope's value with `entry` added under `key`, every other entry as it was. Throws when the key
 * exists meanwhile (another window or an edit took it): nothing is ever overwritten.
 */
export function withEntry(scope: unknown, key: string, entry: Record<string, unknown>): Record<string, unknown> {
  const servers = isRecord(scope) ? scope : {};
  if (Object.prototype.hasOwnProperty.call(servers, key)) throw new Error(`"${key}" was added to these settings meanwhile; run Add Server… again.`);
  return { ...servers, [key]: entry };
}

/**
 * `old` with what runs replaced by `fresh` (a newer version's command, arguments, URL, headers and
 * provenance), keeping the person's own fields (disabled, timeout, tools, auth, protocolVersion).
 */
export function updatedEntry(old: Record<string, unknown>, fresh: Record<string, unknown>): Record<string, unknown> {
  const kept = Object.fromEntries(Object.entries(old).filter(([k]) => !(RUN_FIELDS as readonly string[]).includes(k)));
  return { ...fresh, ...kept };
}
