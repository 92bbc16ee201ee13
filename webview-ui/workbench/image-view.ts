/** <mcp-image-view>: an image resource, shown from its base64 data (PNG, JPEG, GIF or WebP only). */
import { css, html, LitElement } from 'lit';
import { onUpdate } from './host';

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export class McpImageView extends LitElement {
  static override properties = { image: { state: true } };
  declare image: { title: string; mimeType: string; data: string } | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    onUpdate((message) => {
      if (message.type === 'image') this.image = message;
    });
  }

  override render() {
    const i = this.image;
    if (!i) return html`<p>Loading…</p>`;
    if (!IMAGE_TYPES.has(i.mimeType) || !/^[A-Za-z0-9+/]*={0,2}$/.test(i.data)) return html`<p>An image of type ${i.mimeType} that MCP Hub does not show.</p>`;
    return html`<img alt=${i.title} src=${`data:${i.mimeType};base64,${i.data}`} />`;
  }

  static override styles = css`
    :host {
      display: block;
      padding: 12px;
    }
    img {
      max-width: 100%;
    }
  `;
}

if (!customElements.get('mcp-image-view')) customElements.define('mcp-image-view', McpImageView);
