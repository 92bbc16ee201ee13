/**
 * One configured server: its transport, its SDK Client, its state and its retries. All protocol work
 * is the SDK's; this class decides when to connect, what a failure means, and when to try again.
 */
import { isAbsolute, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport, SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import { ElicitRequestSchema, McpError, type CallToolResult, type Prompt, type Resource, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { isToolAllowed, SERVERS_SETTING, type RemoteServerConfig, type ServerConfig, type StdioServerConfig } from './config';
import { Emitter } from './events';
import { hubError } from './errors';
import { connectionLost, describeFailure, describeSignInFailure, startTimeout } from './failure';
import { isOAuthFlowError } from './oauth/errors';
import { ServerAuth, type OAuthDeps, type SessionInfo } from './oauth/server-auth';
import type { Clock, ElicitationHandler, Logger } from './ports';
import { scrubber } from './scrub';
import { serverFetch } from './server-fetch';
import { scrubState, transition, type ServerEvent, type ServerState } from './state';

export interface RetryPolicy {
  /** First delay after a failure. */
  readonly initialDelayMs: number;
  /** The delay doubles per failure up to this cap. */
  readonly maxDelayMs: number;
  /** Running this long without failing resets the delay to its initial value. */
  readonly healthyAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 60_000, healthyAfterMs: 60_000 };

export interface ConnectionDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly retry?: RetryPolicy;
  /** The open workspace folder while it is untrusted: nothing of it may run, PATH entries inside it included. */
  readonly untrustedFolder?: () => string | undefined;
  /**
   * Validates tools' structured output. The SDK builds a new Ajv per Client by default, which
   * dominates the CPU cost of starting many servers at once; the hub passes one shared instance.
   */
  readonly jsonSchemaValidator?: jsonSchemaValidator;
  /** OAuth for remote servers; without it a 401 is shown as authRequired and nothing more. */
  readonly oauth?: OAuthDeps;
  /** Answers servers' elicitation requests; without it the hub does not offer elicitation. */
  readonly elicitation?: ElicitationHandler;
}

const STDERR_LINES_KEPT = 20;

export class ServerConnection {
  private _state: ServerState;
  private readonly _onDidChangeState = new Emitter<ServerState>();
  readonly onDidChangeState = this._onDidChangeState.event;

  private client: Client | undefined;
  /** Bumped by every start and stop, so the result of an abandoned attempt is recognised and dropped. */
  private generation = 0;
  private starting: Promise<void> | undefined;
  private retryTimer: ReturnType<Clock['setTimeout']> | undefined;
  private failures = 0;
  private runningSince: number | undefined;
  private stderrTail: string[] = [];
  private readonly retry: RetryPolicy;
  /** OAuth for this server: remote, without a static Authorization header, with OAuth deps given. */
  readonly auth: ServerAuth | undefined;
  private _session: SessionInfo | undefined;
  private authAbort: AbortController | undefined;
  private signingIn: Promise<void> | undefined;
  /** Whether the live client got its credentials from an OAuth session. */
  private usesSession = false;

  constructor(
    readonly config: ServerConfig,
    private readonly deps: ConnectionDeps,
  ) {
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this._state = { kind: 'stopped' };
    if (config.type !== 'stdio' && !hasAuthorizationHeader(config) && deps.oauth) {
      this.auth = new ServerAuth(config, { ...deps.oauth, logger: deps.logger, clock: deps.clock });
    }
  }

  /** What the panel shows of the OAuth session (issuer, scopes, expiry); never a token. */
  get session(): SessionInfo | undefined {
    return this._session;
  }

  get name(): string {
    return this.config.name;
  }

  get state(): ServerState {
    return this._state;
  }

  /** The one place where state changes; returns false when the event does not apply now. */
  private apply(event: ServerEvent): boolean {
    const moved = transition(this._state, event);
    if (!moved) return false;
    const next = scrubState(moved);
    this._state = next;
    this.deps.logger.debug(`state: ${next.kind}${next.kind === 'error' ? ` (${next.message})` : ''}`);
    this._onDidChangeState.fire(next);
    return true;
  }

  /** Marks the server disabled (by settings or workspace trust); it will not start until re-created. */
  disable(reason: 'settings' | 'untrusted'): void {
    this.generation++;
    this.clearRetry();
    this.authAbort?.abort();
    void this.closeClient();
    this.apply({ type: 'disable', reason });
  }

  /** Starts the server; calling it while starting or running is a no-op that waits for the same start. */
  start(): Promise<void> {
    if (this._state.kind === 'disabled') return Promise.resolve();
    if (this._state.kind === 'running') return Promise.resolve();
    if (this.starting) return this.starting;
    this.clearRetry();
    const gen = ++this.generation;
    this.apply({ type: 'start' });
    const run = this.connect(gen).finally(() => {
      if (this.starting === run) this.starting = undefined;
    });
    this.starting = run;
    return run;
  }

  async stop(): Promise<void> {
    this.generation++;
    this.starting = undefined;
    this.clearRetry();
    // A sign-in under way ends with the server: its callback server closes, no browser result is taken.
    this.authAbort?.abort();
    this.failures = 0;
    this.apply({ type: 'stop' });
    await this.closeClient();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Closes the client (and so any child process) without a state change: used at shutdown. */
  async dispose(): Promise<void> {
    this.generation++;
    this.starting = undefined;
    this.clearRetry();
    this.authAbort?.abort();
    this.auth?.dispose();
    await this.closeClient();
    this._onDidChangeState.dispose();
  }

  /**
   * The browser sign-in, in the background: authRequired -> authenticating -> starting -> running.
   * A running server (signing in for more permission) stays running on its session throughout and
   * reconnects only once the new tokens are saved. Rejects with the reason when the sign-in fails,
   * is cancelled or times out; the stored session is then untouched.
   */
  authenticate(): Promise<void> {
    const auth = this.auth;
    if (!auth) {
      const why = this.config.type === 'stdio' ? 'it is a local server' : 'it sends a static Authorization header from settings';
      return Promise.reject(hubError('no_oauth', `Server "${this.name}" does not use OAuth: ${why}.`));
    }
    if (this.signingIn) return this.signingIn;
    const whileRunning = this._state.kind === 'running';
    if (!whileRunning) {
      this.generation++;
      this.starting = undefined;
      this.clearRetry();
    }
    const gen = this.generation;
    if (!this.apply({ type: 'authStarted' })) {
      return Promise.reject(hubError('not_running', `Server "${this.name}" cannot sign in now (it is ${this._state.kind}).`));
    }
    const abort = new AbortController();
    this.authAbort = abort;
    const run = (async () => {
      if (!whileRunning) await this.closeClient();
      try {
        await auth.signIn({
          signal: abort.signal,
          onRedirectUri: (redirectUri) => {
            if (gen === this.generation) this.apply({ type: 'authStarted', redirectUri });
          },
        });
      } catch (error) {
        if (gen === this.generation) this.onSignInFailed(error);
        await this.refreshSession();
        throw error;
      }
      if (gen !== this.generation) return;
      await this.refreshSession();
      // New tokens are saved: connect on them (a running server drops its old connection only now).
      const next = ++this.generation;
      await this.closeClient();
      this.apply({ type: 'start' });
      await this.connect(next);
    })().finally(() => {
      if (this.authAbort === abort) this.authAbort = undefined;
      if (this.signingIn === run) this.signingIn = undefined;
    });
    this.signingIn = run;
    return run;
  }

  /** A sign-in ended without tokens: a running server keeps running; any other needs sign-in still. */
  private onSignInFailed(error: unknown): void {
    const failure = describeSignInFailure(error);
    this.deps.logger.info(`sign-in did not complete (${failure.code})${failure.detail ? `: ${failure.detail}` : ''}`);
    if (this._state.kind === 'running') {
      const notice = isOAuthFlowError(error, 'cancelled')
        ? 'The sign-in for more permission was cancelled; the server keeps its current permissions.'
        : `The extra permission was not granted: ${failure.message}`;
      this.apply({ type: 'authEnded', notice, ...(failure.detail ? { detail: failure.detail } : {}) });
      return;
    }
    this.apply({ type: 'unauthorized', reason: failure.message, code: failure.code, ...(failure.detail ? { detail: failure.detail } : {}) });
  }

  /** Cancels a sign-in in progress; the server returns to authRequired, or keeps running on its session. */
  cancelAuthentication(): void {
    this.authAbort?.abort();
  }

  /** For remote development: the redirect URL the browser ended on. Returns an error message, or undefined. */
  pasteRedirectUrl(url: string): string | undefined {
    if (!this.auth) return `Server "${this.name}" does not use OAuth.`;
    return this.auth.pasteRedirectUrl(url);
  }

  /** Deletes the OAuth session, stops the server and returns it to authRequired. */
  async logout(reason = 'Signed out.'): Promise<void> {
    if (!this.auth) throw hubError('no_oauth', `Server "${this.name}" does not use OAuth.`);
    this.generation++;
    this.starting = undefined;
    this.clearRetry();
    this.authAbort?.abort();
    await this.closeClient();
    await this.auth.logout();
    this.apply({ type: 'unauthorized', reason });
    await this.refreshSession();
  }

  /** Deletes the stored session without a state change (the server was removed from settings). */
  async forgetSession(): Promise<void> {
    await this.auth?.logout();
  }

  /**
   * The stored session changed, maybe in another window: a sign-in there connects this server, a
   * sign-out there signs it out here.
   */
  async onSessionChanged(): Promise<void> {
    // A machine-to-machine server gets a new token by itself; its session is no sign-in to follow.
    if (!this.auth || (await this.auth.isMachineToMachine())) return;
    await this.refreshSession();
    if (this._session && this._state.kind === 'authRequired' && !this.signingIn) {
      this.deps.logger.info('a session appeared (signed in elsewhere); connecting');
      void this.start();
    } else if (!this._session && this.usesSession && (this._state.kind === 'running' || this._state.kind === 'starting')) {
      this.deps.logger.info('the session was removed (signed out elsewhere)');
      this.generation++;
      this.starting = undefined;
      this.auth.cancelRefresh();
      await this.closeClient();
      this.apply({ type: 'unauthorized', reason: 'Signed out (in another window).' });
    }
  }

  private async refreshSession(): Promise<void> {
    let next: SessionInfo | undefined;
    try {
      if (!this.auth || (await this.auth.isMachineToMachine())) return;
      next = await this.auth.sessionInfo();
    } catch (error) {
      // Secret storage unavailable: the panel shows no session rather than the server failing.
      this.deps.logger.warn(`reading the stored session failed: ${describeSignInFailure(error).message}`);
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(this._session)) return;
    this._session = next;
    this._onDidChangeState.fire(this._state);
  }

  get tools(): readonly Tool[] {
    return this._state.kind === 'running' ? this._state.tools : [];
  }

  async callTool(tool: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
    const client = this.client;
    if (this._state.kind !== 'running' || !client) {
      throw hubError('not_running', `Server "${this.name}" is not running (it is ${this._state.kind}).`);
    }
    if (!isToolAllowed(this.config.tools, tool)) {
      throw hubError('tool_not_allowed', `Tool "${tool}" of server "${this.name}" is filtered out by ${SERVERS_SETTING}.${this.name}.tools.`);
    }
    try {
      const result = await client.callTool({ name: tool, arguments: args }, undefined, { timeout: this.timeoutMs, resetTimeoutOnProgress: true });
      return result as CallToolResult;
    } catch (error) {
      const step = await this.stepUp(error);
      if (step && 'exhausted' in step) {
        throw hubError(
          'auth_required',
          `Server "${this.name}" still refuses "${tool}" after signing in again with scope ${step.scopes.join(' ')}; the account may not be allowed to use it.`,
        );
      }
      if (step) {
        // The session still works for everything else: the server keeps running and offers the
        // extra permission; Authenticate asks for the union of scopes.
        const scopes = step.scopes.map((x) => scrubber.message(x));
        const reason = `Needs more permission (scope ${scopes.join(' ')}) for "${scrubber.message(tool)}". Authenticate to grant it.`;
        this.apply({ type: 'scopeNeeded', scopes, message: reason });
        throw hubError('auth_required', `Server "${this.name}": ${reason}`);
      }
      // A JSON-RPC error is the server answering; anything else may mean the connection is gone.
      if (!(error instanceof McpError)) void this.checkAlive(this.generation, client);
      throw error;
    }
  }

  /**
   * After a request failed: the step-up the server's last 403 insufficient_scope asks for, if that is
   * why. The SDK answers such a 403 itself (re-authorizing through our passive provider, which
   * refuses with interaction_required), so either error can stand for it.
   */
  private async stepUp(error: unknown): Promise<Awaited<ReturnType<ServerAuth['takeStepUp']>>> {
    if (!this.auth) return undefined;
    const refused = (error instanceof StreamableHTTPError && error.code === 403) || isOAuthFlowError(error, 'interaction_required');
    return refused ? this.auth.takeStepUp() : undefined;
  }

  private aliveCheck: Promise<void> | undefined;

  /** Pings a running server after a transport error; no answer means the connection dropped. */
  private checkAlive(gen: number, client: Client): Promise<void> {
    if (this.aliveCheck) return this.aliveCheck;
    const check = (async () => {
      if (gen !== this.generation || this.client !== client || this._state.kind !== 'running') return;
      try {
        await client.ping({ timeout: Math.min(this.timeoutMs, 10_000) });
      } catch (error) {
        if (gen !== this.generation || this.client !== client || this._state.kind !== 'running') return;
        this.deps.logger.warn(`ping failed: ${errorMessage(error)}`);
        await this.fail(gen, connectionLost('The connection to the server was lost.'));
      }
    })().finally(() => {
      this.aliveCheck = undefined;
    });
    this.aliveCheck = check;
    return check;
  }

  private get timeoutMs(): number {
    return this.config.timeoutSeconds * 1000;
  }

  private async connect(gen: number): Promise<void> {
    const log = this.deps.logger;
    this.stderrTail = [];
    const deadline = this.deps.clock.now() + this.timeoutMs;
    try {
      const client = await this.openClient(gen, deadline);
      if (gen !== this.generation) {
        await client.close().catch(() => undefined);
        return;
      }
      const lists = await withDeadline(this.fetchLists(client), deadline, this.deps.clock, () => this.timeoutMessage());
      if (gen !== this.generation) return;
      const version = client.getServerVersion();
      const instructions = client.getInstructions();
      this.runningSince = this.deps.clock.now();
      this.apply({
        type: 'connected',
        serverInfo: { name: version?.name ?? this.name, version: version?.version ?? '', ...(version?.title ? { title: version.title } : {}) },
        ...(instructions ? { instructions } : {}),
        ...lists,
      });
      log.info(`connected (${lists.tools.length} tools, ${lists.resources.length} resources, ${lists.prompts.length} prompts)`);
      if (this.auth && this.usesSession) {
        await this.refreshSession();
        await this.auth.scheduleRefresh();
      }
    } catch (error) {
      if (gen !== this.generation) return;
      await this.fail(gen, error);
    }
  }

  /** Creates the transport and client and runs the initialize handshake, within the deadline. */
  private async openClient(gen: number, deadline: number): Promise<Client> {
    const config = this.config;
    if (config.type === 'stdio') return this.connectClient(gen, this.stdioTransport(config), deadline);
    const url = new URL(config.url);
    let authProvider: Awaited<ReturnType<ServerAuth['transportProvider']>>;
    try {
      authProvider = await this.auth?.transportProvider();
    } catch (error) {
      // Secret storage may be locked or broken: a server that does not ask for sign-in must still
      // start. Connect without a session; a 401 then says sign-in is needed.
      if (!isOAuthFlowError(error, 'store_unavailable') && !isOAuthFlowError(error, 'store_newer_version')) throw error;
      this.deps.logger.warn(`${error.message} Connecting without a stored session.`);
      authProvider = undefined;
    }
    this.usesSession = authProvider !== undefined;
    // Static headers go to the MCP server's own origin only, never to the authorization server:
    // the SDK would merge `requestInit` headers into its OAuth requests, so they travel in the fetch.
    // Each attempt gets fresh transports: one that threw UnauthorizedError cannot be restarted.
    const options = {
      fetch: serverFetch(config.url, config.headers, this.auth?.fetch),
      ...(authProvider ? { authProvider } : {}),
    };
    if (config.type === 'sse') return this.connectClient(gen, new SSEClientTransport(url, options), deadline);
    try {
      return await this.connectClient(gen, new StreamableHTTPClientTransport(url, options), deadline);
    } catch (error) {
      // The spec's backwards compatibility: a 4xx to the initialize POST means a legacy HTTP+SSE server.
      if (config.type === 'http' && error instanceof StreamableHTTPError && isLegacyStatus(error.code) && gen === this.generation) {
        this.deps.logger.info(`Streamable HTTP answered ${error.code}; trying the legacy SSE transport`);
        return this.connectClient(gen, new SSEClientTransport(url, options), deadline);
      }
      throw error;
    }
  }

  private stdioTransport(config: StdioServerConfig): Transport {
    // The hub always sets cwd: the user's home for user-level entries, the (trusted) workspace folder
    // for workspace entries. Never the editor's own working directory, which may be an untrusted folder.
    const cwd = config.cwd;
    const transport = new StdioClientTransport({
      command: config.command,
      args: [...config.args],
      // Like a terminal: the server sees the editor's environment plus its own `env`. PWD follows
      // cwd (tools that read it must not see the editor's folder); relative PATH entries would
      // resolve against cwd and are dropped.
      env: { ...serverEnvironment(process.env, cwd, this.deps.untrustedFolder?.()), ...config.env },
      ...(cwd ? { cwd } : {}),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    return transport;
  }

  private onStderr(text: string): void {
    for (const line of text.split(/\r?\n/)) {
      if (line.trim() === '') continue;
      this.deps.logger.trace(`stderr: ${line}`);
      this.stderrTail.push(line);
    }
    if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.splice(0, this.stderrTail.length - STDERR_LINES_KEPT);
  }

  private async connectClient(gen: number, transport: Transport, deadline: number): Promise<Client> {
    const elicitation = this.deps.elicitation;
    const client = new Client(this.deps.clientInfo, {
      capabilities: elicitation
        ? {
            elicitation: {
              // applyDefaults: the SDK fills in the schema's defaults for fields the answer leaves out.
              ...(elicitation.modes.form ? { form: { applyDefaults: true } } : {}),
              ...(elicitation.modes.url ? { url: {} } : {}),
            },
          }
        : {},
      ...(this.deps.jsonSchemaValidator ? { jsonSchemaValidator: this.deps.jsonSchemaValidator } : {}),
      listChanged: {
        tools: { autoRefresh: false, debounceMs: 50, onChanged: () => void this.refreshList(gen, 'tools') },
        resources: { autoRefresh: false, debounceMs: 50, onChanged: () => void this.refreshList(gen, 'resources') },
        prompts: { autoRefresh: false, debounceMs: 50, onChanged: () => void this.refreshList(gen, 'prompts') },
      },
    });
    if (elicitation) {
      client.setRequestHandler(ElicitRequestSchema, (request) => elicitation.elicit(this.name, request.params));
    }
    // Held from the start, so Stop or shutdown during a slow start closes it (and kills its process).
    this.client = client;
    client.onerror = (error) => {
      this.deps.logger.debug(`transport: ${error.message}`);
      // A remote transport reports a broken stream here, not through onclose: check the server is still there.
      if (this.config.type !== 'stdio') void this.checkAlive(gen, client);
    };
    client.onclose = () => {
      if (gen === this.generation && this.client === client && this._state.kind === 'running') {
        void this.fail(gen, connectionLost(this.config.type === 'stdio' ? 'The server process exited.' : 'The connection to the server was closed.'));
      }
    };
    try {
      const remaining = Math.max(1, deadline - this.deps.clock.now());
      await withDeadline(client.connect(transport, { timeout: remaining }), deadline, this.deps.clock, () => this.timeoutMessage());
      return client;
    } catch (error) {
      if (this.client === client) this.client = undefined;
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  private timeoutMessage(): Error {
    return startTimeout(this.config);
  }

  private async fetchLists(client: Client): Promise<{ tools: Tool[]; resources: Resource[]; prompts: Prompt[] }> {
    const caps = client.getServerCapabilities() ?? {};
    const [tools, resources, prompts] = await Promise.all([
      caps.tools ? this.listAll(client, 'tools') : [],
      caps.resources ? this.listAll(client, 'resources') : [],
      caps.prompts ? this.listAll(client, 'prompts') : [],
    ]);
    return { tools: tools as Tool[], resources: resources as Resource[], prompts: prompts as Prompt[] };
  }

  /** Follows `nextCursor` to the end; a filtered-out tool never enters the list. */
  private async listAll(client: Client, kind: 'tools' | 'resources' | 'prompts'): Promise<Array<Tool | Resource | Prompt>> {
    const out: Array<Tool | Resource | Prompt> = [];
    let cursor: string | undefined;
    const options = { timeout: this.timeoutMs };
    for (let page = 0; page < 100; page++) {
      const params = cursor ? { cursor } : undefined;
      if (kind === 'tools') {
        const r = await client.listTools(params, options);
        out.push(...r.tools.filter((t) => isToolAllowed(this.config.tools, t.name)));
        cursor = r.nextCursor;
      } else if (kind === 'resources') {
        const r = await client.listResources(params, options);
        out.push(...r.resources);
        cursor = r.nextCursor;
      } else {
        const r = await client.listPrompts(params, options);
        out.push(...r.prompts);
        cursor = r.nextCursor;
      }
      if (!cursor) break;
    }
    return out;
  }

  private async refreshList(gen: number, kind: 'tools' | 'resources' | 'prompts'): Promise<void> {
    const client = this.client;
    if (!client || gen !== this.generation) return;
    try {
      const items = await this.listAll(client, kind);
      if (gen !== this.generation) return;
      this.apply({ type: 'listsChanged', [kind]: items });
      this.deps.logger.info(`${kind} changed: ${items.length}`);
    } catch (error) {
      this.deps.logger.warn(`refreshing ${kind} failed: ${errorMessage(error)}`);
    }
  }

  private async fail(gen: number, error: unknown): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.close().catch(() => undefined);
    if (gen !== this.generation) return;

    // Listing at start-up can need more scope than the sign-in got, just like a tool call.
    const step = await this.stepUp(error);
    if (gen !== this.generation) return;
    if (step && 'exhausted' in step) {
      // Signing in again has not helped; retrying on a timer would not either.
      this.auth?.cancelRefresh();
      this.apply({
        type: 'failed',
        code: 'scope_refused',
        message: `The server still refuses access after signing in again with scope ${step.scopes.map((x) => scrubber.message(x)).join(' ')}; the account may not be allowed to use it.`,
      });
      return;
    }
    if (step) {
      this.auth?.cancelRefresh();
      this.apply({
        type: 'unauthorized',
        code: 'insufficient_scope',
        reason: `Needs more permission (scope ${step.scopes.map((x) => scrubber.message(x)).join(' ')}). Authenticate to grant it.`,
      });
      return;
    }
    if (error instanceof OAuthError && this.usesSession && !TRANSIENT_OAUTH_ERRORS.has(error.errorCode)) {
      // The authorization server refused to renew the session (invalid_target, invalid_client…):
      // retrying will not help; signing in again will.
      this.auth?.cancelRefresh();
      const f = describeFailure(error, this.config);
      this.apply({
        type: 'unauthorized',
        code: f.code,
        reason: `The authorization server refused to renew the session (${f.code}); sign in again.`,
        ...(f.detail ? { detail: f.detail } : {}),
      });
      return;
    }
    if (isOAuthFlowError(error) && error.code !== 'interaction_required') {
      // Discovery or token trouble (unsafe URL, issuer mismatch, server down): sign-in cannot
      // proceed on its own; say why and let the user try again.
      this.auth?.cancelRefresh();
      const f = describeFailure(error, this.config);
      this.apply({ type: 'unauthorized', code: f.code, reason: f.message, ...(f.detail ? { detail: f.detail } : {}) });
      return;
    }
    if (isUnauthorized(error) || isOAuthFlowError(error, 'interaction_required')) {
      const remote = this.config as RemoteServerConfig;
      this.auth?.cancelRefresh();
      if (this.usesSession) {
        this.apply({ type: 'unauthorized', code: 'session_rejected', reason: 'The session expired or was revoked; sign in again.' });
        return;
      }
      if (hasAuthorizationHeader(remote)) {
        this.apply({
          type: 'failed',
          code: 'header_rejected',
          message: `The server rejected the Authorization header set in ${SERVERS_SETTING}.${this.name}.headers (HTTP 401); check the header.`,
        });
        return;
      }
      this.apply({ type: 'unauthorized', code: 'unauthorized', reason: 'The server requires you to sign in (HTTP 401).' });
      return;
    }

    const now = this.deps.clock.now();
    if (this.runningSince !== undefined && now - this.runningSince >= this.retry.healthyAfterMs) this.failures = 0;
    this.runningSince = undefined;
    const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** this.failures);
    this.failures++;
    const { code, message, detail } = describeFailure(error, this.config, this.stderrTail);
    this.deps.logger.warn(`${message} [${code}]${detail ? `\n${detail}` : ''} (retrying in ${Math.round(delay / 1000)} s)`);
    if (!this.apply({ type: 'failed', code, message, ...(detail ? { detail } : {}), retryAt: now + delay })) return;
    this.retryTimer = this.deps.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (gen === this.generation && this._state.kind === 'error') void this.start();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.close().catch((e) => this.deps.logger.debug(`close: ${errorMessage(e)}`));
  }
}

const TRANSIENT_OAUTH_ERRORS = new Set(['server_error', 'temporarily_unavailable']);

function isLegacyStatus(code: number | undefined): boolean {
  return code !== undefined && code >= 400 && code < 500 && code !== 401 && code !== 403;
}

function isUnauthorized(error: unknown): boolean {
  if (error instanceof UnauthorizedError) return true;
  if (error instanceof StreamableHTTPError || error instanceof SseError) return error.code === 401;
  return false;
}

function hasAuthorizationHeader(config: RemoteServerConfig): boolean {
  // A server configured with its own Authorization header never starts OAuth.
  return config.headers !== undefined && Object.keys(config.headers).some((h) => h.toLowerCase() === 'authorization');
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The environment a stdio server starts with: the editor's, with PWD set to the server's working
 * directory and relative PATH entries (".", "node_modules/.bin") removed: they would run programs
 * from whatever folder the server starts in.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv, cwd: string | undefined, untrustedFolder?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  const pathKey = Object.keys(out).find((k) => k.toUpperCase() === 'PATH');
  if (pathKey) {
    const sep = process.platform === 'win32' ? ';' : ':';
    // An editor started from a shell in the folder (direnv, an activated virtualenv) may have the
    // folder's own bin directories on PATH: while it is untrusted, they are dropped too.
    const inside = (p: string) => untrustedFolder !== undefined && !relative(untrustedFolder, p).startsWith('..') && !isAbsolute(relative(untrustedFolder, p));
    out[pathKey] = out[pathKey]
      .split(sep)
      .filter((p) => p !== '' && isAbsolute(p) && !inside(p))
      .join(sep);
  }
  if (cwd) out.PWD = cwd;
  else delete out.PWD;
  delete out.INIT_CWD;
  return out;
}

/** Races a promise against the deadline; the loser is not cancelled here, its caller closes the client. */
function withDeadline<T>(promise: Promise<T>, deadline: number, clock: Clock, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(timedOut()), Math.max(0, deadline - clock.now()));
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}
