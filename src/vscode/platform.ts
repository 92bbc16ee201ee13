import * as vscode from 'vscode';
import type { BrowserOpener, Disposable, SecretStore } from '../core/ports';

/** VS Code SecretStorage as the core's SecretStore; onDidChange fires in every window. */
export function secretStore(secrets: vscode.SecretStorage): SecretStore {
  return {
    get: async (key) => secrets.get(key),
    store: async (key, value) => secrets.store(key, value),
    delete: async (key) => secrets.delete(key),
    onDidChange: (listener): Disposable => secrets.onDidChange((e) => listener(e.key)),
  };
}

/** The user's browser, through VS Code (which also handles remote and web setups). */
export const browserOpener: BrowserOpener = {
  open: async (url) => vscode.env.openExternal(vscode.Uri.parse(url, true)),
};

/**
 * Maps the loopback callback URI to one the browser can reach. On a local desktop it is unchanged;
 * over Remote-SSH, WSL or in code-server VS Code forwards the port; in Codespaces it becomes an
 * https URL on the forwarding domain.
 */
export async function externalUri(uri: string): Promise<string> {
  const mapped = await vscode.env.asExternalUri(vscode.Uri.parse(uri, true));
  return mapped.toString(true);
}
