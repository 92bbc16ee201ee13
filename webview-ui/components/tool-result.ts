/**
 * <mcp-tool-result>: an MCP CallToolResult, shown as a person wants to read it.
 *
 *   view.outputSchema = tool.outputSchema;   // optional: structuredContent is checked against it
 *   view.result = callToolResult;
 *
 * Properties: `result` (the CallToolResult, untrusted: anything that is not one is shown as JSON),
 * `outputSchema`, `maxChars` (attribute max-chars; text shown at most, 1,000,000 by default).
 * Events (all CustomEvents that bubble out of the shadow root):
 *   `copy`          { json }  the whole result as JSON, from "Copy as JSON" (the host writes the clipboard)
 *   `open-resource` { uri }   from a resource link's or an embedded resource's Open button
 *   `open-link`     { url }   from a link in markdown text (http, https and mailto only; nothing navigates)
 * A native clipboard `copy` event (Ctrl+C on a selection) also bubbles out: hosts tell them apart by
 * `event instanceof CustomEvent` / `detail`.
 *
 * Content is untrusted: text goes through Lit text bindings only; markdown is a safe subset parsed in
 * markdown.ts and built from templates; images are shown only for PNG, JPEG, GIF and WebP data (never
 * SVG), audio only for audio/* types, both as data: URLs, so the webview's CSP must allow
 * `img-src data:` and `media-src data:`.
 */
import { themedHost } from './theme';
import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { ifDefined } from 'lit/directives/if-defined.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { isOpenableUrl, MARKDOWN_LIMIT, parseMarkdown, type Block, type Inline } from './markdown';
import { formatIssue, isObject, own, validateJson, type PathSegment } from './schema';

export interface CopyDetail {
  readonly json: string;
}
export interface OpenResourceDetail {
  readonly uri: string;
}
export interface OpenLinkDetail {
  readonly url: string;
}

export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const AUDIO_TYPE = /^audio\/[a-z0-9][a-z0-9.+-]{0,60}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Base64 characters of one image or audio clip shown at all. */
const MAX_MEDIA_CHARS = 16 * 1024 * 1024;
/** Characters of a string in the JSON tree before "show more". */
const STRING_PREVIEW = 300;
/** Entries of an array or object in the JSON tree before "show more". */
const ENTRY_PREVIEW = 100;

interface Budget {
  left: number;
  cut: number;
}

/** Up to what the budget still allows of a text; counts what is left out. */
function take(budget: Budget, text: string): string {
  if (text.length <= budget.left) {
    budget.left -= text.length;
    return text;
  }
  const part = text.slice(0, Math.max(0, budget.left));
  budget.cut += text.length - part.length;
  budget.left = 0;
  return part;
}

export function base64Bytes(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((data.length * 3) / 4) - padding);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Whether a text item asks to be read as markdown. MCP has no standard flag for it; these are the
 * spellings accepted, in the item's `_meta` or `annotations`: `mimeType` / `contentType` / `mediaType`
 * / `format` of "text/markdown" or "markdown", or `markdown: true`.
 */
export function isMarkdownText(item: unknown): boolean {
  for (const holder of [own(item, '_meta'), own(item, 'annotations')]) {
    if (!isObject(holder)) continue;
    if (own(holder, 'markdown') === true) return true;
    for (const key of ['mimeType', 'contentType', 'mediaType', 'format']) {
      const v = own(holder, key);
      if (typeof v === 'string' && /^\s*(?:text\/)?markdown\s*(?:;.*)?$/i.test(v)) return true;
    }
  }
  return false;
}

function toJson(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}

const pathKey = (path: readonly PathSegment[]) => JSON.stringify(path);

export class McpToolResult extends LitElement {
  static override properties = {
    result: { attribute: false },
    outputSchema: { attribute: false },
    maxChars: { type: Number, attribute: 'max-chars' },
  };

  declare result: unknown;
  declare outputSchema: unknown;
  declare maxChars: number;

  /** JSON tree nodes that are open (by path key); the root is open at first. */
  private openNodes = new Set<string>([pathKey([])]);
  /** "Show more": entries or characters shown per JSON tree node. */
  private shown = new Map<string, number>();
  private warnings: string[] = [];

  constructor() {
    super();
    this.result = undefined;
    this.outputSchema = undefined;
    this.maxChars = 1_000_000;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('result')) {
      this.openNodes = new Set([pathKey([])]);
      this.shown = new Map();
    }
    if (changed.has('result') || changed.has('outputSchema')) this.warnings = this.checkOutput();
  }

  private checkOutput(): string[] {
    const r = this.result;
    if (this.outputSchema === undefined || this.outputSchema === null || !isObject(r) || own(r, 'isError') === true) return [];
    const structured = own(r, 'structuredContent');
    if (structured === undefined) return ['The tool declares an outputSchema but returned no structuredContent.'];
    const issues = validateJson(this.outputSchema, structured);
    if (issues.length === 0) return [];
    const listed = issues.slice(0, 5).map(formatIssue).join('; ');
    return [`structuredContent does not match the tool's outputSchema: ${listed}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`];
  }

  private fire<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private copy(): void {
    this.fire<CopyDetail>('copy', { json: toJson(this.result, 2) });
  }

  static override styles = [
    themedHost,
    css`
      .result {
        border-left: 3px solid transparent;
        padding: 4px 8px;
      }
      .result.error {
        border-left-color: var(--vscode-errorForeground);
        background: var(--vscode-inputValidation-errorBackground);
      }
      .head {
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-bottom: 6px;
      }
      .status {
        font-weight: 600;
      }
      .error .status {
        color: var(--vscode-errorForeground);
      }
      .warning {
        border: 1px solid var(--vscode-inputValidation-warningBorder);
        background: var(--vscode-inputValidation-warningBackground);
        padding: 4px 8px;
        margin: 6px 0;
        overflow-wrap: anywhere;
      }
      .item {
        margin: 6px 0;
        min-width: 0;
      }
      pre,
      code {
        font-family: var(--vscode-editor-font-family, monospace);
        font-size: var(--vscode-editor-font-size, inherit);
      }
      pre {
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 0;
      }
      .md-code,
      .json {
        background: var(--vscode-textCodeBlock-background);
        padding: 6px 8px;
        border-radius: 3px;
      }
      code {
        background: var(--vscode-textCodeBlock-background);
        padding: 0 3px;
        border-radius: 3px;
      }
      pre code {
        background: none;
        padding: 0;
      }
      .md p {
        white-space: pre-line;
        overflow-wrap: anywhere;
        margin: 4px 0;
      }
      .md-h {
        font-weight: 600;
        margin: 10px 0 4px;
      }
      .md-h1 {
        font-size: 1.4em;
      }
      .md-h2 {
        font-size: 1.25em;
      }
      .md-h3 {
        font-size: 1.1em;
      }
      blockquote {
        margin: 4px 0;
        padding-left: 8px;
        border-left: 3px solid var(--vscode-textBlockQuote-border);
        color: var(--vscode-textBlockQuote-foreground, inherit);
      }
      .link {
        background: none;
        border: none;
        padding: 0;
        font: inherit;
        color: var(--vscode-textLink-foreground);
        text-decoration: underline;
        cursor: pointer;
      }
      .link:hover {
        color: var(--vscode-textLink-activeForeground);
      }
      .link:focus-visible {
        outline: 1px solid var(--vscode-focusBorder);
      }
      .url,
      .meta,
      .note,
      .media-note {
        color: var(--vscode-descriptionForeground);
        overflow-wrap: anywhere;
      }
      img.image {
        max-width: 100%;
        height: auto;
      }
      .resource {
        border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, transparent));
        border-radius: 4px;
        padding: 6px 8px;
      }
      .resource .name {
        font-weight: 600;
      }
      .tree,
      .tree ul {
        list-style: none;
        margin: 0;
        padding-left: 16px;
      }
      .tree {
        padding-left: 0;
        font-family: var(--vscode-editor-font-family, monospace);
      }
      .key {
        color: var(--vscode-symbolIcon-propertyForeground, var(--vscode-foreground));
      }
      .v-string {
        color: var(--vscode-debugTokenExpression-string, inherit);
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      .v-number,
      .v-boolean,
      .v-null {
        color: var(--vscode-debugTokenExpression-number, inherit);
      }
      summary {
        cursor: pointer;
      }
      h3 {
        font-size: 1em;
        margin: 10px 0 4px;
      }
    `,
  ];

  protected override render(): TemplateResult {
    const r = this.result;
    const budget: Budget = { left: Math.max(0, this.maxChars), cut: 0 };
    if (!isObject(r)) {
      return html`<div class="result">
        <div class="note">Not a tool result:</div>
        <pre class="json">${take(budget, toJson(r, 2))}</pre>
      </div>`;
    }
    const isError = own(r, 'isError') === true;
    const content = own(r, 'content');
    const items = Array.isArray(content) ? content : [];
    const structured = own(r, 'structuredContent');
    const body = html`${items.map((item) => html`<div class="item">${this.renderItem(item, budget)}</div>`)}
    ${
      structured !== undefined
        ? html`<section class="structured">
            <h3>Structured content</h3>
            <ul class="tree">
              <li>${this.renderTree(structured, [], budget, undefined)}</li>
            </ul>
          </section>`
        : nothing
    }`;
    return html`<div class=${isError ? 'result error' : 'result'} role=${ifDefined(isError ? 'alert' : undefined)}>
      <div class="head">
        <span class="status">${isError ? 'The tool reported an error' : 'Result'}</span>
        <vscode-button class="copy" secondary @click=${() => this.copy()}>Copy as JSON</vscode-button>
      </div>
      ${this.warnings.map((w) => html`<div class="warning" role="status">${w}</div>`)}
      ${items.length === 0 && structured === undefined ? html`<div class="note">The tool returned no content.</div>` : nothing} ${body}
      ${
        budget.cut > 0
          ? html`<div class="note truncated" role="status">
              Output truncated: ${budget.cut.toLocaleString('en-US')} more characters are not shown (this view shows at most ${this.maxChars.toLocaleString('en-US')}). Copy as JSON
              has all of it.
            </div>`
          : nothing
      }
    </div>`;
  }

  private renderItem(item: unknown, budget: Budget): TemplateResult {
    const type = own(item, 'type');
    switch (type) {
      case 'text': {
        const text = str(own(item, 'text')) ?? '';
        return this.renderText(text, isMarkdownText(item), budget);
      }
      case 'image':
        return this.renderImage(item);
      case 'audio':
        return this.renderAudio(item);
      case 'resource_link': {
        const uri = str(own(item, 'uri')) ?? '';
        const name = str(own(item, 'title')) ?? str(own(item, 'name')) ?? uri;
        const description = str(own(item, 'description'));
        const mime = str(own(item, 'mimeType'));
        const size = own(item, 'size');
        const facts = [mime, typeof size === 'number' && Number.isFinite(size) && size >= 0 ? formatBytes(size) : undefined].filter((x) => x !== undefined).join(', ');
        return html`<div class="resource resource-link">
          <div class="name">${take(budget, name)}</div>
          <div class="url">${take(budget, uri)}</div>
          ${description !== undefined ? html`<div class="description">${take(budget, description)}</div>` : nothing}
          ${facts !== '' ? html`<div class="meta">${facts}</div>` : nothing} ${this.openButton(uri, name)}
        </div>`;
      }
      case 'resource': {
        const res = own(item, 'resource');
        const uri = str(own(res, 'uri')) ?? '';
        const mime = str(own(res, 'mimeType'));
        const text = str(own(res, 'text'));
        const blob = str(own(res, 'blob'));
        return html`<div class="resource embedded">
          <div class="url">${take(budget, uri)}${mime !== undefined ? html` <span class="meta">(${mime})</span>` : nothing}</div>
          ${
            text !== undefined
              ? this.renderText(text, mime !== undefined && /^text\/markdown\b/i.test(mime), budget)
              : blob !== undefined
                ? html`<div class="media-note">Binary resource${mime !== undefined ? ` of type ${mime}` : ''}, ${formatBytes(base64Bytes(blob.replace(/\s+/g, '')))}</div>`
                : html`<pre class="json">${take(budget, toJson(res, 2))}</pre>`
          }
          ${this.openButton(uri, uri)}
        </div>`;
      }
      default:
        return html`<div class="unknown">
          <div class="note">Content of type ${typeof type === 'string' ? `"${type.slice(0, 60)}"` : 'unknown'}:</div>
          <pre class="json">${take(budget, toJson(item, 2))}</pre>
        </div>`;
    }
  }

  private openButton(uri: string, name: string): TemplateResult | typeof nothing {
    if (uri === '') return nothing;
    return html`<vscode-button class="open-resource" secondary aria-label=${`Open ${name.slice(0, 200)}`} @click=${() => this.fire<OpenResourceDetail>('open-resource', { uri })}
      >Open</vscode-button
    >`;
  }

  private renderText(text: string, markdown: boolean, budget: Budget): TemplateResult {
    const shown = take(budget, text);
    const cut = shown.length < text.length ? html`<div class="note">… (truncated)</div>` : nothing;
    if (markdown && shown.length <= MARKDOWN_LIMIT)
      return html`<div class="md">${this.renderBlocks(parseMarkdown(shown))}</div>
        ${cut}`;
    return html`<pre class="text">${shown}</pre>
      ${cut}`;
  }

  private renderImage(item: unknown): TemplateResult {
    const mime = (str(own(item, 'mimeType')) ?? '').trim().toLowerCase();
    const data = (str(own(item, 'data')) ?? '').replace(/\s+/g, '');
    const size = formatBytes(base64Bytes(data));
    if (IMAGE_TYPES.has(mime) && data.length <= MAX_MEDIA_CHARS && BASE64.test(data)) {
      return html`<img class="image" alt=${`Image (${mime}, ${size})`} src=${`data:${mime};base64,${data}`} />`;
    }
    return html`<div class="media-note">Image of type ${mime === '' ? 'unknown' : mime.slice(0, 80)}, ${size} (not shown)</div>`;
  }

  private renderAudio(item: unknown): TemplateResult {
    const mime = (str(own(item, 'mimeType')) ?? '').trim().toLowerCase();
    const data = (str(own(item, 'data')) ?? '').replace(/\s+/g, '');
    const size = formatBytes(base64Bytes(data));
    if (AUDIO_TYPE.test(mime) && data.length <= MAX_MEDIA_CHARS && BASE64.test(data)) {
      return html`<audio class="audio" controls preload="metadata" aria-label=${`Audio (${mime}, ${size})`} src=${`data:${mime};base64,${data}`}></audio>`;
    }
    return html`<div class="media-note">Audio of type ${mime === '' ? 'unknown' : mime.slice(0, 80)}, ${size} (not played)</div>`;
  }

  // -------------------------------------------------------------------------------------------
  // Markdown: every piece of text is a text binding; links only post an intent.

  private renderBlocks(blocks: readonly Block[]): TemplateResult[] {
    return blocks.map((b) => {
      switch (b.t) {
        case 'heading':
          return html`<div class=${`md-h md-h${b.level}`} role="heading" aria-level=${b.level}>${this.renderInlines(b.children)}</div>`;
        case 'paragraph':
          return html`<p>${this.renderInlines(b.children)}</p>`;
        case 'code':
          return html`<pre class="md-code"><code>${b.text}</code></pre>`;
        case 'list':
          return b.ordered
            ? html`<ol start=${b.start}>
                ${b.items.map((item) => html`<li>${this.renderBlocks(item)}</li>`)}
              </ol>`
            : html`<ul>
                ${b.items.map((item) => html`<li>${this.renderBlocks(item)}</li>`)}
              </ul>`;
        case 'quote':
          return html`<blockquote>${this.renderBlocks(b.children)}</blockquote>`;
        case 'rule':
          return html`<hr />`;
      }
    });
  }

  private renderInlines(nodes: readonly Inline[]): TemplateResult[] {
    return nodes.map((n) => {
      switch (n.t) {
        case 'text':
          return html`${n.text}`;
        case 'code':
          return html`<code>${n.text}</code>`;
        case 'em':
          return html`<em>${this.renderInlines(n.children)}</em>`;
        case 'strong':
          return html`<strong>${this.renderInlines(n.children)}</strong>`;
        case 'image':
          return html`<span class="md-image">[image${n.alt !== '' ? `: ${n.alt}` : ''}]</span> <span class="url">(${n.url})</span>`;
        case 'link': {
          const plain = n.children.length === 1 && n.children[0].t === 'text' && n.children[0].text === n.url;
          const label = this.renderInlines(n.children);
          const url = plain ? nothing : html` <span class="url">(${n.url})</span>`;
          return isOpenableUrl(n.url)
            ? html`<button type="button" class="link" title=${n.url} @click=${() => this.fire<OpenLinkDetail>('open-link', { url: n.url })}>${label}</button>${url}`
            : html`<span class="link-text">${label}</span>${url}`;
        }
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // structuredContent as a tree of <details>; closed nodes render nothing inside.

  private renderTree(value: unknown, path: PathSegment[], budget: Budget, key: PathSegment | undefined): TemplateResult {
    const k = pathKey(path);
    const keyLabel = key !== undefined ? html`<span class="key">${take(budget, typeof key === 'number' ? String(key) : toJson(key))}</span>: ` : nothing;
    if (Array.isArray(value) || isObject(value)) {
      const entries: [PathSegment, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
      const open = this.openNodes.has(k);
      const limit = this.shown.get(k) ?? ENTRY_PREVIEW;
      const n = entries.length;
      const meta = Array.isArray(value) ? `[${n} item${n === 1 ? '' : 's'}]` : `{${n} key${n === 1 ? '' : 's'}}`;
      return html`<details class="node" ?open=${open} @toggle=${(e: Event) => this.onToggle(k, e)}>
        <summary>${keyLabel}<span class="meta">${meta}</span></summary>
        ${
          open
            ? html`<ul>
                  ${entries.slice(0, limit).map(([ck, cv]) => html`<li>${this.renderTree(cv, [...path, ck], budget, ck)}</li>`)}
                </ul>
                ${
                  n > limit
                    ? html`<vscode-button class="more" secondary @click=${() => this.showMore(k, limit + ENTRY_PREVIEW * 5)}>Show more (${n - limit} not shown)</vscode-button>`
                    : nothing
                }`
            : nothing
        }
      </details>`;
    }
    if (typeof value === 'string') {
      const limit = this.shown.get(k) ?? STRING_PREVIEW;
      const text = toJson(value.length > limit ? value.slice(0, limit) : value);
      const shown = take(budget, value.length > limit ? `${text.slice(0, -1)}…` : text);
      return html`<div class="leaf">
        ${keyLabel}<span class="value v-string">${shown}</span>
        ${
          value.length > limit
            ? html`<vscode-button class="more" secondary @click=${() => this.showMore(k, Number.MAX_SAFE_INTEGER)}
                >Show more (${value.length - limit} more characters)</vscode-button
              >`
            : nothing
        }
      </div>`;
    }
    const type = value === null ? 'null' : typeof value;
    return html`<div class="leaf">${keyLabel}<span class=${`value v-${type}`}>${take(budget, toJson(value))}</span></div>`;
  }

  private onToggle(key: string, e: Event): void {
    const open = (e.currentTarget as HTMLDetailsElement).open;
    if (open === this.openNodes.has(key)) return;
    if (open) this.openNodes.add(key);
    else this.openNodes.delete(key);
    this.requestUpdate();
  }

  private showMore(key: string, limit: number): void {
    this.shown.set(key, limit);
    this.requestUpdate();
  }
}

if (!customElements.get('mcp-tool-result')) customElements.define('mcp-tool-result', McpToolResult);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-tool-result': McpToolResult;
  }
}
