import type { Disposable } from './ports';

export type Listener<T> = (value: T) => void;
export type Event<T> = (listener: Listener<T>) => Disposable;

/** A minimal event emitter with the shape of vscode.EventEmitter, so the core stays editor-free. */
export class Emitter<T> implements Disposable {
  private listeners = new Set<Listener<T>>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch {
        // One faulty listener must not stop the others from hearing about a state change.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
