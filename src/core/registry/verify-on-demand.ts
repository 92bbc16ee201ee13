/**
 * The registry-only policy's verifier (verify.ts), made when an entry is first checked, which happens
 * only where VS Code lets registry servers alone run: the registry client and the install shapes are
 * loaded with it (a chunk of the extension's bundle of its own), not with the hub.
 */
import type { ServerConfig } from '../config';
import type { RegistryRefusal, RegistryVerifier } from './verify';

export type Verifier = Pick<RegistryVerifier, 'refusal'>;

/** `bundlesDir`: where the editor unpacks MCP bundles; without it an entry is matched against its package or remote only. */
export function verifierOnDemand(bundlesDir?: string): Verifier {
  let made: Promise<Verifier> | undefined;
  const make = async (): Promise<Verifier> => {
    const { RegistryVerifier, RegistryClient, BundleStore, bundleShapes, shapeOf } = await import('./lazy.js');
    return new RegistryVerifier({
      client: (url) => new RegistryClient(url),
      shapes: bundlesDir === undefined ? async (_server, option) => shapeOf(option) : bundleShapes(new BundleStore(bundlesDir)),
    });
  };
  return {
    async refusal(config: ServerConfig, registryUrl: string): Promise<RegistryRefusal | undefined> {
      made ??= make();
      made.catch(() => (made = undefined));
      return (await made).refusal(config, registryUrl);
    },
  };
}
