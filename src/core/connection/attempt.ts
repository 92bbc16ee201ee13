/**
 * One try to connect to a server and the live connection it becomes. The attempt owns everything
 * that try made (transports, SDK Client, child process, stderr tail, deadline timer, alive check,
 * list refreshes, its AbortController); `dispose()` closes all of it, and once disposed it reports
 * nothing more. So the connection cancels by dropping the attempt, with no generation counter.
 */
import { ProtocolError, SdkError, SdkErrorCode, type CallToolResult, type Client, type JSONRPCRequest, type Tool, type Transport } from '@modelcontextprotocol/client';
import type { RemoteServerConfig, ServerConfig, StdioServerConfig } from '../config';
import { hubError } from '../errors';
import { connectionLost, httpStatus, isScopeRefusal, startTimeout, type StepUp } from '../failure';
import type { ServerAuth } from '../oauth/server-auth';
import type { Clock, Logger, TimerHandle } from '../ports';
import type { RunningLists, ServerInfo } from '../state';
import { createClient, fetchLists, filterTools, listAll, type ClientOptions, type ListKind, type Negotiation } from './client';
import { CLASSIC_REVISION, eraKey, isAuthFailure, isLegacyStatus, MODERN_REVISION, probeBudgetMs, refusesClassic, SharedStdio, usableVerdict, type EraMemory } from './era';
import { remoteTransports, stdioTransport, type RemoteTransports } from './transport';
import { UpstreamChannel, type ForwardedCall, type ForwardingInfo, type ForwardOptions } from './upstream-channel';

const LEGACY: Negotiation = { mode: 'legacy' };
const MODERN: Negotiation = { mode: 'modern' };
type Prior = NonNullable<Parameters<Client['connect']>[1]>['prior'];

const STDERR_LINES_KEPT = 20;

/** How a forwarded call is followed: cancelled with `signal`, its progress reported to `onprogress`. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly onprogress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface AttemptDeps {
  readonly config: ServerConfig;
  readonly auth: ServerAuth | undefined;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly client: ClientOptions;
  readonly untrustedFolder?: () => string | undefined;
  /** Which era each server spoke last time. */
  readonly eras: EraMemory;
}

/** What a start or a live connection ended with, and what the classifier needs to know about it. */
export interface AttemptFailure {
  readonly error: unknown;
  /** Whether the client carried credentials from a stored OAuth session. */
  readonly usesSession: boolean;
  readonly stderrTail: readonly string[];
  /** The step-up the server's last 403 insufficient_scope asks for, when that is why it failed. */
  readonly stepUp: StepUp | undefined;
  /** When the session ended (expired with no refresh token), if it has. */
  readonly sessionEndedAt: number | undefined;
}

export interface AttemptEvents {
  /** Handshake and lists done; the attempt is live. Awaited before `run()` settles. */
  connected(result: { serverInfo: ServerInfo; instructions?: string } & RunningLists): void | Promise<void>;
  /** The start failed or the live connection was lost; the attempt has closed its client already. */
  failed(failure: AttemptFailure): void;
  listChanged(lists: Partial<RunningLists>): void;
}

export class Attempt {
  private client: Client | undefined;
  /** The live client's transport, for the gateway's pass-through (set once connected). */
  private channel: UpstreamChannel | undefined;
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
  /** The child process of a stdio server, ended with the attempt even in the middle of a handshake. */
  private stdio: SharedStdio | undefined;
  /** The server speaks only the legacy HTTP+SSE transport. */
  private viaSse = false;

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
      if (client.transport) this.channel = new UpstreamChannel(client.transport, client.getProtocolEra() ?? 'legacy', client.getServerCapabilities() ?? {}, this.timeoutMs);
      const version = client.getServerVersion();
      const instructions = client.getInstructions();
      const protocolVersion = client.getNegotiatedProtocolVersion();
      const caps = client.getServerCapabilities() ?? {};
      await this.events.connected({
        serverInfo: {
          name: version?.name ?? config.name,
          version: version?.version ?? '',
          ...(version?.title ? { title: version.title } : {}),
          ...(protocolVersion ? { protocolVersion } : {}),
          offers: {
            resources: caps.resources !== undefined,
            subscribe: caps.resources?.subscribe === true,
            completions: caps.completions !== undefined,
            ...(caps.extensions ? { extensions: caps.extensions } : {}),
          },
        },
        ...(instructions ? { instructions } : {}),
        ...lists,
      });
    } catch (error) {
      await this.fail(error);
    }
  }

  /** Transport and era: stdio on one process, SSE, or Streamable HTTP negotiating its era and falling back to SSE. */
  private async open(deadline: number): Promise<Client> {
    const { config } = this.deps;
    const client = config.type === 'stdio' ? await this.openStdio(config, deadline) : await this.openRemote(config, deadline);
    if (config.protocolVersion === 'auto') this.remember(client);
    return client;
  }

  /**
   * One process, whatever its era: the classic handshake first, and the 2026-07-28 revision on the
   * same process when the server refuses it (-32022); a server remembered as modern gets that first.
   */
  private async openStdio(config: StdioServerConfig, deadline: number): Promise<Client> {
    const setting = config.protocolVersion;
    const stdio = new SharedStdio(stdioTransport(config, this.deps.untrustedFolder?.(), (text) => this.onStderr(text)));
    this.stdio = stdio;
    if (setting === CLASSIC_REVISION) return this.connectClient(stdio, deadline, LEGACY);
    if (setting === MODERN_REVISION) return this.connectClient(stdio, deadline, MODERN);
    const known = usableVerdict(this.deps.eras.get(eraKey(config)), setting, this.deps.clock.now());
    const [first, second, switches] = known?.era === 'modern' ? [MODERN, LEGACY, refusesModern] : [LEGACY, MODERN, refusesClassic];
    try {
      return await stdio.handshake(
        () => this.connectClient(stdio, deadline, first),
        (error) => switches(error) && !this.closed,
      );
    } catch (error) {
      if (!switches(error) || this.closed) throw error;
      this.deps.logger.info(
        first === LEGACY
          ? 'the server refused the classic handshake; using the 2026-07-28 revision'
          : 'the server no longer speaks the 2026-07-28 revision; using the classic handshake',
      );
      return this.connectClient(stdio, deadline, second);
    }
  }

  /**
   * Streamable HTTP: the remembered era, or `server/discover` with a short probe and, on any outcome
   * but an authorization challenge, the classic handshake on a fresh transport (then SSE, as the
   * spec's backwards compatibility allows, when the server answers the POST with a 4xx).
   */
  private async openRemote(config: RemoteServerConfig, deadline: number): Promise<Client> {
    const { logger, eras, clock } = this.deps;
    const remote = await remoteTransports(config, this.deps.auth, logger);
    this.usesSession = remote.usesSession;
    const setting = config.protocolVersion;
    if (config.type === 'sse' || setting === CLASSIC_REVISION) return this.openClassic(config, remote, deadline, config.type === 'sse');
    if (setting === MODERN_REVISION) return this.connectClient(remote.streamable(), deadline, MODERN);
    const key = eraKey(config);
    const known = usableVerdict(eras.get(key), setting, clock.now());
    // The verdict is kept per URL: an SSE one, learned by an "http" entry, never takes a "streamable-http" one to SSE.
    if (known?.era === 'legacy') return this.openClassic(config, remote, deadline, known.sse === true && config.type === 'http');
    if (known?.era === 'modern') {
      try {
        return await this.connectClient(remote.streamable(), deadline, LEGACY, { kind: 'modern', discover: known.discover });
      } catch (error) {
        if (isAuthFailure(error) || this.closed) throw error;
        logger.info(`the remembered 2026-07-28 connection failed (${errorMessage(error)}); negotiating again`);
        eras.set(key, undefined);
      }
    }
    try {
      return await this.connectClient(remote.streamable(), deadline, { mode: 'auto', probeMs: probeBudgetMs(this.timeoutMs) });
    } catch (error) {
      if (isAuthFailure(error) || this.closed) throw error;
      // The probe ran out and the SDK's classic fallback was refused as too old: the server is
      // modern, only slow (a cold start, a busy machine). Ask again in its revision.
      if (refusesClassic(error)) {
        logger.info('the server/discover probe ran out and the server refused the classic handshake; asking again in the 2026-07-28 revision');
        return this.connectClient(remote.streamable(), deadline, MODERN);
      }
      // A 4xx here came from the SDK's own initialize fallback: the POST endpoint is not Streamable HTTP.
      if (config.type === 'http' && isLegacyStatus(error)) return this.connectSse(remote, deadline, error);
      if (error instanceof SdkError && error.code === SdkErrorCode.RequestTimeout) return this.afterSlowProbe(config, remote, deadline);
      // The SDK gives up on a 5xx or an unusable 2xx to the probe (SDK #2619); a classic server may still answer.
      logger.info(`negotiating the protocol era failed (${errorMessage(error)}); trying the classic handshake`);
      return this.openClassic(config, remote, deadline, false);
    }
  }

  /**
   * The probe ran out: a slow 2026-07-28 server (a cold start, a busy machine) or a classic one that
   * ignores `server/discover`. The classic handshake first (quick for a classic server); refused in
   * any way but an authorization challenge, the 2026-07-28 revision with the rest of the server's
   * timeout. Modern servers refuse a 2025-era POST in many ways (-32022, -32601, -32020 in a 400), so
   * no one refusal is taken as proof of anything but "not classic".
   */
  private async afterSlowProbe(config: RemoteServerConfig, remote: RemoteTransports, deadline: number): Promise<Client> {
    const { logger } = this.deps;
    logger.info('the server/discover probe ran out; trying the classic handshake');
    try {
      return await this.connectClient(remote.streamable(), deadline, LEGACY, { kind: 'legacy' });
    } catch (classic) {
      if (isAuthFailure(classic) || this.closed) throw classic;
      logger.info(`the classic handshake failed too (${errorMessage(classic)}); asking again in the 2026-07-28 revision`);
      try {
        return await this.connectClient(remote.streamable(), deadline, MODERN);
      } catch (modern) {
        if (isAuthFailure(modern) || this.closed) throw modern;
        // Neither era answered: a 4xx to the classic POST is the spec's sign of an HTTP+SSE server.
        if (config.type === 'http' && isLegacyStatus(classic)) return this.connectSse(remote, deadline, classic);
        throw modern instanceof SdkError && modern.code === SdkErrorCode.RequestTimeout ? modern : classic;
      }
    }
  }

  private async openClassic(config: RemoteServerConfig, remote: RemoteTransports, deadline: number, sse: boolean): Promise<Client> {
    if (sse) return this.connectSse(remote, deadline);
    try {
      return await this.connectClient(remote.streamable(), deadline, LEGACY, { kind: 'legacy' });
    } catch (error) {
      if (this.closed) throw error;
      // Refused as too old (a server upgraded since its classic verdict, or a probe that failed for
      // another reason): the 2026-07-28 revision, unless the settings pin the classic one.
      if (refusesClassic(error) && config.protocolVersion === 'auto') {
        this.deps.eras.set(eraKey(config), undefined);
        this.deps.logger.info('the server refused the classic handshake; using the 2026-07-28 revision');
        return this.connectClient(remote.streamable(), deadline, MODERN);
      }
      if (config.type !== 'http' || !isLegacyStatus(error)) throw error;
      return this.connectSse(remote, deadline, error);
    }
  }

  /** The legacy HTTP+SSE transport; `because` is the Streamable HTTP failure that sent us there. */
  private async connectSse(remote: RemoteTransports, deadline: number, because?: unknown): Promise<Client> {
    if (because !== undefined) this.deps.logger.info(`Streamable HTTP answered HTTP ${httpStatus(because)}; trying the legacy SSE transport`);
    const client = await this.connectClient(remote.sse(), deadline, LEGACY);
    this.viaSse = true;
    return client;
  }

  /** Keeps what this start learned about the server's era, for the next one. */
  private remember(client: Client): void {
    const { config, eras, clock } = this.deps;
    const key = eraKey(config);
    const discover = client.getProtocolEra() === 'modern' ? client.getDiscoverResult() : undefined;
    if (discover) eras.set(key, { era: 'modern', discover, at: clock.now() });
    // A stdio server starts with the classic handshake anyway; only a remote one saves a probe.
    else if (config.type === 'stdio') eras.set(key, undefined);
    else if (eras.get(key)?.era !== 'legacy' || this.viaSse) eras.set(key, { era: 'legacy', ...(this.viaSse ? { sse: true } : {}), at: clock.now() });
  }

  private async connectClient(transport: Transport, deadline: number, negotiation: Negotiation, prior?: Prior): Promise<Client> {
    const { config, logger, clock } = this.deps;
    if (this.closed) throw hubError('not_running', `Server "${config.name}" was stopped.`);
    const client = createClient(config.name, this.deps.client, negotiation, (kind) => void this.refreshList(kind));
    // Held from the start, so disposing during a slow start closes it (and kills its process).
    this.client = client;
    client.onerror = (error) => {
      logger.debug(`transport: ${error.message}`);
      // A remote transport reports a broken stream here, not through onclose: check the server is
      // still there. An authorization answer (a 401 or 403 the call itself reports) is no broken stream.
      if (config.type !== 'stdio' && !isAuthFailure(error)) void this.checkAlive();
    };
    client.onclose = () => {
      if (this.live && this.client === client) {
        void this.fail(connectionLost(config.type === 'stdio' ? 'The server process exited.' : 'The connection to the server was closed.'));
      }
    };
    try {
      await client.connect(transport, { timeout: Math.max(1, deadline - clock.now()), signal: this.abort.signal, ...(prior ? { prior } : {}) });
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

  callTool(tool: string, args: Record<string, unknown>, options: CallOptions = {}): Promise<CallToolResult> {
    return this.use((client) =>
      client.callTool(
        { name: tool, arguments: args },
        {
          timeout: this.timeoutMs,
          resetTimeoutOnProgress: true,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onprogress ? { onprogress: options.onprogress } : {}),
        },
      ),
    );
  }

  /** Runs `fn` with the live SDK Client (for requests the hub forwards as they are: resources, prompts, completions). */
  use<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!this.live || !client) return Promise.reject(hubError('not_running', `Server "${this.deps.config.name}" is not connected.`));
    return fn(client);
  }

  /** Sends a gateway client's request to the server as it is, on the live client's transport. */
  forward(message: JSONRPCRequest, options?: ForwardOptions): ForwardedCall {
    const channel = this.channel;
    if (!this.live || !channel) return { response: Promise.reject(hubError('not_running', `Server "${this.deps.config.name}" is not connected.`)), cancel: () => undefined };
    return channel.request(message, options);
  }

  /** The era and capabilities of the live connection, once connected. */
  get forwarding(): ForwardingInfo | undefined {
    return this.live ? this.channel : undefined;
  }

  /** Pings the live server after a transport error; no answer means the connection dropped. */
  checkAlive(): Promise<void> {
    const client = this.client;
    if (this.aliveCheck || !this.live || !client) return this.aliveCheck ?? Promise.resolve();
    const check = (async () => {
      try {
        const options = { timeout: Math.min(this.timeoutMs, 10_000), signal: this.abort.signal };
        // The 2026-07-28 revision has no ping: server/discover is its cheapest request.
        if (client.getProtocolEra() === 'modern') await client.discover(options);
        else await client.ping(options);
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
      const lists = kind === 'tools' ? filterTools(this.deps.config, items as Tool[]) : { [kind]: items };
      if (!this.disposed && this.client === client) this.events.listChanged(lists);
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
    const endsAt = this.deps.auth && this.usesSession ? await this.deps.auth.unrenewableExpiry() : undefined;
    const sessionEndedAt = endsAt !== undefined && endsAt <= this.deps.clock.now() ? endsAt : undefined;
    if (this.disposed) return;
    this.events.failed({ error, usesSession: this.usesSession, stderrTail: [...this.stderrTail], stepUp, sessionEndedAt });
  }

  private clearDeadline(): void {
    if (this.deadline !== undefined) this.deps.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.channel?.close(connectionLost('The connection to the server was closed.'));
    this.channel = undefined;
    if (client) await client.close().catch((e: unknown) => this.deps.logger.debug(`close: ${errorMessage(e)}`));
    await this.stdio?.terminate().catch((e: unknown) => this.deps.logger.debug(`close: ${errorMessage(e)}`));
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

/** A server remembered as modern that no longer answers `server/discover` (it was downgraded): try the classic handshake. */
function refusesModern(error: unknown): boolean {
  return (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) || (error instanceof ProtocolError && !refusesClassic(error));
}
