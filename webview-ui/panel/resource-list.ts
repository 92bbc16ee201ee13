/**
 * <mcp-resource-list>: a server's resources, each opening in a read-only editor (only the rows in view
 * are in the DOM: RowWindow), and the way to its resource templates. The extension sends at most MAX_RESOURCE_VIEWS of them; the total
 * (resourceCount) is said when it is larger.
 */
import { html, nothing } from 'lit';
import type { ResourceView } from '../../src/protocol';
import { plural, records, str } from './format';
import { icon } from './icon';
import { LightElement } from './light-element';
import { RowWindow } from './row-window';
import { post } from './vscode-api';

export class ResourceList extends LightElement {
  static override properties = {
    server: {},
    resources: { attribute: false },
    total: { type: Number },
    templates: { type: Boolean },
  };

  declare server: string;
  declare resources: readonly ResourceView[] | undefined;
  declare total: number;
  declare templates: boolean;
  private readonly rows = new RowWindow<ResourceView>(this, (r) => r.uri, ':scope > ul.resources');

  constructor() {
    super();
    this.server = '';
    this.resources = undefined;
    this.total = 0;
    this.templates = false;
  }

  protected override render() {
    const resources = records<ResourceView>(this.resources, 'uri');
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
        resources.length > 0
          ? html`<ul class="items resources" aria-label=${`Resources of ${this.server}`}>
              ${this.rows.render(resources, (r, i) => this.renderResource(r, i))}
            </ul>`
          : nothing
      }
      ${this.total > resources.length ? html`<div class="note muted">The list holds the first ${resources.length.toLocaleString()} of ${plural(this.total, 'resource', 'resources')}.</div>` : nothing}
    `;
  }

  private renderResource(resource: ResourceView, index: number) {
    const uri = resource.uri;
    const place = this.rows.position(index);
    const label = str(resource.title) ?? str(resource.name) ?? uri;
    const mimeType = str(resource.mimeType);
    const description = str(resource.description);
    return html`<li class="item" data-row-key=${uri} aria-setsize=${place.setsize} aria-posinset=${place.posinset}>
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
}

customElements.define('mcp-resource-list', ResourceList);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-resource-list': ResourceList;
  }
}
