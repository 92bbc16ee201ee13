/**
 * MCP Bundles (`registryType: "mcpb"`): a zip with a `manifest.json` (MCPB manifest 0.2-0.4) and the
 * server inside. As the registry's documentation asks of clients, the bundle is downloaded, its
 * SHA-256 checked against `fileSha256` before anything in it is read, and unpacked into a folder of
 * its own (named by that hash); the entry then runs what its manifest's `server.mcp_config` says, with
 * `${__dirname}` the folder and `${user_config.KEY}` the person's answers (sensitive ones as
 * `${input:…}`). The download takes the SSRF guard's road (https, no private addresses, the DNS answer
 * pinned, every redirect checked); the unpacking refuses links, absolute and `..` paths, and bundles
 * larger than the limits below.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type * as yauzl from 'yauzl';
import { isRecord } from '../../protocol';
import { isOAuthFlowError } from '../oauth/errors';
import { pinnedRequest } from '../oauth/pinned-request';
import { checkUrlForm, guardedLookup, guardFor, type Resolver } from '../oauth/url-guard';
import { readAtMost } from '../http-body';
import { scrubber } from '../scrub';
import { InstallError, shapeOf, stdioShape, type Piece, type Question, type Shape, type Text } from './install';
import type { ShapeSource } from './updates';
import type { InputSpec, PackageSpec } from './model';

/** Largest bundle downloaded, its largest unpacked size, and most files in it. */
export const BUNDLE_BYTES_MAX = 200 * 1024 * 1024;
export const UNPACKED_BYTES_MAX = 1024 * 1024 * 1024;
export const BUNDLE_FILES_MAX = 50_000;
const MANIFEST_BYTES_MAX = 1024 * 1024;
const DOWNLOAD_TIMEOUT_MS = 5 * 60 * 1000;
const REDIRECTS_MAX = 5;

/** What MCP Hub reads of a bundle's manifest.json. */
export interface McpbManifest {
  readonly serverType: 'node' | 'python' | 'binary' | 'uv';
  readonly entryPoint?: string;
  readonly command?: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly userConfig: Readonly<Record<string, InputSpec & { readonly title: string }>>;
  readonly platforms?: readonly string[];
}

const USER_CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point.
const CONTROL = /[\x00-\x1f\x7f]/;

/** Reads a manifest.json; throws InstallError naming the field that is wrong. */
export function parseManifest(raw: unknown): McpbManifest {
  const fail = (field: string, message: string): never => {
    throw new InstallError(`the bundle's manifest.json: ${field} ${message}`);
  };
  if (!isRecord(raw)) return fail('(the file)', 'is not a JSON object');
  const server = raw.server;
  if (!isRecord(server)) return fail('server', 'is missing');
  const type = server.type;
  if (type !== 'node' && type !== 'python' && type !== 'binary' && type !== 'uv') return fail('server.type', 'is not node, python, binary or uv');
  const str = (v: unknown, field: string): string => {
    if (typeof v !== 'string' || v === '' || v.length > 4096 || CONTROL.test(v)) return fail(field, 'is not a plain string');
    return v;
  };
  const entryPoint = server.entry_point === undefined ? undefined : str(server.entry_point, 'server.entry_point');
  const config = server.mcp_config;
  let command: string | undefined;
  let args: string[] = [];
  let env: Record<string, string> = {};
  if (config !== undefined) {
    if (!isRecord(config)) return fail('server.mcp_config', 'is not an object');
    command = str(config.command, 'server.mcp_config.command');
    if (config.args !== undefined) {
      if (!Array.isArray(config.args) || config.args.length > 256) return fail('server.mcp_config.args', 'is not a list of strings');
      args = config.args.map((a, i) => str(a, `server.mcp_config.args[${i}]`));
    }
    if (config.env !== undefined) {
      if (!isRecord(config.env) || Object.keys(config.env).length > 256) return fail('server.mcp_config.env', 'is not an object of strings');
      env = Object.fromEntries(
        Object.entries(config.env).map(([k, v]) => {
          if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k)) fail('server.mcp_config.env', 'has a name that is not an environment variable name');
          return [k, str(v, `server.mcp_config.env.${k}`)];
        }),
      );
    }
  }
  const userConfig: Record<string, InputSpec & { title: string }> = {};
  if (raw.user_config !== undefined) {
    if (!isRecord(raw.user_config) || Object.keys(raw.user_config).length > 64) return fail('user_config', 'is not an object');
    for (const [key, spec] of Object.entries(raw.user_config)) {
      if (!USER_CONFIG_KEY.test(key) || !isRecord(spec)) return fail('user_config', 'has an entry that is not an object with a plain key');
      const kind = spec.type;
      const format = kind === 'number' ? 'number' : kind === 'boolean' ? 'boolean' : kind === 'directory' || kind === 'file' ? 'filepath' : 'string';
      const def = spec.default;
      const defText =
        typeof def === 'string' || typeof def === 'number' || typeof def === 'boolean' ? String(def) : Array.isArray(def) && typeof def[0] === 'string' ? def[0] : undefined;
      // A bundle's words are untrusted like a registry's: scrubbed and capped.
      const title = typeof spec.title === 'string' && spec.title.trim() ? scrubber.message(spec.title.slice(0, 400)).slice(0, 100) : key;
      userConfig[key] = {
        title,
        isRequired: spec.required === true,
        isSecret: spec.sensitive === true,
        format,
        ...(typeof spec.description === 'string' ? { description: scrubber.message(spec.description.slice(0, 2400)).slice(0, 600) } : {}),
        ...(defText !== undefined && !defText.includes('${user_config') && !CONTROL.test(defText) ? { default: defText } : {}),
      };
    }
  }
  const compatibility = isRecord(raw.compatibility) ? raw.compatibility : undefined;
  const platforms = Array.isArray(compatibility?.platforms) ? compatibility.platforms.filter((p): p is string => typeof p === 'string') : undefined;
  return { serverType: type, ...(entryPoint ? { entryPoint } : {}), ...(command ? { command } : {}), args, env, userConfig, ...(platforms ? { platforms } : {}) };
}

/** The manifest's variables that are not questions: the folder, the person's folders, the separator. */
function substitute(text: string, dir: string, at: string): Piece[] {
  const pieces: Piece[] = [];
  for (const part of text.split(/(\$\{[^}]{1,80}\})/)) {
    const name = /^\$\{([^}]+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part.includes('${')) throw new InstallError(`the bundle's manifest.json: ${at} holds a "\${" MCP Hub cannot read`);
      if (part) pieces.push(part);
    } else if (name === '__dirname') pieces.push(dir);
    else if (name === 'HOME') pieces.push('${userHome}');
    else if (name === 'DESKTOP' || name === 'DOCUMENTS' || name === 'DOWNLOADS') pieces.push(`\${userHome}${sep}${name[0]}${name.slice(1).toLowerCase()}`);
    else if (name === 'pathSeparator' || name === '/') pieces.push(sep);
    else if (name.startsWith('user_config.') && USER_CONFIG_KEY.test(name.slice('user_config.'.length))) pieces.push({ slot: `config.${name.slice('user_config.'.length)}` });
    else throw new InstallError(`the bundle's manifest.json: ${at} uses a variable MCP Hub does not know`);
  }
  return pieces;
}

/** What an unpacked bundle runs, with a question for each `${user_config.…}` it uses (and the server.json package's own variables). */
export function bundleShape(dir: string, manifest: McpbManifest, pkg: PackageSpec, platform: string = process.platform): Shape {
  if (manifest.platforms && manifest.platforms.length > 0 && !manifest.platforms.includes(platform)) throw new InstallError(`the bundle does not run on ${platform}`);
  let command = manifest.command;
  let args: readonly string[] = manifest.args;
  if (!command) {
    const entry = manifest.entryPoint;
    if (!entry) throw new InstallError("the bundle's manifest.json says neither server.mcp_config nor server.entry_point");
    if (manifest.serverType === 'uv') throw new InstallError('the bundle is of server type "uv" without mcp_config, which MCP Hub does not run');
    const path = join(dir, entry);
    [command, args] = manifest.serverType === 'node' ? ['node', [path]] : manifest.serverType === 'python' ? ['python3', [path]] : [path, []];
  }
  const used = new Set<string>();
  const track = (pieces: Piece[]) => {
    for (const p of pieces) if (typeof p !== 'string') used.add(p.slot);
    return pieces;
  };
  const commandPieces = substitute(command, dir, 'server.mcp_config.command');
  if (commandPieces.some((p) => typeof p !== 'string')) throw new InstallError("the bundle's manifest.json: server.mcp_config.command uses a user_config value");
  const argTexts: Text[] = args.map((a, i) => track(substitute(a, dir, `server.mcp_config.args[${i}]`)));
  const env = Object.entries(manifest.env).map(([name, value]) => {
    const pieces = track(substitute(value, dir, `server.mcp_config.env.${name}`));
    const optional = pieces.some((p) => typeof p !== 'string' && !manifest.userConfig[p.slot.slice('config.'.length)]?.isRequired);
    return { name, value: pieces, optional };
  });
  const questions: Question[] = [];
  for (const slot of used) {
    const key = slot.slice('config.'.length);
    const spec = manifest.userConfig[key];
    if (!spec) throw new InstallError(`the bundle's manifest.json uses user_config.${key}, which it does not declare`);
    questions.push({
      id: slot,
      label: `${spec.title.replace(/[^\p{L}\p{N} ._-]/gu, '').slice(0, 60) || key} (setting)`,
      spec,
      required: spec.isRequired || argTexts.some((t) => t.some((p) => typeof p !== 'string' && p.slot === slot)),
      secret: spec.isSecret,
    });
  }
  if (pkg.packageArguments.length > 0 || pkg.environmentVariables.length > 0 || pkg.runtimeArguments.length > 0) {
    throw new InstallError("the registry gives this bundle arguments or variables of its own, which MCP Hub does not add to a bundle's manifest");
  }
  return stdioShape(commandPieces.filter((p): p is string => typeof p === 'string').join(''), argTexts, env, questions, dir);
}

/** Bundles unpacked on this machine, one folder per SHA-256. */
export class BundleStore {
  constructor(
    readonly dir: string,
    private readonly options: { readonly resolver?: Resolver; readonly timeoutMs?: number } = {},
  ) {}

  /** The folder of the bundle with this SHA-256. */
  folder(sha256: string): string {
    if (!/^[a-f0-9]{64}$/.test(sha256)) throw new InstallError('the bundle has no SHA-256 to check it against');
    return join(this.dir, sha256);
  }

  /** The manifest of a bundle unpacked already, or undefined. */
  async installed(sha256: string): Promise<McpbManifest | undefined> {
    const file = join(this.folder(sha256), 'manifest.json');
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) return undefined;
    if (size > MANIFEST_BYTES_MAX) throw new InstallError("the bundle's manifest.json is too large");
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      throw new InstallError("the bundle's manifest.json is not JSON");
    }
    return parseManifest(raw);
  }

  /** The shape of a bundle unpacked already (no download); throws InstallError when it is not here. */
  async shape(pkg: PackageSpec): Promise<Shape> {
    const sha = pkg.fileSha256 ?? '';
    const manifest = await this.installed(sha);
    if (!manifest) throw new InstallError('the bundle is not unpacked on this machine');
    return bundleShape(this.folder(sha), manifest, pkg);
  }

  /**
   * Downloads, checks and unpacks the bundle of `pkg` (from a registry at `registryUrl`) unless it is
   * here already, and returns its shape. `unpacked` hears of a bundle unpacked now (not one that was here).
   */
  async install(pkg: PackageSpec, registryUrl: string, options: { signal?: AbortSignal; unpacked?: (sha256: string) => void } = {}): Promise<Shape> {
    const signal = options.signal;
    const sha = pkg.fileSha256;
    if (!sha) throw new InstallError('the bundle has no fileSha256, so it cannot be checked');
    const folder = this.folder(sha);
    if (!(await this.installed(sha))) {
      const bytes = await this.download(pkg.identifier, registryUrl, signal);
      if (createHash('sha256').update(bytes).digest('hex') !== sha) throw new InstallError("the bundle's SHA-256 is not the one the registry lists; it was not unpacked");
      const temp = join(this.dir, `.unpacking-${randomUUID()}`);
      try {
        await unpack(bytes, temp);
        await rm(folder, { recursive: true, force: true });
        await mkdir(dirname(folder), { recursive: true });
        await rename(temp, folder);
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
      options.unpacked?.(sha);
    }
    return this.shape(pkg);
  }

  /** Removes an unpacked bundle (one unpacked for an Add that was then cancelled). */
  async remove(sha256: string): Promise<void> {
    await rm(this.folder(sha256), { recursive: true, force: true });
  }

  /** The bundles of this store that a settings entry runs (their folders named in its fields). */
  bundlesIn(entry: unknown): string[] {
    const text = JSON.stringify(entry ?? null);
    const found = new Set<string>();
    // A bundle's folder is join(dir, sha): as JSON text, the folder's prefix with its escapes.
    const prefix = JSON.stringify(this.dir + sep).slice(1, -1);
    for (let at = text.indexOf(prefix); at !== -1; at = text.indexOf(prefix, at + 1)) {
      const sha = /^[a-f0-9]{64}/.exec(text.slice(at + prefix.length))?.[0];
      if (sha) found.add(sha);
    }
    return [...found];
  }

  /**
   * Records which entry (`owner`, e.g. `user/<key>`) runs which bundles after it was written: the
   * bundles it no longer runs lose it as a user, and a bundle left with no user is removed. Only
   * bundles recorded here are ever removed: one unpacked before uses were recorded may still be run
   * by an entry of another workspace. An entry edited or deleted by hand keeps its uses.
   */
  async settleUses(owner: string, before: unknown, after: unknown): Promise<string[]> {
    const running = new Set(this.bundlesIn(after));
    const uses = await this.readUses();
    const removed: string[] = [];
    for (const sha of running) uses[sha] = [...new Set([...(uses[sha] ?? []), owner])];
    for (const sha of this.bundlesIn(before)) {
      if (running.has(sha) || !uses[sha]) continue;
      uses[sha] = uses[sha].filter((o) => o !== owner);
      if (uses[sha].length > 0) continue;
      delete uses[sha];
      removed.push(sha);
    }
    await this.writeUses(uses);
    for (const sha of removed) await this.remove(sha);
    return removed;
  }

  private get usesFile(): string {
    return join(this.dir, 'uses.json');
  }

  private async readUses(): Promise<Record<string, string[]>> {
    const raw: unknown = await readFile(this.usesFile, 'utf8').then(
      (text) => JSON.parse(text) as unknown,
      () => undefined,
    );
    const uses: Record<string, string[]> = {};
    if (!isRecord(raw) || !isRecord(raw.uses)) return uses;
    for (const [sha, owners] of Object.entries(raw.uses)) {
      if (/^[a-f0-9]{64}$/.test(sha) && Array.isArray(owners)) uses[sha] = owners.filter((o): o is string => typeof o === 'string');
    }
    return uses;
  }

  private async writeUses(uses: Record<string, string[]>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = join(this.dir, `.uses-${randomUUID()}.json`);
    await writeFile(temp, JSON.stringify({ v: 1, uses }));
    await rename(temp, this.usesFile);
  }

  private async download(raw: string, registryUrl: string, signal?: AbortSignal): Promise<Buffer> {
    const guard = { ...guardFor(registryUrl), ...(this.options.resolver ? { resolver: this.options.resolver } : {}) };
    const request = pinnedRequest(guardedLookup(guard));
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let url: URL;
    try {
      url = checkUrlForm(raw, 'the bundle URL', guard);
      for (let hop = 0; ; hop++) {
        const response = await request(url, { method: 'GET', signal: combined, headers: { accept: 'application/octet-stream' } });
        if (response.status >= 300 && response.status < 400) {
          await response.body?.cancel().catch(() => undefined);
          const location = response.headers.get('location');
          if (!location || hop >= REDIRECTS_MAX) throw new InstallError('the bundle download was redirected too often');
          url = checkUrlForm(new URL(location, url).href, 'the bundle URL', guard);
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel().catch(() => undefined);
          throw new InstallError(`the bundle download answered HTTP ${response.status}`);
        }
        const { bytes, truncated } = await readAtMost(response, BUNDLE_BYTES_MAX);
        if (truncated) throw new InstallError(`the bundle is larger than ${BUNDLE_BYTES_MAX / (1024 * 1024)} MB`);
        return Buffer.from(bytes);
      }
    } catch (error) {
      if (error instanceof InstallError) throw error;
      if (isOAuthFlowError(error, 'unsafe_url')) throw new InstallError(error.message.replace(/^Refused /, 'refused ').replace(/\.$/, ''));
      if (combined.aborted) throw new InstallError(signal?.aborted ? 'the bundle download was cancelled' : 'the bundle download took too long');
      throw new InstallError('the bundle could not be downloaded');
    }
  }
}

/** Unpacks a zip into `to`: regular files and folders only, inside `to`, within the size limits. */
async function unpack(bytes: Buffer, to: string): Promise<void> {
  // The unzipper is loaded when a bundle is first installed (a chunk of the extension's bundle of its own).
  const { fromBufferPromise } = (await import('yauzl')).default;
  let zip: yauzl.ZipFile;
  try {
    // yauzl refuses absolute paths and ".." in names (decodeStrings), and checks entry sizes.
    zip = await fromBufferPromise(bytes, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: true });
  } catch {
    throw new InstallError('the bundle is not a zip file');
  }
  await mkdir(to, { recursive: true });
  let files = 0;
  let total = 0;
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        zip.once('entry', resolve);
        zip.once('end', () => resolve(undefined));
        zip.once('error', reject);
        zip.readEntry();
      }).catch(() => {
        throw new InstallError('the bundle has a file name or size MCP Hub does not unpack');
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (!entry) break;
      if (++files > BUNDLE_FILES_MAX) throw new InstallError(`the bundle has more than ${BUNDLE_FILES_MAX} files`);
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      if (mode === 0o120000) throw new InstallError('the bundle holds a symbolic link, which MCP Hub does not unpack');
      const target = join(to, entry.fileName);
      if (target !== to && !target.startsWith(to + sep)) throw new InstallError('the bundle has a file outside its folder');
      if (entry.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true });
        continue;
      }
      total += entry.uncompressedSize;
      if (total > UNPACKED_BYTES_MAX) throw new InstallError(`the bundle unpacks to more than ${UNPACKED_BYTES_MAX / (1024 * 1024)} MB`);
      await mkdir(dirname(target), { recursive: true });
      const stream = await zip.openReadStreamPromise(entry);
      // An executable in the bundle (a binary server) stays executable; nothing else is.
      const executable = ((entry.externalFileAttributes >>> 16) & 0o111) !== 0;
      let written = 0;
      const limit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          written += chunk.length;
          done(written > entry.uncompressedSize ? new InstallError('the bundle has a file larger than it says') : null, chunk);
        },
      });
      await pipeline(stream, limit, createWriteStream(target, { mode: executable ? 0o755 : 0o644, flags: 'wx' })).catch((error: unknown) => {
        throw error instanceof InstallError ? error : new InstallError('the bundle could not be unpacked (a file in it is broken or larger than it says)');
      });
    }
  } finally {
    zip.close();
  }
}

/**
 * The shapes of a registry's options: packages and remotes as they are; MCP bundles from the bundle
 * store, downloaded from `download.registryUrl` when `download` is given (Add Server…, Update), else
 * only when unpacked already (checking an entry against a registry, which never downloads).
 */
export function bundleShapes(
  bundles: BundleStore | undefined,
  download?: { readonly registryUrl: string; readonly signal?: AbortSignal; readonly unpacked?: (sha256: string) => void },
): ShapeSource {
  return async (_server, option) => {
    if (option.kind === 'remote' || option.package.registryType !== 'mcpb') return shapeOf(option);
    if (!bundles) throw new InstallError('MCP bundles are installed only in the editor');
    if (!download) return bundles.shape(option.package);
    return bundles.install(option.package, download.registryUrl, {
      ...(download.signal ? { signal: download.signal } : {}),
      ...(download.unpacked ? { unpacked: download.unpacked } : {}),
    });
  };
}
