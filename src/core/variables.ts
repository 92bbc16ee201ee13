/**
 * Variables in `mcpHub.servers` entries, as VS Code's MCP configuration has them: ${userHome},
 * ${workspaceFolder}, ${env:NAME} and ${input:NAME}, in command, args, env values, cwd, url, header
 * values and the auth strings.
 *
 * Substitution is one pass over the text written in settings: text a variable expands to is never
 * scanned again, so an environment variable whose value is `${input:token}` cannot pull a secret
 * into an argument. The two steps (resolveStatic, then resolveInputs once the secrets are read)
 * therefore both work from the entry as written: each config they return remembers the entry it came
 * from and what is already known, and the next step starts from there, not from expanded text.
 */
import { isRecord } from '../protocol';
import { SERVERS_SETTING, type AuthSettings, type ServerConfig } from './config';
import { scrubber, urlPathKeys } from './scrub';

export interface VariableContext {
  readonly userHome: string;
  /** Given only when the workspace is trusted. */
  readonly workspaceFolder?: string;
  /** A folder is open, trusted or not. */
  readonly workspaceOpen?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export type StaticResolution =
  { readonly ok: true; readonly config: ServerConfig } | { readonly ok: false; readonly reason: 'untrusted' | 'noFolder' | 'invalid'; readonly message: string };

export type InputResolution = { readonly ok: true; readonly config: ServerConfig; readonly secrets: string[] } | { readonly ok: false; readonly missing: string[] };

export type InlineSecretField = 'auth.clientSecret' | 'auth.privateKey';

const INPUT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
// Windows names such as ProgramFiles(x86) are real; anything stranger is more likely a typo.
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.()-]{0,127}$/;
// A variable is named in a message only when it is short and plain; never echo arbitrary text.
const SHOWABLE = /^[A-Za-z0-9_.:()-]{1,64}$/;

export function isInputName(name: string): boolean {
  return INPUT_NAME.test(name);
}

/** The string fields of `auth` that may hold variables. */
const AUTH_STRING_FIELDS = ['clientId', 'clientSecret', 'issuer', 'acceptIssuer', 'scope', 'clientMetadataUrl', 'privateKey', 'privateKeyAlg'] as const satisfies ReadonlyArray<
  keyof AuthSettings
>;

type Ref =
  | { readonly kind: 'userHome' }
  | { readonly kind: 'workspaceFolder' }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'input'; readonly name: string }
  | { readonly kind: 'unknown'; readonly problem: string };

const KNOWN = '${userHome}, ${workspaceFolder}, ${env:NAME} and ${input:NAME}';

function parseRef(inner: string): Ref {
  if (inner === 'userHome') return { kind: 'userHome' };
  if (inner === 'workspaceFolder') return { kind: 'workspaceFolder' };
  const shown = SHOWABLE.test(inner) ? `\${${inner}}` : 'a ${…} reference';
  if (inner.startsWith('env:')) {
    const name = inner.slice(4);
    return ENV_NAME.test(name) ? { kind: 'env', name } : { kind: 'unknown', problem: `${shown} does not name an environment variable (write \${env:NAME})` };
  }
  if (inner.startsWith('input:')) {
    const name = inner.slice(6);
    return INPUT_NAME.test(name) ? { kind: 'input', name } : { kind: 'unknown', problem: `${shown} has an invalid input name: use 1 to 64 letters, digits, ".", "_" or "-"` };
  }
  const lower = inner.toLowerCase();
  let hint: string;
  if (['home', 'userprofile', 'homepath', 'userhome'].includes(lower)) {
    hint = lower === 'userhome' ? 'write ${userHome}' : `use \${userHome} or \${env:${inner}}`;
  } else if (lower.startsWith('workspacefolder') || lower === 'workspaceroot') {
    hint = 'use ${workspaceFolder}';
  } else if (lower.startsWith('config:') || lower.startsWith('command:')) {
    hint = 'settings and command variables are not supported; use ${input:NAME} for a value you enter once';
  } else if (/^[A-Z_][A-Z0-9_]*$/.test(inner)) {
    hint = `write \${env:${inner}} to read an environment variable`;
  } else {
    hint = `the variables are ${KNOWN}`;
  }
  return { kind: 'unknown', problem: `${shown} is not a variable MCP Hub knows; ${hint}` };
}

type Piece = { readonly text: string } | { readonly ref: Ref; readonly raw: string };

/**
 * Splits a value into literal text and `${…}` references. Linear in the length: each `${` is matched
 * with the first `}` after it, and a `${` with no `}` after it (like a lone `$` or `{`) is literal.
 */
function scan(value: string): Piece[] {
  const pieces: Piece[] = [];
  let at = 0;
  while (at < value.length) {
    const open = value.indexOf('${', at);
    if (open < 0) break;
    const close = value.indexOf('}', open + 2);
    if (close < 0) break;
    if (open > at) pieces.push({ text: value.slice(at, open) });
    pieces.push({ ref: parseRef(value.slice(open + 2, close)), raw: value.slice(open, close + 1) });
    at = close + 1;
  }
  if (at < value.length) pieces.push({ text: value.slice(at) });
  return pieces;
}

/** Calls `visit` with each string field that may hold variables; returns the config with the results. */
function mapFields(config: ServerConfig, visit: (value: string, field: string) => string): ServerConfig {
  const mapRecord = (field: string, record: Readonly<Record<string, string>>) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(record)) out[k] = visit(v, `${field}.${k}`);
    return out;
  };
  let next: ServerConfig;
  if (config.type === 'stdio') {
    const command = visit(config.command, 'command');
    const args = config.args.map((a, i) => visit(a, `args[${i}]`));
    const env = mapRecord('env', config.env);
    const cwd = config.cwd === undefined ? undefined : visit(config.cwd, 'cwd');
    next = { ...config, command, args, env, ...(cwd === undefined ? {} : { cwd }) };
  } else {
    const url = visit(config.url, 'url');
    next = { ...config, url, headers: mapRecord('headers', config.headers) };
  }
  if (config.auth) {
    const auth: { -readonly [K in keyof AuthSettings]: AuthSettings[K] } = { ...config.auth };
    for (const key of AUTH_STRING_FIELDS) {
      const v = config.auth[key];
      if (v !== undefined) auth[key] = visit(v, `auth.${key}`);
    }
    const a = config.auth.assertion;
    if (a) {
      if ('value' in a) auth.assertion = { value: visit(a.value, 'auth.assertion') };
      else if ('file' in a) auth.assertion = { file: visit(a.file, 'auth.assertion.file') };
      else auth.assertion = { command: visit(a.command, 'auth.assertion.command'), args: a.args.map((x, i) => visit(x, `auth.assertion.args[${i}]`)) };
    }
    next = { ...next, auth };
  }
  return next;
}

function eachField(config: ServerConfig, visit: (value: string, field: string) => void): void {
  mapFields(config, (value, field) => {
    visit(value, field);
    return value;
  });
}

/** What is already known about an entry: the entry as written, and the values found so far. */
interface Origin {
  readonly template: ServerConfig;
  readonly ctx?: VariableContext;
  readonly inputs?: ReadonlyMap<string, string>;
}

const origins = new WeakMap<ServerConfig, Origin>();

function originOf(config: ServerConfig): Origin {
  return origins.get(config) ?? { template: config };
}

type Problem = { readonly reason: 'untrusted' | 'noFolder' | 'invalid'; readonly message: string };

/** The one substitution pass over the entry as written; what is not known yet stays as written. */
function expand(origin: Origin): { config: ServerConfig; problems: Problem[] } {
  const { template, ctx, inputs } = origin;
  const problems: Problem[] = [];
  const at = (field: string) => `${SERVERS_SETTING}.${template.name}.${field}`;
  const config = mapFields(template, (value, field) =>
    scan(value)
      .map((piece) => {
        if ('text' in piece) return piece.text;
        const ref = piece.ref;
        switch (ref.kind) {
          case 'userHome':
            return ctx ? ctx.userHome : piece.raw;
          case 'workspaceFolder':
            if (!ctx) return piece.raw;
            if (ctx.workspaceFolder !== undefined) return ctx.workspaceFolder;
            problems.push(
              ctx.workspaceOpen
                ? { reason: 'untrusted', message: `${at(field)} uses \${workspaceFolder}; trust the workspace to start it.` }
                : { reason: 'noFolder', message: `${at(field)} uses \${workspaceFolder}; open a folder to start it.` },
            );
            return piece.raw;
          case 'env': {
            if (!ctx) return piece.raw;
            // An unset variable is empty, as in VS Code; so is a name like `constructor` that only an
            // object's prototype has.
            const value = ctx.env[ref.name];
            // An environment value put into a server's settings may be a credential (a token in a
            // header, a key in a URL or an argument): every surface masks it. Paths that only make
            // up a command or a working directory stay readable.
            if (typeof value === 'string' && field !== 'command' && field !== 'cwd') scrubber.remember(value);
            return typeof value === 'string' ? value : '';
          }
          case 'input':
            return inputs?.get(ref.name) ?? piece.raw;
          case 'unknown':
            problems.push({ reason: 'invalid', message: `${at(field)}: ${ref.problem}.` });
            return piece.raw;
          default:
            return assertNever(ref);
        }
      })
      .join(''),
  );
  return { config, problems };
}

function assertNever(value: never): never {
  throw new Error(`unexpected variable ${JSON.stringify(value)}`);
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

/** Which variables an entry uses, each once, in the order they appear. */
export function variablesIn(config: ServerConfig): { inputs: string[]; workspaceFolder: boolean; env: string[] } {
  const inputs: string[] = [];
  const env: string[] = [];
  let workspaceFolder = false;
  eachField(originOf(config).template, (value) => {
    for (const piece of scan(value)) {
      if (!('ref' in piece)) continue;
      if (piece.ref.kind === 'input') pushUnique(inputs, piece.ref.name);
      else if (piece.ref.kind === 'env') pushUnique(env, piece.ref.name);
      else if (piece.ref.kind === 'workspaceFolder') workspaceFolder = true;
    }
  });
  return { inputs, workspaceFolder, env };
}

/**
 * Substitutes ${userHome}, ${workspaceFolder} and ${env:NAME}, leaving ${input:NAME} for
 * resolveInputs. An unknown variable is an error even when trust is also missing: trusting the
 * workspace would not fix it.
 */
export function resolveStatic(config: ServerConfig, ctx: VariableContext): StaticResolution {
  const origin: Origin = { ...originOf(config), ctx };
  const { config: resolved, problems } = expand(origin);
  const problem = problems.find((p) => p.reason === 'invalid') ?? problems[0];
  if (problem) return { ok: false, reason: problem.reason, message: problem.message };
  origins.set(resolved, origin);
  return { ok: true, config: resolved };
}

/**
 * Substitutes ${input:NAME} with the values `read` returns, and has the scrubber remember every value
 * that may be a credential. Pass the config resolveStatic returned: the values are put into the
 * entry as written, so nothing an environment variable expanded to is taken for a reference.
 */
export async function resolveInputs(config: ServerConfig, read: (name: string) => Promise<string | undefined>): Promise<InputResolution> {
  const origin = originOf(config);
  const names = variablesIn(origin.template).inputs;
  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of names) {
    const value = await read(name);
    if (value === undefined || value === '') missing.push(name);
    else values.set(name, value);
  }
  scrubber.remember(...values.values());
  if (missing.length > 0) return { ok: false, missing };

  const next: Origin = { ...origin, inputs: values };
  // Unknown variables stay as written here; resolveStatic is where they are reported.
  const resolved = expand(next).config;
  origins.set(resolved, next);
  const env = resolved.type === 'stdio' ? Object.values(resolved.env) : [];
  const headers = resolved.type === 'stdio' ? [] : Object.values(resolved.headers).flatMap(credentialParts);
  const assertion = resolved.auth?.assertion;
  // A key written into the URL's path (`/v1/<key>/mcp`) is as secret as a header; echoed bare, it is masked too.
  const pathKeys = resolved.type === 'stdio' ? [] : urlPathKeys(resolved.url);
  scrubber.remember(...headers, ...env, ...pathKeys, resolved.auth?.clientSecret, resolved.auth?.privateKey, assertion && 'value' in assertion ? assertion.value : undefined);
  return { ok: true, config: resolved, secrets: [...values.values()] };
}

/**
 * A header value and the credential inside it: `Bearer <token>` is remembered whole and as the
 * token alone (a server may echo either), `Basic <b64>` also as its decoded user:password.
 */
function credentialParts(value: string): string[] {
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s+(\S+)\s*$/.exec(value);
  if (!m) return [value];
  const [, scheme, credential] = m as unknown as [string, string, string];
  const parts = [value, credential];
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    parts.push(decoded, ...decoded.split(':').slice(1));
  }
  return parts;
}

/**
 * The auth secrets written into settings as text. A value made only of ${input:…} or ${env:…}
 * references comes from elsewhere; any literal text in it is a secret in settings.
 */
export function inlineSecrets(config: ServerConfig): InlineSecretField[] {
  const auth = originOf(config).template.auth;
  const out: InlineSecretField[] = [];
  if (auth?.clientSecret !== undefined && isInlineSecret(auth.clientSecret)) out.push('auth.clientSecret');
  if (auth?.privateKey !== undefined && isInlineSecret(auth.privateKey)) out.push('auth.privateKey');
  return out;
}

/** Whether a secret field's value, as written in settings, holds any of the secret itself. */
export function isInlineSecret(value: string): boolean {
  return scan(value).some((p) => 'text' in p || (p.ref.kind !== 'input' && p.ref.kind !== 'env'));
}

/** `${input:NAME}` for an input name. */
export function inputReference(name: string): string {
  return '${input:' + name + '}';
}

/**
 * The input name an inline secret moves to, e.g. `github.clientSecret`: the server name with any
 * character an input name cannot hold replaced by "_", shortened so a suffix still fits.
 */
export function suggestInputName(serverName: string, field: InlineSecretField): string {
  const leaf = field === 'auth.clientSecret' ? 'clientSecret' : 'privateKey';
  const base = serverName.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64 - leaf.length - 1 - 4) || 'server';
  return `${base}.${leaf}`;
}

/**
 * A copy of one scope's `mcpHub.servers` value in which `field` of one entry is `${input:inputName}`;
 * every other entry and field is left exactly as it was. Throws when the entry has no such field.
 */
export function rewriteWithInput(servers: unknown, serverName: string, field: InlineSecretField, inputName: string): Record<string, unknown> {
  if (!isInputName(inputName)) throw new Error(`"${inputName}" is not a valid input name.`);
  if (!isRecord(servers) || !Object.prototype.hasOwnProperty.call(servers, serverName) || !isRecord(servers[serverName])) {
    throw new Error(`${SERVERS_SETTING} has no entry "${serverName}" in this scope.`);
  }
  const next = structuredClone(servers);
  const entry = next[serverName] as Record<string, unknown>;
  const auth = entry.auth;
  const key = field === 'auth.clientSecret' ? 'clientSecret' : 'privateKey';
  if (!isRecord(auth) || typeof auth[key] !== 'string') throw new Error(`${SERVERS_SETTING}.${serverName}.${field} is not set in this scope.`);
  auth[key] = inputReference(inputName);
  return next;
}
