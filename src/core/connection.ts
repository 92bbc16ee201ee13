/**
 * One configured server: its state, its retries and its sign-in. The live work is an `Attempt` held
 * in one slot (and a `SignIn` in another): Stop, Restart, Log Out, Disable and a sign-out elsewhere
 * all come down to clearing or replacing those slots. Pieces live in ./connection/.
 */
import { ProtocolError, type CallToolResult, type Client, type JSONRPCRequest, type Tool } from '@modelcontextprotocol/client';
import { isToolAllowed, SERVERS_SETTING, toolAllowed, type ServerConfig } from './config';
import { Attempt, type AttemptFailure, type CallOptions } from './connection/attempt';
import { attemptDeps, type ConnectionDeps } from './connection/deps';
import { Backoff, DEFAULT_RETRY } from './connection/backoff';
import { SignIn } from './connection/sign-in';
import { Slot, type Disposable } from './connection/slot';
import { hasAuthorizationHeader } from './connection/transport';
import { CancelledForward, type ForwardedCall, type ForwardingInfo, type ForwardOptions } from './connection/upstream-channel';
import { UpstreamPool } from './connection/upstream-pool';
import { Emitter } from './events';
import { hubError } from './errors';
import { classifyFailure, describeSignInFailure, isScopeRefusal, logText, sessionEndsNotice, sessionExpired, signInEnded, toolRefused } from './failure';
import { ServerAuth, type SessionInfo } from './oauth/server-auth';
import { scrubState, transition, type ServerEvent, type ServerState } from './state';

export { DEFAULT_RETRY, type RetryPolicy } from './connection/backoff';
export { serverEnvironment } from './connection/transport';
export { errorMessage, type CallOptions } from './connection/attempt';
export type { ConnectionDeps } from './connection/deps';

export class ServerConnection {
  private _state: ServerState = { kind: 'stopped' };
  private readonly _onDidChangeState = new Emitter<ServerState>();
  readonly onDidChangeState = this._onDidChangeState.event;

  /** The try to connect, or the live connection it became. */
  private readonly attempt = new Slot<Attempt>();
  /** A browser sign-in under way. */
  private readonly signIn = new Slot<SignIn>();
  /** The timer of the next retry after a failure. */
  private readonly retryTimer = new Slot<Disposable>();
  /** The end of a session that cannot be renewed (no refresh token): the row then says so. */
  private readonly sessionEnd = new Slot<Disposable>();
  private readonly backoff: Backoff;
  /** OAuth for this server: remote, without a static Authorization header, with OAuth deps given. */
  readonly auth: ServerAuth | undefined;
  /** The sockets to a remote server, shared by its attempts (a bounded keep-alive pool). */
  private readonly pool: UpstreamPool | undefined;
  private _session: SessionInfo | undefined;

  constructor(
    readonly config: ServerConfig,
    private readonly deps: ConnectionDeps,
  ) {
    this.backoff = new Backoff(deps.retry ?? DEFAULT_RETRY);
    if (config.type !== 'stdio') this.pool = new UpstreamPool(config.url);
    if (config.type !== 'stdio' && !hasAuthorizationHeader(config) && deps.oauth) {
      this.auth = new ServerAuth(config, { ...deps.oauth, logger: deps.logger, clock: deps.clock, ...(this.pool ? { network: this.pool.fetch } : {}) });
    }
  }

  /** What the panel shows of the OAuth session (issuer, scopes, expiry); never a token. */
  get session(): SessionInfo | undefined {
    return this._session;
  }

  /** How many accounts are signed in to the server's URL (its Switch Account list). */
  get accountCount(): number {
    return this._accountCount;
  }
  private _accountCount = 0;

  get name(): string {
    return this.config.name;
  }

  get state(): ServerState {
    return this._state;
  }

  get tools(): readonly Tool[] {
    return this._state.kind === 'running' ? this._state.tools : [];
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

  /** Ends everything under way: the attempt (and its process), the sign-in, the pending retry. */
  private async clearAll(): Promise<void> {
    await Promise.all([this.retryTimer.clear(), this.sessionEnd.clear(), this.signIn.clear(), this.attempt.clear()]);
  }

  /** Marks the server disabled (by settings or workspace trust); it will not start until re-created. */
  disable(reason: 'settings' | 'untrusted'): void {
    void this.clearAll();
    this.apply({ type: 'disable', reason });
  }

  /** Starts the server; calling it while starting or running is a no-op that waits for the same start. */
  start(): Promise<void> {
    if (this._state.kind === 'disabled' || this._state.kind === 'running') return Promise.resolve();
    const current = this.attempt.value;
    if (this._state.kind === 'starting' && current) return current.run();
    this.apply({ type: 'start' });
    return this.connect();
  }

  async stop(): Promise<void> {
    this.backoff.reset();
    // A sign-in under way ends with the server: its callback server closes, no browser result is taken.
    const cleared = this.clearAll();
    this.apply({ type: 'stop' });
    await cleared;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Closes everything (and so any child process) without a state change: used at shutdown. */
  async dispose(): Promise<void> {
    const cleared = this.clearAll();
    this.auth?.dispose();
    await cleared;
    this.pool?.destroy();
    this._onDidChangeState.dispose();
  }

  /**
   * A new attempt in the slot (the previous one closed first), run to its first result.
   * `afterSignIn`: the start on tokens a sign-in has just saved.
   */
  private async connect(afterSignIn = false): Promise<void> {
    void this.retryTimer.clear();
    void this.sessionEnd.clear();
    // The account this attempt connects as is known once it makes its transport (onSessionChanged).
    this.auth?.accounts.connectingWith(undefined);
    let connected = false;
    let settling: Promise<void> | undefined;
    const attempt: Attempt = new Attempt(attemptDeps(this.config, this.auth, this.deps, this.pool), {
      connected: async (result) => {
        connected = true;
        this.backoff.connected(this.deps.clock.now());
        const endsAt = this.auth && attempt.usesSession ? await this.auth.unrenewableExpiry() : undefined;
        const notice = endsAt !== undefined ? sessionEndsNotice(endsAt) : undefined;
        this.apply({ type: 'connected', ...result, ...(notice ? { notice } : {}) });
        if (notice) this.deps.logger.info(notice);
        if (endsAt !== undefined) this.watchSessionEnd(attempt, endsAt);
        this.deps.logger.info(`connected (${result.tools.length} tools, ${result.resources.length} resources, ${result.prompts.length} prompts)`);
        if (this.auth && attempt.usesSession) {
          await this.refreshSession();
          await this.auth.scheduleRefresh();
        }
      },
      failed: (failure) => {
        void this.attempt.release(attempt);
        const fresh = afterSignIn && !connected && failure.usesSession;
        if (!fresh || !this.auth || failure.stepUp) return this.onFailed({ ...failure, freshSession: fresh });
        // Refused right after a sign-in: a refused token, unless the server moved to another
        // authorization server (then it asks for a sign-in there). connect() settles after this.
        settling = this.auth.authorizationServerMoved().then(
          (moved) => this.onFailed({ ...failure, freshSession: !moved }),
          () => this.onFailed({ ...failure, freshSession: true }),
        );
      },
      listChanged: (lists) => {
        this.apply({ type: 'listsChanged', ...lists });
        for (const [kind, items] of Object.entries(lists)) if (kind !== 'filteredTools') this.deps.logger.info(`${kind} changed: ${(items as unknown[]).length}`);
      },
    });
    await this.attempt.set(attempt);
    await attempt.run();
    await settling;
  }

  /**
   * At the end of a session that cannot be renewed, the live connection on it ends and the row says
   * that the session ended (not that the connection was lost).
   */
  private watchSessionEnd(attempt: Attempt, endsAt: number): void {
    const { clock } = this.deps;
    const delay = Math.max(0, endsAt - clock.now());
    // Beyond what a timer can hold (~24 days): the first refused request tells instead.
    if (delay > 2 ** 31 - 1) return;
    const timer = clock.setTimeout(() => {
      if (this.attempt.value !== attempt || this._state.kind !== 'running' || this._state.signIn) return;
      const ended = sessionExpired(endsAt);
      this.deps.logger.info(logText({ code: ended.code, message: ended.message }));
      void this.attempt.clear();
      this.apply({ type: 'unauthorized', code: ended.code, reason: ended.message });
    }, delay);
    void this.sessionEnd.set({ dispose: () => clock.clearTimeout(timer) });
  }

  /** A failed start or a lost connection: wait for the user, or retry after the backoff. */
  private onFailed({ error, ...ctx }: AttemptFailure & { freshSession?: boolean }): void {
    const config = this.config;
    const outcome = classifyFailure(error, { config, hasAuthorizationHeader: config.type !== 'stdio' && hasAuthorizationHeader(config), ...ctx });
    if (!('retry' in outcome)) {
      this.auth?.cancelRefresh();
      const said = outcome.type === 'failed' ? outcome.message : outcome.reason;
      this.deps.logger.warn(logText({ code: outcome.code ?? 'unauthorized', message: said, ...(outcome.detail ? { detail: outcome.detail } : {}) }));
      this.apply(outcome);
      if (outcome.type === 'unauthorized') void this.tryEnterprise();
      return;
    }
    const { clock, logger } = this.deps;
    const now = clock.now();
    const delay = this.backoff.next(now);
    const { code, message, detail } = outcome.retry;
    logger.warn(`${message} [${code}]${detail ? `\n${detail}` : ''} (retrying in ${Math.round(delay / 1000)} s)`);
    if (!this.apply({ type: 'failed', code, message, ...(detail ? { detail } : {}), retryAt: now + delay })) return;
    const timer = clock.setTimeout(() => {
      if (this._state.kind === 'error') void this.start();
    }, delay);
    void this.retryTimer.set({ dispose: () => clock.clearTimeout(timer) });
  }

  /**
   * The browser sign-in, in the background: authRequired -> authenticating -> starting -> running.
   * A running server (signing in for more permission) stays running on its session throughout and
   * reconnects only once the new tokens are saved. Rejects with the reason when the sign-in fails,
   * is cancelled or times out; the stored session is then untouched.
   */
  authenticate(options: { quiet?: boolean; another?: boolean } = {}): Promise<void> {
    const auth = this.auth;
    if (!auth) {
      const why = this.config.type === 'stdio' ? 'it is a local server' : 'it sends a static Authorization header from settings';
      return Promise.reject(hubError('no_oauth', `Server "${this.name}" does not use OAuth: ${why}.`));
    }
    if (this.signIn.value) return this.signIn.value.done;
    if (!transition(this._state, { type: 'authStarted' })) {
      return Promise.reject(hubError('not_running', `Server "${this.name}" cannot sign in now (it is ${this._state.kind}).`));
    }
    // Only a running server keeps its connection while signing in; anything else is ended first.
    if (this._state.kind !== 'running') void Promise.all([this.retryTimer.clear(), this.attempt.clear()]);
    this.apply({ type: 'authStarted' });
    const signIn: SignIn = new SignIn(
      auth,
      {
        redirectUri: (redirectUri) => this.apply({ type: 'authStarted', redirectUri }),
        failed: (error) => this.onSignInFailed(error),
        succeeded: async () => {
          await this.refreshSession();
          // New tokens are saved: connect on them (a running server drops its old connection only now).
          this.apply({ type: 'start' });
          await this.connect(true);
        },
      },
      async () => {
        void this.signIn.release(signIn);
        await this.refreshSession();
      },
      options,
    );
    void this.signIn.set(signIn);
    return signIn.done;
  }

  /**
   * Signs in through the company IdP by itself, when the server needs sign-in, has no session yet,
   * the IdP is signed in and the server was chosen for the company identity (auth.enterprise: true).
   * Never a page.
   */
  async tryEnterprise(): Promise<void> {
    if (!this.auth || this._state.kind !== 'authRequired' || this.signIn.value || this.tryingEnterprise) return;
    this.tryingEnterprise = true;
    try {
      if (!(await this.auth.enterpriseReady())) return;
      if (this._state.kind !== 'authRequired' || this.signIn.value) return;
      this.deps.logger.info('signing in through the company IdP');
      await this.authenticate({ quiet: true }).catch(() => undefined);
    } finally {
      this.tryingEnterprise = false;
    }
  }

  private tryingEnterprise = false;

  /** A sign-in ended without tokens: a running server keeps running; any other needs sign-in still. */
  private onSignInFailed(error: unknown): void {
    const failure = describeSignInFailure(error);
    this.deps.logger.info(`sign-in did not complete: ${logText(failure)}`);
    this.apply(signInEnded(error, failure, this._state.kind === 'running'));
  }

  /** Cancels a sign-in in progress; the server returns to authRequired, or keeps running on its session. */
  cancelAuthentication(): void {
    this.signIn.value?.cancel();
  }

  /** For remote development: the redirect URL the browser ended on. Returns an error message, or undefined. */
  pasteRedirectUrl(url: string): string | undefined {
    if (!this.auth) return `Server "${this.name}" does not use OAuth.`;
    return this.auth.pasteRedirectUrl(url);
  }

  /** Deletes the OAuth session, stops the server and returns it to authRequired. */
  async logout(reason = 'Signed out.'): Promise<void> {
    if (!this.auth) throw hubError('no_oauth', `Server "${this.name}" does not use OAuth.`);
    await this.clearAll();
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
    // Switch Account, or a sign-in with another account (here or in another window): reconnect as that
    // account, decided before the row shows it, so the row never names an account it is not connected as;
    // also while starting, once the attempt has made its transport as the account before.
    const live = this._state.kind === 'running' || this._state.kind === 'starting';
    if (live && !this.signIn.value && (await this.auth.accounts.changed())) {
      this.deps.logger.info('the server has another active account now; reconnecting with it');
      void this.restart();
    }
    await this.refreshSession();
    const kind = this._state.kind;
    if (this._session && kind === 'authRequired' && !this.signIn.value) {
      this.deps.logger.info('a session appeared (signed in elsewhere); connecting');
      void this.start();
    } else if (!this._session && this.attempt.value?.usesSession && (kind === 'running' || kind === 'starting')) {
      this.deps.logger.info('the session was removed (signed out elsewhere)');
      this.auth.cancelRefresh();
      await this.attempt.clear();
      this.apply({ type: 'unauthorized', reason: 'Signed out (in another window).' });
    }
  }

  private async refreshSession(): Promise<void> {
    let next: SessionInfo | undefined;
    let count: number;
    try {
      if (!this.auth || (await this.auth.isMachineToMachine())) return;
      next = await this.auth.sessionInfo();
      count = (await this.auth.accounts.list()).length;
    } catch (error) {
      // Secret storage unavailable: the panel shows no session rather than the server failing.
      this.deps.logger.warn(`reading the stored session failed: ${describeSignInFailure(error).message}`);
      return;
    }
    if (JSON.stringify(next) === JSON.stringify(this._session) && count === this._accountCount) return;
    this._session = next;
    this._accountCount = count;
    this._onDidChangeState.fire(this._state);
  }

  /** Runs `fn` with the live SDK Client of a running server. */
  async use<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    return this.live().use(fn);
  }

  async callTool(tool: string, args: Record<string, unknown> = {}, options: CallOptions = {}): Promise<CallToolResult> {
    const attempt = this.callable(tool);
    try {
      return await attempt.callTool(tool, args, options);
    } catch (error) {
      return this.callFailed(attempt, error, tool);
    }
  }

  /**
   * Sends a gateway client's request to the server as it is (the gateway's pass-through): on the
   * live connection, a `tools/call` only for a tool the filters let through, and its failures
   * handled as those of `callTool` (a scope refusal offers the extra permission).
   */
  forward(message: JSONRPCRequest, options?: ForwardOptions): ForwardedCall {
    const name = (message.params as { name?: unknown } | undefined)?.name;
    const tool = message.method === 'tools/call' ? (typeof name === 'string' ? name : '') : undefined;
    let attempt: Attempt;
    try {
      attempt = tool === undefined ? this.live() : this.callable(tool);
    } catch (error) {
      return { response: Promise.reject(error), cancel: () => undefined };
    }
    const call = attempt.forward(message, options);
    return { response: call.response.catch((error: unknown) => this.callFailed(attempt, error, tool)), cancel: (reason) => call.cancel(reason) };
  }

  /** The era and capabilities of the live connection, while running. */
  get forwarding(): ForwardingInfo | undefined {
    return this._state.kind === 'running' ? this.attempt.value?.forwarding : undefined;
  }

  private live(): Attempt {
    const attempt = this.attempt.value;
    if (this._state.kind !== 'running' || !attempt) {
      throw hubError('not_running', `Server "${this.name}" is not running (it is ${this._state.kind}).`);
    }
    return attempt;
  }

  /** The live attempt, for a call of `tool` that the settings' and the organisation's filters let through. */
  private callable(tool: string): Attempt {
    const attempt = this.live();
    if (!toolAllowed(this.config, tool)) {
      const managed = this.config.managed;
      const by = managed && !isToolAllowed(managed.tools, tool) ? `the policy of ${managed.by}` : `${SERVERS_SETTING}.${this.name}.tools`;
      throw hubError('tool_not_allowed', `Tool "${tool}" of server "${this.name}" is filtered out by ${by}.`);
    }
    return attempt;
  }

  /** A call failed: a scope refusal of a tool offers the extra permission; anything but the server's own answer checks the connection. */
  private async callFailed(attempt: Attempt, error: unknown, tool: string | undefined): Promise<never> {
    if (error instanceof CancelledForward) throw error;
    const step = tool !== undefined && this.auth && isScopeRefusal(error) ? await this.auth.takeStepUp() : undefined;
    if (step) {
      // A scope refusal leaves the session working for everything else: the server keeps running
      // and offers the extra permission (unless signing in again did not help).
      const refusal = toolRefused(step, this.name, tool!);
      if (refusal.event) this.apply(refusal.event);
      throw refusal.error;
    }
    // A JSON-RPC error is the server answering; anything else may mean the connection is gone.
    if (!(error instanceof ProtocolError)) void attempt.checkAlive();
    throw error;
  }
}
