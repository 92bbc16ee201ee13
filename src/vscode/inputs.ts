/**
 * The editor side of ${input:NAME} values: a password box to set one, and moving an inline
 * auth.clientSecret / auth.privateKey out of user settings into secret storage.
 */
import * as vscode from 'vscode';
import { SERVERS_KEY, SERVERS_SETTING, SETTINGS_SECTION } from '../core/config';
import { USER_INPUTS, type InputScope, type InputStore } from '../core/inputs';
import { inputReference, isInlineSecret, rewriteWithInput, suggestInputName, type InlineSecretField } from '../core/variables';
import { isRecord } from '../protocol';

/**
 * Asks for an input's value once and keeps it in secret storage. When a value exists it is never
 * shown: the choice is to replace it or clear it. True when a value was stored.
 */
export async function promptForInput(inputs: InputStore, name: string, serverName: string, scope: InputScope = USER_INPUTS): Promise<boolean> {
  const whose = scope.kind === 'user' ? '' : ' for this workspace';
  const title = `MCP Hub: value of ${inputReference(name)}${whose}`;
  if ((await inputs.get(name, scope)) !== undefined) {
    const change = 'Change value…';
    const clear = 'Clear value';
    const picked = await vscode.window.showQuickPick([change, clear], {
      title,
      placeHolder: 'A value is set. It is kept in secret storage and never shown.',
    });
    if (picked === clear) {
      await inputs.clear(name, scope);
      return false;
    }
    if (picked !== change) return false;
  }
  const value = await vscode.window.showInputBox({
    password: true,
    ignoreFocusOut: true,
    title,
    prompt:
      scope.kind === 'user'
        ? `Used by "${serverName}". Kept in VS Code secret storage; it is never shown again.`
        : `Used by "${serverName}", a server from this workspace's settings. Kept in VS Code secret storage for this workspace only (never your own value of that name); it is never shown again.`,
    validateInput: (text) => (text === '' ? 'Enter a value, or press Escape to cancel.' : undefined),
  });
  if (value === undefined || value === '') return false;
  await inputs.set(name, value, scope);
  return true;
}

function entryIn(scope: unknown, serverName: string): Record<string, unknown> | undefined {
  if (!isRecord(scope) || !Object.prototype.hasOwnProperty.call(scope, serverName)) return undefined;
  const entry = scope[serverName];
  return isRecord(entry) ? entry : undefined;
}

function inlineValue(scope: unknown, serverName: string, field: InlineSecretField): string | undefined {
  const auth = entryIn(scope, serverName)?.auth;
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return undefined;
  const value = (auth as Record<string, unknown>)[field === 'auth.clientSecret' ? 'clientSecret' : 'privateKey'];
  return typeof value === 'string' && isInlineSecret(value) ? value : undefined;
}

/**
 * Moves an inline secret of a user-settings entry into secret storage and rewrites that one field to
 * its ${input:…} reference. Returns the input's name, or undefined when there was nothing to move.
 * Throws, in words fit for the person, when the entry is not in user settings.
 */
export async function moveToSecretStorage(inputs: InputStore, serverName: string, field: InlineSecretField): Promise<string | undefined> {
  const read = () => vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>(SERVERS_KEY);
  const before = read();
  if (!entryIn(before?.globalValue, serverName)) {
    throw new Error(
      `"${serverName}" is not in your user settings, so MCP Hub cannot move its ${field}. ` +
        `Secrets do not belong in workspace settings: put the value in secret storage with "Set value…" and write ${inputReference('NAME')} in ${SERVERS_SETTING}.${serverName}.${field}.`,
    );
  }
  const value = inlineValue(before!.globalValue, serverName, field);
  if (value === undefined) return undefined;

  // Store first: if writing the settings fails, the secret is still where it was and nothing is lost.
  const name = await inputs.freeName(suggestInputName(serverName, field), value);
  await inputs.set(name, value);

  // Rewrite what the settings hold now, not what they held before the await: only if this field is
  // still the value just stored, and leaving everything else as it is.
  const current = read()?.globalValue;
  if (inlineValue(current, serverName, field) !== value) {
    throw new Error(`${SERVERS_SETTING}.${serverName}.${field} changed while it was being moved; try again.`);
  }
  const next = rewriteWithInput(current, serverName, field, name);
  await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(SERVERS_KEY, next, vscode.ConfigurationTarget.Global);
  return name;
}
