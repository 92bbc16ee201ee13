/**
 * What crosses from a server to a workbench tab, and what a tab keeps: results scrubbed (known
 * secrets masked) and capped; remembered arguments without values that look secret.
 */
import { scrubber } from '../../core/scrub';

/** The most text of one result a tab is sent; a larger one is cut, with a note. */
export const RESULT_MAX_CHARS = 2_000_000;
/** Fields that carry base64 (images, audio, blobs): not text a secret could hide in readably. */
const BINARY_FIELDS = new Set(['data', 'blob']);
const SECRET_NAME = /pass(word|phrase)?|secret|token|api[-_]?key|auth|credential|private[-_]?key|cookie|session/i;

/** A tool result with every string scrubbed, and cut to RESULT_MAX_CHARS of text in all. */
export function scrubResult(result: object): Record<string, unknown> {
  let budget = RESULT_MAX_CHARS;
  let cut = false;
  const walk = (value: unknown, field?: string): unknown => {
    if (typeof value === 'string') {
      if (field !== undefined && BINARY_FIELDS.has(field)) {
        if (value.length > budget) {
          cut = true;
          return '';
        }
        budget -= value.length;
        return value;
      }
      const kept = value.length > budget ? ((cut = true), value.slice(0, Math.max(0, budget))) : value;
      budget -= kept.length;
      return scrubText(kept);
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    return value;
  };
  const scrubbed = walk(result) as Record<string, unknown>;
  return cut ? { ...scrubbed, _meta: { ...(scrubbed._meta as object | undefined), 'mcp-hub/truncated': true } } : scrubbed;
}

/** Arguments to remember: a value under a secret-looking name, or with a known secret in it, is left out. */
export function redactArgs(args: Record<string, unknown>, schema?: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: Record<string, { format?: unknown; writeOnly?: unknown }> } | undefined)?.properties ?? {};
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    const property = properties[name];
    if (SECRET_NAME.test(name) || property?.format === 'password' || property?.writeOnly === true) continue;
    if (holdsSecret(value)) continue;
    out[name] = value;
  }
  return out;
}

function holdsSecret(value: unknown): boolean {
  if (typeof value === 'string') return scrubText(value) !== value;
  if (Array.isArray(value)) return value.some(holdsSecret);
  if (typeof value === 'object' && value !== null) return Object.entries(value).some(([k, v]) => SECRET_NAME.test(k) || holdsSecret(v));
  return false;
}

const scrubText = (text: string) => scrubber.content(text);

const SECRET_WORDS = /pass(word|phrase|code)?|secret|token|api[-_ ]?key|credential|private[-_ ]?key|\bpin\b|\botp\b|one[- ]time/i;

/** The fields of an elicitation form that look like they ask for a password, token or key. */
export function sensitiveFields(schema: Record<string, unknown>): string[] {
  const properties = (schema.properties ?? {}) as Record<string, { title?: unknown; description?: unknown; format?: unknown }>;
  return Object.entries(properties)
    .filter(([name, p]) => p?.format === 'password' || [name, p?.title, p?.description].some((t) => typeof t === 'string' && SECRET_WORDS.test(t)))
    .map(([name]) => scrubber.message(name));
}

/**
 * A server's or tool's name where it is shown as plain text (a tab title, a heading in a webview):
 * control characters dropped and cut to 100 characters, not masked. A server's name is its key in
 * the settings, which the scrubber may also know as a value (an env value equal to it) and would
 * show as ***. Notifications keep the scrubber's form (they render Markdown).
 */
export function nameLabel(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, 100);
}
