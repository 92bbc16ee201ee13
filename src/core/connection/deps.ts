/** What a connection is given by the hub, and the part of it each attempt uses. */
import type { jsonSchemaValidator } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../config';
import type { OAuthDeps, ServerAuth } from '../oauth/server-auth';
import type { Clock, ElicitationHandler, Logger, SamplingHandler } from '../ports';
import type { AttemptDeps } from './attempt';
import type { RetryPolicy } from './backoff';
import type { EraMemory } from './era';
import type { UpstreamPool } from './upstream-pool';

export interface ConnectionDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly retry?: RetryPolicy;
  /** The open workspace folder while it is untrusted: nothing of it may run, PATH entries inside it included. */
  readonly untrustedFolder?: () => string | undefined;
  /**
   * Validates tools' structured output against their outputSchema. The hub passes one shared
   * instance of the SDK's @cfworker/json-schema validator (a new AJV per Client, the SDK's default
   * on Node, dominated the CPU cost of starting many servers, and AJV alone is ~150 KB of bundle).
   */
  readonly jsonSchemaValidator?: jsonSchemaValidator;
  /** OAuth for remote servers; without it a 401 is shown as authRequired and nothing more. */
  readonly oauth?: OAuthDeps;
  /** Answers servers' elicitation requests; without it the hub does not offer elicitation. */
  readonly elicitation?: ElicitationHandler;
  /** Answers servers' sampling requests; without it the hub does not offer sampling. */
  readonly sampling?: SamplingHandler;
  /** Which protocol era each server spoke last time (the hub keeps one for all its servers). */
  readonly eras: EraMemory;
}

export function attemptDeps(config: ServerConfig, auth: ServerAuth | undefined, deps: ConnectionDeps, pool?: UpstreamPool): AttemptDeps {
  const { logger, clock, clientInfo, jsonSchemaValidator, elicitation, sampling, untrustedFolder, eras } = deps;
  return { config, auth, pool, logger, clock, untrustedFolder, eras, client: { clientInfo, jsonSchemaValidator, elicitation, sampling } };
}
