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

/** A workbench tab's heading and tables (the OAuth trace, the gateway's clients). */
export const tabTables = css`
  h1 {
    font-size: 1.3em;
    font-weight: 600;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 3px 8px;
    border-bottom: 1px solid var(--vscode-panel-border);
    vertical-align: top;
  }
`;

/** Text for screen readers only. */
export const visuallyHidden = css`
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;
