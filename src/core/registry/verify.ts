/**
 * Whether an entry may run under a registry-only policy (`chat.mcp.access: registry`): it says it
 * was installed from that registry, and it runs what that registry's server.json for its version
 * describes, with any answers (the registry is asked; its answer is remembered for a while). A
 * `"registry"` field written by hand onto another command is no way around the policy.
 */
import type { RegistryProvenance, ServerConfig } from '../config';
import { scrubber } from '../scrub';
import { isRegistryError, OFFICIAL_REGISTRY, sameRegistry, type RegistryClient } from './client';
import { installOptions } from './install';
import { matchEntry, runFieldsOf } from './match';
import type { ShapeSource } from './updates';

/** How long a registry's confirmation is trusted before it is asked again. */
export const VERIFIED_TTL_MS = 60 * 60 * 1000;

export const REGISTRY_ACCESS_RULE = 'chat.mcp.access: registry';
/** Confirmations remembered at most (entries × versions); beyond it the oldest are asked again. */
const CONFIRMED_MAX = 500;

const only = (registryUrl: string) => `only servers installed from the MCP registry ${label(registryUrl)} may run (${REGISTRY_ACCESS_RULE})`;

/**
 * What can be told without asking the registry: why an entry is refused where only servers from
 * `registryUrl` may run, judged by the provenance it carries; undefined when it says it is from there.
 */
export function provenanceRefusal(from: RegistryProvenance | undefined, registryUrl: string = OFFICIAL_REGISTRY): string | undefined {
  if (!from) return `${only(registryUrl)}, and this entry was not installed from a registry`;
  if (!sameRegistry(from.url, registryUrl)) return `${only(registryUrl)}, and this entry comes from another registry (${label(from.url)})`;
  return undefined;
}

/** A refusal, and whether it is because the registry could not be asked (so asking again later may run it). */
export interface RegistryRefusal {
  readonly reason: string;
  readonly unreachable: boolean;
}

export class RegistryVerifier {
  private readonly confirmed = new Map<string, number>();

  constructor(
    private readonly deps: {
      readonly client: (url: string) => RegistryClient;
      readonly shapes: ShapeSource;
      readonly now?: () => number;
    },
  ) {}

  /** Why `config` may not run where only servers from `registryUrl` may (our words, naming the rule), or undefined. */
  async refusal(config: ServerConfig, registryUrl: string): Promise<RegistryRefusal | undefined> {
    const from = config.registry;
    const refused = provenanceRefusal(from, registryUrl);
    if (refused || !from) return refused === undefined ? undefined : { reason: refused, unreachable: false };
    const run = runFieldsOf(config);
    const key = JSON.stringify([registryUrl, from.name, from.version, run]);
    const now = this.deps.now?.() ?? Date.now();
    const at = this.confirmed.get(key);
    if (at !== undefined && now - at < VERIFIED_TTL_MS) return undefined;
    const what = `${scrubber.message(from.name)} ${scrubber.message(from.version)}`;
    let server;
    try {
      server = await this.deps.client(registryUrl).version(from.name, from.version);
    } catch (error) {
      if (isRegistryError(error, 'registry_not_found')) return { reason: `${only(registryUrl)}, and it has no ${what}`, unreachable: false };
      return { reason: `${only(registryUrl)}, and it could not confirm this entry: ${scrubber.message(error)}`, unreachable: true };
    }
    for (const option of installOptions(server)) {
      const shape = await this.deps.shapes(server, option).catch(() => undefined);
      if (shape && matchEntry(shape, run)) {
        if (this.confirmed.size >= CONFIRMED_MAX) this.confirmed.delete(this.confirmed.keys().next().value!);
        this.confirmed.set(key, now);
        return undefined;
      }
    }
    return { reason: `${only(registryUrl)}, and this entry does not run what ${what} there describes`, unreachable: false };
  }
}

function label(url: string): string {
  try {
    const u = new URL(url);
    return scrubber.message(u.pathname === '/' ? u.host : `${u.host}${u.pathname}`);
  } catch {
    return '(invalid URL)';
  }
}
