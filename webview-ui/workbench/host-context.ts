/**
 * What an MCP App is told about its host (`hostContext` in `ui/initialize`): VS Code's theme as the
 * spec's style variables (read from the webview's --vscode-* variables, so a theme change is one
 * more read), its fonts, the display mode (inline, the only one a tool runner has), the locale and
 * time zone, and the space the app has.
 */
import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps/app-bridge';

/** The spec's variables and the VS Code theme variable each is read from. */
const VARIABLES: ReadonlyArray<readonly [string, string]> = [
  ['--color-background-primary', '--vscode-editor-background'],
  ['--color-background-secondary', '--vscode-sideBar-background'],
  ['--color-background-tertiary', '--vscode-input-background'],
  ['--color-background-inverse', '--vscode-editor-foreground'],
  ['--color-background-info', '--vscode-inputValidation-infoBackground'],
  ['--color-background-danger', '--vscode-inputValidation-errorBackground'],
  ['--color-background-warning', '--vscode-inputValidation-warningBackground'],
  ['--color-background-disabled', '--vscode-input-background'],
  ['--color-text-primary', '--vscode-foreground'],
  ['--color-text-secondary', '--vscode-descriptionForeground'],
  ['--color-text-tertiary', '--vscode-disabledForeground'],
  ['--color-text-inverse', '--vscode-editor-background'],
  ['--color-text-info', '--vscode-editorInfo-foreground'],
  ['--color-text-danger', '--vscode-errorForeground'],
  ['--color-text-success', '--vscode-testing-iconPassed'],
  ['--color-text-warning', '--vscode-editorWarning-foreground'],
  ['--color-text-disabled', '--vscode-disabledForeground'],
  ['--color-border-primary', '--vscode-panel-border'],
  ['--color-border-secondary', '--vscode-widget-border'],
  ['--color-border-info', '--vscode-inputValidation-infoBorder'],
  ['--color-border-danger', '--vscode-inputValidation-errorBorder'],
  ['--color-border-warning', '--vscode-inputValidation-warningBorder'],
  ['--color-ring-primary', '--vscode-focusBorder'],
  ['--font-sans', '--vscode-font-family'],
  ['--font-mono', '--vscode-editor-font-family'],
  ['--font-text-md-size', '--vscode-font-size'],
  ['--font-weight-normal', '--vscode-font-weight'],
];

/** The tallest an app's frame grows (pixels): beyond it the app scrolls inside. */
export const APP_MAX_HEIGHT = 4000;

export type ThemeKind = 'light' | 'dark';

/** Light or dark, from the class VS Code puts on the webview's body. */
export function themeKind(body: HTMLElement): ThemeKind {
  return body.classList.contains('vscode-light') || body.classList.contains('vscode-high-contrast-light') ? 'light' : 'dark';
}

export function hostContext(options: { locale: string; width: number; tool: Record<string, unknown> }): McpUiHostContext {
  const style = getComputedStyle(document.documentElement);
  const variables: Record<string, string> = {};
  for (const [name, from] of VARIABLES) {
    const value = style.getPropertyValue(from).trim();
    if (value && value.length <= 500) variables[name] = value;
  }
  return {
    theme: themeKind(document.body),
    styles: { variables: variables as NonNullable<NonNullable<McpUiHostContext['styles']>['variables']> },
    displayMode: 'inline',
    availableDisplayModes: ['inline'],
    containerDimensions: { width: Math.max(0, Math.round(options.width)), maxHeight: APP_MAX_HEIGHT },
    locale: options.locale,
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    userAgent: 'MCP Hub (VS Code)',
    platform: 'desktop',
    toolInfo: { tool: options.tool as NonNullable<McpUiHostContext['toolInfo']>['tool'] },
  };
}
