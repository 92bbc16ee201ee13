/**
 * Reading a registry's answers (v0.1 `ServerList` and `ServerResponse`) defensively. Everything a
 * registry sends is untrusted: an entry with a wrong type is dropped on its own (its neighbours stay),
 * a package or remote that is wrong is dropped from its entry with the reason, display texts are
 * scrubbed and capped, links are kept only when https, and every value that would be written into
 * settings (package names, versions, argument and header values, URLs) is refused when it holds
 * control characters or `${`, which MCP Hub would read as one of its own variables.
 */
import { isRecord } from '../config';
import { scrubber } from '../scrub';
import {
  PACKAGE_KINDS,
  type ArgumentSpec,
  type InputSpec,
  type KeyValueSpec,
  type PackageKind,
  type PackageSpec,
  type RegistryPage,
  type RegistryServer,
  type RemoteSpec,
} from './model';

/** Most entries one page may hold: more is a registry answering something else than what was asked. */
export const PAGE_ENTRIES_MAX = 200;
const LIST_MAX = { packages: 16, remotes: 16, arguments: 64, keyValues: 64, choices: 64, variables: 32 } as const;
/** Longest texts: shown ones are cut, values for settings are refused beyond these. */
const TEXT_MAX = { title: 120, description: 600, hint: 200, value: 4096, identifier: 512, cursor: 2048 } as const;
const OFFICIAL_META = 'io.modelcontextprotocol.registry/official';

/** The registry's own rule for a server name: reverse-DNS namespace, one slash, 3 to 200 characters. */
export const SERVER_NAME = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point.
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;
/** A program name for runtimeHint: a plain name, never a path or anything a shell would read. */
const PROGRAM = /^[a-z][a-z0-9._-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const FLAG = /^-{1,2}[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const SHA256 = /^[a-f0-9]{64}$/;
const VARIABLE = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;

/** One entry, package or field that cannot be used; its message is ours (names the field, never echoes the value). */
class Rejected extends Error {}
const reject = (message: string): never => {
  throw new Rejected(message);
};

/** Display text: scrubbed (secrets, control and bidi characters, markdown links) and capped. */
function shown(v: unknown, max: number): string | undefined {
  if (typeof v !== 'string') return undefined;
  const text = scrubber.message(v.length > max * 4 ? v.slice(0, max * 4) : v);
  if (text === '') return undefined;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A value that would be written into settings: a string, short, no control characters, no `${`. */
function settingValue(v: unknown, field: string, max: number = TEXT_MAX.value): string {
  if (typeof v !== 'string') return reject(`${field} is not a string`);
  if (v.length === 0 || v.length > max) return reject(`${field} is empty or longer than ${max} characters`);
  if (CONTROL.test(v)) return reject(`${field} holds control characters`);
  if (v.includes('${')) return reject(`${field} holds "\${", which MCP Hub would read as a variable`);
  return v;
}

function optionalSetting(v: unknown, field: string, max?: number): string | undefined {
  return v === undefined || v === null ? undefined : settingValue(v, field, max);
}

function bool(v: unknown, field: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') return reject(`${field} is not true or false`);
  return v;
}

function list(v: unknown, field: string, max: number): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return reject(`${field} is not a list`);
  if (v.length > max) return reject(`${field} has more than ${max} items`);
  return v;
}

/** An https link for display, or undefined (javascript:, data:, http: and anything else is dropped). */
export function httpsLink(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 2048 || CONTROL.test(v)) return undefined;
  try {
    const url = new URL(v);
    if (url.protocol !== 'https:' || url.username || url.password) return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

function parseInput(raw: unknown, field: string, depth = 0): InputSpec {
  if (!isRecord(raw)) return reject(`${field} is not an object`);
  const format = raw.format ?? 'string';
  if (format !== 'string' && format !== 'number' && format !== 'boolean' && format !== 'filepath') return reject(`${field}.format is not string, number, boolean or filepath`);
  const choices = list(raw.choices, `${field}.choices`, LIST_MAX.choices).map((c, i) => settingValue(c, `${field}.choices[${i}]`, 256));
  let variables: Record<string, InputSpec> | undefined;
  if (raw.variables !== undefined && raw.variables !== null) {
    if (depth > 0) return reject(`${field}.variables is nested in a variable`);
    if (!isRecord(raw.variables)) return reject(`${field}.variables is not an object`);
    const names = Object.keys(raw.variables);
    if (names.length > LIST_MAX.variables) return reject(`${field}.variables has more than ${LIST_MAX.variables} entries`);
    variables = {};
    for (const name of names) {
      if (!VARIABLE.test(name)) return reject(`${field}.variables has a name that is not a plain identifier`);
      variables[name] = parseInput(raw.variables[name], `${field}.variables.${name}`, depth + 1);
    }
  }
  const value = optionalSetting(raw.value, `${field}.value`);
  const def = optionalSetting(raw.default, `${field}.default`);
  const description = shown(raw.description, TEXT_MAX.description);
  const placeholder = shown(raw.placeholder, TEXT_MAX.hint);
  return {
    isRequired: bool(raw.isRequired, `${field}.isRequired`),
    isSecret: bool(raw.isSecret, `${field}.isSecret`),
    format: format,
    ...(description ? { description } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(def !== undefined ? { default: def } : {}),
    ...(placeholder ? { placeholder } : {}),
    ...(choices.length > 0 ? { choices } : {}),
    ...(variables && Object.keys(variables).length > 0 ? { variables } : {}),
  };
}

function parseArgument(raw: unknown, field: string): ArgumentSpec {
  const input = parseInput(raw, field);
  const r = raw as Record<string, unknown>;
  const isRepeated = bool(r.isRepeated, `${field}.isRepeated`);
  if (r.type === 'named') {
    const name = settingValue(r.name, `${field}.name`, 130);
    if (!FLAG.test(name)) return reject(`${field}.name is not a command-line flag (such as --port)`);
    return { ...input, type: 'named', name, isRepeated };
  }
  if (r.type !== 'positional') return reject(`${field}.type is not "positional" or "named"`);
  const valueHint = r.valueHint === undefined || r.valueHint === null ? undefined : shown(r.valueHint, 64);
  if (input.value === undefined && valueHint === undefined) return reject(`${field} has neither a value nor a valueHint`);
  return { ...input, type: 'positional', ...(valueHint ? { valueHint } : {}), isRepeated };
}

function parseKeyValue(raw: unknown, field: string, names: RegExp, what: string): KeyValueSpec {
  const input = parseInput(raw, field);
  const name = settingValue((raw as Record<string, unknown>).name, `${field}.name`, 128);
  if (!names.test(name)) return reject(`${field}.name is not ${what}`);
  return { ...input, name };
}

function parseKeyValues(raw: unknown, field: string, names: RegExp, what: string): KeyValueSpec[] {
  const items = list(raw, field, LIST_MAX.keyValues).map((h, i) => parseKeyValue(h, `${field}[${i}]`, names, what));
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.name.toLowerCase();
    if (seen.has(key)) return reject(`${field} names one ${what} twice`);
    seen.add(key);
  }
  return items;
}

/** A URL template: http(s), or a `{variable}` first; checked again once its variables are filled. */
function urlTemplate(v: unknown, field: string): string {
  const url = settingValue(v, field, 2048);
  if (/\s/.test(url)) return reject(`${field} holds white space`);
  if (!/^https?:\/\//i.test(url)) return reject(`${field} is not an http(s) URL`);
  return url;
}

function parsePackage(raw: unknown, field: string): PackageSpec {
  if (!isRecord(raw)) return reject(`${field} is not an object`);
  const registryType = raw.registryType;
  if (typeof registryType !== 'string') return reject(`${field}.registryType is not a string`);
  if (!(PACKAGE_KINDS as readonly string[]).includes(registryType)) {
    return reject(`${field} is a ${shown(registryType, 20) ?? 'package'} package, which MCP Hub does not install (it installs ${PACKAGE_KINDS.join(', ')})`);
  }
  const transport = raw.transport;
  const transportType = isRecord(transport) ? transport.type : undefined;
  if (transportType !== undefined && transportType !== 'stdio') {
    return reject(
      `${field} runs a local ${transportType === 'sse' || transportType === 'streamable-http' ? transportType : 'non-stdio'} server, and MCP Hub installs packages that speak stdio`,
    );
  }
  const identifier = settingValue(raw.identifier, `${field}.identifier`, TEXT_MAX.identifier);
  const version = optionalSetting(raw.version, `${field}.version`, 128);
  const fileSha256 = optionalSetting(raw.fileSha256, `${field}.fileSha256`, 64);
  if (fileSha256 !== undefined && !SHA256.test(fileSha256)) return reject(`${field}.fileSha256 is not a SHA-256 in hex`);
  const runtimeHint = optionalSetting(raw.runtimeHint, `${field}.runtimeHint`, 32);
  if (runtimeHint !== undefined && !PROGRAM.test(runtimeHint)) return reject(`${field}.runtimeHint is not a program name`);
  const args = (key: 'runtimeArguments' | 'packageArguments') => list(raw[key], `${field}.${key}`, LIST_MAX.arguments).map((a, i) => parseArgument(a, `${field}.${key}[${i}]`));
  return {
    registryType: registryType as PackageKind,
    identifier,
    ...(version !== undefined ? { version } : {}),
    ...(fileSha256 !== undefined ? { fileSha256 } : {}),
    ...(runtimeHint !== undefined ? { runtimeHint } : {}),
    runtimeArguments: args('runtimeArguments'),
    packageArguments: args('packageArguments'),
    environmentVariables: parseKeyValues(raw.environmentVariables, `${field}.environmentVariables`, ENV_NAME, 'an environment variable name'),
  };
}

function parseRemote(raw: unknown, field: string): RemoteSpec {
  if (!isRecord(raw)) return reject(`${field} is not an object`);
  const type = raw.type;
  if (type !== 'streamable-http' && type !== 'sse') return reject(`${field}.type is not "streamable-http" or "sse"`);
  const url = urlTemplate(raw.url, `${field}.url`);
  const variables: Record<string, InputSpec> = {};
  if (raw.variables !== undefined && raw.variables !== null) {
    if (!isRecord(raw.variables)) return reject(`${field}.variables is not an object`);
    const names = Object.keys(raw.variables);
    if (names.length > LIST_MAX.variables) return reject(`${field}.variables has more than ${LIST_MAX.variables} entries`);
    for (const name of names) {
      if (!VARIABLE.test(name)) return reject(`${field}.variables has a name that is not a plain identifier`);
      variables[name] = parseInput(raw.variables[name], `${field}.variables.${name}`, 1);
    }
  }
  return { type, url, headers: parseKeyValues(raw.headers, `${field}.headers`, HEADER_NAME, 'an HTTP header name'), variables };
}

/** The parts of one entry; a bad package or remote is skipped with its reason, the rest kept. */
function parts<T>(raw: unknown, field: string, max: number, parse: (item: unknown, field: string) => T, skipped: string[]): T[] {
  const items = list(raw, field, max);
  const out: T[] = [];
  items.forEach((item, i) => {
    try {
      out.push(parse(item, `${field}[${i}]`));
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      skipped.push(error.message);
    }
  });
  return out;
}

/** One `ServerResponse` (`{ server, _meta }`): the server, or a Rejected error. */
function parseEntry(raw: unknown): RegistryServer {
  if (!isRecord(raw)) return reject('the entry is not an object');
  const server = raw.server;
  if (!isRecord(server)) return reject('the entry has no "server" object');
  const name = server.name;
  if (typeof name !== 'string' || name.length < 3 || name.length > 200 || !SERVER_NAME.test(name)) return reject('the server name is not a registry name (namespace/name)');
  const version = settingValue(server.version, 'the version', 255);
  if (server.description !== undefined && typeof server.description !== 'string') return reject('the description is not a string');
  if (server.title !== undefined && server.title !== null && typeof server.title !== 'string') return reject('the title is not a string');
  const skipped: string[] = [];
  const packages = parts(server.packages, 'packages', LIST_MAX.packages, parsePackage, skipped);
  const remotes = parts(server.remotes, 'remotes', LIST_MAX.remotes, parseRemote, skipped);
  const repository = isRecord(server.repository) ? httpsLink(server.repository.url) : undefined;
  const websiteUrl = httpsLink(server.websiteUrl);
  const meta = isRecord(raw._meta) && isRecord(raw._meta[OFFICIAL_META]) ? raw._meta[OFFICIAL_META] : undefined;
  const status = meta?.status === 'active' || meta?.status === 'deprecated' || meta?.status === 'deleted' ? meta.status : undefined;
  const title = shown(server.title, TEXT_MAX.title);
  return {
    name,
    version,
    ...(title ? { title } : {}),
    description: shown(server.description, TEXT_MAX.description) ?? '',
    ...(repository ? { repository } : {}),
    ...(websiteUrl ? { websiteUrl } : {}),
    packages,
    remotes,
    skipped,
    ...(status ? { status } : {}),
    ...(typeof meta?.isLatest === 'boolean' ? { isLatest: meta.isLatest } : {}),
  };
}

/** Thrown for an answer that is not a registry answer at all (not the entries in it). */
export class RegistryShapeError extends Error {}

/** A `ServerList`: its usable entries, the rejected ones with reasons, and the next cursor. */
export function parseServerList(body: unknown): RegistryPage {
  if (!isRecord(body) || !Array.isArray(body.servers)) throw new RegistryShapeError('answered without a "servers" list');
  if (body.servers.length > PAGE_ENTRIES_MAX) throw new RegistryShapeError(`answered ${body.servers.length} servers in one page, more than the ${PAGE_ENTRIES_MAX} MCP Hub reads`);
  const servers: RegistryServer[] = [];
  const rejected: Array<{ index: number; reason: string }> = [];
  body.servers.forEach((raw, index) => {
    try {
      const server = parseEntry(raw);
      if (server.status === 'deleted') rejected.push({ index, reason: 'it was deleted from the registry' });
      else servers.push(server);
    } catch (error) {
      if (!(error instanceof Rejected)) throw error;
      rejected.push({ index, reason: error.message });
    }
  });
  const meta = isRecord(body.metadata) ? body.metadata : undefined;
  const cursor = meta?.nextCursor;
  const nextCursor = typeof cursor === 'string' && cursor.length > 0 && cursor.length <= TEXT_MAX.cursor && !CONTROL.test(cursor) ? cursor : undefined;
  return { servers, rejected, ...(nextCursor ? { nextCursor } : {}) };
}

/** One `ServerResponse`; throws RegistryShapeError naming what is wrong with it. */
export function parseServerResponse(body: unknown): RegistryServer {
  try {
    return parseEntry(body);
  } catch (error) {
    if (error instanceof Rejected) throw new RegistryShapeError(`answered a server entry MCP Hub cannot use: ${error.message}`);
    throw error;
  }
}
