import type { Disposable, SecretStore } from '../ports';

/** An in-memory SecretStore: for tests, the conformance adapter, and two "windows" sharing one store. */
export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  private readonly listeners = new Set<(key: string) => void>();

  async get(key: string): Promise<string | undefined> {
    return this.values.get(key);
  }
  async store(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    this.fire(key);
  }
  async delete(key: string): Promise<void> {
    if (this.values.delete(key)) this.fire(key);
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
  onDidChange(listener: (key: string) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
  private fire(key: string): void {
    // Like VS Code, listeners hear about the change asynchronously.
    queueMicrotask(() => {
      for (const l of [...this.listeners]) l(key);
    });
  }
}
