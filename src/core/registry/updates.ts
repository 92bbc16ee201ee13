/**
 * Newer versions of installed registry servers: which entries have one (checked at start, then
 * rarely, and on demand), and how an entry moves to it keeping the person's answers.
 */
import type { RegistryProvenance } from '../config';
import type { Clock, Disposable, Logger, TimerHandle } from '../ports';
import { scrubber } from '../scrub';
import type { RegistryClient } from './client';
import { installOptions, type InstallOption, type Question, type Shape } from './install';
import { answersIn, type RunFields } from './match';
import type { RegistryServer } from './model';

/** How often installed servers are checked again after the first check. */
export const UPDATE_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** Registry requests in flight at once during a check. */
const CONCURRENCY = 4;

/** The shape of an option of a server (packages and remotes directly; MCPB bundles from their manifest). */
export type ShapeSource = (server: RegistryServer, option: InstallOption) => Promise<Shape>;

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Whether `candidate` is newer than `installed`: by semantic versioning when both follow it, else whenever they differ (the registry says it is the latest). */
export function isNewer(candidate: string, installed: string): boolean {
  const a = SEMVER.exec(candidate);
  const b = SEMVER.exec(installed);
  if (!a || !b) return candidate !== installed;
  for (let i = 1; i <= 3; i++) {
    const d = Number(a[i]) - Number(b[i]);
    if (d !== 0) return d > 0;
  }
  if (a[4] === b[4]) return false;
  // A release is newer than its pre-releases; pre-releases compare by their identifiers.
  if (a[4] === undefined) return true;
  if (b[4] === undefined) return false;
  const pa = a[4].split('.');
  const pb = b[4].split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return false;
    if (pb[i] === undefined) return true;
    const na = /^\d+$/.test(pa[i]) ? Number(pa[i]) : undefined;
    const nb = /^\d+$/.test(pb[i]) ? Number(pb[i]) : undefined;
    if (na !== undefined && nb !== undefined) {
      if (na !== nb) return na > nb;
    } else if (na !== undefined || nb !== undefined) {
      return nb !== undefined;
    } else if (pa[i] !== pb[i]) {
      return pa[i] > pb[i];
    }
  }
  return false;
}

/** The entries to check: the hub's name for each, and where it came from. */
export interface InstalledServer {
  readonly name: string;
  readonly registry: RegistryProvenance;
}

/**
 * Checks installed servers against their registries, at start and then every UPDATE_INTERVAL_MS,
 * and whenever asked. A registry that fails is logged and tried again at the next check; what it
 * said before stands until then.
 */
export class RegistryUpdates implements Disposable {
  private timer: TimerHandle | undefined;
  private running: Promise<ReadonlyMap<string, string>> | undefined;
  private disposed = false;

  constructor(
    private readonly deps: {
      readonly client: (url: string) => RegistryClient;
      readonly installed: () => readonly InstalledServer[];
      /** Called with every server's newer version (servers without one are left out). */
      readonly onResult: (updates: ReadonlyMap<string, string>) => void;
      readonly clock: Clock;
      readonly logger: Logger;
      readonly intervalMs?: number;
    },
  ) {}

  /** Checks now, then every interval. */
  start(): void {
    void this.checkNow();
  }

  /** Checks every installed server now (a check under way is joined, not repeated). */
  checkNow(): Promise<ReadonlyMap<string, string>> {
    this.running ??= this.check().finally(() => {
      this.running = undefined;
      this.schedule();
    });
    return this.running;
  }

  private schedule(): void {
    if (this.disposed) return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => void this.checkNow(), this.deps.intervalMs ?? UPDATE_INTERVAL_MS);
  }

  private async check(): Promise<ReadonlyMap<string, string>> {
    const installed = this.deps.installed();
    // One request per registry server, however many entries were installed from it.
    const wanted = new Map<string, { url: string; name: string }>();
    for (const s of installed) wanted.set(JSON.stringify([s.registry.url, s.registry.name]), { url: s.registry.url, name: s.registry.name });
    const latest = new Map<string, string>();
    const queue = [...wanted.entries()];
    const work = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [key, { url, name }] = next;
        try {
          latest.set(key, (await this.deps.client(url).latest(name)).version);
        } catch (error) {
          this.deps.logger.warn(`update check of ${scrubber.message(name)}: ${scrubber.message(error)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, work));
    const updates = new Map<string, string>();
    for (const s of installed) {
      const version = latest.get(JSON.stringify([s.registry.url, s.registry.name]));
      if (version !== undefined && isNewer(version, s.registry.version)) updates.set(s.name, version);
    }
    if (!this.disposed) {
      if (updates.size > 0) this.deps.logger.info(`updates available: ${[...updates].map(([n, v]) => `${n} ${v}`).join(', ')}`);
      this.deps.onResult(updates);
    }
    return updates;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
  }
}

export type UpdatePlan =
  | {
      readonly ok: true;
      /** The option of the newer version that takes the place of the one the entry runs. */
      readonly option: InstallOption;
      readonly shape: Shape;
      /** The entry's answers that the newer version still asks for (secrets as their `${input:…}`). */
      readonly answers: Readonly<Record<string, string>>;
      /** Required questions of the newer version the entry holds no answer for: asked before updating. */
      readonly missing: readonly Question[];
    }
  | { readonly ok: false; readonly problem: string };

/** The same package (kind and name, whatever the version) or the same kind of remote. */
function sameOption(a: InstallOption, b: InstallOption): boolean {
  if (a.kind === 'remote' || b.kind === 'remote') return a.kind === 'remote' && b.kind === 'remote' && a.remote.type === b.remote.type;
  if (a.package.registryType !== b.package.registryType) return false;
  const bare = (id: string) => (a.package.registryType === 'oci' ? id.replace(/(@sha256:[a-f0-9]+|:[^/:]+)$/, '') : a.package.registryType === 'mcpb' ? '' : id);
  return bare(a.package.identifier) === bare(b.package.identifier);
}

/**
 * How an entry installed from `installed` moves to `next`: the option it runs (recognised by what it
 * runs), its counterpart in `next`, and the answers the entry holds, carried over.
 */
export async function planUpdate(entry: RunFields, installed: RegistryServer, next: RegistryServer, shapes: ShapeSource): Promise<UpdatePlan> {
  let current: { option: InstallOption; answers: Record<string, string> } | undefined;
  for (const option of installOptions(installed)) {
    const shape = await shapes(installed, option).catch(() => undefined);
    const answers = shape && answersIn(shape, entry);
    if (answers) {
      current = { option, answers };
      break;
    }
  }
  if (!current)
    return {
      ok: false,
      problem: 'the entry no longer runs what its installed version describes (it was edited), so it cannot be updated in place; add the new version with Add Server…',
    };
  const option = installOptions(next).find((o) => sameOption(current.option, o));
  if (!option)
    return {
      ok: false,
      problem: `the new version no longer offers the ${current.option.kind === 'remote' ? 'remote' : current.option.package.registryType} option this entry runs; add it again with Add Server…`,
    };
  const shape = await shapes(next, option);
  const answers = Object.fromEntries(Object.entries(current.answers).filter(([id]) => shape.questions.some((q) => q.id === id)));
  const missing = shape.questions.filter((q) => q.required && (answers[q.id] === undefined || answers[q.id] === ''));
  return { ok: true, option, shape, answers, missing };
}
