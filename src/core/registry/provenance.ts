/**
 * What a registry-only policy (`chat.mcp.access: registry`) can tell from an entry's provenance
 * alone, apart from verify.ts (which asks the registry, and is loaded only where such a policy is).
 */
import type { RegistryProvenance } from '../config';
import { scrubber } from '../scrub';
import { OFFICIAL_REGISTRY, sameRegistry } from './url';

export const REGISTRY_ACCESS_RULE = 'chat.mcp.access: registry';

/** The rule as a refusal starts: which registry's servers alone may run. */
export const onlyFrom = (registryUrl: string) => `only servers installed from the MCP registry ${label(registryUrl)} may run (${REGISTRY_ACCESS_RULE})`;

/**
 * What can be told without asking the registry: why an entry is refused where only servers from
 * `registryUrl` may run, judged by the provenance it carries; undefined when it says it is from there.
 */
export function provenanceRefusal(from: RegistryProvenance | undefined, registryUrl: string = OFFICIAL_REGISTRY): string | undefined {
  if (!from) return `${onlyFrom(registryUrl)}, and this entry was not installed from a registry`;
  if (!sameRegistry(from.url, registryUrl)) return `${onlyFrom(registryUrl)}, and this entry comes from another registry (${label(from.url)})`;
  return undefined;
}

function label(url: string): string {
  try {
    const u = new URL(url);
    return scrubber.message(u.pathname === '/' ? u.host : `${u.host}${u.pathname}`);
  } catch {
    return '(invalid URL)';
  }
}
