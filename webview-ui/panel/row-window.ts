/**
 * RowWindow: a list that renders only the rows in view. Hand-written rather than
 * @lit-labs/virtualizer (a new dependency) because the panel has up to one list per server section,
 * all in the one scroller of the webview's document, light-DOM rows whose heights vary, a CSP that
 * refuses style attributes, and a keyboard contract (the focused row stays rendered) that is
 * simplest to keep with a small window of our own.
 *
 * The rows above and below the window (and around a focused row kept outside it) are stood in for
 * by spacers of their (measured, else estimated) height, so the scrollbar and the page's layout are those of the whole list. Each
 * rendered row (an <li data-row-key=…>) carries aria-setsize and aria-posinset (position()), so a
 * screen reader still says "37 of 100".
 * Rows are measured after each render, and the window is worked out again on any scroll, resize or
 * layout change (another section opening above moves this list), in the next animation frame, so
 * the rows come in the frame that shows their place.
 */
import { html, type ReactiveController, type ReactiveControllerHost, type TemplateResult } from 'lit';
import { repeat } from 'lit/directives/repeat.js';

/** Until a row of the kind is measured: about one line of name and one of description. */
const ESTIMATED_ROW_PX = 56;
/** Rows rendered beyond the view, above and below, as a share of the view's height. */
const OVERSCAN = 0.5;
/** Measure-and-render passes in a row before the window is left as it is until the next event. */
const MAX_PASSES = 4;

interface Range {
  readonly start: number;
  readonly end: number;
}

/**
 * One scheduler for every list: the windows to work out again are read together in the next
 * animation frame, or sooner when the panel has finished rendering (settleWindows), with one layout
 * for all of them, not one per list; the rows they then render are painted in that same frame.
 */
const connected = new Set<RowWindow<unknown>>();
const due = new Set<RowWindow<unknown>>();
let frame = 0;
let layout: ResizeObserver | undefined;
/**
 * The measured rows' mean height, per kind of list (its selector): a list that has not rendered a
 * row yet (out of view) is as tall as its rows will be, so the scrollbar does not jump when it does.
 */
const means = new Map<string, { total: number; count: number }>();

function flushSoon(w: RowWindow<unknown>): void {
  due.add(w);
  if (frame === 0) frame = requestAnimationFrame(flush);
}

function flush(): void {
  cancelAnimationFrame(frame);
  frame = 0;
  const windows = [...due];
  due.clear();
  for (const w of windows) w.settle();
}

/**
 * Works out now, not in the next frame, the windows of the lists that have rendered since the last
 * time (one layout for all of them); false when there were none. The panel calls it once its rows
 * have rendered, so the first frame already shows the rows in view.
 */
export function settleWindows(): boolean {
  if (due.size === 0) return false;
  flush();
  return true;
}

/** Scrolling, resizing or a layout change elsewhere (a section opening above moves a list). */
function moved(): void {
  for (const w of connected) w.restart();
}

function watch(): void {
  // Capture: scroll events do not bubble, and the scroller may be any ancestor.
  window.addEventListener('scroll', moved, { capture: true, passive: true });
  window.addEventListener('resize', moved, { passive: true });
  layout = new ResizeObserver(moved);
  layout.observe(document.body);
}

function unwatch(): void {
  window.removeEventListener('scroll', moved, { capture: true });
  window.removeEventListener('resize', moved);
  layout?.disconnect();
  layout = undefined;
}

export class RowWindow<T> implements ReactiveController {
  private items: readonly T[] = [];
  private range: Range = { start: 0, end: 0 };
  /** The row that holds the keyboard focus, kept rendered when it scrolls out of the window. */
  private focused: string | undefined;
  private readonly heights = new Map<string, number>();
  private list: HTMLElement | null = null;
  /** Window changes in a row with no scroll or resize between them (a guard against oscillating). */
  private passes = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly key: (item: T) => string,
    /** The list element's selector inside the host: the window is worked out from its position. */
    private readonly selector: string,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    if (connected.size === 0) watch();
    connected.add(this as RowWindow<unknown>);
    this.host.addEventListener('focusin', this.onFocus);
    this.host.addEventListener('focusout', this.onFocus);
  }

  hostDisconnected(): void {
    connected.delete(this as RowWindow<unknown>);
    due.delete(this as RowWindow<unknown>);
    if (connected.size === 0) unwatch();
    this.host.removeEventListener('focusin', this.onFocus);
    this.host.removeEventListener('focusout', this.onFocus);
  }

  hostUpdated(): void {
    this.list = this.host.querySelector<HTMLElement>(this.selector);
    this.sizeSpacers();
    // Measured in the next frame, with every other list that rendered meanwhile.
    if (this.list) flushSoon(this as RowWindow<unknown>);
  }

  /** After a scroll, resize or layout change: the window is worked out afresh. */
  restart(): void {
    this.passes = 0;
    if (this.list) flushSoon(this as RowWindow<unknown>);
  }

  /** Measures the rows on screen and moves the window; renders again when it moved. */
  settle(): void {
    if (!this.list?.isConnected) return;
    this.measure();
    if (!this.reckon()) {
      this.passes = 0;
      return;
    }
    if (this.passes++ < MAX_PASSES) this.host.requestUpdate();
  }

  /** The rows to render and the spacers around them; `row` renders one item (an <li>). */
  render(items: readonly T[], row: (item: T, index: number) => TemplateResult): TemplateResult {
    this.items = items;
    const total = items.length;
    const start = Math.min(this.range.start, total);
    const end = Math.min(this.range.end, total);
    const indices: number[] = [];
    const focused = this.focused === undefined ? -1 : items.findIndex((item) => this.key(item) === this.focused);
    if (focused >= 0 && focused < start) indices.push(focused);
    for (let i = start; i < end; i++) indices.push(i);
    if (focused >= end) indices.push(focused);
    const parts: { key: string; index: number; gap: number }[] = [];
    let next = 0;
    for (const index of indices) {
      if (index > next) parts.push({ key: `\u0000gap:${next}`, index: -1, gap: this.span(next, index) });
      parts.push({ key: this.key(items[index]), index, gap: 0 });
      next = index + 1;
    }
    if (next < total) parts.push({ key: `\u0000gap:${next}`, index: -1, gap: this.span(next, total) });
    return html`${repeat(
      parts,
      (p) => p.key,
      (p) => (p.index < 0 ? html`<li class="row-spacer" aria-hidden="true" role="presentation" data-gap=${p.gap}></li>` : row(items[p.index], p.index)),
    )}`;
  }

  /** aria-setsize/aria-posinset for a row: what a screen reader says of its place in the whole list. */
  position(index: number): { setsize: number; posinset: number } {
    return { setsize: this.items.length, posinset: index + 1 };
  }

  private readonly onFocus = (event: FocusEvent): void => {
    const target = event.type === 'focusin' ? event.target : event.relatedTarget;
    const row = target instanceof Element && this.host.contains(target) ? target.closest<HTMLElement>('[data-row-key]') : null;
    const key = row?.dataset.rowKey;
    if (key === this.focused) return;
    this.focused = key;
    // A row that kept focus outside the window is dropped once focus leaves it.
    if (key === undefined) this.host.requestUpdate();
  };

  /**
   * The spacers' heights, set through the CSSOM: the webview's CSP refuses style attributes (and
   * Lit's styleMap writes one on its first render).
   */
  private sizeSpacers(): void {
    if (!this.list) return;
    for (const spacer of this.list.querySelectorAll<HTMLElement>(':scope > .row-spacer')) spacer.style.height = `${spacer.dataset.gap ?? 0}px`;
  }

  /** Records the heights of the rows on screen (a hidden or not laid out list measures 0: ignored). */
  private measure(): void {
    if (!this.list) return;
    for (const li of this.list.querySelectorAll<HTMLElement>(':scope > [data-row-key]')) {
      const height = li.offsetHeight;
      const key = li.dataset.rowKey;
      if (!key || height <= 0) continue;
      const before = this.heights.get(key);
      if (before === height) continue;
      const mean = means.get(this.selector) ?? { total: 0, count: 0 };
      means.set(this.selector, { total: mean.total + height - (before ?? 0), count: mean.count + (before === undefined ? 1 : 0) });
      this.heights.set(key, height);
    }
  }

  private estimate(): number {
    const mean = means.get(this.selector);
    return mean && mean.count > 0 ? mean.total / mean.count : ESTIMATED_ROW_PX;
  }

  private height(item: T, estimate: number): number {
    return this.heights.get(this.key(item)) ?? estimate;
  }

  private span(from: number, to: number): number {
    const estimate = this.estimate();
    let px = 0;
    for (let i = from; i < to; i++) px += this.height(this.items[i], estimate);
    return Math.round(px);
  }

  /** Works out which rows the view shows (with the overscan); true when that changed. */
  private reckon(): boolean {
    if (!this.list) return false;
    const total = this.items.length;
    const view = window.innerHeight;
    const top = this.list.getBoundingClientRect().top;
    const from = -top - view * OVERSCAN;
    const to = view - top + view * OVERSCAN;
    const estimate = this.estimate();
    let start = total;
    let end = total;
    let y = 0;
    for (let i = 0; i < total; i++) {
      const bottom = y + this.height(this.items[i], estimate);
      if (start === total && bottom > from) start = i;
      if (y >= to) {
        end = i;
        break;
      }
      y = bottom;
    }
    if (start > end) start = end;
    if (start === this.range.start && end === this.range.end) return false;
    this.range = { start, end };
    return true;
  }
}
