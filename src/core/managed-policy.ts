/**
 * The organisation's policy for MCP Hub: the servers it manages (required, on by default, or
 * optional), whose servers of their own people may run, and whether the gateway runs. What the
 * policy decides for each server is in policies.ts, beside VS Code's own MCP policies; this module
 * reads and validates it.
 *
 * Where it comes from (what was found, 2026-12):
 * - A managed file at a fixed path per OS, writable only by administrators:
 *   Linux `/etc/mcp-hub/policy.json`, macOS `/Library/Application Support/MCP Hub/policy.json`,
 *   Windows `C:\ProgramData\MCP Hub\policy.json`. MCP Hub reads it itself, so it holds wherever the
 *   extension host runs: desktop VS Code, a remote or container host (the file is read on the
 *   machine the extension runs on), and code-server (tested there: e2e/ui.test.ts). Neither an
 *   environment variable nor a setting can move it; tests give the core another path through its
 *   injected dependencies. On Linux and macOS the file and its folder must be owned by root and
 *   writable by no one else, or the policy is taken as broken (fails closed): a file the person can
 *   edit is no policy. Windows has no such check here (Node cannot read ACLs): the folder's ACL is the
 *   administrator's to set.
 * - VS Code's policies: the setting `mcpHub.organizationPolicy` declares the policy
 *   `McpHubOrganizationPolicy` (the JSON text of the same policy), which desktop VS Code fills from
 *   Group Policy (HKLM\Software\Policies\Microsoft\VSCode), a macOS configuration profile, or
 *   `/etc/vscode/policy.json` (1.106+), as it does for its own settings: its configuration registry
 *   registers an extension setting's `policy` like a built-in one, and an extension sees a policy's
 *   value as the setting's `inspect().defaultValue`, which no settings file can change (read from
 *   VS Code 1.139's sources). MCP Hub reads it from there only, never from the person's own value.
 *   code-server applies no VS Code policy at all (tested with 4.139.1: `/etc/vscode/policy.json`
 *   changes neither `chat.mcp.access` nor an extension's policy setting), so there only the file holds.
 *
 * A missing file (and no VS Code policy) is no organisation policy. A policy that cannot be read or
 * parsed, or that names an unknown field or a value of the wrong type, fails closed: no server runs,
 * managed or not, the gateway stays off, and the panel names the file and the field.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { watch, type FSWatcher } from 'node:fs';
import { isRecord, parseServer, tryUrl, type Availability, type ServerConfig, type ToolFilter } from './config';
import { systemClock, type Clock, type Disposable, type TimerHandle } from './ports';
import { inlineSecrets } from './variables';

export type UserServersMode = 'all' | 'registry' | 'none';
export type GatewayMode = 'on' | 'off' | 'vscode';

/** The setting that carries the policy through VS Code's policies, and that policy's name. */
export const POLICY_SETTING = 'mcpHub.organizationPolicy';
export const VSCODE_POLICY_NAME = 'McpHubOrganizationPolicy';

/** The fixed path of the managed file on each OS (never taken from the environment or settings). */
export const MANAGED_POLICY_PATHS = {
  linux: '/etc/mcp-hub/policy.json',
  darwin: '/Library/Application Support/MCP Hub/policy.json',
  win32: 'C:\\ProgramData\\MCP Hub\\policy.json',
} as const;

/** The managed file's path on `platform` (the BSDs and others as Linux). */
export function managedPolicyPath(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? MANAGED_POLICY_PATHS.darwin : platform === 'win32' ? MANAGED_POLICY_PATHS.win32 : MANAGED_POLICY_PATHS.linux;
}

/** What the panel says manages a server when the policy names no organisation. */
export const DEFAULT_ORGANIZATION = 'your organisation';
const MAX_POLICY_BYTES = 1024 * 1024;
const MAX_ORGANIZATION_CHARS = 100;
const MAX_NAME_CHARS = 200;

export interface ManagedServer {
  readonly name: string;
  readonly availability: Availability;
  /** The entry as `mcpHub.servers` would have it (source "managed"); its `tools` is the administrator's filter. */
  readonly config: ServerConfig;
}

export interface ManagedPolicy {
  /** Who manages the servers, as people see it ("Managed by …"). */
  readonly organization: string;
  readonly servers: readonly ManagedServer[];
  /** Which of the person's own (user and workspace) entries may run. */
  readonly userServers: UserServersMode;
  /** For userServers "registry": the registries entries may come from. */
  readonly allowedRegistries: readonly string[];
  /** When set, only the person's entries these match may run: remote ones by URL, local ones by command line. */
  readonly allow?: { readonly urls: readonly string[]; readonly commands: readonly (readonly string[])[] };
  readonly gateway: GatewayMode;
}

/** The organisation's policy as MCP Hub holds it now. `origin`: the file's path, or which VS Code policy. */
export type OrganisationPolicy =
  | { readonly kind: 'none' }
  | { readonly kind: 'ok'; readonly origin: string; readonly policy: ManagedPolicy }
  | { readonly kind: 'broken'; readonly origin: string; readonly problem: string };

export const NO_ORGANISATION_POLICY: OrganisationPolicy = { kind: 'none' };

class PolicyError extends Error {}

/** The policy's fields (the README's JSON schema lists the same; test/unit/readme.test.ts ties them). */
export const POLICY_FIELDS = ['$schema', 'version', 'organization', 'servers', 'userServers', 'allowedRegistries', 'allow', 'gateway'];
/** The fields a managed server may have: an mcpHub.servers entry's, without `disabled` (that is what `availability` says). */
export const MANAGED_SERVER_FIELDS = ['availability', 'type', 'command', 'args', 'env', 'cwd', 'url', 'headers', 'timeout', 'tools', 'auth', 'protocolVersion'];
export const AVAILABILITIES: readonly Availability[] = ['required', 'default', 'optional'];
export const USER_SERVERS_MODES: readonly UserServersMode[] = ['all', 'registry', 'none'];
export const GATEWAY_MODES: readonly GatewayMode[] = ['on', 'off', 'vscode'];

/**
 * Validates a policy's JSON text strictly: every field known and of its type, or a problem naming
 * the field (never its value).
 */
export function parseManagedPolicy(text: string, origin: string): OrganisationPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'broken', origin, problem: `is not valid JSON${whereInText(text, (error as Error).message)}` };
  }
  try {
    return { kind: 'ok', origin, policy: validate(raw) };
  } catch (error) {
    if (error instanceof PolicyError) return { kind: 'broken', origin, problem: error.message };
    throw error;
  }
}

/**
 * Where JSON.parse stopped, as " (line L, column C)": from the position in its message only, as the
 * message may quote the text (a value, perhaps a secret).
 */
function whereInText(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return /Unexpected end/.test(message) ? ' (it ends too early)' : '';
  const before = text.slice(0, Number(position)).split('\n');
  return ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}

function fail(field: string, message: string): never {
  throw new PolicyError(field ? `${field}: ${message}` : message);
}

const oneOf = (values: readonly string[]) =>
  values
    .map((v) => `"${v}"`)
    .join(', ')
    .replace(/, ([^,]*)$/, ' or $1');

function validate(raw: unknown): ManagedPolicy {
  if (!isRecord(raw)) fail('', 'must be a JSON object');
  const unknown = Object.keys(raw).find((k) => !POLICY_FIELDS.includes(k));
  if (unknown !== undefined) fail(fieldName(unknown), `is not a field of the policy (known: ${POLICY_FIELDS.filter((k) => k !== '$schema').join(', ')})`);
  if (raw.version !== undefined && raw.version !== 1) fail('version', 'must be 1');
  if (raw.$schema !== undefined && typeof raw.$schema !== 'string') fail('$schema', 'must be a string');

  let organization = DEFAULT_ORGANIZATION;
  if (raw.organization !== undefined) {
    const o = raw.organization;
    if (typeof o !== 'string' || o.trim() === '') fail('organization', 'must be a non-empty string');
    if (o.length > MAX_ORGANIZATION_CHARS) fail('organization', `must be at most ${MAX_ORGANIZATION_CHARS} characters`);
    if (/\p{Cc}/u.test(o)) fail('organization', 'must not contain control characters');
    organization = o.trim();
  }

  const enumOf = <T extends string>(field: string, values: readonly T[], fallback: T): T => {
    const v = raw[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(field, `must be ${oneOf(values)}`);
    return v as T;
  };
  const userServers = enumOf('userServers', USER_SERVERS_MODES, 'all');
  const gateway = enumOf('gateway', GATEWAY_MODES, 'on');

  let allowedRegistries: string[] = [];
  if (raw.allowedRegistries !== undefined) {
    if (userServers !== 'registry') fail('allowedRegistries', 'is used only with "userServers": "registry"');
    allowedRegistries = urlList('allowedRegistries', raw.allowedRegistries);
  }
  if (userServers === 'registry' && allowedRegistries.length === 0) fail('allowedRegistries', 'must list at least one registry URL when "userServers" is "registry"');

  let allow: ManagedPolicy['allow'];
  if (raw.allow !== undefined) {
    if (userServers === 'none') fail('allow', 'has nothing to allow when "userServers" is "none"');
    const a = raw.allow;
    if (!isRecord(a)) fail('allow', 'must be an object with "urls" and/or "commands"');
    const extra = Object.keys(a).find((k) => k !== 'urls' && k !== 'commands');
    if (extra !== undefined) fail(`allow.${fieldName(extra)}`, 'is not a field of allow (known: urls, commands)');
    const urls = a.urls === undefined ? [] : patternList('allow.urls', a.urls);
    const commands = a.commands === undefined ? [] : commandList('allow.commands', a.commands);
    allow = { urls, commands };
  }

  const servers: ManagedServer[] = [];
  if (raw.servers !== undefined) {
    if (!isRecord(raw.servers)) fail('servers', 'must be an object keyed by server name');
    for (const [name, value] of Object.entries(raw.servers)) servers.push(managedServer(name, value, organization));
  }
  return { organization, servers, userServers, allowedRegistries, ...(allow ? { allow } : {}), gateway };
}

function managedServer(name: string, raw: unknown, organization: string): ManagedServer {
  const at = `servers.${fieldName(name)}`;
  if (name.trim() === '') fail('servers', 'a server name must not be empty');
  if (name.length > MAX_NAME_CHARS || /\p{Cc}/u.test(name)) fail(at, `the name must be at most ${MAX_NAME_CHARS} characters, without control characters`);
  if (!isRecord(raw)) fail(at, 'must be an object with "command" (local server) or "url" (remote server), and "availability"');
  const extra = Object.keys(raw).find((k) => !MANAGED_SERVER_FIELDS.includes(k));
  if (extra !== undefined) {
    fail(
      `${at}.${fieldName(extra)}`,
      extra === 'disabled' ? 'is not used in a policy; "availability" says whether it runs' : `is not a field of a managed server (known: ${MANAGED_SERVER_FIELDS.join(', ')})`,
    );
  }
  const availability = raw.availability;
  if (availability === undefined) fail(`${at}.availability`, `is required: ${oneOf(AVAILABILITIES)}`);
  if (typeof availability !== 'string' || !(AVAILABILITIES as readonly string[]).includes(availability)) fail(`${at}.availability`, `must be ${oneOf(AVAILABILITIES)}`);
  const { availability: _a, ...entry } = raw;
  const parsed = parseServer(name, entry, 'managed', 'servers');
  if (!parsed.ok) throw new PolicyError(parsed.error);
  // Everyone on the machine can read the file: a secret in it is no secret.
  const secret = inlineSecrets(parsed.config)[0];
  if (secret) fail(`${at}.${secret}`, 'a secret cannot be written in the policy; use "${input:NAME}" (each person enters it once, kept in their secret storage)');
  const tools: ToolFilter = parsed.config.tools;
  return { name, availability: availability as Availability, config: { ...parsed.config, managed: { availability: availability as Availability, by: organization, tools } } };
}

function urlList(field: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) fail(field, 'must be an array of URLs');
  return raw.map((v, i) => {
    const u = typeof v === 'string' ? tryUrl(v) : undefined;
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) fail(`${field}[${i}]`, 'must be an http(s) URL');
    return v as string;
  });
}

function patternList(field: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) fail(field, 'must be an array of URL patterns, e.g. "https://*.example.com/*"');
  return raw.map((v, i) => {
    if (typeof v !== 'string' || !/^https?:\/\/[^/?#]+/i.test(v))
      fail(`${field}[${i}]`, 'must be an http(s) URL pattern ("*" matches any run of characters), e.g. "https://*.example.com/*"');
    return v;
  });
}

function commandList(field: string, raw: unknown): string[][] {
  if (!Array.isArray(raw)) fail(field, 'must be an array of command lines, each an array of strings, e.g. ["npx", "-y", "@acme/*"]');
  return raw.map((v, i) => {
    if (!Array.isArray(v) || v.length === 0 || v.some((p) => typeof p !== 'string' || p === '')) {
      fail(`${field}[${i}]`, 'must be a command line as an array of non-empty strings (program, then arguments; "*" matches any run of characters within one)');
    }
    return v as string[];
  });
}

/** A key as a field name in a message: capped and stripped of control characters (it comes from the file). */
function fieldName(key: string): string {
  const clean = key.replace(/\p{Cc}/gu, '');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}

/**
 * The managed file as the core reads it. `owner`: on POSIX, the only user (uid) that may own the
 * file and its folder (root, 0, in the editor); undefined where ownership is not checked (Windows).
 */
export interface PolicyFile {
  readonly path: string;
  readonly owner?: number;
}

/** Reads and validates the managed file: none when it (or its folder) does not exist; broken when it cannot be trusted or used. */
export async function readPolicyFile(file: PolicyFile): Promise<OrganisationPolicy> {
  const { path, owner } = file;
  const broken = (problem: string): OrganisationPolicy => ({ kind: 'broken', origin: path, problem });
  const folder = dirname(path);
  try {
    const info = await stat(folder);
    if (!info.isDirectory()) return broken(`its folder ${folder} is not a folder`);
    const unsafe = owner === undefined ? undefined : unsafeOwnership(info, owner);
    // A folder others can write to lets them replace or remove the file.
    if (unsafe) return broken(`its folder ${folder} ${unsafe}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? NO_ORGANISATION_POLICY : broken(`its folder ${folder} cannot be read (${code ?? 'error'})`);
  }
  let handle;
  try {
    // Non-blocking: a FIFO in its place must not hang the extension host.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? NO_ORGANISATION_POLICY : broken(`cannot be read (${code ?? 'error'})`);
  }
  try {
    // The checks and the read are of the same open file, so it cannot be swapped in between.
    const info = await handle.stat();
    if (!info.isFile()) return broken('is not a file');
    const unsafe = owner === undefined ? undefined : unsafeOwnership(info, owner);
    if (unsafe) return broken(unsafe);
    if (info.size > MAX_POLICY_BYTES) return broken(`is larger than ${MAX_POLICY_BYTES / 1024} KB`);
    const text = await handle.readFile('utf8');
    return parseManagedPolicy(text, path);
  } catch (error) {
    return broken(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function unsafeOwnership(info: { uid: number; mode: number }, owner: number): string | undefined {
  const who = owner === 0 ? 'root' : `uid ${owner}`;
  if (info.uid !== owner) return `must be owned by ${who} (it is owned by uid ${info.uid})`;
  if ((info.mode & 0o022) !== 0) return `must be writable by ${who} only (its mode is ${(info.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/**
 * Watches the managed file: its folder (for the file being written, replaced or removed) and the
 * folder above (for the folder appearing or going). Several events in a row call `onChange` once,
 * `debounceMs` after the last; the watches are set up again then, as the folders may have come or gone.
 */
export function watchPolicyFile(path: string, onChange: () => void, options: { clock?: Clock; debounceMs?: number } = {}): Disposable {
  const clock = options.clock ?? systemClock;
  const debounceMs = options.debounceMs ?? 250;
  const folder = dirname(path);
  const parent = dirname(folder);
  let watchers: FSWatcher[] = [];
  let timer: TimerHandle | undefined;
  let disposed = false;
  const close = () => {
    for (const w of watchers) w.close();
    watchers = [];
  };
  const changed = () => {
    if (disposed) return;
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (disposed) return;
      arm();
      onChange();
    }, debounceMs);
  };
  const arm = () => {
    close();
    const targets: Array<[string, string | undefined]> = [
      [folder, undefined],
      [parent, basename(folder)],
    ];
    for (const [target, only] of targets) {
      try {
        const w = watch(target, { persistent: false }, (_event, name) => {
          if (only === undefined || name === null || name === only) changed();
        });
        w.on('error', changed);
        watchers.push(w);
      } catch {
        // Not there (yet): the folder above tells when it comes.
      }
    }
  };
  arm();
  return {
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      close();
    },
  };
}

/**
 * The one policy from both channels: the managed file and VS Code's policy. Either alone is the
 * policy; both at once is taken as broken (two administrators' sources that may disagree), naming both.
 */
export function combineChannels(file: OrganisationPolicy, vscode: OrganisationPolicy): OrganisationPolicy {
  if (file.kind === 'none') return vscode;
  if (vscode.kind === 'none') return file;
  return {
    kind: 'broken',
    origin: `${file.origin} and ${vscode.origin}`,
    problem: 'an organisation policy comes from both; deliver it through one of them',
  };
}

/**
 * The VS Code policy channel: the value an extension sees as the setting's default (only a policy
 * changes it). `contributed` is the default in package.json; the person's own value is never read.
 */
export function policyFromVSCode(defaultValue: unknown, contributed: unknown): OrganisationPolicy {
  const origin = `the VS Code policy ${VSCODE_POLICY_NAME}`;
  if (defaultValue === undefined || defaultValue === contributed || defaultValue === '') return NO_ORGANISATION_POLICY;
  if (typeof defaultValue !== 'string') return { kind: 'broken', origin, problem: 'must be the JSON text of the policy' };
  if (defaultValue.length > MAX_POLICY_BYTES) return { kind: 'broken', origin, problem: `is larger than ${MAX_POLICY_BYTES / 1024} KB` };
  return parseManagedPolicy(defaultValue, origin);
}
