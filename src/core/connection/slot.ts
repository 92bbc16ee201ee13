/**
 * One replaceable holder for a disposable thing (VS Code's `MutableDisposable`): putting a new value
 * in disposes the old one, so "cancel" is always "clear the slot" and nothing is torn down by hand.
 */
export interface Disposable {
  dispose(): void | Promise<void>;
}

export class Slot<T extends Disposable> {
  private current: T | undefined;

  get value(): T | undefined {
    return this.current;
  }

  /** Holds `value`, disposing whatever was held before; resolves once that disposal is done. */
  async set(value: T | undefined): Promise<void> {
    const previous = this.current;
    this.current = value;
    if (previous !== undefined && previous !== value) await previous.dispose();
  }

  clear(): Promise<void> {
    return this.set(undefined);
  }

  /** Clears the slot only if it still holds `value` (a finished thing leaving on its own). */
  release(value: T): Promise<void> {
    return this.current === value ? this.clear() : Promise.resolve();
  }
}
