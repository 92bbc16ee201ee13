/**
 * What an MCP App's connection (app-bridge.ts) asks of the tab that shows it. A file of its own with
 * no DOM types, so the unit tests, type-checked without the DOM library, share it.
 */
import type { McpUiHostContext } from '@modelcontextprotocol/ext-apps/app-bridge' with { 'resolution-mode': 'import' };

export interface AppHooks {
  callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  openLink(url: string): void;
  /** The app's `ui/message` or `ui/update-model-context`, as text to show. */
  said(kind: 'message' | 'context', text: string): void;
  resize(height: number): void;
  /** The app must go: it asked to (`why` undefined), or broke the rules (`why` in our words). */
  stop(why?: string): void;
  hostContext(): McpUiHostContext;
  readonly now?: () => number;
}
