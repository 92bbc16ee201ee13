/**
 * <mcp-prompt-list>: a server's prompts with their descriptions and argument names; one opens where its
 * arguments are filled in and its messages previewed. Only the rows in view are in the DOM (RowWindow).
 */
import { html, nothing } from 'lit';
import type { PromptView } from '../../src/protocol';
import { isRecord, records, str } from './format';
import { icon } from './icon';
import { LightElement } from './light-element';
import { RowWindow } from './row-window';
import { post } from './vscode-api';

/** "city, units?" : the names of a prompt's arguments, optional ones marked with "?". */
export function argumentText(args: unknown): string {
  if (!Array.isArray(args)) return '';
  return (args as unknown[])
    .filter(isRecord)
    .map((a) => {
      const name = str(a.name);
      return name ? `${name}${a.required === true ? '' : '?'}` : undefined;
    })
    .filter((n) => n !== undefined)
    .join(', ');
}

export class PromptList extends LightElement {
  static override properties = { server: {}, prompts: { attribute: false } };

  declare server: string;
  declare prompts: readonly PromptView[] | undefined;
  private readonly rows = new RowWindow<PromptView>(this, (p) => p.name, ':scope > ul.prompts');

  constructor() {
    super();
    this.server = '';
    this.prompts = undefined;
  }

  protected override render() {
    const prompts = records<PromptView>(this.prompts, 'name');
    return html`<ul class="items prompts" aria-label=${`Prompts of ${this.server}`}>
      ${this.rows.render(prompts, (p, i) => this.renderPrompt(p, i))}
    </ul>`;
  }

  private renderPrompt(prompt: PromptView, index: number) {
    const name = prompt.name;
    const place = this.rows.position(index);
    const title = str(prompt.title);
    const description = str(prompt.description);
    const args = argumentText(prompt.arguments);
    return html`<li class="item" data-row-key=${name} aria-setsize=${place.setsize} aria-posinset=${place.posinset}>
      <button
        type="button"
        class="item-button"
        data-prompt=${name}
        data-server=${this.server}
        data-focus=${`prompt:${name}`}
        title=${`Open the prompt ${name}`}
        @click=${() => post({ type: 'openPrompt', server: this.server, prompt: name })}
      >
        ${icon('comment')}<span class="item-name">${title ?? name}</span>${args ? html` <span class="item-meta muted arguments">(${args})</span>` : nothing}
      </button>
      ${description ? html`<div class="item-description muted" title=${description}>${description}</div>` : nothing}
    </li>`;
  }
}

customElements.define('mcp-prompt-list', PromptList);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-prompt-list': PromptList;
  }
}
