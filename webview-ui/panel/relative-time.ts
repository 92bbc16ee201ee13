/**
 * <mcp-time>: a retry countdown, an expiry or a "refreshed … ago" that keeps itself current. Only
 * these small elements re-render each second (one shared timer, running only while one is shown),
 * so a ticking countdown never re-renders its row or takes focus from anything.
 */
import { html } from 'lit';
import { LightElement } from './light-element';
import { timeText, type TimeKind } from './format';

const shown = new Set<RelativeTime>();
let timer: ReturnType<typeof setInterval> | undefined;

function tick(): void {
  for (const element of shown) element.requestUpdate();
}

export class RelativeTime extends LightElement {
  static override properties = { at: { type: Number, attribute: false }, kind: {} };

  declare at: number;
  declare kind: TimeKind;

  constructor() {
    super();
    this.at = 0;
    this.kind = 'retry';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    shown.add(this);
    timer ??= setInterval(tick, 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    shown.delete(this);
    if (shown.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (!changed.has('at') && !changed.has('kind')) return;
    if (this.kind === 'retry') this.removeAttribute('title');
    else this.title = new Date(this.at).toLocaleString();
  }

  protected override render() {
    return html`${timeText(this.kind, this.at, Date.now())}`;
  }
}

customElements.define('mcp-time', RelativeTime);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-time': RelativeTime;
  }
}
