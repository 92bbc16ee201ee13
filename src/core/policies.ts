/**
 * Every policy over which servers run, in one place: VS Code's own MCP policies (policy.ts:
 * chat.mcp.access, allowed and denied servers) and the organisation's policy for MCP Hub
 * (managed-policy.ts). The hub asks `refusal` for each entry before it resolves, asks about or
 * starts anything, and again once it knows what the entry would run; what either policy refuses
 * never runs and is never offered through the gateway. The organisation's servers are made into
 * entries here too, with the person's own choices for them (`mcpHub.managedServers`).
 *
 * How they combine: a broken organisation policy refuses everything; VS Code's policies apply to
 * every server, managed ones included; the organisation's `userServers`, `allowedRegistries` and
 * `allow` apply to the person's own entries (user and workspace settings), never to its own servers.
 */
import { isRecord } from '../protocol';
import { type Availability, type ConfigEntry, type ConfigSource, type ServerConfig, type ToolFilter } from './config';
import { NO_ORGANISATION_POLICY, type GatewayMode, type ManagedPolicy, type OrganisationPolicy } from './managed-policy';
import { OPEN_POLICY, policyRefusal, urlMatches, type EditorMcpPolicy, type ServerIdentity } from './policy';
import { sameRegistry } from './registry/url';

export interface Policies {
  readonly editor: EditorMcpPolicy;
  readonly organisation: OrganisationPolicy;
}

export const OPEN_POLICIES: Policies = { editor: OPEN_POLICY, organisation: NO_ORGANISATION_POLICY };

/** Why a server may not run, in our words naming the rule; `by` says whose policy it is. */
export interface Refusal {
  readonly by: 'vscode' | 'organisation';
  readonly message: string;
}

/** The setting that holds the person's choices for the servers the organisation manages. */
export const MANAGED_CHOICES_SETTING = 'mcpHub.managedServers';

/** What the panel says of a policy that cannot be used: the file (or VS Code policy) and the field. */
export function brokenPolicyMessage(org: Extract<OrganisationPolicy, { kind: 'broken' }>): string {
  return `your organisation's policy (${org.origin}) cannot be used: ${org.problem}; nothing runs until it is fixed`;
}

/**
 * Why `server` may not run, or undefined. `identity` is what it runs or reaches once its variables
 * are filled in; without it, only what the entry's name, source and provenance decide.
 */
export function refusal(
  policies: Policies,
  server: { readonly name: string; readonly source: ConfigSource; readonly config?: ServerConfig },
  identity?: ServerIdentity,
): Refusal | undefined {
  const org = policies.organisation;
  if (org.kind === 'broken') return { by: 'organisation', message: brokenPolicyMessage(org) };
  const editor = policyRefusal(policies.editor, identity ?? { name: server.name, ...(server.config?.registry ? { registry: server.config.registry } : {}) });
  if (editor) return { by: 'vscode', message: editor };
  if (org.kind === 'none' || server.source === 'managed') return undefined;
  const refused = ownEntryRefusal(org.policy, server.config, identity);
  return refused ? { by: 'organisation', message: refused } : undefined;
}

/** The organisation's rules for the person's own entries. */
function ownEntryRefusal(p: ManagedPolicy, config: ServerConfig | undefined, identity: ServerIdentity | undefined): string | undefined {
  const org = p.organization;
  if (p.userServers === 'none') return `only the servers ${org} manages may run (userServers: none)`;
  if (p.userServers === 'registry') {
    const from = config?.registry?.url;
    if (from === undefined || !p.allowedRegistries.some((r) => sameRegistry(r, from))) {
      return `only servers installed from the registries ${org} allows may run (userServers: registry), and this entry ${from === undefined ? 'names no registry' : 'names another registry'}`;
    }
  }
  if (!p.allow || !identity) return undefined;
  if (identity.url !== undefined) {
    return p.allow.urls.some((pattern) => urlMatches(pattern, identity.url!)) ? undefined : `its URL is not one ${org} allows (allow.urls)`;
  }
  if (identity.command !== undefined) {
    if (!p.allow.commands.some((pattern) => commandMatches(pattern, identity.command!))) return `its command line is not one ${org} allows (allow.commands)`;
    // What a command line runs also depends on these: with them, an allowed line could run anything.
    const loader = Object.keys(config && config.type === 'stdio' ? config.env : {}).find((k) => LOADER_ENV.test(k));
    if (loader !== undefined) return `its env sets ${loader}, which can change what an allowed command line runs (allow.commands)`;
  }
  return undefined;
}

/** Environment variables that choose which program, library or package a command line runs. */
const LOADER_ENV =
  /^(PATH|PATHEXT|NODE_OPTIONS|NODE_PATH|LD_\w+|DYLD_\w+|PYTHONPATH|PYTHONHOME|PYTHONSTARTUP|PYTHONUSERBASE|RUBYOPT|RUBYLIB|PERL5OPT|PERL5LIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|NPM_CONFIG_\w+|UV_\w+|PIP_\w+|BUN_\w+|DENO_\w+|COMSPEC)$/i;

/** A command-line pattern: the same number of parts, each matching (`*` is any run of characters within one part). */
export function commandMatches(pattern: readonly string[], command: readonly string[]): boolean {
  if (pattern.length !== command.length) return false;
  return pattern.every((p, i) => new RegExp(`^${p.split('*').map(escape).join('.*')}$`, 's').test(command[i]));
}

const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** Whether the gateway may run, and for whom: off while the policy is broken. */
export function gatewayMode(org: OrganisationPolicy): GatewayMode {
  if (org.kind === 'broken') return 'off';
  return org.kind === 'ok' ? org.policy.gateway : 'on';
}

/** The person's choices for one managed server, from `mcpHub.managedServers.<name>`. */
export interface ManagedChoice {
  /** On or off (a default server is on unless false, an optional one off unless true; a required one always on). */
  readonly enabled?: boolean;
  /** Narrows the administrator's tool filter; never widens it. */
  readonly tools?: ToolFilter;
  /** What in the choice was not understood (our words); the rest applies. */
  readonly problem?: string;
}

/** Reads `mcpHub.managedServers` (user settings), leniently: a wrong field is named and left out. */
export function parseManagedChoices(raw: unknown): Map<string, ManagedChoice> {
  const out = new Map<string, ManagedChoice>();
  if (!isRecord(raw)) return out;
  for (const [name, value] of Object.entries(raw)) {
    const at = `${MANAGED_CHOICES_SETTING}.${name}`;
    if (!isRecord(value)) {
      out.set(name, { problem: `${at} must be an object with "enabled" and/or "tools"; it is ignored.` });
      continue;
    }
    const problems: string[] = [];
    const enabled = typeof value.enabled === 'boolean' ? value.enabled : undefined;
    if (value.enabled !== undefined && enabled === undefined) problems.push(`${at}.enabled must be true or false`);
    let tools: ToolFilter | undefined;
    if (value.tools !== undefined) {
      const t = value.tools;
      const list = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);
      if (isRecord(t) && (t.allow === undefined || list(t.allow)) && (t.deny === undefined || list(t.deny))) {
        tools = { ...(t.allow !== undefined ? { allow: list(t.allow) } : {}), ...(t.deny !== undefined ? { deny: list(t.deny) } : {}) };
      } else problems.push(`${at}.tools must be an object with "allow" and/or "deny" lists of tool names`);
    }
    out.set(name, { ...(enabled !== undefined ? { enabled } : {}), ...(tools ? { tools } : {}), ...(problems.length ? { problem: `${problems.join('; ')}; ignored.` } : {}) });
  }
  return out;
}

/**
 * The servers the organisation manages, as entries of their own scope ("managed"), with the
 * person's choices for them: on or off as their availability allows, their tools narrowed.
 */
export function managedEntries(org: OrganisationPolicy, choices: ReadonlyMap<string, ManagedChoice>): ConfigEntry[] {
  if (org.kind !== 'ok') return [];
  return org.policy.servers.map((s) => {
    const choice = choices.get(s.name);
    const warnings: string[] = [];
    if (choice?.problem) warnings.push(choice.problem);
    if (s.availability === 'required' && choice?.enabled === false) {
      warnings.push(`${s.name} is required by ${org.policy.organization}: ${MANAGED_CHOICES_SETTING}.${s.name}.enabled is ignored.`);
    }
    const config: ServerConfig = { ...s.config, disabled: !isOn(s.availability, choice?.enabled), tools: choice?.tools ?? {} };
    return { ok: true as const, name: s.name, source: 'managed' as const, config, ...(warnings.length ? { warnings } : {}) };
  });
}

function isOn(availability: Availability, enabled: boolean | undefined): boolean {
  return availability === 'required' || (availability === 'default' ? enabled !== false : enabled === true);
}
