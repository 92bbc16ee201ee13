/**
 * MCP registries in the editor, the flows a person starts: **Add Server…** (search as you type, see
 * what a server runs, answer what it needs, pick user or workspace settings, and it is written and
 * started) and **Update** on a row. Loaded when one is first started (registry.ts keeps the commands
 * and the update check). Everything a registry sends is shown only as QuickPick and InputBox text
 * (scrubbed when it was parsed, and with VS Code's `$(icon)` syntax defused here), never in a
 * notification; notifications say what happened in our words.
 */
import * as vscode from 'vscode';
import type { ConfigSource, RegistryProvenance } from '../core/config';
import type { McpHub } from '../core/hub';
import { USER_INPUTS, type InputScope, type InputStore } from '../core/inputs';
import type { Logger } from '../core/ports';
import { isRegistryError, RegistryClient } from '../core/registry/client';
import { freeKey } from '../core/registry/entries';
import {
  checkAnswer,
  defaultAnswers,
  InstallError,
  installOptions,
  optionLabel,
  optionProblem,
  preview,
  questions as questionsOf,
  shapeOf,
  suggestSecretName,
  type Answers,
  type InstallOption,
  type Question,
  type Shape,
} from '../core/registry/install';
import { runFieldsOf } from '../core/registry/match';
import type { RegistryServer } from '../core/registry/model';
import { bundleShapes, BundleStore } from '../core/registry/mcpb';
import { addServerEntry, updateServerEntry, WriteRefused, type ServersScope } from '../core/registry/writes';
import { scrubber } from '../core/scrub';
import { workspaceId } from './consent';
import { addServerRegistryUrl, serversIn } from './settings';
import { VIEW_ID } from './view';

/** How long typing pauses before the registry is asked. */
const SEARCH_DEBOUNCE_MS = 300;

/** Registry text in a QuickPick: `$(name)` would render as an icon there, so it is defused. */
const plain = (text: string) => text.replace(/\$\(/g, '$ (');
const short = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

class Cancelled extends Error {}

type ServerItem = vscode.QuickPickItem & { readonly server?: RegistryServer; readonly more?: true; readonly retry?: true };

export class RegistryFlows {
  /** Where MCP bundles are unpacked. */
  private readonly bundles: BundleStore | undefined;

  constructor(
    private readonly hub: McpHub,
    private readonly inputs: InputStore,
    private readonly logger: Logger,
    bundlesDir?: string,
  ) {
    this.bundles = bundlesDir === undefined ? undefined : new BundleStore(bundlesDir);
  }

  // -------------------------------------------------------------------------------------------
  // Add Server…

  async addServer(): Promise<void> {
    const where = addServerRegistryUrl();
    let client: RegistryClient;
    try {
      client = new RegistryClient(where.url);
    } catch (error) {
      void vscode.window.showErrorMessage(`MCP Hub: ${scrubber.message(error).replace(/^mcpHub\.registry\.url/, where.setting)}`);
      return;
    }
    // Bundles unpacked for this Add: removed again unless it completes.
    const unpacked: string[] = [];
    let added = false;
    try {
      const server = await this.pickServer(client);
      if (!server) return;
      const option = await this.pickOption(server, client);
      if (!option) return;
      const shapes = bundleShapes(this.bundles, { registryUrl: client.url, unpacked: (sha) => unpacked.push(sha) });
      const shape =
        option.kind === 'package' && option.package.registryType === 'mcpb'
          ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'MCP Hub: downloading and checking the bundle…' }, () =>
              shapes(server, option),
            )
          : shapeOf(option);
      const title = `MCP Hub: ${plain(server.title ?? server.name)}`;
      const answers = {
        ...defaultAnswers(shape),
        // Each question shows what will run, the answers still to come as <placeholders>.
        ...(await this.ask(
          questionsOf(shape).filter((q) => q.required),
          title,
          {},
          `Runs: ${short(preview(shape, defaultAnswers(shape)), 300)}`,
        )),
      };
      const key = freeKey(server.name, (k) => this.keyTaken(k));
      const target = await this.pickTarget(shape, answers, key, title);
      if (!target) return;
      const provenance = { url: client.url, name: server.name, version: server.version };
      const entry = await addServerEntry({ scope: scopeOf(target), inputs: this.inputs, inputScope: inputScopeOf(target), key, shape, answers, provenance });
      added = true;
      await this.settleBundles(target, key, undefined, entry);
      this.logger.info(`added "${key}" (${scrubber.message(server.name)} ${scrubber.message(server.version)}) to ${target} settings`);
      await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
      void vscode.window.showInformationMessage(
        target === 'user'
          ? 'MCP Hub: the server was added to your user settings and starts now.'
          : 'MCP Hub: the server was added to the workspace settings; it starts once you approve it.',
      );
    } catch (error) {
      if (error instanceof Cancelled) return;
      this.logger.warn(`Add Server: ${scrubber.message(error)}`);
      void vscode.window.showErrorMessage(`MCP Hub: the server was not added. ${ourWords(error)}`);
    } finally {
      if (!added) for (const sha of unpacked) await this.bundles?.remove(sha).catch(() => undefined);
    }
  }

  /** A key no scope uses, and no row shows. */
  private keyTaken(key: string): boolean {
    if (this.hub.server(key)) return true;
    return (['user', 'workspace', 'workspaceFolder'] as const).some((source) => Object.prototype.hasOwnProperty.call(serversIn(source).servers, key));
  }

  /** The search: the registry is asked as the person types (paused briefly), a page at a time. */
  private pickServer(client: RegistryClient): Promise<RegistryServer | undefined> {
    const qp = vscode.window.createQuickPick<ServerItem>();
    qp.title = `MCP Hub: Add Server from ${client.label}`;
    qp.placeholder = 'Search the registry by name';
    qp.matchOnDescription = false;
    qp.matchOnDetail = false;
    qp.ignoreFocusOut = true;
    let servers: RegistryServer[] = [];
    let cursor: string | undefined;
    let failure: string | undefined;
    let search = '';
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const render = (focus?: RegistryServer) => {
      const items: ServerItem[] = servers.map((server) => serverItem(server));
      if (cursor) items.push({ label: '$(chevron-down) Load more…', alwaysShow: true, more: true });
      if (failure) items.push({ label: `$(error) ${failure}`, detail: 'Press Enter to try again, or change the search.', alwaysShow: true, retry: true });
      else if (items.length === 0 && !qp.busy) items.push({ label: search ? 'No server matches this search.' : 'The registry lists no servers.', alwaysShow: true });
      qp.items = items;
      const active = focus && items.find((i) => i.server === focus);
      if (active) qp.activeItems = [active];
    };
    const load = async (more: boolean) => {
      controller?.abort();
      const mine = new AbortController();
      controller = mine;
      qp.busy = true;
      try {
        const page = await client.list({ ...(search ? { search } : {}), ...(more && cursor ? { cursor } : {}), signal: mine.signal });
        if (controller !== mine) return;
        const firstNew = page.servers[0];
        servers = more ? [...servers, ...page.servers] : [...page.servers];
        cursor = page.nextCursor;
        failure = undefined;
        for (const r of page.rejected) this.logger.info(`registry ${client.label}: left out an entry: ${r.reason}`);
        qp.busy = false;
        render(more ? firstNew : undefined);
      } catch (error) {
        if (controller !== mine || isRegistryError(error, 'registry_cancelled')) return;
        failure = ourWords(error);
        this.logger.warn(`registry ${client.label}: ${failure}`);
        if (!more) servers = [];
        qp.busy = false;
        render();
      }
    };

    return new Promise((resolve) => {
      let chosen: RegistryServer | undefined;
      qp.onDidChangeValue((value) => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          search = value.trim();
          cursor = undefined;
          void load(false);
        }, SEARCH_DEBOUNCE_MS);
      });
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (!item) return;
        if (item.more) return void load(true);
        if (item.retry) return void load(false);
        if (!item.server) return;
        chosen = item.server;
        qp.hide();
      });
      qp.onDidHide(() => {
        if (timer) clearTimeout(timer);
        controller?.abort();
        qp.dispose();
        resolve(chosen);
      });
      qp.show();
      void load(false);
    });
  }

  /** Which of the server's packages and remotes to install, each shown with what it runs. */
  private async pickOption(server: RegistryServer, client: RegistryClient): Promise<InstallOption | undefined> {
    const options = installOptions(server).map((option) => ({ option, problem: optionProblem(option, client.url) }));
    for (const o of options) if (o.problem) this.logger.info(`registry ${client.label}: ${scrubber.message(server.name)}: cannot install an option: ${o.problem}`);
    for (const reason of server.skipped) this.logger.info(`registry ${client.label}: ${scrubber.message(server.name)}: left out: ${reason}`);
    const usable = options.filter((o) => !o.problem).map((o) => o.option);
    if (usable.length === 0) throw new WriteRefused('The server offers no package or remote MCP Hub can install (the MCP Hub log says why).');
    if (usable.length === 1) return usable[0];
    const items = usable.map((option) => ({ label: optionLabel(option), detail: plain(this.describe(option)), option }));
    const picked = await vscode.window.showQuickPick(items, {
      title: `MCP Hub: ${plain(server.title ?? server.name)} ${plain(server.version)}`,
      placeHolder: 'How should it run? Each line is what would run.',
      ignoreFocusOut: true,
    });
    return picked?.option;
  }

  /** What an option runs, before any question. */
  private describe(option: InstallOption): string {
    if (option.kind === 'package' && option.package.registryType === 'mcpb')
      return `Downloads ${short(scrubber.url(option.package.identifier), 120)}, checks its SHA-256, and runs it as its manifest says`;
    const shape = shapeOf(option);
    return short(preview(shape, defaultAnswers(shape)), 300);
  }

  /** Asks each question in turn; Escape anywhere cancels the whole Add (nothing is written). */
  private async ask(questions: readonly Question[], title: string, known: Answers = {}, runs?: string): Promise<Record<string, string>> {
    const answers: Record<string, string> = {};
    const todo = questions.filter((q) => known[q.id] === undefined);
    for (const [i, q] of todo.entries()) {
      const step = todo.length > 1 ? ` (${i + 1}/${todo.length})` : '';
      const about = [q.spec.description, q.secret ? 'Kept in VS Code secret storage, never in settings.' : undefined].filter(Boolean).join(' ');
      let value: string | undefined;
      const choices = q.spec.choices ?? (q.spec.format === 'boolean' ? ['true', 'false'] : undefined);
      if (choices) {
        const items = choices.map((c) => ({ label: plain(c), value: c, ...(c === q.spec.default ? { description: 'default' } : {}) }));
        const picked = await vscode.window.showQuickPick(items, { title: `${title}${step}`, placeHolder: plain(`${q.label}${about ? ` — ${about}` : ''}`), ignoreFocusOut: true });
        value = picked?.value;
      } else {
        value = await vscode.window.showInputBox({
          title: `${title}${step}`,
          prompt: plain(`${q.label}${about ? `: ${about}` : ''}${runs ? ` — ${runs}` : ''}`),
          ...(q.spec.placeholder ? { placeHolder: plain(q.spec.placeholder) } : q.spec.format === 'filepath' ? { placeHolder: 'A path on this computer' } : {}),
          ...(q.spec.default !== undefined && !q.secret ? { value: q.spec.default } : {}),
          password: q.secret,
          ignoreFocusOut: true,
          validateInput: (text) => checkAnswer(q, text),
        });
      }
      if (value === undefined) throw new Cancelled();
      answers[q.id] = value;
    }
    return answers;
  }

  /** User or workspace settings, each item saying exactly what will be written and run. */
  private async pickTarget(shape: Shape, answers: Answers, key: string, title: string): Promise<OwnSource | undefined> {
    const runs = plain(
      short(
        preview(shape, answers, (q) => suggestSecretName(key, q)),
        400,
      ),
    );
    const items: Array<vscode.QuickPickItem & { source: OwnSource }> = [{ label: '$(account) User settings', description: `as "${key}"`, detail: `Runs: ${runs}`, source: 'user' }];
    if (vscode.workspace.workspaceFolders?.length) {
      items.push({ label: '$(folder) Workspace settings', description: `as "${key}", after you approve it`, detail: `Runs: ${runs}`, source: 'workspace' });
    }
    const picked = await vscode.window.showQuickPick(items, { title: `${title}: add to…`, placeHolder: 'Where should the server be added?', ignoreFocusOut: true });
    return picked?.source;
  }

  // -------------------------------------------------------------------------------------------
  // Update

  /** Moves a registry entry to the newer version, keeping its answers (asking only what is new), and so restarts it. */
  async updateServer(name?: unknown): Promise<void> {
    const servers = this.hub.servers().filter((s) => s.updateAvailable);
    const chosen =
      typeof name === 'string'
        ? name
        : servers.length === 1
          ? servers[0].name
          : (
              await vscode.window.showQuickPick(
                servers.map((s) => ({ label: s.name })),
                { title: 'MCP Hub: Update Server', placeHolder: servers.length === 0 ? 'No server has an update' : 'Choose a server' },
              )
            )?.label;
    if (!chosen) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'MCP Hub: updating the server…' }, () => this.update(chosen));
    } catch (error) {
      if (error instanceof Cancelled) return;
      this.logger.warn(`[${chosen}] update: ${scrubber.message(error)}`);
      void vscode.window.showErrorMessage(`MCP Hub: the server was not updated. ${ourWords(error)}`);
    }
  }

  private async update(name: string): Promise<void> {
    const server = this.hub.server(name);
    const from = server?.config?.registry;
    if (!server?.config || !from) throw new WriteRefused('It was not installed from a registry.');
    // The organisation's servers are its policy's, not the person's settings: its administrator updates them.
    if (server.source === 'managed') throw new WriteRefused("It is managed by your organisation's policy.");
    const source = server.source;
    const key = server.settingsKey ?? name;
    const scope = scopeOf(source);
    const raw = scope.read()[key];
    const entry = await updateServerEntry({
      scope,
      inputs: this.inputs,
      inputScope: inputScopeOf(source),
      key,
      client: new RegistryClient(from.url),
      from,
      runs: runFieldsOf(server.config, typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined),
      shapes: bundleShapes(this.bundles, { registryUrl: from.url }),
      ask: (questions, known, version) => this.ask(questions, `MCP Hub: update ${name} to ${plain(short(version, 40))}`, known),
    });
    const version = (entry.registry as RegistryProvenance).version;
    this.logger.info(`[${name}] updated to ${scrubber.message(from.name)} ${scrubber.message(version)}`);
    await this.settleBundles(source, key, raw, entry);
  }

  /** Records the bundles the entry runs now; a bundle no recorded entry runs any more is removed. */
  private async settleBundles(source: OwnSource, key: string, before: unknown, after: unknown): Promise<void> {
    if (!this.bundles) return;
    const owner = `${source === 'user' ? 'user' : `${source}:${workspaceId() ?? ''}`}/${key}`;
    try {
      for (const sha of await this.bundles.settleUses(owner, before, after)) this.logger.info(`removed the MCP bundle ${sha.slice(0, 12)}…, which no entry runs any more`);
    } catch (error) {
      // The entry is written: a bundle left on disk only costs space.
      this.logger.warn(`MCP bundles: could not record which entry runs which bundle: ${scrubber.message(error)}`);
    }
  }
}

function serverItem(server: RegistryServer): ServerItem {
  const repository = server.repository ? server.repository.replace(/^https:\/\//, '') : undefined;
  const about = [server.name, repository, server.description].filter(Boolean).join(' · ');
  return {
    label: plain(short(server.title ?? server.name.slice(server.name.indexOf('/') + 1), 80)),
    description: plain(`${short(server.version, 40)}${server.status === 'deprecated' ? ' · deprecated' : ''}`),
    detail: plain(short(about, 300)),
    alwaysShow: true,
    server,
  };
}

/** Where the person's own entries live (the organisation's come from its policy). */
type OwnSource = Exclude<ConfigSource, 'managed'>;

function scopeOf(source: OwnSource): ServersScope {
  return { read: () => serversIn(source).servers, write: (next) => serversIn(source).write(next) };
}

function inputScopeOf(source: OwnSource): InputScope {
  if (source === 'user') return USER_INPUTS;
  const id = workspaceId();
  if (!id) throw new WriteRefused('No workspace is open.');
  return { kind: 'workspace', id };
}

/**
 * An error for a notification. A registry error names the registry (from settings) and what went
 * wrong; an install error may quote a registry's values, so it is said in general words (the log has
 * it); anything else (writing settings, secret storage) is scrubbed.
 */
function ourWords(error: unknown): string {
  if (error instanceof InstallError) return 'MCP Hub cannot install it as the registry describes it (the MCP Hub log says why).';
  const text = scrubber.message(error);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
