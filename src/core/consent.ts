/**
 * Workspace servers ask first, as VS Code's own do: a server defined in workspace or folder settings
 * runs only once the person said yes to that exact entry, and is asked about again whenever the
 * entry changes (a `git pull` can point it elsewhere). The answer is kept per workspace, under a
 * hash of the entry as written (variables unresolved), never the entry itself.
 */
import { createHash } from 'node:crypto';
import { fromFolder, stableStringify, type ConfigSource, type ServerConfig } from './config';
import { scrubber } from './scrub';
import { variablesIn } from './variables';

export type ConsentDecision = 'approved' | 'declined';

/** Where the answers live (VS Code's workspace state in the editor): fingerprint → decision. */
export interface ConsentStore {
  get(fingerprint: string): ConsentDecision | undefined;
  set(fingerprint: string, decision: ConsentDecision): Promise<void>;
}

export class InMemoryConsentStore implements ConsentStore {
  private readonly map = new Map<string, ConsentDecision>();
  get(fingerprint: string): ConsentDecision | undefined {
    return this.map.get(fingerprint);
  }
  async set(fingerprint: string, decision: ConsentDecision): Promise<void> {
    this.map.set(fingerprint, decision);
  }
}

/** What the person is asked about: what the entry runs and which of their values it would receive. */
export interface ConsentRequest {
  readonly name: string;
  readonly source: ConfigSource;
  readonly fingerprint: string;
  /** The command line (stdio) or the URL's origin (remote), as written, scrubbed. */
  readonly runs: string;
  readonly transport: ServerConfig['type'];
  /** Names of the `${env:…}` variables it receives. */
  readonly env: readonly string[];
  /** Names of the `${input:…}` values it receives (this workspace's own values, never the user's). */
  readonly inputs: readonly string[];
  /** The person already said no to this entry (it is asked about again only from Approve…). */
  readonly declined?: boolean;
}

/** Whether an entry from this source must be approved before it runs: a folder's (the person's own and their organisation's need not). */
export function needsConsent(source: ConfigSource): boolean {
  return fromFolder(source);
}

/** The hash an answer is kept under: the entry exactly as written, with where it comes from. */
export function consentFingerprint(name: string, source: ConfigSource, config: ServerConfig): string {
  return createHash('sha256').update(stableStringify({ name, source, config })).digest('hex').slice(0, 40);
}

export function consentRequest(name: string, source: ConfigSource, config: ServerConfig): ConsentRequest {
  const { env, inputs } = variablesIn(config);
  return {
    name,
    source,
    fingerprint: consentFingerprint(name, source, config),
    runs: config.type === 'stdio' ? scrubber.message([config.command, ...config.args].map(quoteArg).join(' ')) : originOf(config.url),
    transport: config.type,
    env,
    inputs,
  };
}

function originOf(url: string): string {
  try {
    return scrubber.message(new URL(url).origin);
  } catch {
    // A URL whose host is a variable: what is written up to its query, scrubbed.
    return scrubber.message(url.split(/[?#]/)[0]);
  }
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./${}-]+$/.test(arg) ? arg : JSON.stringify(arg);
}
