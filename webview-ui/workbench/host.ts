/** The workbench tab's side of the message protocol: validated messages in, typed intents out. */
import { parseWorkbenchUpdate, type ExtensionToWorkbench, type WorkbenchToExtension } from '../../src/protocol';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const api = acquireVsCodeApi();

export function post(message: WorkbenchToExtension): void {
  api.postMessage(message);
}

/** Calls `listener` with every valid message from the extension. */
export function onUpdate(listener: (message: ExtensionToWorkbench) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    const message = parseWorkbenchUpdate(event.data);
    if (message) listener(message);
  });
}

/** What VS Code keeps for this tab across reloads (the runner's server and tool). */
export function keep(state: Record<string, unknown>): void {
  api.setState(state);
}
