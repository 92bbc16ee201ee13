/**
 * McpHub owns every configured server. Settings arrive as parsed entries and apply as a diff: only
 * added, changed or removed servers are started, restarted or stopped. It never imports `vscode`.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { sameConfig, SERVERS_SETTING, type ConfigEntry, type ConfigSource, type ServerConfig } from './config';
import { HubError, ServerConnection, type ConnectionDeps } from './connection';
import { Emitter } from './events';
import { scopedLogger, type Disposable } from './ports';
import type { ServerState } from './state';
import type { SessionInfo } from './oauth/server-auth';

export interface HubServer {
  readonly name: string;
  readonly source: ConfigSource;
  /** Undefined when the entry is invalid. */
  readonly config?: ServerConfig;
  readonly state: ServerState;
  /** Whether the server signs in with OAuth (a remote server without a static Authorization header). */
  readonly oauth: boolean;
  /** The OAuth session, when signed in: issuer, scopes and expiry, never a token. */
  readonly session?: SessionInfo;
  /** The name (not the value) of the secret that holds this server's session: one per host. */
  readonly secretKey?: string;
}

export interface HubChange {
  readonly name: string;
  /** Undefined when the server was removed from settings. */
  readonly server?: HubServer;
}

export interface ApplyOptions {
  /** Whether the workspace is trusted; servers from workspace settings start only when it is. */
  readonly trusted: boolean;
}

export interface ConfigDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
  readonly unchanged: string[];
}

interface ServerRecord {
  readonly entry: ConfigEntry;
  readonly blockedByTrust: boolean;
  readonly connection?: ServerConnection;
  /** State of a server without a connection (invalid entry, disabled, untrusted). */
  readonly fixedState?: ServerState;
  readonly subscription?: Disposable;
}

export class McpHub {
  private readonly records = new Map<string, ServerRecord>();
  private readonly _onDidChange = new Emitter<HubChange>();
  readonly onDidChange = this._onDidChange.event;
  private disposed = false;

  private readonly deps: ConnectionDeps;

  private readonly storeSubscription: Disposable | undefined;

  constructor(deps: ConnectionDeps) {
    this.deps = { ...deps, jsonSchemaValidator: deps.jsonSchemaValidator ?? new AjvJsonSchemaValidator() };
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
    const { entry } = record;
    return {
      name,
      source: entry.source,
      ...(entry.ok ? { config: entry.config } : {}),
      state: record.connection?.state ?? record.fixedState!,
      oauth: record.connection?.auth !== undefined,
      ...(record.connection?.session ? { session: record.connection.session } : {}),
      ...(record.connection?.auth ? { secretKey: record.connection.auth.secretKey } : {}),
    };
  }

  /** Applies settings as a diff and starts what is new, all in parallel; does not wait for them. */
  async applyConfig(entries: readonly ConfigEntry[], options: ApplyOptions): Promise<ConfigDiff> {
    if (this.disposed) throw new Error('McpHub is disposed');
    const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [] };
    const next = new Map(entries.map((e) => [e.name, e]));
    const closing: Promise<void>[] = [];

    const remainingUrls = new Set(entries.flatMap((e) => (e.ok && e.config.type !== 'stdio' ? [e.config.url] : [])));
    for (const [name, record] of this.records) {
      if (next.has(name)) continue;
      diff.removed.push(name);
      this.records.delete(name);
      // Removing a server from settings deletes its session, unless another entry uses the same URL.
      const url = record.entry.ok && record.entry.config.type !== 'stdio' ? record.entry.config.url : undefined;
      if (url && !remainingUrls.has(url)) closing.push(record.connection?.forgetSession() ?? Promise.resolve());
      closing.push(this.retire(record));
      this.deps.logger.info(`[${name}] removed from settings`);
      this._onDidChange.fire({ name });
    }

    const toStart: ServerConnection[] = [];
    for (const entry of entries) {
      const blockedByTrust = entry.source !== 'user' && !options.trusted;
      const existing = this.records.get(entry.name);
      if (existing && sameEntry(existing, entry, blockedByTrust)) {
        diff.unchanged.push(entry.name);
        continue;
      }
      (existing ? diff.changed : diff.added).push(entry.name);
      if (existing) closing.push(this.retire(existing));
      const record = this.createRecord(entry, blockedByTrust);
      this.records.set(entry.name, record);
      if (record.connection) toStart.push(record.connection);
      this._onDidChange.fire({ name: entry.name, server: this.server(entry.name)! });
    }

    // A changed server's old process must be gone before its replacement starts (same ports, locks).
    await Promise.all(closing);
    for (const connection of toStart) void connection.start();
    return diff;
  }

  private createRecord(entry: ConfigEntry, blockedByTrust: boolean): ServerRecord {
    const log = this.deps.logger;
    if (!entry.ok) {
      log.error(entry.error);
      return { entry, blockedByTrust, fixedState: { kind: 'error', message: entry.error } };
    }
    if (entry.config.disabled) return { entry, blockedByTrust, fixedState: { kind: 'disabled', reason: 'settings' } };
    if (blockedByTrust) {
      log.info(`[${entry.name}] not started: defined in workspace settings and the workspace is not trusted`);
      return { entry, blockedByTrust, fixedState: { kind: 'disabled', reason: 'untrusted' } };
    }
    const connection = new ServerConnection(entry.config, { ...this.deps, logger: scopedLogger(log, entry.name) });
    const subscription = connection.onDidChangeState(() => {
      if (this.records.get(entry.name)?.connection === connection) {
        this._onDidChange.fire({ name: entry.name, server: this.server(entry.name)! });
      }
    });
    return { entry, blockedByTrust, connection, subscription };
  }

  private async retire(record: ServerRecord): Promise<void> {
    record.subscription?.dispose();
    await record.connection?.dispose();
  }

  private connection(name: string): ServerConnection {
    const record = this.records.get(name);
    if (!record) throw new HubError('unknown-server', `No server named "${name}" in ${SERVERS_SETTING}.`);
    if (!record.connection) {
      const state = record.fixedState!;
      const why =
        state.kind === 'disabled'
          ? state.reason === 'untrusted'
            ? 'it is defined in workspace settings and the workspace is not trusted'
            : `it is disabled in ${SERVERS_SETTING}.${name}.disabled`
          : `its settings are invalid: ${state.kind === 'error' ? state.message : state.kind}`;
      throw new HubError('not-running', `Server "${name}" cannot start: ${why}.`);
    }
    return record.connection;
  }

  async start(name: string): Promise<void> {
    return this.connection(name).start();
  }

  async stop(name: string): Promise<void> {
    return this.connection(name).stop();
  }

  async restart(name: string): Promise<void> {
    return this.connection(name).restart();
  }

  /** Runs the browser sign-in in the background; resolves when connected, rejects with the reason. */
  async authenticate(name: string): Promise<void> {
    return this.connection(name).authenticate();
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

  listTools(name: string): readonly Tool[] {
    return this.connection(name).tools;
  }

  async callTool(server: string, tool: string, args?: Record<string, unknown>): Promise<CallToolResult> {
    return this.connection(server).callTool(tool, args);
  }

  /** Closes every client and waits for stdio children to exit. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.storeSubscription?.dispose();
    const records = [...this.records.values()];
    this.records.clear();
    await Promise.all(records.map((r) => this.retire(r)));
    this._onDidChange.dispose();
  }
}

function sameEntry(record: ServerRecord, entry: ConfigEntry, blockedByTrust: boolean): boolean {
  const old = record.entry;
  if (record.blockedByTrust !== blockedByTrust || old.source !== entry.source) return false;
  if (old.ok && entry.ok) return sameConfig(old.config, entry.config);
  if (!old.ok && !entry.ok) return old.error === entry.error;
  return false;
}
