/**
 * VS Code's own MCP policies, held in MCP Hub too: `chat.mcp.access` (policy ChatMCP: all, registry
 * or none), `chat.mcp.allowedServers` (ChatAllowedMcpServers) and `chat.mcp.deniedServers`
 * (ChatDeniedMcpServers). An organisation that turned MCP off in the editor, or limited it, gets the
 * same from MCP Hub: what the editor would refuse never runs here and is never offered through the
 * gateway. Matching follows VS Code's: an entry names exactly one of a server's name, its URL (origin,
 * path and query, case-insensitive, `*` as a wildcard) or its command line (exactly); a denied match
 * wins; with an allow list, only what it matches runs. With `registry`, only entries installed from
 * the registry VS Code is connected to (`chat.mcp.gallery.serviceUrl`, policy McpGalleryServiceUrl)
 * run: their provenance is checked here, and what they run against that registry by the hub
 * (registry/verify.ts).
 */
import type { RegistryProvenance, ServerConfig } from './config';
import { provenanceRefusal } from './registry/provenance';
import { scrubber } from './scrub';

export type McpAccess = 'all' | 'registry' | 'none';
export const MCP_ACCESS_SETTING = 'chat.mcp.access';
export const ALLOWED_SERVERS_SETTING = 'chat.mcp.allowedServers';
export const DENIED_SERVERS_SETTING = 'chat.mcp.deniedServers';
/** The registry VS Code installs from, when set (else the product's own gallery). */
export const GALLERY_URL_SETTING = 'chat.mcp.gallery.serviceUrl';

/** One entry of an allow or deny list: exactly one of the three. */
export type ServerMatcher = { readonly serverName: string } | { readonly serverUrl: string } | { readonly serverCommand: readonly string[] };

export interface EditorMcpPolicy {
  readonly access: McpAccess;
  /** Undefined: no allow list (everything not denied may run). */
  readonly allowed?: readonly ServerMatcher[];
  readonly denied?: readonly ServerMatcher[];
  /** With access `registry`: the registry whose servers may run (default: the official MCP Registry). */
  readonly registryUrl?: string;
}

export const OPEN_POLICY: EditorMcpPolicy = { access: 'all' };

/** `chat.mcp.access` as read; anything but the three values fails closed to `none`. */
export function parseAccess(raw: unknown): McpAccess {
  if (raw === undefined || raw === null || raw === 'all') return 'all';
  return raw === 'registry' ? 'registry' : 'none';
}

/** An allow or deny list as read: its valid entries (VS Code skips the others), or undefined when unset. */
export function parseMatchers(raw: unknown): ServerMatcher[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  return raw.filter(isMatcher);
}

function isMatcher(v: unknown): v is ServerMatcher {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const { serverName, serverUrl, serverCommand } = v as Record<string, unknown>;
  const name = typeof serverName === 'string' && serverName.length > 0;
  const url = typeof serverUrl === 'string' && serverUrl.length > 0;
  const command = Array.isArray(serverCommand) && serverCommand.length > 0 && serverCommand.every((p) => typeof p === 'string');
  return Number(name) + Number(url) + Number(command) === 1;
}

/** What a server is to the policy: its name in settings and what it runs or reaches (variables resolved). */
export interface ServerIdentity {
  readonly name: string;
  readonly url?: string;
  readonly command?: readonly string[];
  /** Where the entry says it was installed from. */
  readonly registry?: RegistryProvenance;
}

export function identityOf(name: string, config: ServerConfig): ServerIdentity {
  const registry = config.registry ? { registry: config.registry } : {};
  return config.type === 'stdio' ? { name, command: [config.command, ...config.args], ...registry } : { name, url: config.url, ...registry };
}

/** Why the policy refuses a server (our words, naming the rule), or undefined when it may run. */
export function policyRefusal(policy: EditorMcpPolicy, server: ServerIdentity): string | undefined {
  if (policy.access === 'none') return `MCP is turned off in VS Code (${MCP_ACCESS_SETTING}: none), by your organisation or your settings`;
  if (policy.access === 'registry') {
    // The provenance it carries; whether it runs what the registry says is the hub's (asynchronous) check.
    const refused = provenanceRefusal(server.registry, policy.registryUrl);
    if (refused) return refused;
  }
  if (!('url' in server) && !('command' in server)) return undefined;
  const denied = policy.denied?.find((m) => matches(m, server));
  if (denied) return `it is on the deny list (${DENIED_SERVERS_SETTING}: ${describe(denied)})`;
  if (policy.allowed !== undefined && !policy.allowed.some((m) => matches(m, server))) return `it is not on the allow list (${ALLOWED_SERVERS_SETTING})`;
  return undefined;
}

function matches(m: ServerMatcher, server: ServerIdentity): boolean {
  if ('serverName' in m) return m.serverName === server.name;
  if ('serverUrl' in m) return server.url !== undefined && urlMatches(m.serverUrl, server.url);
  return server.command !== undefined && m.serverCommand.length === server.command.length && m.serverCommand.every((p, i) => p === server.command![i]);
}

/** A URL as VS Code compares it: origin, path and query; or the text as it is when it is not an http(s) URL. */
function comparable(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin + u.pathname + u.search : url;
  } catch {
    return undefined;
  }
}

/** Whether `url` meets a `serverUrl` pattern, as VS Code matches them (also used for the organisation's URL patterns). */
export function urlMatches(pattern: string, url: string): boolean {
  const target = comparable(url);
  if (target === undefined) return false;
  if (!pattern.includes('*')) return comparable(pattern)?.toLowerCase() === target.toLowerCase();
  // A `*` in the host stays in the host (it never reaches past "/", "?", "#" or "@"), so an allow
  // list's https://*.company.example/* cannot be met by https://evil.test/x.company.example/.
  const scheme = pattern.indexOf('://');
  const hostEnd = scheme < 0 ? -1 : pattern.slice(scheme + 3).search(/[/?#]/);
  const split = scheme < 0 ? 0 : hostEnd < 0 ? pattern.length : scheme + 3 + hostEnd;
  const glob = (part: string, star: string) =>
    part
      .split('*')
      .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join(star);
  const regex = glob(pattern.slice(0, split), '[^/?#@]*') + glob(pattern.slice(split), '.*');
  return new RegExp(`^${regex}$`, 'i').test(target);
}

function describe(m: ServerMatcher): string {
  const text = 'serverName' in m ? `serverName ${m.serverName}` : 'serverUrl' in m ? `serverUrl ${m.serverUrl}` : `serverCommand ${m.serverCommand.join(' ')}`;
  return scrubber.message(text);
}
