/**
 * McpHub owns every configured server. Settings arrive as parsed entries and apply as a diff: only
 * added, changed or removed servers are started, restarted or stopped. It never imports `vscode`.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { CallToolResult, Client, JSONRPCRequest, Tool } from '@modelcontextprotocol/client';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/client/validators/cf-worker';
import { authQuirkWarnings, fromFolder, sameConfig, SERVERS_SETTING, type ConfigEntry, type ConfigSource, type RegistryProvenance, type ServerConfig } from './config';
import { ServerConnection, type CallOptions, type ConnectionDeps } from './connection';
import { InMemoryEraMemory, type EraMemory } from './connection/era';
import type { ForwardedCall, ForwardingInfo, ForwardOptions } from './connection/upstream-channel';
import { hubError } from './errors';
import { Emitter } from './events';
import { consentRequest, InMemoryConsentStore, needsConsent, type ConsentDecision, type ConsentRequest, type ConsentStore } from './consent';
import { USER_INPUTS, type InputScope, type InputStore } from './inputs';
import { NO_ORGANISATION_POLICY, type OrganisationPolicy } from './managed-policy';
import { MANAGED_CHOICES_SETTING, refusal, type Refusal } from './policies';
import { identityOf, OPEN_POLICY, type EditorMcpPolicy, type ServerIdentity } from './policy';
import { OFFICIAL_REGISTRY } from './registry/url';
import { verifierOnDemand, type Verifier } from './registry/verify-on-demand';
import { scopedLogger, type Disposable, type TimerHandle } from './ports';
import { scrubbedLogger, scrubber } from './scrub';
import { routeSdkConsole } from './sdk-console';
import type { ActionContext, ServerState } from './state';
import type { SessionInfo } from './oauth/server-auth';
import type { AccountChoice } from './oauth/server-accounts';
import { EnterpriseIdp, type IdpStatus, type IdTokenSource } from './oauth/idp';
import type { EnterpriseIdpSettings } from './config';
import type { OAuthTraceStep } from './oauth/trace';
import { resourceKey } from './oauth/token-store';
import { inlineSecrets, inputReference, resolveInputs, resolveStatic, variablesIn } from './variables';

export interface HubDeps extends Omit<ConnectionDeps, 'eras'> {
  /** Where the protocol era each server spoke is remembered (default: in memory, for this hub's life). */
  readonly eras?: EraMemory;
  /** ${userHome}, and the working directory of user-level stdio servers without `cwd` (default: os.homedir()). */
  readonly userHome?: string;
  /** What ${env:NAME} reads (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where ${input:NAME} values live (secret storage); without it an entry that uses one cannot start. */
  readonly inputs?: InputStore;
  /**
   * The person's answers to "Run MCP server X from this workspace?" (default: in memory, nothing
   * approved). A workspace or folder entry runs only once its exact text was approved.
   */
  readonly consent?: ConsentStore;
  /**
   * Confirms with a registry that an entry runs what it was installed as, where only registry servers
   * may run (chat.mcp.access: registry). Default: the registry's v0.1 API over fetch, for packages
   * and remotes (MCP bundles need the editor's bundle store).
   */
  readonly registryVerifier?: Verifier;
}

export interface HubServer {
  readonly name: string;
  readonly source: ConfigSource;
  /** Undefined when the entry is invalid. */
  readonly config?: ServerConfig;
  readonly state: ServerState;
  /** Whether the server signs in with OAuth (a remote server without a static Authorization header). */
  readonly oauth: boolean;
  /** The OAuth session, when signed in: issuer, scopes, expiry, last refresh and account, never a token. */
  readonly session?: SessionInfo;
  /** The name (not the value) of the secret that holds this server's session: one per host. */
  readonly secretKey?: string;
  /** The ${input:…} names the entry uses. */
  readonly inputs: readonly string[];
  /** Whose values those inputs are: the person's own for a user entry, the workspace's for a workspace one. */
  readonly inputScope: InputScope;
  /** The entry's key in its settings scope, when the hub shows it under another name (see mergeScopes). */
  readonly settingsKey?: string;
  /** What the person is asked before a workspace entry runs, while it waits for that answer. */
  readonly consent?: ConsentRequest;
  /** Warnings about the entry (our words), e.g. a client secret written inline in settings. */
  readonly warnings: readonly string[];
  /** A newer version of an entry installed from a registry, when the last check found one. */
  readonly updateAvailable?: string;
  /** What `actionsFor` needs beside the state. */
  readonly actionContext: ActionContext;
}

export interface HubChange {
  readonly name: string;
  /** Undefined when the server was removed from settings. */
  readonly server?: HubServer;
}

export interface ApplyOptions {
  /** Whether the workspace is trusted; servers from workspace settings start only when it is. */
  readonly trusted: boolean;
  /**
   * The (first) workspace folder, trusted or not. It becomes ${workspaceFolder} and the default
   * working directory of workspace-defined servers only when trusted; never of user-level ones.
   */
  readonly workspaceFolder?: string;
  /** Names the workspace (hex), for the ${input:…} values kept for it; default: a hash of the folder. */
  readonly workspaceId?: string;
  /** VS Code's MCP policies (chat.mcp.access, allowed and denied servers); default: open. */
  readonly policy?: EditorMcpPolicy;
  /** The organisation's policy (managed-policy.ts); default: none. Its servers come as "managed" entries. */
  readonly organisation?: OrganisationPolicy;
}

export interface OAuthTraceChange {
  readonly name: string;
  /** The step just added to the server's trace. */
  readonly step: OAuthTraceStep;
}

export interface ConfigDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly unchanged: string[];
}

/** What an entry comes to once its variables are resolved: a config to run, or a state to show. */
interface Plan {
  /** The config with every variable substituted and the working directory decided. */
  readonly resolved?: ServerConfig;
  /** State of a server without a connection (invalid entry, disabled, untrusted, missing input). */
  readonly fixedState?: ServerState;
  readonly inputs: readonly string[];
  readonly inputScope: InputScope;
  readonly warnings: readonly string[];
  readonly inlineSecrets: boolean;
  /** Set while a workspace entry waits for the person's answer. */
  readonly consent?: ConsentRequest;
  /** The registry could not be asked whether the entry may run: it is asked again a little later. */
  readonly recheck?: boolean;
}

/** How long after a registry could not confirm an entry (chat.mcp.access: registry) it is asked again. */
export const REGISTRY_RECHECK_MS = 60_000;

interface ServerRecord {
  readonly entry: ConfigEntry;
  readonly plan: Plan;
  readonly connection?: ServerConnection;
  readonly subscription?: Disposable;
}

export class McpHub {
  private readonly records = new Map<string, ServerRecord>();
  private readonly _onDidChange = new Emitter<HubChange>();
  readonly onDidChange = this._onDidChange.event;
  private readonly _onDidChangeOAuthTrace = new Emitter<OAuthTraceChange>();
  /**
   * Fires as each step is added to a server's OAuth trace, so a panel can follow a sign-in live. Apart
   * from onDidChange, whose listeners take a whole server snapshot per change and would take one per
   * HTTP request of every sign-in and refresh.
   */
  readonly onDidChangeOAuthTrace = this._onDidChangeOAuthTrace.event;
  private disposed = false;

  private readonly deps: HubDeps & ConnectionDeps & { readonly consent: ConsentStore; readonly registryVerifier: Verifier };
  /** Newer versions of registry entries, by server name (set by the update check). */
  private updates: ReadonlyMap<string, string> = new Map();
  /** The next asking of registries that could not confirm an entry. */
  private recheck: TimerHandle | undefined;

  private readonly storeSubscription: Disposable | undefined;
  /** The company IdP (mcpHub.enterprise.idp), when configured. */
  private idp: { readonly idp: EnterpriseIdp; readonly key: string; readonly subscription: Disposable } | undefined;
  private readonly _onDidChangeEnterprise = new Emitter<void>();
  /** The company IdP was configured, signed in or out, or a sign-in to it started or ended. */
  readonly onDidChangeEnterprise = this._onDidChangeEnterprise.event;
  private readonly inputSubscription: Disposable | undefined;
  /** What the SDK writes to the console goes to our logger, scrubbed, while the hub runs. */
  private readonly sdkConsole: Disposable;
  /** applyConfig calls run one after another; the last settings are re-applied when an input changes. */
  private applying: Promise<unknown> = Promise.resolve();
  private last: { entries: readonly ConfigEntry[]; options: ApplyOptions } | undefined;

  constructor(deps: HubDeps) {
    // Every log line of the core passes the scrubber, whatever logger the host gave.
    this.deps = {
      ...deps,
      logger: scrubbedLogger(deps.logger),
      jsonSchemaValidator: deps.jsonSchemaValidator ?? new CfWorkerJsonSchemaValidator(),
      eras: deps.eras ?? new InMemoryEraMemory(),
      consent: deps.consent ?? new InMemoryConsentStore(),
      registryVerifier: deps.registryVerifier ?? verifierOnDemand(),
      ...(deps.oauth ? { oauth: { ...deps.oauth, idp: () => this.idp?.idp } } : {}),
      untrustedFolder: () => (this.last && !this.last.options.trusted ? this.last.options.workspaceFolder : undefined),
    };
    this.sdkConsole = routeSdkConsole(this.deps.logger);
    // An ${input:…} value set, changed or cleared (in any window) restarts exactly the servers using it.
    this.inputSubscription = deps.inputs?.onDidChange((name, scope) => {
      const affected = [...this.records.values()].some((r) => r.plan.inputs.includes(name) && sameScope(r.plan.inputScope, scope));
      if (affected && this.last && !this.disposed) void this.applyConfig(this.last.entries, this.last.options).catch(() => undefined);
    });
    // SecretStorage tells every window about a change: sign-ins and sign-outs follow across windows.
    this.storeSubscription = deps.oauth?.store.onDidChange((secretKey) => {
      for (const record of this.records.values()) {
        if (record.connection?.auth?.secretKey === secretKey) void record.connection.onSessionChanged();
      }
    });
  }

  servers(): HubServer[] {
    return [...this.records.keys()].map((name) => this.server(name)!);
  }

  server(name: string): HubServer | undefined {
    const record = this.records.get(name);
    if (!record) return undefined;
    const { entry, plan } = record;
    const oauth = record.connection?.auth !== undefined;
    const session = record.connection?.session;
    const update = this.updateFor(name, entry);
    return {
      name,
      source: entry.source,
      // The entry as written (variables unexpanded): what the panel and the API may show.
      ...(entry.ok ? { config: entry.config } : {}),
      state: record.connection?.state ?? plan.fixedState!,
      oauth,
      ...(session ? { session } : {}),
      ...(record.connection?.auth ? { secretKey: record.connection.auth.secretKey } : {}),
      inputs: plan.inputs,
      inputScope: plan.inputScope,
      ...(entry.settingsKey ? { settingsKey: entry.settingsKey } : {}),
      ...(plan.consent ? { consent: plan.consent } : {}),
      warnings: plan.warnings,
      ...(update ? { updateAvailable: update } : {}),
      actionContext: {
        configured: entry.ok,
        oauth,
        session: session !== undefined,
        inputs: plan.inputs.length > 0,
        inlineSecrets: plan.inlineSecrets,
        update: update !== undefined,
        ...(record.connection?.accountCount ? { accounts: record.connection.accountCount } : {}),
        ...(record.connection?.auth?.accounts.pin ? { pinned: true } : {}),
        ...(entry.ok && entry.config.managed ? { managed: entry.config.managed.availability } : {}),
      },
    };
  }

  /** The newer version the last update check found for a registry entry, unless the entry is at it already. */
  private updateFor(name: string, entry: ConfigEntry): string | undefined {
    const version = this.updates.get(name);
    if (version === undefined || !entry.ok || !entry.config.registry || entry.config.registry.version === version) return undefined;
    return version;
  }

  /**
   * The newer versions the update check found, by server name: rows show them with an Update action.
   * Servers whose answer changed are announced on onDidChange.
   */
  setAvailableUpdates(updates: ReadonlyMap<string, string>): void {
    const before = this.updates;
    this.updates = new Map(updates);
    for (const name of new Set([...before.keys(), ...updates.keys()])) {
      if (before.get(name) !== updates.get(name) && this.records.has(name)) this._onDidChange.fire({ name, server: this.server(name)! });
    }
  }

  /** Registry entries, for the update check: the hub's name for each and where it came from (user entries, and workspace ones once trusted). */
  registryEntries(): Array<{ name: string; registry: RegistryProvenance }> {
    const trusted = this.last?.options.trusted ?? false;
    return [...this.records].flatMap(([name, r]) =>
      r.entry.ok && r.entry.config.registry && (r.entry.source === 'user' || trusted) ? [{ name, registry: r.entry.config.registry }] : [],
    );
  }

  /**
   * Applies settings as a diff and starts what is new, all in parallel; does not wait for them.
   * Entries are compared after their variables are resolved, so trusting the workspace, a new
   * workspace folder or a changed ${input:…} value restarts exactly the servers it affects.
   */
  applyConfig(entries: readonly ConfigEntry[], options: ApplyOptions): Promise<ConfigDiff> {
    const run = this.applying.then(() => this.applyNow(entries, options));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(entries: readonly ConfigEntry[], options: ApplyOptions): Promise<ConfigDiff> {
    if (this.disposed) throw new Error('McpHub is disposed');
    this.last = { entries, options };
    const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [] };
    const next = new Map(entries.map((e) => [e.name, e]));
    const closing: Promise<void>[] = [];
    const plans = new Map(await Promise.all(entries.map(async (e) => [e.name, await this.plan(e, options)] as const)));
    if (this.disposed) throw new Error('McpHub is disposed');
    // A registry that could not confirm an entry is asked again later (by applying these settings again).
    if (this.recheck) this.deps.clock.clearTimeout(this.recheck);
    this.recheck = [...plans.values()].some((p) => p.recheck)
      ? this.deps.clock.setTimeout(() => {
          this.recheck = undefined;
          if (this.last && !this.disposed) void this.applyConfig(this.last.entries, this.last.options).catch(() => undefined);
        }, REGISTRY_RECHECK_MS)
      : undefined;

    // By the session's resource: URLs that differ by their fragment only share one.
    const remainingUrls = new Set([...plans.values()].flatMap((p) => (p.resolved && p.resolved.type !== 'stdio' ? [resourceOf(p.resolved.url)] : [])));
    for (const [name, record] of this.records) {
      if (next.has(name)) continue;
      diff.removed.push(name);
      this.records.delete(name);
      // Removing a server from settings deletes its session, unless another entry uses the same URL.
      const url = record.plan.resolved && record.plan.resolved.type !== 'stdio' ? record.plan.resolved.url : undefined;
      if (url && !remainingUrls.has(resourceOf(url))) closing.push(record.connection?.forgetSession().catch(() => undefined) ?? Promise.resolve());
      closing.push(this.retire(record));
      this.deps.logger.info(`[${name}] removed from settings`);
      this._onDidChange.fire({ name });
    }

    const toStart: ServerConnection[] = [];
    for (const entry of entries) {
      const plan = plans.get(entry.name)!;
      const existing = this.records.get(entry.name);
      if (existing && samePlan(existing, entry, plan)) {
        diff.unchanged.push(entry.name);
        // New words about the entry need no restart: the row takes them as they are.
        if (JSON.stringify(existing.plan.warnings) !== JSON.stringify(plan.warnings)) {
          this.records.set(entry.name, { ...existing, entry, plan });
          this._onDidChange.fire({ name: entry.name, server: this.server(entry.name)! });
        }
        continue;
      }
      (existing ? diff.changed : diff.added).push(entry.name);
      if (existing) closing.push(this.retire(existing));
      const record = this.createRecord(entry, plan);
      this.records.set(entry.name, record);
      if (record.connection) toStart.push(record.connection);
      this._onDidChange.fire({ name: entry.name, server: this.server(entry.name)! });
    }

    // A changed server's old process must be gone before its replacement starts (same ports, locks).
    await Promise.all(closing);
    for (const connection of toStart) void connection.start();
    return diff;
  }

  /** Resolves an entry's variables; decides its working directory, or the state that stops it. */
  private async plan(entry: ConfigEntry, options: ApplyOptions): Promise<Plan> {
    const inputScope = scopeOf(entry.source, options);
    if (!entry.ok) return { fixedState: { kind: 'error', code: 'invalid_settings', message: entry.error }, inputs: [], inputScope, warnings: [], inlineSecrets: false };
    const raw = entry.config;
    const at = `${SERVERS_SETTING}.${entry.settingsKey ?? entry.name}`;
    const inputs = variablesIn(raw).inputs;
    const inline = inlineSecrets(raw);
    const base = { inputs, inputScope, warnings: [] as string[], inlineSecrets: false };
    if (inline.length > 0 && fromFolder(entry.source)) {
      // Workspace settings are shared and committed: a secret there is refused, not run.
      const message = `${at}.${inline[0]}: a secret cannot be written in workspace settings; use "${inputReference('NAME')}" (kept in secret storage) or move the entry to your user settings.`;
      return { ...base, fixedState: { kind: 'error', code: 'secret_in_workspace_settings', message } };
    }
    const warnings = inline.map((f) => `${at}.${f} is written in settings.json, where Settings Sync and backups can read it. Move it to secret storage.`);
    warnings.push(...authQuirkWarnings(raw.auth, at), ...(entry.warnings ?? []));
    const planned = { inputs, inputScope, warnings, inlineSecrets: inline.length > 0 };
    // The policies first (VS Code's and the organisation's): what they refuse is never resolved, asked about or started.
    const policies = { editor: options.policy ?? OPEN_POLICY, organisation: options.organisation ?? NO_ORGANISATION_POLICY };
    const settingsName = entry.settingsKey ?? entry.name;
    const server = { name: settingsName, source: entry.source, config: raw };
    const refused = refusal(policies, server);
    if (refused) return { ...planned, fixedState: this.blocked(entry.name, refused) };
    if (raw.disabled) {
      const managed = raw.managed;
      const message = managed ? (managed.availability === 'optional' ? `offered by ${managed.by}; Turn On to start it` : 'you turned it off; Turn On to start it') : undefined;
      return { ...planned, fixedState: { kind: 'disabled', reason: 'settings', ...(message ? { message } : {}) } };
    }
    if (fromFolder(entry.source) && !options.trusted) {
      this.deps.logger.info(`[${entry.name}] not started: defined in workspace settings and the workspace is not trusted`);
      return { ...planned, fixedState: { kind: 'disabled', reason: 'untrusted' } };
    }
    if (policies.editor.access === 'registry') {
      // It says it is from VS Code's registry: the registry says whether it runs what was installed.
      const unconfirmed = await this.deps.registryVerifier.refusal(raw, policies.editor.registryUrl ?? OFFICIAL_REGISTRY);
      if (unconfirmed) {
        return { ...planned, fixedState: this.blocked(entry.name, { by: 'vscode', message: unconfirmed.reason }), ...(unconfirmed.unreachable ? { recheck: true } : {}) };
      }
    }
    const userHome = this.deps.userHome ?? homedir();
    const trustedFolder = options.trusted ? options.workspaceFolder : undefined;
    const statics = resolveStatic(raw, {
      userHome,
      env: this.deps.env ?? process.env,
      workspaceOpen: options.workspaceFolder !== undefined,
      ...(trustedFolder ? { workspaceFolder: trustedFolder } : {}),
    });
    if (!statics.ok) {
      if (statics.reason === 'untrusted') return { ...planned, fixedState: { kind: 'disabled', reason: 'untrusted', message: statics.message } };
      return { ...planned, fixedState: { kind: 'error', code: statics.reason === 'noFolder' ? 'no_workspace_folder' : 'invalid_variable', message: statics.message } };
    }
    // The lists as early as they can be met, so nothing is asked about what the policy refuses: on
    // what would run once ${env:…} and ${workspaceFolder} are filled in (again below with the inputs).
    const early = identityOf(settingsName, statics.config);
    const listedEarly = hasInputs(early) ? undefined : refusal(policies, server, early);
    if (listedEarly) return { ...planned, fixedState: this.blocked(entry.name, listedEarly) };
    if (needsConsent(entry.source)) {
      // Trusted is not enough: this exact entry runs only once the person said yes to it.
      const consent = consentRequest(entry.name, entry.source, raw);
      const decision = this.deps.consent.get(consent.fingerprint);
      if (decision !== 'approved') {
        this.deps.logger.info(`[${entry.name}] not started: a workspace server waits for your approval`);
        const message = decision === 'declined' ? 'you chose not to run it; Approve… runs it' : undefined;
        return {
          ...planned,
          consent: { ...consent, ...(decision ? { declined: true } : {}) },
          fixedState: { kind: 'disabled', reason: 'approval', ...(message ? { message } : {}) },
        };
      }
    }
    let resolved: ServerConfig;
    try {
      const store = this.deps.inputs;
      if (inputs.length > 0 && !store) throw new Error('no input store');
      const withInputs = await resolveInputs(statics.config, (name) => store!.get(name, inputScope));
      if (!withInputs.ok) return { ...planned, fixedState: { kind: 'needsInput', inputs: withInputs.missing } };
      resolved = withInputs.config;
    } catch (error) {
      this.deps.logger.warn(`[${entry.name}] reading its \${input:…} values failed: ${scrubber.message(error)}`);
      return { ...planned, fixedState: { kind: 'error', code: 'input_unavailable', message: `${at} uses \${input:…} values, and VS Code secret storage could not be read.` } };
    }
    if (resolved.type !== 'stdio') {
      let url: URL | undefined;
      try {
        url = new URL(resolved.url);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        return { ...planned, fixedState: { kind: 'error', code: 'invalid_settings', message: `${at}.url: must be an http(s) URL once its variables are filled in` } };
      }
      resolved = { ...resolved, url: url.href };
    }
    if (resolved.type === 'stdio') {
      // Never the editor's own folder: user-level servers start in the user's home, workspace ones
      // (which run only once the workspace is trusted) in the workspace folder.
      const home = fromFolder(entry.source) ? (trustedFolder ?? userHome) : userHome;
      const cwd = resolved.cwd ? (isAbsolute(resolved.cwd) ? resolved.cwd : resolve(home, resolved.cwd)) : home;
      resolved = { ...resolved, cwd };
    }
    // Allow and deny lists match what would run: the URL or command line with its variables filled in.
    const listed = refusal(policies, server, identityOf(settingsName, resolved));
    if (listed) return { ...planned, fixedState: this.blocked(entry.name, listed) };
    return { ...planned, resolved };
  }

  private blocked(name: string, why: Refusal): ServerState {
    this.deps.logger.info(`[${name}] not started: blocked by ${why.by === 'vscode' ? 'policy' : "your organisation's policy"}: ${why.message}`);
    return { kind: 'disabled', reason: why.by === 'vscode' ? 'policy' : 'organisation', message: why.message };
  }

  private createRecord(entry: ConfigEntry, plan: Plan): ServerRecord {
    const log = this.deps.logger;
    if (plan.fixedState?.kind === 'error') log.error(plan.fixedState.message);
    if (!plan.resolved || plan.fixedState) return { entry, plan };
    const connection = new ServerConnection(plan.resolved, { ...this.deps, logger: scopedLogger(log, entry.name) });
    const current = () => this.records.get(entry.name)?.connection === connection;
    const states = connection.onDidChangeState(() => {
      if (current()) this._onDidChange.fire({ name: entry.name, server: this.server(entry.name)! });
    });
    const steps = connection.auth?.trace.onDidAdd((step) => {
      if (current()) this._onDidChangeOAuthTrace.fire({ name: entry.name, step });
    });
    const subscription = {
      dispose: () => {
        states.dispose();
        steps?.dispose();
      },
    };
    return { entry, plan, connection, subscription };
  }

  private async retire(record: ServerRecord): Promise<void> {
    record.subscription?.dispose();
    await record.connection?.dispose();
  }

  private connection(name: string): ServerConnection {
    const record = this.records.get(name);
    if (!record) throw hubError('unknown_server', `No server named "${name}" in ${SERVERS_SETTING}.`);
    if (!record.connection) {
      const state = record.plan.fixedState!;
      if (state.kind === 'needsInput') {
        throw hubError('needs_input', `Server "${name}" needs a value for ${state.inputs.map(inputReference).join(', ')}; set it with "Set Value…".`);
      }
      const why =
        state.kind === 'disabled'
          ? state.reason === 'untrusted'
            ? (state.message ?? 'it is defined in workspace settings and the workspace is not trusted')
            : state.reason === 'approval'
              ? 'it is defined in workspace settings and waits for your approval (Approve… in the MCP Hub panel)'
              : state.reason === 'policy'
                ? `it is blocked by policy: ${state.message ?? 'VS Code refuses it'}`
                : state.reason === 'organisation'
                  ? `it is blocked by your organisation's policy: ${state.message ?? 'it refuses it'}`
                  : record.entry.ok && record.entry.config.managed
                    ? `it is turned off (Turn On in the MCP Hub panel, or ${MANAGED_CHOICES_SETTING}.${name}.enabled)`
                    : `it is disabled in ${SERVERS_SETTING}.${record.entry.settingsKey ?? name}.disabled`
          : `its settings are invalid: ${state.kind === 'error' ? state.message : state.kind}`;
      throw hubError('not_running', `Server "${name}" cannot start: ${why}.`);
    }
    return record.connection;
  }

  async start(name: string): Promise<void> {
    return this.connection(name).start();
  }

  /**
   * Records the person's answer for a workspace server waiting for it (for its entry exactly as
   * written now) and applies the settings again, so an approved server starts.
   */
  async decide(name: string, decision: ConsentDecision): Promise<void> {
    const consent = this.records.get(name)?.plan.consent;
    if (!consent) throw hubError('not_running', `Server "${name}" is not waiting for approval.`);
    await this.deps.consent.set(consent.fingerprint, decision);
    this.deps.logger.info(`[${name}] ${decision === 'approved' ? 'approved: it may run from this workspace' : 'not approved: it will not run'}`);
    if (this.last && !this.disposed) await this.applyConfig(this.last.entries, this.last.options);
  }

  /** Stops a server for now; never one the organisation requires. */
  async stop(name: string): Promise<void> {
    const managed = this.records.get(name)?.entry;
    if (managed?.ok && managed.config.managed?.availability === 'required') {
      throw hubError('managed_required', `Server "${name}" is required by ${managed.config.managed.by}; it cannot be stopped.`);
    }
    return this.connection(name).stop();
  }

  async restart(name: string): Promise<void> {
    return this.connection(name).restart();
  }

  /** Runs the browser sign-in in the background; resolves when connected, rejects with the reason. */
  async authenticate(name: string): Promise<void> {
    return this.connection(name).authenticate();
  }

  /**
   * Sign in with another account: a browser sign-in whose account is added beside the others and becomes the active one.
   * Where the server names nobody, the row's account is its one unnamed account: nothing starts, and the error says what works.
   */
  async signInWithAnotherAccount(name: string): Promise<void> {
    const connection = this.connection(name);
    await connection.auth?.accounts.assertCanAddAnother();
    return connection.authenticate({ another: true });
  }

  /** The accounts signed in to a server's URL (display text only), for Switch Account. */
  async accounts(name: string): Promise<AccountChoice[]> {
    return (await this.connection(name).auth?.accounts.list()) ?? [];
  }

  /** Switch Account: the server's unpinned entries reconnect as this account (an entry pinned by auth.account cannot switch). */
  async switchAccount(name: string, key: string): Promise<void> {
    const auth = this.connection(name).auth;
    if (!auth) throw hubError('no_oauth', `Server "${name}" does not use OAuth.`);
    await auth.accounts.switchTo(key);
  }

  async cancelAuthentication(name: string): Promise<void> {
    this.connection(name).cancelAuthentication();
  }

  async logout(name: string): Promise<void> {
    return this.connection(name).logout();
  }

  /** Completes a sign-in with the redirect URL the user pasted; returns an error message or undefined. */
  async pasteRedirectUrl(name: string, url: string): Promise<string | undefined> {
    return this.connection(name).pasteRedirectUrl(url);
  }

  /**
   * The OAuth trace of a server: the steps of its last sign-ins (newest first) and of the refreshes
   * after them, without any secret. Empty for a server without OAuth (or no such server).
   */
  oauthTrace(name: string): readonly OAuthTraceStep[] {
    return this.records.get(name)?.connection?.auth?.trace.steps() ?? [];
  }

  listTools(name: string): readonly Tool[] {
    return this.connection(name).tools;
  }

  async callTool(server: string, tool: string, args?: Record<string, unknown>, options?: CallOptions): Promise<CallToolResult> {
    return this.connection(server).callTool(tool, args, options);
  }

  /**
   * Sends a gateway client's JSON-RPC request to a running server as it is (the gateway's
   * pass-through), on the server's live connection; a `tools/call` only for a tool the filters let through.
   */
  forward(server: string, message: JSONRPCRequest, options?: ForwardOptions): ForwardedCall {
    try {
      return this.connection(server).forward(message, options);
    } catch (error) {
      return { response: Promise.reject(error), cancel: () => undefined };
    }
  }

  /** The protocol era and capabilities of a running server's live connection; undefined unless it runs. */
  forwarding(server: string): ForwardingInfo | undefined {
    return this.records.get(server)?.connection?.forwarding;
  }

  /** Runs `fn` with the live SDK Client of a running server (the gateway forwards resources, prompts and completions so). */
  async use<T>(server: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return this.connection(server).use(fn);
  }

  /**
   * Configures the company IdP (or none). `clientSecret` is the resolved value of its ${input:…};
   * `external` a VS Code authentication provider that supplies the ID token instead of the hub's
   * own sign-in. The same settings again change nothing.
   */
  configureEnterprise(settings: EnterpriseIdpSettings | undefined, options: { clientSecret?: string; external?: IdTokenSource } = {}): void {
    const oauth = this.deps.oauth;
    const key = settings && oauth ? JSON.stringify([settings, options.clientSecret ?? '', options.external?.label ?? '']) : '';
    if (key === (this.idp?.key ?? '')) return;
    this.idp?.subscription.dispose();
    this.idp?.idp.dispose();
    this.idp = undefined;
    if (settings && oauth) {
      const idp = new EnterpriseIdp(settings, {
        store: oauth.store,
        browser: oauth.browser,
        logger: scopedLogger(this.deps.logger, 'company IdP'),
        clock: this.deps.clock,
        ...(oauth.externalUri ? { externalUri: oauth.externalUri } : {}),
        ...(oauth.resolver ? { resolver: oauth.resolver } : {}),
        ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
        ...(options.external ? { external: options.external } : {}),
      });
      let signedIn: boolean | undefined;
      const subscription = idp.onDidChange(() => {
        this._onDidChangeEnterprise.fire();
        void idp.status().then((status) => {
          if (this.idp?.idp !== idp || status.signedIn === signedIn) return;
          signedIn = status.signedIn;
          void this.afterIdpChange(status.signedIn);
        });
      });
      this.idp = { idp, key, subscription };
      // Servers already waiting for sign-in connect through an IdP session that is there already.
      void idp.status().then((status) => {
        if (this.idp?.idp !== idp || signedIn !== undefined) return;
        signedIn = status.signedIn;
        if (signedIn) void this.afterIdpChange(true);
      });
    }
    this._onDidChangeEnterprise.fire();
  }

  /**
   * Signed in to the IdP: every server waiting for sign-in that was chosen for the company identity
   * (auth.enterprise: true) connects; others wait for the person's Authenticate. Signed out: every
   * server signed in through it is signed out too.
   */
  private async afterIdpChange(signedIn: boolean): Promise<void> {
    for (const record of this.records.values()) {
      const connection = record.connection;
      if (!connection?.auth) continue;
      if (signedIn) void connection.tryEnterprise();
      else if (await connection.auth.viaIdp()) await connection.logout('Signed out of the company IdP.').catch(() => undefined);
    }
  }

  /** The company IdP's sign-in, when one is configured: who, until when; never a token. */
  async enterpriseStatus(): Promise<IdpStatus | undefined> {
    return this.idp?.idp.status();
  }

  /** Signs in to the company IdP in the browser; then the servers chosen for it (auth.enterprise: true) connect. */
  async enterpriseSignIn(): Promise<void> {
    const idp = this.idp?.idp;
    if (!idp) throw hubError('no_idp', 'No company IdP is configured (mcpHub.enterprise.idp).');
    await idp.signIn();
    await this.afterIdpChange(true);
  }

  cancelEnterpriseSignIn(): void {
    this.idp?.idp.cancelSignIn();
  }

  /** Signs out of the company IdP, and so out of every server signed in through it. */
  async enterpriseSignOut(): Promise<void> {
    const idp = this.idp?.idp;
    if (!idp) return;
    await idp.signOut();
    await this.afterIdpChange(false);
  }

  /** Closes every client and waits for stdio children to exit. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.recheck) this.deps.clock.clearTimeout(this.recheck);
    this.storeSubscription?.dispose();
    this.inputSubscription?.dispose();
    this.idp?.subscription.dispose();
    this.idp?.idp.dispose();
    this.idp = undefined;
    this._onDidChangeEnterprise.dispose();
    const records = [...this.records.values()];
    this.records.clear();
    await Promise.all(records.map((r) => this.retire(r)));
    this._onDidChange.dispose();
    this._onDidChangeOAuthTrace.dispose();
    this.sdkConsole.dispose();
  }
}

/** Whose ${input:…} values an entry from `source` gets. */
function scopeOf(source: ConfigSource, options: ApplyOptions): InputScope {
  // The organisation's servers use the person's own values, as their user entries do.
  if (!fromFolder(source)) return USER_INPUTS;
  const id =
    options.workspaceId ??
    createHash('sha256')
      .update(options.workspaceFolder ?? '')
      .digest('hex')
      .slice(0, 32);
  return { kind: 'workspace', id };
}

function sameScope(a: InputScope, b: InputScope): boolean {
  return a.kind === b.kind && (a.kind === 'user' || a.id === (b as { id: string }).id);
}

/** Whether a server's URL or command line still holds an ${input:…} (its value is read only once the person approved it). */
function hasInputs(identity: ServerIdentity): boolean {
  return [identity.url ?? '', ...(identity.command ?? [])].some((part) => part.includes('${input:'));
}

function samePlan(record: ServerRecord, entry: ConfigEntry, plan: Plan): boolean {
  const old = record.entry;
  if (old.source !== entry.source || old.ok !== entry.ok) return false;
  if (!old.ok && !entry.ok) return old.error === entry.error;
  if (JSON.stringify(record.plan.fixedState) !== JSON.stringify(plan.fixedState)) return false;
  if (record.plan.consent?.fingerprint !== plan.consent?.fingerprint || !sameScope(record.plan.inputScope, plan.inputScope)) return false;
  if (record.plan.resolved && plan.resolved) return sameConfig(record.plan.resolved, plan.resolved);
  return record.plan.resolved === plan.resolved;
}

/** The resource a server URL's session is kept under (token-store.ts), or the URL itself when it does not parse. */
function resourceOf(url: string): string {
  try {
    return resourceKey(url);
  } catch {
    return url;
  }
}
