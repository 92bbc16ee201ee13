/**
 * The registry's machinery that the editor loads only when it is first used (the update check, the
 * registry-only policy's verifier), imported with import() as one chunk of the extension's bundle.
 */
export { RegistryClient } from './client';
export { shapeOf } from './install';
export { BundleStore, bundleShapes } from './mcpb';
export { RegistryUpdates } from './updates';
export { RegistryVerifier } from './verify';
