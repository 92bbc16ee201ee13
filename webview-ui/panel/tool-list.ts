/**
 * <mcp-tool-list>: a server's tools (name, title, description, annotation badges, Run…, and a switch
 * when the entry's settings may be written), then the tools its settings filter out, with why.
 * Servers can offer thousands of tools: the row renders this list only while its section is open,
 * rows are keyed by name so an update touches only the tools that changed, and only the rows in view
 * are in the DOM (RowWindow).
 */
import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { FilteredToolView, ToolAnnotationsView, ToolView } from '../../src/protocol';
import { isRecord, records, str } from './format';
import { LightElement } from './light-element';
import { RowWindow } from './row-window';
import { post } from './vscode-api';

/** The hints a tool's server gives (only those it sets to true), in a fixed order. */
const ANNOTATIONS: ReadonlyArray<{ key: keyof ToolAnnotationsView; label: string; hint: string }> = [
  { key: 'readOnly', label: 'read-only', hint: 'The server says this tool does not change anything.' },
  { key: 'destructive', label: 'destructive', hint: 'The server says this tool may delete or overwrite things.' },
  { key: 'idempotent', label: 'idempotent', hint: 'The server says calling this tool again with the same arguments has no further effect.' },
  { key: 'openWorld', label: 'open world', hint: 'The server says this tool reaches things outside it, such as the web.' },
];

function annotationsOf(annotations: unknown): typeof ANNOTATIONS {
  return isRecord(annotations) ? ANNOTATIONS.filter((a) => annotations[a.key] === true) : [];
}

export class ToolList extends LightElement {
  static override properties = {
    server: {},
    tools: { attribute: false },
    filtered: { attribute: false },
    switches: { type: Boolean },
  };

  declare server: string;
  declare tools: readonly ToolView[];
  declare filtered: readonly FilteredToolView[] | undefined;
  declare switches: boolean;
  private readonly offered = new RowWindow<ToolView>(this, (t) => t.name, ':scope > ul.tools:not(.filtered)');
  private readonly filteredOut = new RowWindow<FilteredToolView>(this, (t) => t.name, ':scope > ul.tools.filtered');

  constructor() {
    super();
    this.server = '';
    this.tools = [];
    this.filtered = undefined;
    this.switches = false;
  }

  protected override render() {
    const tools = records<ToolView>(this.tools, 'name');
    const filtered = records<FilteredToolView>(this.filtered, 'name');
    return html`
      ${
        tools.length > 0
          ? html`<ul class="tools" aria-label=${`Tools of ${this.server}`}>
              ${this.offered.render(tools, (t, i) => this.renderTool(t, i))}
            </ul>`
          : nothing
      }
      ${
        filtered.length > 0
          ? html`<div class="filtered-heading muted">Filtered out (${filtered.length.toLocaleString()})</div>
              <ul class="tools filtered" aria-label=${`Tools of ${this.server} filtered out`}>
                ${this.filteredOut.render(filtered, (t, i) => this.renderFiltered(t, i))}
              </ul>`
          : nothing
      }
    `;
  }

  private renderTool(tool: ToolView, index: number) {
    const name = tool.name;
    const title = str(tool.title);
    const description = str(tool.description);
    const badges = annotationsOf(tool.annotations);
    const place = this.offered.position(index);
    return html`<li class="tool" data-tool=${name} data-row-key=${name} aria-setsize=${place.setsize} aria-posinset=${place.posinset}>
      <div class="tool-head">
        ${this.switches ? this.renderSwitch(name, true) : html`<code class="tool-name">${name}</code>`}
        ${title && title !== name ? html`<span class="tool-title muted" title=${title}>${title}</span>` : nothing}
        <vscode-toolbar-button
          class="run"
          icon="play"
          data-run
          data-server=${this.server}
          data-focus=${`run:${name}`}
          label=${`Run ${name}…`}
          title=${`Run ${name}…`}
          @click=${() => post({ type: 'runTool', server: this.server, tool: name })}
          >Run…</vscode-toolbar-button
        >
      </div>
      ${
        badges.length > 0
          ? html`<div class="annotations">${badges.map((a) => html`<vscode-badge class=${`annotation annotation-${a.key}`} title=${a.hint}>${a.label}</vscode-badge>`)}</div>`
          : nothing
      }
      ${description ? html`<div class="tool-description muted" title=${description}>${description}</div>` : nothing}
    </li>`;
  }

  private renderFiltered(tool: FilteredToolView, index: number) {
    const reason = str(tool.reason);
    const place = this.filteredOut.position(index);
    return html`<li class="tool off" data-tool=${tool.name} data-row-key=${tool.name} aria-setsize=${place.setsize} aria-posinset=${place.posinset}>
      <div class="tool-head">${this.switches && tool.locked !== true ? this.renderSwitch(tool.name, false) : html`<code class="tool-name">${tool.name}</code>`}</div>
      ${reason ? html`<div class="tool-reason">${reason}</div>` : nothing}
    </li>`;
  }

  /** The switch is labelled by the tool's name, so a screen reader says "search, switch, on". */
  private renderSwitch(name: string, enabled: boolean) {
    return html`<vscode-checkbox
      toggle
      class="tool-switch"
      data-switch
      data-server=${this.server}
      data-focus=${`switch:${name}`}
      title=${enabled ? `${name} is on: switch it off to leave it out (tools.deny in settings)` : `${name} is off: switch it on to offer it again`}
      .checked=${live(enabled)}
      @change=${(e: Event) => post({ type: 'setToolEnabled', server: this.server, tool: name, enabled: (e.currentTarget as VscodeCheckbox).checked })}
      ><code class="tool-name">${name}</code></vscode-checkbox
    >`;
  }
}

customElements.define('mcp-tool-list', ToolList);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-tool-list': ToolList;
  }
}
