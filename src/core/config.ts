/**
 * Parsing and validation of the `mcpHub.servers` setting. Every entry is validated on its own: a bad
 * entry becomes a ConfigError naming the server and the field, and never affects its neighbours.
 */

import { isRecord } from '../protocol';
import { HTTP_TOKEN_HOSTS, sdkSendsTokensTo } from './oauth/url-guard';

export const SETTINGS_SECTION = 'mcpHub';
export const SERVERS_KEY = 'servers';
export const SERVERS_SETTING = `${SETTINGS_SECTION}.${SERVERS_KEY}`;

/**
 * Where an entry was defined: the organisation's policy (managed-policy.ts), the person's user
 * settings, or a folder's (workspace) settings; workspace entries do not start in an untrusted workspace.
 */
export type ConfigSource = 'managed' | 'user' | 'workspace' | 'workspaceFolder';

/** Whether an entry comes from a folder's settings (shared, committed, untrusted until the person says so). */
export function fromFolder(source: ConfigSource): boolean {
  return source === 'workspace' || source === 'workspaceFolder';
}

export type RemoteTransport = 'streamable-http' | 'sse' | 'http';
export const REMOTE_TRANSPORTS: readonly RemoteTransport[] = ['streamable-http', 'sse', 'http'];

export interface ToolFilter {
  /** Only these tools are listed and callable ('*' matches any run of characters). */
  readonly allow?: readonly string[];
  /** These tools are never listed or callable, even when allowed. */
  readonly deny?: readonly string[];
}

export interface AuthSettings {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /**
   * The issuer the pre-registered client (clientId with clientSecret or privateKey) belongs to; its
   * credentials are sent to no other authorization server. Unset: the issuer of the first sign-in.
   */
  readonly issuer?: string;
  /**
   * An issuer to accept although the authorization server's metadata names it for another URL (a
   * misconfigured server); only exactly this one.
   */
  readonly acceptIssuer?: string;
  readonly scope?: string;
  readonly callbackPort?: number;
  /** An https URL of a Client ID Metadata Document to use as client_id where the server supports it. */
  readonly clientMetadataUrl?: string;
  /**
   * 'client_credentials' for machine-to-machine servers; 'jwt-bearer' for workload identity (the
   * RFC 7523 JWT bearer grant with `assertion`); the default is the browser sign-in.
   */
  readonly grantType?: GrantType;
  /** Where the workload's JWT comes from, for grantType 'jwt-bearer' (read again for every token). */
  readonly assertion?: AssertionSource;
  /**
   * Enterprise-managed authorization through the company IdP (mcpHub.enterprise.idp), which gives
   * the server the person's company identity: true chooses it for this server (it signs in by
   * itself once the IdP is signed in, even where the authorization server does not advertise the
   * JWT bearer grant); false never uses it. Unset: only when the person clicks Authenticate on this
   * server and its authorization server advertises the grant.
   */
  readonly enterprise?: boolean;
  /** A PEM or JWK (JSON) private key for private_key_jwt client authentication. */
  readonly privateKey?: string;
  readonly privateKeyAlg?: string;
  /** Seconds to wait for the browser sign-in before giving up (default 300). */
  readonly signInTimeout?: number;
  /**
   * 'assume-s256': the authorization server supports PKCE S256 but its metadata leaves out
   * code_challenge_methods_supported (Entra ID, Cognito); take S256 as listed. Unset: it must be listed.
   */
  readonly pkce?: PkceSetting;
  /**
   * false: leave the RFC 8707 `resource` parameter out of authorization and token requests, for
   * authorization servers that refuse it next to scopes (Entra ID v2, AADSTS9010010). Default true.
   */
  readonly resourceIndicator?: boolean;
  /**
   * The URL of the authorization server's metadata document (RFC 8414 or OpenID), read instead of
   * discovering it, for a server whose discovery does not find it.
   */
  readonly metadata?: string;
  /** The authorization server's endpoints, for one that publishes no metadata at all. */
  readonly endpoints?: AuthEndpoints;
  /**
   * The one account this entry uses among those signed in to its URL (its subject, email or user
   * name; where the authorization server names nobody, a label the person chooses): two entries for
   * one URL with different accounts run side by side (oauth/accounts.ts).
   */
  readonly account?: string;
}

/** auth.endpoints: where an authorization server without metadata signs in, gives tokens, registers clients and revokes tokens. */
export interface AuthEndpoints {
  readonly authorization: string;
  readonly token: string;
  readonly registration?: string;
  readonly revocation?: string;
}
/** The fields of auth.endpoints, the required ones first. */
export const ENDPOINT_FIELDS = ['authorization', 'token', 'registration', 'revocation'] as const;

/** The values of auth.grantType (the settings schema in package.json offers exactly these: test/unit/settings-schema.test.ts). */
export const GRANT_TYPES = ['authorization_code', 'client_credentials', 'jwt-bearer'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];
/** The values of auth.pkce. */
export const PKCE_SETTINGS = ['assume-s256'] as const;
export type PkceSetting = (typeof PKCE_SETTINGS)[number];

/** The warnings a row shows while an entry's auth settings relax a check for a server's quirk. */
export function authQuirkWarnings(auth: AuthSettings | undefined, at: string): string[] {
  const warnings: string[] = [];
  if (auth?.pkce === 'assume-s256') {
    warnings.push(
      `${at}.auth.pkce is "assume-s256": PKCE S256 is assumed for an authorization server that does not advertise it. Remove it once the server lists code_challenge_methods_supported.`,
    );
  }
  if (auth?.resourceIndicator === false) {
    warnings.push(`${at}.auth.resourceIndicator is false: tokens are requested without naming this server as their resource (RFC 8707), so they may be valid elsewhere too.`);
  }
  if (auth?.metadata) {
    warnings.push(
      `${at}.auth.metadata is set: the authorization server's metadata is read from there, not discovered from the server (RFC 9728). Remove it once the server says where its authorization server is.`,
    );
  }
  if (auth?.endpoints) {
    warnings.push(
      `${at}.auth.endpoints is set: the authorization server's endpoints come from settings, nothing about them is discovered, and PKCE S256 is assumed. Use auth.metadata instead once the authorization server publishes metadata.`,
    );
  }
  return warnings;
}

/** How an organisation's policy offers a server it manages (see managed-policy.ts). */
export type Availability = 'required' | 'default' | 'optional';

/** What a server managed by the organisation carries beside its entry. */
export interface ManagedSettings {
  readonly availability: Availability;
  /** Who manages it: the organisation's name from the policy. */
  readonly by: string;
  /** The administrator's tool filter; the entry's own `tools` (the person's choice) can only narrow it. */
  readonly tools: ToolFilter;
}

/** A workload identity token: a value (typically "${env:NAME}"), a file (re-read each time), or a command's output. */
export type AssertionSource = { readonly value: string } | { readonly file: string } | { readonly command: string; readonly args: readonly string[] };

/**
 * Where an entry was installed from: a server of an MCP registry (its v0.1 API base URL), by its
 * server.json name and version. Written by Add Server…; read by the update check and by policies
 * that let only registry servers run (chat.mcp.access: registry).
 */
export interface RegistryProvenance {
  readonly url: string;
  readonly name: string;
  readonly version: string;
}

interface CommonConfig {
  readonly name: string;
  readonly source: ConfigSource;
  readonly disabled: boolean;
  /** Seconds allowed for start-up and for each request. */
  readonly timeoutSeconds: number;
  readonly tools: ToolFilter;
  readonly auth?: AuthSettings;
  /** 'auto' negotiates the era; a revision pins it ('2026-07-28', or '2025-11-25' for the classic handshake). */
  readonly protocolVersion: ProtocolSetting;
  /** Set on the servers the organisation's policy manages. */
  readonly managed?: ManagedSettings;
  /** Set when the entry was installed from an MCP registry (its `registry` field). */
  readonly registry?: RegistryProvenance;
}

export interface StdioServerConfig extends CommonConfig {
  readonly type: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

export interface RemoteServerConfig extends CommonConfig {
  readonly type: RemoteTransport;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export type ServerConfig = StdioServerConfig | RemoteServerConfig;

/**
 * One entry of one settings scope. `name` is what the hub shows and calls it; `settingsKey` is its
 * key in that scope's `mcpHub.servers` when the two differ (a workspace entry shown beside a user
 * entry of the same key, see mergeScopes).
 */
export type ConfigEntry =
  | {
      readonly ok: true;
      readonly name: string;
      readonly source: ConfigSource;
      readonly config: ServerConfig;
      readonly settingsKey?: string;
      /** About how the entry was put together (our words), e.g. a choice for a managed server that does not apply. */
      readonly warnings?: readonly string[];
    }
  | { readonly ok: false; readonly name: string; readonly source: ConfigSource; readonly error: string; readonly settingsKey?: string };

export const DEFAULT_TIMEOUT_SECONDS = 60;

/** The values of a server's `protocolVersion` setting. */
export const PROTOCOL_SETTINGS = ['auto', '2026-07-28', '2025-11-25'] as const;
export type ProtocolSetting = (typeof PROTOCOL_SETTINGS)[number];

class FieldError extends Error {}

/** Reads one scope's value of `mcpHub.servers` (an object keyed by server name). */
export function parseServers(raw: unknown, source: ConfigSource): ConfigEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) {
    return [{ ok: false, name: '(settings)', source, error: `${SERVERS_SETTING}: must be an object keyed by server name` }];
  }
  return Object.entries(raw).map(([name, value]) => parseServer(name, value, source));
}

/** `prefix`: what errors name the entry under (the policy file names its own `servers`). */
export function parseServer(name: string, raw: unknown, source: ConfigSource, prefix: string = SERVERS_SETTING): ConfigEntry {
  const at = (field?: string) => `${prefix}.${name}${field ? '.' + field : ''}`;
  const fail = (field: string | undefined, message: string): never => {
    throw new FieldError(`${at(field)}: ${message}`);
  };
  try {
    if (name.trim() === '') fail(undefined, 'the server name must not be empty');
    if (!isRecord(raw)) fail(undefined, 'must be an object with "command" (local server) or "url" (remote server)');
    const entry = raw as Record<string, unknown>;

    const optString = (field: string): string | undefined => {
      const v = entry[field];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v.trim() === '') fail(field, 'must be a non-empty string');
      return v as string;
    };
    const stringMap = (field: string): Record<string, string> => {
      const v = entry[field];
      if (v === undefined) return {};
      if (!isRecord(v)) fail(field, 'must be an object of string values');
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        // Numbers and booleans are common in pasted env blocks; anything else is a mistake.
        if (typeof val === 'number' || typeof val === 'boolean') out[k] = String(val);
        else if (typeof val === 'string') out[k] = val;
        else fail(`${field}.${k}`, 'must be a string');
      }
      return out;
    };
    const stringArray = (field: string, v: unknown): string[] | undefined => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(field, 'must be an array of strings');
      return v as string[];
    };

    let disabled = false;
    if (entry.disabled !== undefined) {
      if (typeof entry.disabled !== 'boolean') fail('disabled', 'must be true or false');
      disabled = entry.disabled as boolean;
    }

    let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    if (entry.timeout !== undefined) {
      const t = entry.timeout;
      if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) fail('timeout', 'must be a positive number of seconds');
      timeoutSeconds = t as number;
    }

    let tools: ToolFilter = {};
    if (entry.tools !== undefined) {
      if (!isRecord(entry.tools)) fail('tools', 'must be an object with "allow" and/or "deny" lists');
      const t = entry.tools as Record<string, unknown>;
      tools = { allow: stringArray('tools.allow', t.allow), deny: stringArray('tools.deny', t.deny) };
    }

    let protocolVersion: ProtocolSetting = 'auto';
    if (entry.protocolVersion !== undefined) {
      if (!(PROTOCOL_SETTINGS as readonly unknown[]).includes(entry.protocolVersion)) {
        fail('protocolVersion', `must be one of ${PROTOCOL_SETTINGS.map((v) => `"${v}"`).join(', ')} ("2025-11-25" is the classic initialize handshake)`);
      }
      protocolVersion = entry.protocolVersion as ProtocolSetting;
    }

    const auth = parseAuth(entry.auth, fail);
    const registry = parseRegistryProvenance(entry.registry, fail);

    const command = optString('command');
    const url = optString('url');
    let type = entry.type;
    if (type === undefined) {
      if (command !== undefined && url !== undefined) fail(undefined, 'set either "command" (local server) or "url" (remote server), not both');
      if (command === undefined && url === undefined) fail(undefined, 'needs "command" (local server) or "url" (remote server)');
      type = command !== undefined ? 'stdio' : 'http';
    }
    const common = { name, source, disabled, timeoutSeconds, tools, protocolVersion, ...(auth ? { auth } : {}), ...(registry ? { registry } : {}) };

    if (type === 'stdio') {
      if (command === undefined) fail('command', 'is required for a stdio server');
      if (url !== undefined) fail('url', 'is not used by a stdio server; remove it or set "type" to "http"');
      if (auth !== undefined) fail('auth', 'is used only by a remote server (one with "url"); remove it');
      const args = stringArray('args', entry.args) ?? [];
      const cwd = optString('cwd');
      const config: StdioServerConfig = { ...common, type: 'stdio', command: command!, args, env: stringMap('env'), ...(cwd ? { cwd } : {}) };
      return { ok: true, name, source, config };
    }
    if (typeof type !== 'string' || !(REMOTE_TRANSPORTS as readonly string[]).includes(type)) {
      return fail('type', `must be one of "stdio", ${REMOTE_TRANSPORTS.map((t) => `"${t}"`).join(', ')}`);
    }
    if (url === undefined) fail('url', `is required for a ${type} server`);
    if (command !== undefined) fail('command', `is not used by a ${type} server; remove it or set "type" to "stdio"`);
    // A URL with variables is checked once they are filled in (the hub does); normalising it now
    // would percent-encode the braces of ${input:…}.
    const withVariables = url!.includes('${');
    const parsed = withVariables ? undefined : tryUrl(url!);
    if (withVariables ? !/^(https?:\/\/|\$\{)/i.test(url!) : !parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) fail('url', 'must be an http(s) URL');
    const config: RemoteServerConfig = { ...common, type: type as RemoteTransport, url: withVariables ? url! : parsed!.href, headers: stringMap('headers') };
    return { ok: true, name, source, config };
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, name, source, error: e.message };
    throw e;
  }
}

/** `"a", "b" or "c"`. */
function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted.join('');
}

/** `text` as a URL, or undefined when it is not one. */
export function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Longest registry server name and version (the registry's own limits: 200 and 255). */
const REGISTRY_NAME_MAX = 200;
const REGISTRY_VERSION_MAX = 255;

function parseRegistryProvenance(raw: unknown, fail: (field: string, message: string) => never): RegistryProvenance | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) return fail('registry', 'must be an object with "url", "name" and "version" (written by Add Server…)');
  const text = (k: 'url' | 'name' | 'version', max: number): string => {
    const v = raw[k];
    if (typeof v !== 'string' || v.trim() === '' || v.length > max) return fail(`registry.${k}`, `must be a non-empty string of at most ${max} characters`);
    return v;
  };
  const url = text('url', 2048);
  const u = tryUrl(url);
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.username || u.password || u.search || u.hash) fail('registry.url', "must be the registry's http(s) URL");
  const extra = Object.keys(raw).find((k) => k !== 'url' && k !== 'name' && k !== 'version');
  if (extra !== undefined) fail('registry', 'takes "url", "name" and "version" only');
  return { url, name: text('name', REGISTRY_NAME_MAX), version: text('version', REGISTRY_VERSION_MAX) };
}

function parseAuth(raw: unknown, fail: (field: string, message: string) => never): AuthSettings | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) fail('auth', 'must be an object');
  const a = raw;
  const str = (k: string): string | undefined => {
    if (a[k] === undefined) return undefined;
    if (typeof a[k] !== 'string' || a[k].trim() === '') fail(`auth.${k}`, 'must be a non-empty string');
    return a[k];
  };
  const out: { -readonly [K in keyof AuthSettings]: AuthSettings[K] } = {};
  const clientId = str('clientId');
  const clientSecret = str('clientSecret');
  const scope = str('scope');
  if (clientId) out.clientId = clientId;
  if (clientSecret) {
    if (!clientId) fail('auth.clientSecret', 'needs auth.clientId as well');
    out.clientSecret = clientSecret;
  }
  if (scope) out.scope = scope;
  const issuer = str('issuer');
  if (issuer) {
    const u = tryUrl(issuer);
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) fail('auth.issuer', "must be the authorization server's issuer URL");
    out.issuer = issuer;
  }
  const acceptIssuer = str('acceptIssuer');
  if (acceptIssuer) {
    const u = tryUrl(acceptIssuer);
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) fail('auth.acceptIssuer', 'must be the issuer URL the authorization server names');
    out.acceptIssuer = acceptIssuer;
  }
  const clientMetadataUrl = str('clientMetadataUrl');
  if (clientMetadataUrl) {
    const u = tryUrl(clientMetadataUrl);
    if (!u || u.protocol !== 'https:' || u.pathname === '/') fail('auth.clientMetadataUrl', 'must be an https URL with a path');
    out.clientMetadataUrl = clientMetadataUrl;
  }
  const grantType = str('grantType') as GrantType | undefined;
  if (grantType) {
    if (!GRANT_TYPES.includes(grantType)) fail('auth.grantType', `must be ${oneOf(GRANT_TYPES)}`);
    if (grantType === 'client_credentials' && !clientId) fail('auth.grantType', '"client_credentials" needs auth.clientId');
    if (grantType === 'jwt-bearer' && a.assertion === undefined)
      fail('auth.grantType', '"jwt-bearer" needs auth.assertion (the workload\'s token: a file, "${env:NAME}" or a command)');
    out.grantType = grantType;
  }
  if (a.assertion !== undefined) {
    if (grantType !== 'jwt-bearer') fail('auth.assertion', 'is used only with "grantType": "jwt-bearer"');
    out.assertion = parseAssertion(a.assertion, fail);
  }
  if (a.enterprise !== undefined) {
    if (typeof a.enterprise !== 'boolean') fail('auth.enterprise', 'must be true or false');
    out.enterprise = a.enterprise;
  }
  const privateKey = str('privateKey');
  if (privateKey) {
    if (!clientId) fail('auth.privateKey', 'needs auth.clientId as well');
    out.privateKey = privateKey;
  }
  const privateKeyAlg = str('privateKeyAlg');
  if (privateKeyAlg) out.privateKeyAlg = privateKeyAlg;
  if (a.signInTimeout !== undefined) {
    const t = a.signInTimeout;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) fail('auth.signInTimeout', 'must be a positive number of seconds');
    out.signInTimeout = t;
  }
  if (a.callbackPort !== undefined) {
    const p = a.callbackPort;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) fail('auth.callbackPort', 'must be a port number from 1 to 65535');
    out.callbackPort = p;
  }
  if (a.pkce !== undefined) {
    if (!PKCE_SETTINGS.includes(a.pkce as PkceSetting)) fail('auth.pkce', `must be ${oneOf(PKCE_SETTINGS)} (or left out)`);
    out.pkce = a.pkce as PkceSetting;
  }
  if (a.resourceIndicator !== undefined) {
    if (typeof a.resourceIndicator !== 'boolean') fail('auth.resourceIndicator', 'must be true or false');
    if (!a.resourceIndicator) out.resourceIndicator = false;
  }
  const account = str('account');
  if (account) {
    if (account.length > 200) fail('auth.account', 'must be at most 200 characters');
    if (out.grantType === 'client_credentials' || out.grantType === 'jwt-bearer')
      fail('auth.account', `is for a person's sign-in; "grantType": "${out.grantType}" signs in no person`);
    out.account = account.trim();
  }
  const metadata = str('metadata');
  if (metadata) {
    if (!isHttpUrl(metadata)) fail('auth.metadata', "must be the http(s) URL of the authorization server's metadata document");
    out.metadata = metadata;
  }
  if (a.endpoints !== undefined) {
    if (metadata) fail('auth.endpoints', 'set either auth.metadata or auth.endpoints, not both');
    out.endpoints = parseEndpoints(a.endpoints, fail);
  }
  return out;
}

/** `mcpHub.enterprise.idp`: the company identity provider MCP Hub signs in to once for enterprise-managed servers. */
export const ENTERPRISE_IDP_SETTING = `${SETTINGS_SECTION}.enterprise.idp`;

export interface EnterpriseIdpSettings {
  /** The IdP's issuer URL (OpenID Connect discovery happens there). */
  readonly issuer: string;
  /** MCP Hub's client ID at the IdP, registered by its administrator. */
  readonly clientId: string;
  /** Only as "${input:NAME}" (secret storage); most IdPs register a native app without one. */
  readonly clientSecret?: string;
  /** Scopes asked for beside openid, profile, email and offline_access. */
  readonly scope?: string;
  /** A fixed port for the loopback callback, when the IdP registered one exact redirect URI. */
  readonly callbackPort?: number;
  /** A VS Code authentication provider (e.g. "microsoft") whose session supplies the ID token instead of MCP Hub's own sign-in. */
  readonly authProvider?: { readonly id: string; readonly scopes: readonly string[] };
}

/** Parses mcpHub.enterprise.idp; undefined when not set. Throws an Error naming the field on bad input. */
export function parseEnterpriseIdp(raw: unknown): EnterpriseIdpSettings | undefined {
  if (raw === undefined || raw === null || (isRecord(raw) && Object.keys(raw).length === 0)) return undefined;
  const fail = (field: string, message: string): never => {
    throw new Error(`${ENTERPRISE_IDP_SETTING}${field ? `.${field}` : ''}: ${message}`);
  };
  if (!isRecord(raw)) return fail('', 'must be an object with "issuer" and "clientId"');
  const str = (k: string, required = false): string | undefined => {
    const v = raw[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v.trim() === '') return fail(k, 'must be a non-empty string');
    return v;
  };
  const issuer = str('issuer', true)!;
  const u = tryUrl(issuer);
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || u.search || u.hash) fail('issuer', 'must be the https URL of the IdP (its OpenID Connect issuer)');
  // ID tokens travel to and from it: http only on this machine, on the hosts the SDK sends tokens to over http.
  if (u?.protocol === 'http:' && !sdkSendsTokensTo(u)) fail('issuer', `must be https (http only for an IdP on this machine: ${HTTP_TOKEN_HOSTS})`);
  const clientId = str('clientId', true)!;
  const clientSecret = str('clientSecret');
  if (clientSecret !== undefined && !/^\$\{input:[\w.-]+\}$/.test(clientSecret)) fail('clientSecret', 'must be "${input:NAME}" (kept in secret storage), never the secret itself');
  const scope = str('scope');
  let callbackPort: number | undefined;
  if (raw.callbackPort !== undefined) {
    const p = raw.callbackPort;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) fail('callbackPort', 'must be a port number from 1 to 65535');
    callbackPort = p as number;
  }
  let authProvider: EnterpriseIdpSettings['authProvider'];
  if (raw.authProvider !== undefined) {
    const ap = raw.authProvider;
    if (typeof ap === 'string' && ap.trim()) authProvider = { id: ap, scopes: ['openid', 'profile', 'email'] };
    else if (isRecord(ap) && typeof ap.id === 'string' && ap.id.trim()) {
      const scopes = ap.scopes ?? ['openid', 'profile', 'email'];
      if (!Array.isArray(scopes) || !scopes.every((x) => typeof x === 'string')) fail('authProvider.scopes', 'must be an array of strings');
      authProvider = { id: ap.id, scopes: scopes as string[] };
    } else fail('authProvider', 'must be the id of a VS Code authentication provider, e.g. "microsoft", or { "id": …, "scopes": [...] }');
  }
  return {
    issuer,
    clientId,
    ...(clientSecret ? { clientSecret } : {}),
    ...(scope ? { scope } : {}),
    ...(callbackPort ? { callbackPort } : {}),
    ...(authProvider ? { authProvider } : {}),
  };
}

function parseEndpoints(raw: unknown, fail: (field: string, message: string) => never): AuthEndpoints {
  const shape = 'must be an object with the http(s) URLs "authorization" and "token" (and "registration", "revocation" if the server has them)';
  if (!isRecord(raw)) return fail('auth.endpoints', shape);
  const out: Partial<Record<(typeof ENDPOINT_FIELDS)[number], string>> = {};
  for (const field of ENDPOINT_FIELDS) {
    const v = raw[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !isHttpUrl(v)) fail(`auth.endpoints.${field}`, 'must be an http(s) URL');
    out[field] = v;
  }
  const unknown = Object.keys(raw).find((k) => !(ENDPOINT_FIELDS as readonly string[]).includes(k));
  if (unknown !== undefined) fail('auth.endpoints', `takes ${oneOf(ENDPOINT_FIELDS).replace(' or ', ' and ')} only`);
  for (const field of ['authorization', 'token'] as const) if (!out[field]) fail(`auth.endpoints.${field}`, 'is required: the URL of the endpoint');
  return out as AuthEndpoints;
}

function isHttpUrl(text: string): boolean {
  const u = tryUrl(text);
  return !!u && (u.protocol === 'https:' || u.protocol === 'http:');
}

function parseAssertion(raw: unknown, fail: (field: string, message: string) => never): AssertionSource {
  const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
  if (nonEmpty(raw)) return { value: raw };
  if (!isRecord(raw)) fail('auth.assertion', 'must be a string (e.g. "${env:NAME}"), { "file": path } or { "command": program, "args": [...] }');
  const keys = Object.keys(raw);
  if ('file' in raw) {
    if (!nonEmpty(raw.file)) fail('auth.assertion.file', 'must be the path of the token file');
    if (keys.length > 1) fail('auth.assertion', 'takes "file" alone');
    return { file: raw.file };
  }
  if ('command' in raw) {
    if (!nonEmpty(raw.command)) fail('auth.assertion.command', 'must be the program that prints the token');
    const args = raw.args ?? [];
    if (!Array.isArray(args) || !args.every((x) => typeof x === 'string')) fail('auth.assertion.args', 'must be an array of strings');
    if (keys.some((k) => k !== 'command' && k !== 'args')) fail('auth.assertion', 'takes "command" and "args" only');
    return { command: raw.command, args };
  }
  return fail('auth.assertion', 'must be a string (e.g. "${env:NAME}"), { "file": path } or { "command": program, "args": [...] }');
}

/**
 * The entries of every scope, in order (managed, user, workspace, folder). A folder entry overrides a
 * workspace entry of the same key, as VS Code's settings do; but nothing takes the place of an entry
 * of a stronger scope: a user entry with the key of a server the organisation manages is kept as
 * "<key> (user)", and a workspace or folder entry with the key of a managed or a user entry as
 * "<key> (workspace)" or "<key> (folder)", so neither the person nor a folder can shadow a managed
 * server, nor a folder a server the person set up.
 */
export function mergeScopes(...scopes: ConfigEntry[][]): ConfigEntry[] {
  const byName = new Map<string, ConfigEntry>();
  const managedKeys = new Set<string>();
  const userKeys = new Set<string>();
  for (const entries of scopes) {
    for (const e of entries) {
      if (e.source === 'managed') managedKeys.add(e.name);
      if (e.source === 'user' && !managedKeys.has(e.name)) userKeys.add(e.name);
      const shadows = e.source === 'user' ? managedKeys.has(e.name) : e.source !== 'managed' && (managedKeys.has(e.name) || userKeys.has(e.name));
      if (!shadows) {
        byName.set(e.name, e);
        continue;
      }
      const label = e.source === 'user' ? 'user' : e.source === 'workspace' ? 'workspace' : 'folder';
      let name = `${e.name} (${label})`;
      for (let n = 2; byName.has(name) && byName.get(name)!.source !== e.source; n++) name = `${e.name} (${label} ${n})`;
      byName.set(name, e.ok ? { ...e, name, settingsKey: e.name, config: { ...e.config, name } } : { ...e, name, settingsKey: e.name });
    }
  }
  return [...byName.values()];
}

/** Whether `tool` passes the entry's allow/deny filter. */
export function isToolAllowed(filter: ToolFilter, tool: string): boolean {
  const matches = (patterns: readonly string[]) => patterns.some((p) => globToRegExp(p).test(tool));
  if (filter.allow && !matches(filter.allow)) return false;
  if (filter.deny && matches(filter.deny)) return false;
  return true;
}

/** Whether `tool` passes the entry's own filter and, for a managed server, the administrator's. */
export function toolAllowed(config: Pick<ServerConfig, 'tools' | 'managed'>, tool: string): boolean {
  return isToolAllowed(config.tools, tool) && (config.managed === undefined || isToolAllowed(config.managed.tools, tool));
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

/** Structural equality for configs, used by the settings diff. */
export function sameConfig(a: ServerConfig, b: ServerConfig): boolean {
  return stableStringify(a) === stableStringify(b);
}

/** JSON with object keys sorted and undefined members left out: equal values give equal text. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (isRecord(v)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
