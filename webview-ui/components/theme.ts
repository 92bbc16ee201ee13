import { css } from 'lit';

/** What every shadow-DOM component of the webviews starts from: a block in VS Code's font and colours. */
export const themedHost = css`
  :host {
    display: block;
    color: var(--vscode-foreground);
    font-family: var(--vscode-font-family);
    font-size: var(--vscode-font-size);
  }
`;
