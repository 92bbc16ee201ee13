/**
 * Whether an entry may run under a registry-only policy (`chat.mcp.access: registry`): it says it
 * was installed from that registry, and it runs what that registry's server.json for its version
 * describes, with any answers (the registry is asked; its answer is remembered for a while). A
 * `"registry"` field written by hand onto another command is no way around the policy.
 */
import type { ServerConfig } from '../config';
import { scrubber } from '../scrub';
import { isRegistryError, type RegistryClient } from './client';
import { installOptions } from './install';
import { matchEntry, runFieldsOf } from './match';
import { onlyFrom, provenanceRefusal } from './provenance';
import type { ShapeSource } from './updates';

export { provenanceRefusal, REGISTRY_ACCESS_RULE } from './provenance';

/** How long a registry's confirmation is trusted before it is asked again. */
export const VERIFIED_TTL_MS = 60 * 60 * 1000;

/** Confirmations remembered at most (entries × versions); beyond it the oldest are asked again. */
const CONFIRMED_MAX = 500;

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
      if (isRegistryError(error, 'registry_not_found')) return { reason: `${onlyFrom(registryUrl)}, and it has no ${what}`, unreachable: false };
      return { reason: `${onlyFrom(registryUrl)}, and it could not confirm this entry: ${scrubber.message(error)}`, unreachable: true };
    }
    for (const option of installOptions(server)) {
      const shape = await this.deps.shapes(server, option).catch(() => undefined);
      if (shape && matchEntry(shape, run)) {
        if (this.confirmed.size >= CONFIRMED_MAX) this.confirmed.delete(this.confirmed.keys().next().value!);
        this.confirmed.set(key, now);
        return undefined;
      }
    }
    return { reason: `${onlyFrom(registryUrl)}, and this entry does not run what ${what} there describes`, unreachable: false };
  }
}
