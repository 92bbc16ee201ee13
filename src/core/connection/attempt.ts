/**
 * One try to connect to a server and the live connection it becomes. The attempt owns everything
 * that try made (transports, SDK Client, child process, stderr tail, deadline timer, alive check,
 * list refreshes, its AbortController); `dispose()` closes all of it, and once disposed it reports
 * nothing more. So the connection cancels by dropping the attempt, with no generation counter.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ServerConfig } from '../config';
import { hubError } from '../errors';
import { connectionLost, isScopeRefusal, startTimeout, type StepUp } from '../failure';
import type { ServerAuth } from '../oauth/server-auth';
import type { Clock, Logger, TimerHandle } from '../ports';
import type { RunningLists, ServerInfo } from '../state';
import { createClient, fetchLists, listAll, type ClientOptions, type ListKind } from './client';
import { isLegacyStatus, remoteTransports, stdioTransport } from './transport';

const STDERR_LINES_KEPT = 20;

export interface AttemptDeps {
  readonly config: ServerConfig;
  readonly auth: ServerAuth | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly client: ClientOptions;
  readonly untrustedFolder?: () => string | undefined;
}

/** What a start or a live connection ended with, and what the classifier needs to know about it. */
export interface AttemptFailure {
  readonly error: unknown;
  /** Whether the client carried credentials from a stored OAuth session. */
  readonly usesSession: boolean;
  readonly stderrTail: readonly string[];
  /** The step-up the server's last 403 insufficient_scope asks for, when that is why it failed. */
  readonly stepUp: StepUp | undefined;
}

export interface AttemptEvents {
  /** Handshake and lists done; the attempt is live. Awaited before `run()` settles. */
  connected(result: { serverInfo: ServerInfo; instructions?: string } & RunningLists): void | Promise<void>;
  /** The start failed or the live connection was lost; the attempt has closed its client already. */
  failed(failure: AttemptFailure): void;
  listChanged(kind: ListKind, items: RunningLists[ListKind]): void;
}

export class Attempt {
  private client: Client | undefined;
  private readonly stderrTail: string[] = [];
  private readonly abort = new AbortController();
  private deadline: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private aliveCheck: Promise<void> | undefined;
  /** Connected and not failed: a closed transport now means the connection was lost. */
  private live = false;
  /** Failed or disposed: no new client may be made. */
  private closed = false;
  private disposed = false;
  usesSession = false;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly events: AttemptEvents,
  ) {}

  private get timeoutMs(): number {
    return this.deps.config.timeoutSeconds * 1000;
  }

  /** Connects (once; later calls get the same promise). Settles after `connected` or `failed` was reported. */
  run(): Promise<void> {
    return (this.running ??= this.connect());
  }

  private async connect(): Promise<void> {
    const { config, clock } = this.deps;
    const deadline = clock.now() + this.timeoutMs;
    const timedOut = new Promise<never>((_, reject) => {
      this.deadline = clock.setTimeout(() => reject(startTimeout(config)), this.timeoutMs);
    });
    timedOut.catch(() => undefined);
    try {
      const client = await Promise.race([this.open(deadline), timedOut]);
      const lists = await Promise.race([fetchLists(client, config, this.abort.signal), timedOut]);
      this.clearDeadline();
      if (this.closed) return;
      this.live = true;
      const version = client.getServerVersion();
      const instructions = client.getInstructions();
      await this.events.connected({
        serverInfo: { name: version?.name ?? config.name, version: version?.version ?? '', ...(version?.title ? { title: version.title } : {}) },
        ...(instructions ? { instructions } : {}),
        ...lists,
      });
    } catch (error) {
      await this.fail(error);
    }
  }

  /** Transport choice: stdio, SSE, or Streamable HTTP falling back to SSE as the spec allows. */
  private async open(deadline: number): Promise<Client> {
    const { config, logger } = this.deps;
    if (config.type === 'stdio') {
      return this.connectClient(
        stdioTransport(config, this.deps.untrustedFolder?.(), (text) => this.onStderr(text)),
        deadline,
      );
    }
    const remote = await remoteTransports(config, this.deps.auth, logger);
    this.usesSession = remote.usesSession;
    if (config.type === 'sse') return this.connectClient(remote.sse(), deadline);
    try {
      return await this.connectClient(remote.streamable(), deadline);
    } catch (error) {
      if (config.type === 'http' && error instanceof StreamableHTTPError && isLegacyStatus(error.code) && !this.closed) {
        logger.info(`Streamable HTTP answered ${error.code}; trying the legacy SSE transport`);
        return this.connectClient(remote.sse(), deadline);
      }
      throw error;
    }
  }

  private async connectClient(transport: Transport, deadline: number): Promise<Client> {
    const { config, logger, clock } = this.deps;
    if (this.closed) throw hubError('not_running', `Server "${config.name}" was stopped.`);
    const client = createClient(config.name, this.deps.client, (kind) => void this.refreshList(kind));
    // Held from the start, so disposing during a slow start closes it (and kills its process).
    this.client = client;
    client.onerror = (error) => {
      logger.debug(`transport: ${error.message}`);
      // A remote transport reports a broken stream here, not through onclose: check the server is still there.
      if (config.type !== 'stdio') void this.checkAlive();
    };
    client.onclose = () => {
      if (this.live && this.client === client) {
        void this.fail(connectionLost(config.type === 'stdio' ? 'The server process exited.' : 'The connection to the server was closed.'));
      }
    };
    try {
      await client.connect(transport, { timeout: Math.max(1, deadline - clock.now()), signal: this.abort.signal });
      return client;
    } catch (error) {
      if (this.client === client) this.client = undefined;
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  private onStderr(text: string): void {
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      this.deps.logger.trace(`stderr: ${line}`);
      this.stderrTail.push(line);
    }
    if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.splice(0, this.stderrTail.length - STDERR_LINES_KEPT);
  }

  callTool(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const client = this.client;
    if (!this.live || !client) return Promise.reject(hubError('not_running', `Server "${this.deps.config.name}" is not connected.`));
    return client.callTool({ name: tool, arguments: args }, undefined, { timeout: this.timeoutMs, resetTimeoutOnProgress: true }) as Promise<CallToolResult>;
  }

  /** Pings the live server after a transport error; no answer means the connection dropped. */
  checkAlive(): Promise<void> {
    const client = this.client;
    if (this.aliveCheck || !this.live || !client) return this.aliveCheck ?? Promise.resolve();
    const check = (async () => {
      try {
        await client.ping({ timeout: Math.min(this.timeoutMs, 10_000), signal: this.abort.signal });
      } catch (error) {
        if (!this.live || this.client !== client) return;
        this.deps.logger.warn(`ping failed: ${errorMessage(error)}`);
        await this.fail(connectionLost('The connection to the server was lost.'));
      }
    })().finally(() => {
      this.aliveCheck = undefined;
    });
    this.aliveCheck = check;
    return check;
  }

  private async refreshList(kind: ListKind): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const items = await listAll(client, this.deps.config, kind, this.abort.signal);
      if (!this.disposed && this.client === client) this.events.listChanged(kind, items);
    } catch (error) {
      if (!this.disposed) this.deps.logger.warn(`refreshing ${kind} failed: ${errorMessage(error)}`);
    }
  }

  /** Ends the attempt with `error`: closes the client, then reports, once, unless disposed meanwhile. */
  private async fail(error: unknown): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    this.clearDeadline();
    await this.closeClient();
    // Listing at start-up can need more scope than the sign-in got, just like a tool call.
    const stepUp = this.deps.auth && isScopeRefusal(error) ? await this.deps.auth.takeStepUp() : undefined;
    if (this.disposed) return;
    this.events.failed({ error, usesSession: this.usesSession, stderrTail: [...this.stderrTail], stepUp });
  }

  private clearDeadline(): void {
    if (this.deadline !== undefined) this.deps.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.close().catch((e: unknown) => this.deps.logger.debug(`close: ${errorMessage(e)}`));
  }

  /** Closes everything the attempt owns; idempotent. Nothing is reported afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.closed = true;
    this.live = false;
    this.clearDeadline();
    this.abort.abort();
    await this.closeClient();
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
