import { html } from 'lit';

/**
 * A codicon from the page's codicon stylesheet. The panel's own components live in the light DOM, so a
 * plain span with the codicon classes is enough (and costs far less than a <vscode-icon>, which needs a
 * shadow root and a stylesheet link of its own, in lists of hundreds of items).
 */
export const icon = (name: string, extra = '') => html`<span class=${`codicon codicon-${name}${extra ? ` ${extra}` : ''}`} aria-hidden="true"></span>`;
