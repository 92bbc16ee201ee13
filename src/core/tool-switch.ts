/**
 * The panel's per-tool switches, as edits of an entry's `tools` filter: switching a tool off adds its
 * exact name to `tools.deny`; switching it on removes its exact name from `deny` (and adds it to
 * `allow` when there is an allow list). A pattern such as `delete_*` is the person's own rule: the
 * switch never widens or drops it, it says which pattern holds the tool back instead. On a server
 * the organisation manages, the person's filter only narrows the administrator's: a tool the policy
 * keeps out cannot be switched on.
 */
import { globToRegExp, isToolAllowed, type ManagedSettings, type ToolFilter } from './config';

export type ToolSwitchResult = { readonly filter: ToolFilter } | { readonly refused: string };

const matches = (pattern: string, tool: string) => globToRegExp(pattern).test(tool);

/** Why the filter (or the organisation's, first) keeps `tool` out, in words for the panel; undefined when both let it through. */
export function filterReason(filter: ToolFilter, tool: string, managed?: Pick<ManagedSettings, 'by' | 'tools'>): string | undefined {
  if (managed && !isToolAllowed(managed.tools, tool)) {
    const denied = managed.tools.deny?.find((p) => matches(p, tool));
    return `kept off by ${managed.by}'s policy (${denied !== undefined ? `tools.deny: ${denied}` : 'not in its tools.allow'})`;
  }
  if (isToolAllowed(filter, tool)) return undefined;
  const denied = filter.deny?.find((p) => matches(p, tool));
  if (denied !== undefined) return denied === tool ? 'switched off (tools.deny)' : `matches "${denied}" in tools.deny`;
  return 'not in tools.allow';
}

export function switchTool(filter: ToolFilter, tool: string, enabled: boolean, managed?: Pick<ManagedSettings, 'by' | 'tools'>): ToolSwitchResult {
  if (enabled && managed && !isToolAllowed(managed.tools, tool)) return { refused: `"${tool}" is ${filterReason(filter, tool, managed)}; only ${managed.by} can switch it on.` };
  if (tool.includes('*')) return { refused: `"${tool}" has a * in its name, which tools.deny would read as a pattern; edit the settings by hand.` };
  const allowed = isToolAllowed(filter, tool);
  if (allowed === enabled) return { filter };
  if (!enabled) return { filter: { ...filter, deny: [...(filter.deny ?? []), tool] } };
  const deny = (filter.deny ?? []).filter((p) => p !== tool);
  const pattern = deny.find((p) => matches(p, tool));
  if (pattern !== undefined) return { refused: `"${tool}" matches the pattern "${pattern}" in tools.deny; change that pattern in the settings to switch it on.` };
  const allow = filter.allow && !filter.allow.some((p) => matches(p, tool)) ? [...filter.allow, tool] : filter.allow;
  return { filter: { ...(allow ? { allow } : {}), ...(deny.length > 0 ? { deny } : {}) } };
}
