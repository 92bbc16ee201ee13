import { LitElement } from 'lit';

/**
 * The panel's own components render into the light DOM: one stylesheet (style.css, theme variables
 * and codicon classes) styles them all, ARIA references (aria-labelledby) work across components, and
 * the e2e journey's selectors reach every row. The @vscode-elements controls inside keep their own
 * shadow roots and constructable stylesheets, which the CSP allows.
 */
export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
