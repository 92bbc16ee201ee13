/**
 * The panel's one handle on the webview host: posting intents and keeping UI state across re-renders
 * and panel re-opens (getState/setState). acquireVsCodeApi may be called only once per page, so every
 * component goes through this module.
 */
import type { WebviewToExtension } from '../../src/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

let api: VsCodeApi | undefined;

function vscode(): VsCodeApi {
  return (api ??= acquireVsCodeApi());
}

export function post(message: WebviewToExtension): void {
  vscode().postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// Which sections are open, per server. Sections render their lists only while open.

export type Section = 'tools' | 'resources' | 'prompts' | 'detail';
const SECTIONS: readonly Section[] = ['tools', 'resources', 'prompts', 'detail'];

interface UiState {
  open: Record<Section, string[]>;
}

let state: UiState | undefined;

/** Reads the saved state, keeping only what has the expected shape (it survives extension updates). */
function load(): UiState {
  if (state) return state;
  const raw = vscode().getState();
  const loaded: UiState = { open: { tools: [], resources: [], prompts: [], detail: [] } };
  const open = typeof raw === 'object' && raw !== null && 'open' in raw ? raw.open : undefined;
  if (typeof open === 'object' && open !== null) {
    for (const section of SECTIONS) {
      const list = (open as Record<string, unknown>)[section];
      if (Array.isArray(list)) loaded.open[section] = list.filter((n): n is string => typeof n === 'string');
    }
  }
  return (state = loaded);
}

export function isOpen(section: Section, server: string): boolean {
  return load().open[section].includes(server);
}

export function setOpen(section: Section, server: string, open: boolean): void {
  const s = load();
  if (open === s.open[section].includes(server)) return;
  s.open[section] = open ? [...s.open[section], server] : s.open[section].filter((n) => n !== server);
  vscode().setState(s);
}

/** Forgets the open sections of servers that no longer exist, so the state cannot grow without bound. */
export function pruneOpen(names: ReadonlySet<string>): void {
  const s = load();
  let changed = false;
  for (const section of SECTIONS) {
    const kept = s.open[section].filter((n) => names.has(n));
    if (kept.length !== s.open[section].length) {
      s.open[section] = kept;
      changed = true;
    }
  }
  if (changed) vscode().setState(s);
}
