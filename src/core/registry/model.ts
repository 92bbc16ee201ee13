/**
 * An MCP registry's server.json (schema 2025-12-11, served by the registry's v0.1 API), as MCP Hub
 * keeps it once parsed: only what installing and showing a server needs, every text already
 * scrubbed and capped, every value that would reach settings already checked (see parse.ts).
 */

/** The package registries MCP Hub installs from. */
export const PACKAGE_KINDS = ['npm', 'pypi', 'oci', 'nuget', 'mcpb'] as const;
export type PackageKind = (typeof PACKAGE_KINDS)[number];

export type InputFormat = 'string' | 'number' | 'boolean' | 'filepath';

/** A value the person may be asked for (server.json `Input`). */
export interface InputSpec {
  /** Registry text, scrubbed and capped: shown as text, never in a notification. */
  readonly description?: string;
  readonly isRequired: boolean;
  readonly isSecret: boolean;
  readonly format: InputFormat;
  /** A fixed value: not asked for; `{name}` in it is filled from `variables`. */
  readonly value?: string;
  readonly default?: string;
  readonly placeholder?: string;
  readonly choices?: readonly string[];
  readonly variables?: Readonly<Record<string, InputSpec>>;
}

/** A command-line argument: `positional` (its value) or `named` (`name`, then its value if any). */
export interface ArgumentSpec extends InputSpec {
  readonly type: 'positional' | 'named';
  /** The flag of a named argument, with its dashes. */
  readonly name?: string;
  /** What a positional argument is, for the person (not part of the command line). */
  readonly valueHint?: string;
  readonly isRepeated: boolean;
}

/** An environment variable or an HTTP header. */
export interface KeyValueSpec extends InputSpec {
  readonly name: string;
}

export interface PackageSpec {
  readonly registryType: PackageKind;
  /** A package name, an image reference, or (mcpb) the bundle's https URL. */
  readonly identifier: string;
  readonly version?: string;
  /** The bundle's SHA-256 (mcpb: required, checked before anything is unpacked). */
  readonly fileSha256?: string;
  /** The program to run it with (npx, uvx, docker, dnx…), when the publisher says. */
  readonly runtimeHint?: string;
  readonly runtimeArguments: readonly ArgumentSpec[];
  readonly packageArguments: readonly ArgumentSpec[];
  readonly environmentVariables: readonly KeyValueSpec[];
}

export interface RemoteSpec {
  readonly type: 'streamable-http' | 'sse';
  /** May hold `{name}` variables, filled from `variables`. */
  readonly url: string;
  readonly headers: readonly KeyValueSpec[];
  readonly variables: Readonly<Record<string, InputSpec>>;
}

export type ServerStatus = 'active' | 'deprecated' | 'deleted';

export interface RegistryServer {
  /** Reverse-DNS name with one slash, e.g. io.github.owner/server: the server's identity there. */
  readonly name: string;
  readonly version: string;
  /** Display texts: registry text, scrubbed and capped. */
  readonly title?: string;
  readonly description: string;
  /** An https link to the source, or absent (any other scheme is dropped). */
  readonly repository?: string;
  readonly websiteUrl?: string;
  readonly packages: readonly PackageSpec[];
  readonly remotes: readonly RemoteSpec[];
  /** Why packages or remotes of this entry were left out (our words). */
  readonly skipped: readonly string[];
  readonly status?: ServerStatus;
  readonly isLatest?: boolean;
}

/** One page of a server list. */
export interface RegistryPage {
  readonly servers: readonly RegistryServer[];
  /** Entries of the page that were not usable, and why (our words; the index is the entry's place in the page). */
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
  readonly nextCursor?: string;
}
