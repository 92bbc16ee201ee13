/**
 * Values of ${input:NAME} variables, one secret each. As with VS Code's own MCP inputs, values are
 * kept per settings target: the person's own (user settings) under `mcpHub.input/<name>`, and each
 * workspace's under `mcpHub.workspaceInput/<workspace id>/<name>`. A workspace entry naming an input
 * gets that workspace's value, never the user's value of the same name.
 */
import type { Disposable, SecretStore } from './ports';
import { scrubber } from './scrub';
import { inputReference, isInputName } from './variables';

export const INPUT_PREFIX = 'mcpHub.input/';
export const WORKSPACE_INPUT_PREFIX = 'mcpHub.workspaceInput/';

export { inputReference };

/** Whose value an `${input:NAME}` is: the person's own, or one workspace's (`id`: a hash naming the workspace). */
export type InputScope = { readonly kind: 'user' } | { readonly kind: 'workspace'; readonly id: string };
export const USER_INPUTS: InputScope = { kind: 'user' };

const WORKSPACE_ID = /^[0-9a-f]{8,64}$/;

function keyOf(name: string, scope: InputScope): string {
  // A name is part of a secret key; one that could not appear in a reference is refused outright.
  if (!isInputName(name)) throw new Error('An input name is 1 to 64 letters, digits, ".", "_" or "-".');
  if (scope.kind === 'user') return INPUT_PREFIX + name;
  if (!WORKSPACE_ID.test(scope.id)) throw new Error('A workspace id is 8 to 64 lowercase hex digits.');
  return `${WORKSPACE_INPUT_PREFIX}${scope.id}/${name}`;
}

/** The input a secret key holds, or undefined for any other key. */
function inputOfKey(key: string): { name: string; scope: InputScope } | undefined {
  if (key.startsWith(INPUT_PREFIX)) return { name: key.slice(INPUT_PREFIX.length), scope: USER_INPUTS };
  if (!key.startsWith(WORKSPACE_INPUT_PREFIX)) return undefined;
  const [id, name] = key.slice(WORKSPACE_INPUT_PREFIX.length).split('/', 2);
  return id && name ? { name, scope: { kind: 'workspace', id } } : undefined;
}

/** Says whose value a scope holds, for the person: "your own" or "this workspace's". */
export function describeInputScope(scope: InputScope): string {
  return scope.kind === 'user' ? 'your own value (user settings)' : "this workspace's own value";
}

export class InputStore {
  constructor(private readonly secrets: SecretStore) {}

  async get(name: string, scope: InputScope = USER_INPUTS): Promise<string | undefined> {
    const value = await this.secrets.get(keyOf(name, scope));
    scrubber.remember(value);
    return value === '' ? undefined : value;
  }

  async set(name: string, value: string, scope: InputScope = USER_INPUTS): Promise<void> {
    const key = keyOf(name, scope);
    if (value === '') throw new Error(`The value of ${inputReference(name)} must not be empty; clear it instead.`);
    scrubber.remember(value);
    await this.secrets.store(key, value);
  }

  async clear(name: string, scope: InputScope = USER_INPUTS): Promise<void> {
    await this.secrets.delete(keyOf(name, scope));
  }

  /** Fires with the input's name and scope whenever any window sets or clears it. */
  onDidChange(listener: (name: string, scope: InputScope) => void): Disposable {
    return this.secrets.onDidChange((key) => {
      const input = inputOfKey(key);
      if (input) listener(input.name, input.scope);
    });
  }

  /**
   * A name for `value` starting from `base`: `base` itself when it is free or already holds this
   * value, else `base-2`, `base-3`, …, so moving a secret never overwrites another one.
   */
  async freeName(base: string, value: string, scope: InputScope = USER_INPUTS): Promise<string> {
    keyOf(base, scope);
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : `-${n}`;
      const name = base.slice(0, 64 - suffix.length) + suffix;
      const current = await this.get(name, scope);
      if (current === undefined || current === value) return name;
    }
  }
}
