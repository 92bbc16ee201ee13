/**
 * <mcp-resource-list>: a server's resources, 50 at a time, each opening in a read-only editor, and the
 * way to its resource templates. The extension sends at most MAX_RESOURCE_VIEWS of them; the total
 * (resourceCount) is said when it is larger.
 */
import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { ResourceView } from '../../src/protocol';
import { LightElement } from './light-element';
import { plural, records, str } from './format';
import { focusControl } from './focus';
import { icon } from './icon';
import { post } from './vscode-api';

export const RESOURCE_PAGE = 50;

export class ResourceList extends LightElement {
  static override properties = {
    server: {},
    resources: { attribute: false },
    total: { type: Number },
    templates: { type: Boolean },
    limit: { state: true },
  };

  declare server: string;
  declare resources: readonly ResourceView[] | undefined;
  declare total: number;
  declare templates: boolean;
  declare limit: number;

  constructor() {
    super();
    this.server = '';
    this.resources = undefined;
    this.total = 0;
    this.templates = false;
    this.limit = RESOURCE_PAGE;
  }

  protected override render() {
    const resources = records<ResourceView>(this.resources, 'uri');
    const shown = resources.length > this.limit ? resources.slice(0, this.limit) : resources;
    const rest = resources.length - shown.length;
    return html`
      ${
        this.templates
          ? html`<button
              type="button"
              class="link-button templates"
              data-templates
              data-server=${this.server}
              data-focus="templates"
              title="Fill in a resource template's variables, then read the resource"
              @click=${() => post({ type: 'openTemplates', server: this.server })}
            >
              ${icon('symbol-namespace')} Resource templates…
            </button>`
          : nothing
      }
      ${
        shown.length > 0
          ? html`<ul class="items resources" aria-label=${`Resources of ${this.server}`}>
              ${repeat(
                shown,
                (r) => r.uri,
                (r) => this.renderResource(r),
              )}
            </ul>`
          : nothing
      }
      ${
        rest > 0
          ? html`<button type="button" class="link-button more" data-more="resources" data-server=${this.server} data-focus="more:resources" @click=${() => this.showMore()}>
              Show ${Math.min(rest, RESOURCE_PAGE).toLocaleString()} more (${shown.length.toLocaleString()} of ${resources.length.toLocaleString()})
            </button>`
          : nothing
      }
      ${this.total > resources.length ? html`<div class="note muted">The list holds the first ${resources.length.toLocaleString()} of ${plural(this.total, 'resource', 'resources')}.</div>` : nothing}
    `;
  }

  private renderResource(resource: ResourceView) {
    const uri = resource.uri;
    const label = str(resource.title) ?? str(resource.name) ?? uri;
    const mimeType = str(resource.mimeType);
    const description = str(resource.description);
    return html`<li class="item">
      <button
        type="button"
        class="item-button"
        data-resource=${uri}
        data-server=${this.server}
        data-focus=${`resource:${uri}`}
        title=${`Open ${uri}`}
        @click=${() => post({ type: 'openResource', server: this.server, uri })}
      >
        ${icon('file')}<span class="item-name">${label}</span>${mimeType ? html` <span class="item-meta muted">${mimeType}</span>` : nothing}
      </button>
      ${description ? html`<div class="item-description muted" title=${description}>${description}</div>` : nothing}
    </li>`;
  }

  private showMore(): void {
    const first = this.limit;
    this.limit += RESOURCE_PAGE;
    void this.updateComplete.then(() => {
      const next = this.querySelectorAll<HTMLElement>('[data-resource]')[first];
      if (next) focusControl(next);
    });
  }
}

customElements.define('mcp-resource-list', ResourceList);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-resource-list': ResourceList;
  }
}
