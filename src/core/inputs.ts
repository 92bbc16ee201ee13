/**
 * Values of ${input:NAME} variables, one secret each under `mcpHub.input/<name>`. Inputs are global:
 * every server that names an input shares its value, as with VS Code's own MCP inputs.
 */
import type { Disposable, SecretStore } from './ports';
import { scrubber } from './scrub';
import { inputReference, isInputName } from './variables';

export const INPUT_PREFIX = 'mcpHub.input/';

export { inputReference };

function keyOf(name: string): string {
  // A name is part of a secret key; one that could not appear in a reference is refused outright.
  if (!isInputName(name)) throw new Error('An input name is 1 to 64 letters, digits, ".", "_" or "-".');
  return INPUT_PREFIX + name;
}

export class InputStore {
  constructor(private readonly secrets: SecretStore) {}

  async get(name: string): Promise<string | undefined> {
    const value = await this.secrets.get(keyOf(name));
    scrubber.remember(value);
    return value === '' ? undefined : value;
  }

  async set(name: string, value: string): Promise<void> {
    const key = keyOf(name);
    if (value === '') throw new Error(`The value of ${inputReference(name)} must not be empty; clear it instead.`);
    scrubber.remember(value);
    await this.secrets.store(key, value);
  }

  async clear(name: string): Promise<void> {
    await this.secrets.delete(keyOf(name));
  }

  /** Fires with the input's name whenever any window sets or clears it. */
  onDidChange(listener: (name: string) => void): Disposable {
    return this.secrets.onDidChange((key) => {
      if (key.startsWith(INPUT_PREFIX)) listener(key.slice(INPUT_PREFIX.length));
    });
  }

  /**
   * A name for `value` starting from `base`: `base` itself when it is free or already holds this
   * value, else `base-2`, `base-3`, …, so moving a secret never overwrites another one.
   */
  async freeName(base: string, value: string): Promise<string> {
    keyOf(base);
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? '' : `-${n}`;
      const name = base.slice(0, 64 - suffix.length) + suffix;
      const current = await this.get(name);
      if (current === undefined || current === value) return name;
    }
  }
}
