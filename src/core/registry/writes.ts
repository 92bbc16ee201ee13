/**
 * Writing a registry server into settings, the same way from the editor and from tests: its secrets
 * into secret storage first, then its entry into one scope's `mcpHub.servers`, and if that write
 * fails the secrets are taken back. A new entry never overwrites another; an update replaces an entry
 * only if it is still what was read. An update asks the registry first and writes nothing when the
 * registry fails or the entry cannot move.
 */
import type { RegistryProvenance } from '../config';
import type { InputScope, InputStore } from '../inputs';
import type { RegistryClient } from './client';
import { updatedEntry, withEntry } from './entries';
import { entryFor, suggestSecretName, type Answers, type Question, type Shape } from './install';
import type { RunFields } from './match';
import { planUpdate, type ShapeSource } from './updates';

/** One settings scope's `mcpHub.servers`: what it holds now, and how to write it. */
export interface ServersScope {
  read(): Record<string, unknown>;
  write(next: Record<string, unknown>): PromiseLike<void>;
}

/** Refused in our own words only (nothing a registry sent is in the message). */
export class WriteRefused extends Error {}

const isReference = (v: string) => /^\$\{input:[A-Za-z0-9_.-]{1,64}\}$/.test(v);

async function writeWithSecrets(
  inputs: InputStore,
  inputScope: InputScope,
  key: string,
  shape: Shape,
  answers: Answers,
  provenance: RegistryProvenance,
  next: (entry: Record<string, unknown>) => Record<string, unknown>,
  scope: ServersScope,
): Promise<Record<string, unknown>> {
  const names = new Map<string, string>();
  for (const q of shape.questions) {
    const value = answers[q.id];
    if (q.secret && value !== undefined && value !== '' && !isReference(value)) names.set(q.id, await inputs.freeName(suggestSecretName(key, q), value, inputScope));
  }
  const { entry, secrets } = entryFor(shape, answers, provenance, (q) => names.get(q.id)!);
  const servers = next(entry);
  const stored: string[] = [];
  try {
    for (const s of secrets) {
      await inputs.set(s.input, s.value, inputScope);
      stored.push(s.input);
    }
    await scope.write(servers);
  } catch (error) {
    for (const input of stored) await inputs.clear(input, inputScope).catch(() => undefined);
    throw error;
  }
  return entry;
}

/** Adds a new entry under `key` (which must be free in the scope). Returns the entry written. */
export async function addServerEntry(options: {
  readonly scope: ServersScope;
  readonly inputs: InputStore;
  readonly inputScope: InputScope;
  readonly key: string;
  readonly shape: Shape;
  readonly answers: Answers;
  readonly provenance: RegistryProvenance;
}): Promise<Record<string, unknown>> {
  const { scope, key } = options;
  return writeWithSecrets(options.inputs, options.inputScope, key, options.shape, options.answers, options.provenance, (entry) => withEntry(scope.read(), key, entry), scope);
}

/**
 * Moves the entry under `key` to `version` (the registry's latest unless given), keeping its answers
 * and the person's own fields; `ask` is given the questions the new version adds. Returns the entry
 * written, or throws (RegistryError, WriteRefused, InstallError) having written nothing.
 */
export async function updateServerEntry(options: {
  readonly scope: ServersScope;
  readonly inputs: InputStore;
  readonly inputScope: InputScope;
  readonly key: string;
  readonly client: RegistryClient;
  readonly from: RegistryProvenance;
  /** What the entry runs now (its parsed fields, its URL as written). */
  readonly runs: RunFields;
  readonly shapes: ShapeSource;
  readonly ask: (questions: readonly Question[], known: Answers, version: string) => Promise<Answers>;
  readonly version?: string;
}): Promise<Record<string, unknown>> {
  const { scope, key, client, from } = options;
  const before = scope.read()[key];
  if (typeof before !== 'object' || before === null || Array.isArray(before)) throw new WriteRefused('The entry is not in these settings any more.');
  const next = options.version ? await client.version(from.name, options.version) : await client.latest(from.name);
  const installed = await client.version(from.name, from.version);
  const plan = await planUpdate(options.runs, installed, next, options.shapes);
  if (!plan.ok) throw new WriteRefused(`${plan.problem.charAt(0).toUpperCase()}${plan.problem.slice(1)}.`);
  const answers = { ...plan.answers, ...(plan.missing.length > 0 ? await options.ask(plan.missing, plan.answers, next.version) : {}) };
  const provenance = { url: from.url, name: from.name, version: next.version };
  return writeWithSecrets(
    options.inputs,
    options.inputScope,
    key,
    plan.shape,
    answers,
    provenance,
    (entry) => {
      const servers = scope.read();
      if (JSON.stringify(servers[key]) !== JSON.stringify(before)) throw new WriteRefused('The entry changed in the settings meanwhile; try again.');
      return { ...servers, [key]: updatedEntry(before as Record<string, unknown>, entry) };
    },
    scope,
  );
}
