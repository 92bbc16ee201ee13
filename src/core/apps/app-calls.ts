/**
 * Which tool calls an MCP App may make through the hub, and how many. An app calls tools of its own
 * server only (the tool runner never routes elsewhere); of those, only tools the hub lists for the
 * server (the settings' tools.allow / tools.deny apply) and whose `_meta.ui.visibility` includes
 * "app". A hostile or broken app gets a refusal in our words, never a call, when it asks for more:
 * more than APP_CALLS_AT_ONCE at once, or more than APP_CALLS_PER_MINUTE in a minute.
 */
import type { Tool } from '@modelcontextprotocol/client';
import { hubError, type HubError } from '../errors';
import { appMayCall } from '../mcp-apps';
import { scrubber } from '../scrub';

export const APP_CALLS_AT_ONCE = 4;
export const APP_CALLS_PER_MINUTE = 120;

/** Why an app may not call `name` on `server` (whose listed tools are `tools`), or undefined when it may. */
export function appCallRefusal(tools: readonly Tool[], server: string, name: string): HubError | undefined {
  const tool = tools.find((t) => t.name === name);
  const label = scrubber.message(name).slice(0, 100);
  if (!tool) {
    return hubError(
      'app_call_refused',
      `The app asked for tool "${label}", which ${scrubber.message(server)} does not offer through MCP Hub (not listed, or filtered out by mcpHub.servers.${scrubber.message(server)}.tools).`,
    );
  }
  if (!appMayCall(tool)) return hubError('app_call_refused', `Tool "${label}" is not for apps: its _meta.ui.visibility leaves out "app".`);
  return undefined;
}

/** Counts one app's tool calls: at most APP_CALLS_AT_ONCE running, at most APP_CALLS_PER_MINUTE begun in any minute. */
export class AppCallBudget {
  private running = 0;
  private readonly begun: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes a slot for a call, or returns why not. The slot is given back with `done()`. */
  take(): HubError | undefined {
    const t = this.now();
    while (this.begun.length > 0 && this.begun[0] <= t - 60_000) this.begun.shift();
    if (this.running >= APP_CALLS_AT_ONCE) return hubError('app_rate_limited', `The app has ${APP_CALLS_AT_ONCE} tool calls running already; it may start another when one ends.`);
    if (this.begun.length >= APP_CALLS_PER_MINUTE) return hubError('app_rate_limited', `The app made ${APP_CALLS_PER_MINUTE} tool calls in the last minute, the most an app may.`);
    this.running++;
    this.begun.push(t);
    return undefined;
  }

  done(): void {
    this.running = Math.max(0, this.running - 1);
  }
}

/** The tool as an app's host context names it: what it is, without anything but the tool's own description. */
export function appToolInfo(tool: Tool): Record<string, unknown> {
  return {
    name: tool.name,
    ...(tool.title !== undefined ? { title: tool.title } : {}),
    ...(tool.description !== undefined ? { description: tool.description } : {}),
    inputSchema: tool.inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema } : {}),
    ...(tool.annotations ? { annotations: tool.annotations } : {}),
    ...(tool._meta ? { _meta: tool._meta } : {}),
  };
}
