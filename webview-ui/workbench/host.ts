/** The workbench tab's side of the message protocol: validated messages in, typed intents out. */
import { parseWorkbenchUpdate, type ExtensionToWorkbench, type WorkbenchToExtension } from '../../src/protocol';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const api = acquireVsCodeApi();

export function post(message: WorkbenchToExtension): void {
  api.postMessage(message);
}

/**
 * Calls `listener` with every valid message from the extension, until the returned function is
 * called. VS Code delivers those from the webview's host frame, which has this page's origin; an
 * MCP App's frames (sandboxed: origin "null") or anything they frame can post to this window too,
 * and are never taken for the extension.
 */
export function onUpdate(listener: (message: ExtensionToWorkbench) => void): () => void {
  const receive = (event: MessageEvent) => {
    if (event.origin !== window.location.origin || event.origin === 'null') return;
    const message = parseWorkbenchUpdate(event.data);
    if (message) listener(message);
  };
  window.addEventListener('message', receive);
  return () => window.removeEventListener('message', receive);
}

/** What VS Code keeps for this tab across reloads (the runner's server and tool). */
export function keep(state: Record<string, unknown>): void {
  api.setState(state);
}
