/** Which protocol era each server spoke, kept in VS Code's global state (not secret: hashed keys, no URLs, no tokens). */
import type * as vscode from 'vscode';
import type { EraMemory, EraVerdict } from '../core/connection/era';

const KEY = 'mcpHub.protocolEras';
/** Verdicts kept at most; the oldest go first. */
const MAX_ENTRIES = 200;

function isVerdict(v: unknown): v is EraVerdict {
  const r = v as { era?: unknown; at?: unknown; discover?: unknown } | null;
  return typeof r === 'object' && r !== null && typeof r.at === 'number' && (r.era === 'legacy' || (r.era === 'modern' && typeof r.discover === 'object' && r.discover !== null));
}

export function globalStateEras(state: vscode.Memento): EraMemory {
  const stored = state.get<Record<string, unknown>>(KEY);
  const verdicts = new Map<string, EraVerdict>();
  for (const [k, v] of Object.entries(stored && typeof stored === 'object' ? stored : {})) if (isVerdict(v)) verdicts.set(k, v);
  return {
    get: (key) => verdicts.get(key),
    set: (key, verdict) => {
      if (verdict) verdicts.set(key, verdict);
      else if (!verdicts.delete(key)) return;
      const oldest = [...verdicts.entries()].sort((a, b) => a[1].at - b[1].at);
      while (oldest.length > MAX_ENTRIES) verdicts.delete(oldest.shift()![0]);
      void state.update(KEY, Object.fromEntries(verdicts));
    },
  };
}
