/**
 * From a server.json package or remote and the person's answers to an ordinary `mcpHub.servers`
 * entry. Pure: no I/O. One description of what an option runs (its "shape": the command, the
 * arguments in groups, the environment, the URL and headers, each made of literal text and slots for
 * answers) serves four jobs:
 *
 *   - the questions to ask (`questions`), and the exact command line or URL shown before anything
 *     is written (`preview`);
 *   - the entry itself (`entryFor`), secrets as `${input:…}` references and the `registry` provenance;
 *   - whether an entry runs what a registry version describes, and the answers it holds (match.ts).
 *
 * How each kind runs, as VS Code's own gallery install and the registry's documentation have it:
 * npm `npx -y <pkg>@<version>`, PyPI `uvx <pkg>==<version>`, OCI `docker run -i --rm <image>`
 * (environment variables passed with `-e NAME`), NuGet `dnx <pkg>@<version> --yes` (`--` before the
 * package's arguments); a `runtimeHint` names another runner and is used. Runtime arguments go to the
 * runner, package arguments after the package. MCPB bundles are unpacked first (mcpb.ts) and run as
 * their manifest says.
 */
import { checkUrlForm, guardFor } from '../oauth/url-guard';
import { isOAuthFlowError } from '../oauth/errors';
import { inputReference, isInputName } from '../variables';
import type { RegistryProvenance } from '../config';
import type { ArgumentSpec, InputSpec, KeyValueSpec, PackageKind, PackageSpec, RegistryServer, RemoteSpec } from './model';

export type InstallOption = { readonly kind: 'package'; readonly package: PackageSpec } | { readonly kind: 'remote'; readonly remote: RemoteSpec };

/** Something the person is asked for (or, when optional, given its default without asking). */
export interface Question {
  /** Stable within the option, e.g. `env.API_KEY`, `header.X-Api-Key`, `arg.--port`, `url.tenant`. */
  readonly id: string;
  /** What it is, in our words with its (checked) name, e.g. `API_KEY (environment variable)`. */
  readonly label: string;
  readonly spec: InputSpec;
  readonly required: boolean;
  readonly secret: boolean;
}

/** Answers by question id: the text the person gave (a secret's own value; `entryFor` stores it apart). */
export type Answers = Readonly<Record<string, string>>;

/** A piece of text: literal, or a slot for a question's answer. */
type Piece = string | { readonly slot: string };
type Text = readonly Piece[];
/** Arguments that appear together (a flag and its value), or not at all when optional. */
interface ArgGroup {
  readonly parts: readonly Text[];
  readonly optional: boolean;
  /** A container's `-e NAME`: there exactly when that environment variable is. */
  readonly env?: string;
}
export interface KeyValueShape {
  readonly name: string;
  readonly value: Text;
  readonly optional: boolean;
}

/** What an option runs, with slots for answers. */
export type Shape =
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly ArgGroup[];
      readonly env: readonly KeyValueShape[];
      /** Where it runs (an unpacked bundle's folder); undefined for packages, which run in the person's home. */
      readonly cwd?: string;
      readonly questions: readonly Question[];
    }
  | { readonly kind: 'remote'; readonly type: 'streamable-http' | 'sse'; readonly url: Text; readonly headers: readonly KeyValueShape[]; readonly questions: readonly Question[] };

/** Thrown when an option cannot be installed or the answers do not complete it (our words). */
export class InstallError extends Error {}

// Package names and versions as their registries allow them; none can start with "-" and so be
// read as a flag by the runner.
const NAMES: Record<Exclude<PackageKind, 'mcpb'>, RegExp> = {
  npm: /^(@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]{0,213}$/,
  pypi: /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,198}[A-Za-z0-9])?$/,
  nuget: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/,
  // registry[:port]/path[:tag][@digest], lowercase path components as OCI distribution has them.
  oci: /^[a-z0-9][a-z0-9.-]*(?::[0-9]{1,5})?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$|^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
};
/** An exact version: no ranges (^1, ~1, >=1, 1.x, *), as the registry requires. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9.+_-]{0,127}$/;

/** How each runner is started before the package; `default` is the runner a kind gets without a hint. */
const RUNNERS: Record<string, readonly string[]> = {
  npx: ['-y'],
  bunx: [],
  pnpx: [],
  pnpm: ['dlx'],
  yarn: ['dlx'],
  uvx: [],
  uv: ['tool', 'run'],
  pipx: ['run'],
  docker: ['run', '-i', '--rm'],
  podman: ['run', '-i', '--rm'],
  dnx: [],
};
const DEFAULT_RUNNER: Record<Exclude<PackageKind, 'mcpb'>, string> = { npm: 'npx', pypi: 'uvx', oci: 'docker', nuget: 'dnx' };

/** The options of a server MCP Hub can install: its packages (but MCPB, see mcpb.ts) and remotes, in the order published. */
export function installOptions(server: RegistryServer): InstallOption[] {
  return [...server.packages.map((p) => ({ kind: 'package' as const, package: p })), ...server.remotes.map((r) => ({ kind: 'remote' as const, remote: r }))];
}

/** What the option is, in a few words: `npm @acme/weather`, `Streamable HTTP`, `MCP bundle`. */
export function optionLabel(option: InstallOption): string {
  if (option.kind === 'remote') return option.remote.type === 'sse' ? 'Remote server (SSE)' : 'Remote server (Streamable HTTP)';
  const labels: Record<PackageKind, string> = { npm: 'npm package', pypi: 'PyPI package', oci: 'Container image', nuget: 'NuGet package', mcpb: 'MCP bundle' };
  return labels[option.package.registryType];
}

/** The package as its runner names it: `pkg@1.2.0`, `pkg==1.2.0`, `image:1.2.0`. */
export function packageSpec(pkg: PackageSpec): string {
  if (pkg.registryType === 'mcpb') throw new InstallError('an MCP bundle is unpacked, not named to a runner');
  if (!NAMES[pkg.registryType].test(pkg.identifier)) throw new InstallError(`the ${pkg.registryType} package name is not one its registry allows`);
  if (pkg.version !== undefined && !VERSION.test(pkg.version)) throw new InstallError('the package version is not an exact version');
  switch (pkg.registryType) {
    case 'npm':
    case 'nuget':
      return pkg.version ? `${pkg.identifier}@${pkg.version}` : pkg.identifier;
    case 'pypi':
      return pkg.version ? `${pkg.identifier}==${pkg.version}` : pkg.identifier;
    case 'oci': {
      // The identifier may carry its tag or digest already (registry/namespace/repository:tag).
      const last = pkg.identifier.slice(pkg.identifier.lastIndexOf('/') + 1);
      return pkg.version && !last.includes(':') && !last.includes('@') ? `${pkg.identifier}:${pkg.version}` : pkg.identifier;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes

class ShapeBuilder {
  readonly questions: Question[] = [];

  /** A question for one input; an id seen already (a repeated name) is an error of the entry. */
  ask(id: string, label: string, spec: InputSpec, required: boolean): Piece {
    if (this.questions.some((q) => q.id === id)) throw new InstallError(`it asks for ${label} twice`);
    this.questions.push({ id, label, spec, required, secret: spec.isSecret });
    return { slot: id };
  }

  /**
   * The text of an input: its fixed value with `{variable}`s as slots, or one slot for the whole
   * value. `name` and `kind` say what it is ("WEATHER_API_KEY", "environment variable"); a variable
   * in it is "region (in the URL)". `required` says whether an answer is needed for the text to exist.
   */
  text(id: string, name: string, kind: string, spec: InputSpec, required: boolean): Text {
    if (spec.value === undefined) return [this.ask(id, kind ? `${name} (${kind})` : name, spec, required)];
    const variables = spec.variables ?? {};
    const pieces: Piece[] = [];
    // An unknown {name} stays as written, as server.json says.
    const parts = spec.value.split(/(\{[a-zA-Z_][a-zA-Z0-9_]*\})/);
    for (const part of parts) {
      const variable = /^\{([a-zA-Z_][a-zA-Z0-9_]*)\}$/.exec(part)?.[1];
      if (variable === undefined || !Object.prototype.hasOwnProperty.call(variables, variable)) {
        if (part !== '') pieces.push(part);
        continue;
      }
      const vid = `${id}.${variable}`;
      pieces.push(this.questions.some((q) => q.id === vid) ? { slot: vid } : this.ask(vid, `${variable} (in ${name})`, variables[variable], required));
    }
    return pieces;
  }
}

/** Whether an input must be there: required by the publisher, or a fixed value. */
const isPresent = (spec: InputSpec) => spec.isRequired || spec.value !== undefined;

function argumentGroup(b: ShapeBuilder, arg: ArgumentSpec, prefix: string, index: number): ArgGroup {
  const required = isPresent(arg);
  if (arg.type === 'named') {
    const flag = arg.name!;
    // A bare flag (nothing to ask, no value): always there, as VS Code's install does.
    if (arg.value === undefined && !arg.isRequired && arg.default === undefined && arg.description === undefined && arg.choices === undefined) {
      return { parts: [[flag]], optional: false };
    }
    return { parts: [[flag], b.text(`${prefix}.${flag}`, flag, 'argument', arg, required)], optional: !required };
  }
  const hint = arg.valueHint && /^[A-Za-z0-9_.-]{1,64}$/.test(arg.valueHint) ? arg.valueHint : `#${index + 1}`;
  return { parts: [b.text(`${prefix}.${hint}`, arg.valueHint ?? `argument ${index + 1}`, 'argument', arg, required)], optional: !required };
}

function keyValues(b: ShapeBuilder, items: readonly KeyValueSpec[], prefix: string, what: string): KeyValueShape[] {
  return items.map((item) => {
    const required = isPresent(item);
    return { name: item.name, value: b.text(`${prefix}.${item.name}`, item.name, what, item, required), optional: !required };
  });
}

/** The shape of a package (not MCPB) or remote option. */
export function shapeOf(option: InstallOption): Shape {
  const b = new ShapeBuilder();
  if (option.kind === 'remote') {
    const remote = option.remote;
    // URL variables are asked as "tenant (in the URL)".
    const url = b.text('url', 'the URL', '', { isRequired: true, isSecret: false, format: 'string', value: remote.url, variables: remote.variables }, true);
    const headers = keyValues(b, remote.headers, 'header', 'header');
    return { kind: 'remote', type: remote.type, url, headers, questions: b.questions };
  }
  const pkg = option.package;
  if (pkg.registryType === 'mcpb') throw new InstallError('an MCP bundle is installed from its manifest (see mcpb.ts)');
  const spec = packageSpec(pkg);
  const runner = pkg.runtimeHint ?? DEFAULT_RUNNER[pkg.registryType];
  const args: ArgGroup[] = [...(RUNNERS[runner] ?? []).map((a) => ({ parts: [[a]], optional: false }))];
  args.push(...pkg.runtimeArguments.map((a, i) => argumentGroup(b, a, 'runtime', i)));
  const env = keyValues(b, pkg.environmentVariables, 'env', 'environment variable');
  const container = runner === 'docker' || runner === 'podman';
  // A container sees only the variables it is told to pass through.
  if (container) for (const e of env) args.push({ parts: [['-e'], [e.name]], optional: e.optional, env: e.name });
  args.push({ parts: [[spec]], optional: false });
  const packageArgs = pkg.packageArguments.map((a, i) => argumentGroup(b, a, 'arg', i));
  if (runner === 'dnx') {
    args.push({ parts: [['--yes']], optional: false });
    if (packageArgs.length > 0) args.push({ parts: [['--']], optional: false });
  }
  args.push(...packageArgs);
  return { kind: 'stdio', command: runner, args, env, questions: b.questions };
}

/**
 * Throws InstallError unless a server URL from a registry is https (http only on loopback, and only
 * for a registry that is itself on this machine), with no credentials and no private, link-local or
 * other special address: a registry must not aim MCP Hub at services on the person's network.
 * `${input:…}` and `{variable}` parts are judged as plain text.
 */
export function checkServerUrl(url: string, registryUrl: string): void {
  const plain = url.replace(/\$\{input:[A-Za-z0-9_.-]{1,64}\}/g, 'x').replace(/\{[a-zA-Z_][a-zA-Z0-9_]*\}/g, 'x');
  try {
    checkUrlForm(plain, 'the server URL', guardFor(registryUrl));
  } catch (error) {
    if (isOAuthFlowError(error, 'unsafe_url')) throw new InstallError(error.message.replace(/^Refused /, 'refused ').replace(/\.$/, ''));
    throw error;
  }
}

/** Why an option cannot be installed from `registryUrl` (our words), or undefined when it can. */
export function optionProblem(option: InstallOption, registryUrl: string): string | undefined {
  try {
    // A bundle's shape is in its manifest, known once it is downloaded (mcpb.ts checks what it can before).
    if (option.kind === 'package' && option.package.registryType === 'mcpb') {
      if (!option.package.fileSha256) return 'the bundle has no fileSha256, so it cannot be checked';
      checkServerUrl(option.package.identifier, registryUrl);
      return undefined;
    }
    shapeOf(option);
    if (option.kind === 'remote') checkServerUrl(option.remote.url, registryUrl);
    return undefined;
  } catch (error) {
    if (error instanceof InstallError) return error.message;
    throw error;
  }
}

/** The shape MCPB bundles get: their manifest's command line, run in the bundle's folder (mcpb.ts builds it). */
export function stdioShape(
  command: string,
  args: readonly Text[],
  env: ReadonlyArray<{ name: string; value: Text; optional: boolean }>,
  questions: readonly Question[],
  cwd?: string,
): Shape {
  return { kind: 'stdio', command, args: args.map((parts) => ({ parts: [parts], optional: false })), env, questions, ...(cwd !== undefined ? { cwd } : {}) };
}
export type { Text, Piece };

// ---------------------------------------------------------------------------------------------
// Questions, preview, entry

/** The questions of a shape, required ones first (those are asked; optional ones take their default). */
export function questions(shape: Shape): Question[] {
  return [...shape.questions.filter((q) => q.required), ...shape.questions.filter((q) => !q.required)];
}

/** The answers the person is not asked for: optional questions' defaults. */
export function defaultAnswers(shape: Shape): Record<string, string> {
  const out: Record<string, string> = {};
  for (const q of shape.questions) if (!q.required && !q.secret && q.spec.default !== undefined) out[q.id] = q.spec.default;
  return out;
}

/** Checks one answer against its question; the problem in words, or undefined. */
export function checkAnswer(question: Question, value: string): string | undefined {
  if (value === '') return question.required ? 'A value is needed.' : undefined;
  if (question.spec.choices && !question.spec.choices.includes(value)) return `Choose one of: ${question.spec.choices.join(', ')}.`;
  if (question.spec.format === 'number' && !/^-?\d+(\.\d+)?$/.test(value.trim())) return 'Enter a number.';
  if (question.spec.format === 'boolean' && value !== 'true' && value !== 'false') return 'Enter true or false.';
  // eslint-disable-next-line no-control-regex -- a value with control characters cannot be an argument or a header.
  if (/[\x00-\x1f\x7f]/.test(value)) return 'The value holds control characters.';
  return undefined;
}

function render(text: Text, fill: (slot: string) => string | undefined): string | undefined {
  let out = '';
  for (const piece of text) {
    if (typeof piece === 'string') out += piece;
    else {
      const v = fill(piece.slot);
      if (v === undefined) return undefined;
      out += v;
    }
  }
  return out;
}

interface Rendered {
  readonly command?: string;
  readonly cwd?: string;
  readonly args?: string[];
  readonly env?: Record<string, string>;
  readonly type?: 'streamable-http' | 'sse';
  readonly url?: string;
  readonly headers?: Record<string, string>;
}

/** The shape with every slot filled by `fill`; optional groups with an unfilled slot are left out. */
function renderShape(shape: Shape, fill: (slot: string) => string | undefined): Rendered {
  const need = (value: string | undefined, what: string): string => {
    if (value === undefined) throw new InstallError(`${what} needs a value`);
    return value;
  };
  const keyValue = (items: readonly KeyValueShape[], what: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const item of items) {
      const value = render(item.value, fill);
      if (value === undefined && item.optional) continue;
      out[item.name] = need(value, `${item.name} (${what})`);
    }
    return out;
  };
  if (shape.kind === 'remote') {
    return { type: shape.type, url: need(render(shape.url, fill), 'the URL'), headers: keyValue(shape.headers, 'header') };
  }
  const env = keyValue(shape.env, 'environment variable');
  const args: string[] = [];
  for (const group of shape.args) {
    // A container's `-e NAME` goes with its variable.
    if (group.env !== undefined) {
      if (group.env in env) args.push('-e', group.env);
      continue;
    }
    const parts = group.parts.map((p) => render(p, fill));
    if (parts.some((p) => p === undefined)) {
      if (group.optional) continue;
      throw new InstallError('a required argument needs a value');
    }
    args.push(...(parts as string[]));
  }
  return { command: shape.command, args, env, ...(shape.cwd !== undefined ? { cwd: shape.cwd } : {}) };
}

/**
 * What will run, as shown before anything is written: the command line (or URL) with the answers in
 * place, secrets as `${input:…}` (or `<label>` before they are given), required answers not given
 * yet as `<label>`, optional ones without an answer left out.
 */
export function preview(shape: Shape, answers: Answers = {}, secretName?: (q: Question) => string): string {
  const byId = new Map(shape.questions.map((q) => [q.id, q]));
  const fill = (slot: string): string | undefined => {
    const q = byId.get(slot);
    const answer = answers[slot];
    const placeholder = q?.required ? `<${q.label.replace(/ \((?:argument|environment variable|header)\)$/, '').replace(/^-+/, '')}>` : undefined;
    if (answer === undefined || answer === '') return placeholder;
    return q?.secret ? (secretName ? inputReference(secretName(q)) : placeholder) : answer;
  };
  const filled = renderShape(shape, fill);
  if (filled.url !== undefined) return filled.url;
  const quote = (a: string) => (/^[A-Za-z0-9_@%+=:,./<>{}$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const env = Object.keys(filled.env ?? {});
  return [filled.command!, ...(filled.args ?? [])].map(quote).join(' ') + (env.length > 0 ? `  (environment: ${env.join(', ')})` : '');
}

/** A secret's input name for an entry: `<key>.<question id>`, cleaned to what an input name may hold. */
export function suggestSecretName(key: string, question: Question): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  const id = clean(question.id).slice(-40);
  const name = `${clean(key).slice(0, 63 - id.length)}.${id}`.slice(0, 64);
  return isInputName(name) ? name : 'registry-secret';
}

export interface InstalledEntry {
  /** The `mcpHub.servers` entry, as written to settings. */
  readonly entry: Record<string, unknown>;
  /** The secrets to put in secret storage before the entry is written: input name -> value. */
  readonly secrets: ReadonlyArray<{ readonly input: string; readonly value: string }>;
}

/**
 * The entry for `shape` with `answers`. Secret answers become `${input:NAME}` with NAME from
 * `secretName` (the caller picks a free one); an answer that is already a `${input:…}` reference (an
 * update keeping an entry's secret) stays as it is. Throws InstallError when a required answer is missing.
 */
export function entryFor(shape: Shape, answers: Answers, provenance: RegistryProvenance, secretName: (q: Question) => string): InstalledEntry {
  const byId = new Map(shape.questions.map((q) => [q.id, q]));
  const secrets: Array<{ input: string; value: string }> = [];
  const fill = (slot: string): string | undefined => {
    const q = byId.get(slot);
    const answer = answers[slot];
    if (answer === undefined || (answer === '' && !q?.required)) return undefined;
    if (!q?.secret || /^\$\{input:[A-Za-z0-9_.-]{1,64}\}$/.test(answer)) return answer;
    const existing = secrets.find((s) => s.value === answer);
    if (existing) return inputReference(existing.input);
    const input = secretName(q);
    secrets.push({ input, value: answer });
    return inputReference(input);
  };
  for (const q of shape.questions) {
    if (q.required && (answers[q.id] === undefined || answers[q.id] === '')) throw new InstallError(`${q.label} needs a value`);
  }
  const r = renderShape(shape, fill);
  if (r.url !== undefined) checkServerUrl(r.url, provenance.url);
  const entry: Record<string, unknown> =
    r.url !== undefined
      ? { type: r.type, url: r.url, ...(Object.keys(r.headers ?? {}).length > 0 ? { headers: r.headers } : {}) }
      : { command: r.command, args: r.args, ...(Object.keys(r.env ?? {}).length > 0 ? { env: r.env } : {}), ...(r.cwd !== undefined ? { cwd: r.cwd } : {}) };
  entry.registry = { url: provenance.url, name: provenance.name, version: provenance.version };
  return { entry, secrets };
}
