/**
 * Words and small value checks shared by the panel's components. Messages are validated by the
 * protocol's guards only down to their outline (names, status, arrays), so every field a component
 * reads goes through one of these first: a wrong type shows as nothing, never as "undefined".
 */
import { isRecord, SERVER_ACTIONS, statusLabel, type ServerAction, type ServerView } from '../../src/protocol';

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export { isRecord };

/** The entries of an optional array that are records with a non-empty string `key`, first of each key only. */
export function records<T>(list: unknown, key: keyof T & string): T[] {
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of list as unknown[]) {
    if (!isRecord(item)) continue;
    const k = str(item[key]);
    if (k === undefined || seen.has(k)) continue;
    seen.add(k);
    out.push(item as T);
  }
  return out;
}

export function strings(list: unknown): string[] {
  return Array.isArray(list) ? (list as unknown[]).filter((s): s is string => typeof s === 'string' && s.length > 0) : [];
}

export function actionsOf(view: ServerView): ServerAction[] {
  return Array.isArray(view.actions) ? (view.actions as readonly unknown[]).filter((a): a is ServerAction => (SERVER_ACTIONS as readonly unknown[]).includes(a)) : [];
}

export function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

export function safeStatusLabel(view: ServerView): string {
  try {
    return statusLabel(view) ?? String(view.status);
  } catch {
    return String(view.status);
  }
}

// ---------------------------------------------------------------------------------------------
// Times. The panel re-reads these every second (see relative-time.ts), so they take `now`.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'short' });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function retryText(retryAt: number, now: number): string {
  const seconds = Math.ceil((retryAt - now) / 1000);
  return seconds > 0 ? `retrying in ${seconds} s` : 'retrying…';
}

export function expiryText(expiresAt: number, now: number): string {
  const diff = expiresAt - now;
  const abs = Math.abs(diff);
  if (abs >= DAY) {
    const when = new Date(expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    return diff >= 0 ? `expires ${when}` : `expired ${when}`;
  }
  let phrase: string;
  if (abs < MINUTE) phrase = relative.format(Math.round(diff / 1000), 'second');
  else if (abs < HOUR) phrase = relative.format(Math.round(diff / MINUTE), 'minute');
  else phrase = relative.format(Math.round(diff / HOUR), 'hour');
  return diff >= 0 ? `expires ${phrase}` : `expired ${phrase}`;
}

/** "refreshed 3 min. ago", "signed in 2 hr. ago": minutes are enough for a sign-in that lasts an hour or more. */
export function agoText(what: 'refreshed' | 'signed in', at: number, now: number): string {
  const ago = Math.max(0, now - at);
  if (ago < MINUTE) return `${what} just now`;
  if (ago < HOUR) return `${what} ${relative.format(-Math.floor(ago / MINUTE), 'minute')}`;
  if (ago < DAY) return `${what} ${relative.format(-Math.floor(ago / HOUR), 'hour')}`;
  return `${what} ${new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`;
}

export function refreshedText(refreshedAt: number, now: number): string {
  return agoText('refreshed', refreshedAt, now);
}

export type TimeKind = 'retry' | 'expiry' | 'refreshed' | 'signedIn';

export function timeText(kind: TimeKind, at: number, now: number): string {
  switch (kind) {
    case 'retry':
      return retryText(at, now);
    case 'expiry':
      return expiryText(at, now);
    case 'refreshed':
      return refreshedText(at, now);
    case 'signedIn':
      return agoText('signed in', at, now);
  }
}

/** The first revision of MCP's second era (no `initialize` handshake); revisions are dates, so they sort as text. */
const MODERN_ERA = '2026-07-28';

/** The protocol badge: what it is ("MCP 2025-11-25") and, in its tooltip, which era that revision belongs to. */
export function revisionBadge(revision: string): { label: string; title: string } {
  const era =
    revision >= MODERN_ERA
      ? `the ${MODERN_ERA} revision and later: no handshake, the server describes itself through server/discover`
      : 'the classic era: the initialize handshake, as before the 2026-07-28 revision';
  return { label: `MCP ${revision}`, title: `MCP protocol revision ${revision}, ${era}` };
}
