/**
 * Keeping the keyboard focus where it was. Lit reuses the DOM of what did not change, so focus stays
 * put by itself; it is lost only when the focused control goes away (Start becomes Stop, a tool moves
 * to the filtered list). Every focusable control carries data-focus (what it does) and, inside a row,
 * data-server: the same key finds its replacement, or failing that a control in the same row.
 */

export interface FocusKey {
  readonly server?: string;
  readonly focus: string;
}

export function captureFocus(root: HTMLElement): FocusKey | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !root.contains(active)) return undefined;
  const control = active.closest<HTMLElement>('[data-focus]');
  const focus = control?.dataset.focus;
  return focus ? { server: control.dataset.server, focus } : undefined;
}

export function restoreFocus(root: HTMLElement, key: FocusKey | undefined): void {
  if (!key) return;
  const active = document.activeElement;
  if (active instanceof HTMLElement && active !== document.body && root.contains(active)) return;
  const controls = [...root.querySelectorAll<HTMLElement>('[data-focus]')];
  const target =
    controls.find((c) => c.dataset.server === key.server && c.dataset.focus === key.focus) ??
    (key.server !== undefined ? (controls.find((c) => c.dataset.server === key.server && c.dataset.action) ?? controls.find((c) => c.dataset.server === key.server)) : undefined);
  if (target) focusControl(target);
}

/** Focuses a control, reaching into the shadow root of a custom element whose host cannot take focus. */
export function focusControl(control: HTMLElement): void {
  control.focus({ preventScroll: true });
  if (document.activeElement !== control) control.shadowRoot?.querySelector<HTMLElement>('button, input')?.focus({ preventScroll: true });
}
