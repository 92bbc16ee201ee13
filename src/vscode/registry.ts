/**
 * MCP registries in the editor: the commands, and the update check (once the settings are applied,
 * then daily, and on demand) that puts **Update** on a row. What they need is loaded when first used,
 * in chunks of the bundle of their own: the flows a person starts, **Add Server…** and **Update**
 * (registry-flows.ts), and the check with the registry client.
 */
import * as vscode from 'vscode';
import type { McpHub } from '../core/hub';
import type { InputStore } from '../core/inputs';
import { systemClock, type Logger } from '../core/ports';
import type { RegistryUpdates } from '../core/registry/updates';
import type { RegistryFlows } from './registry-flows';

export const REGISTRY_COMMANDS = {
  addServer: 'mcpHub.addServer',
  updateServer: 'mcpHub.updateServer',
  checkForUpdates: 'mcpHub.checkForUpdates',
} as const;

export class RegistryHost implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private flows: Promise<RegistryFlows> | undefined;
  private updates: Promise<RegistryUpdates> | undefined;
  private disposed = false;

  constructor(
    private readonly hub: McpHub,
    private readonly inputs: InputStore,
    private readonly logger: Logger,
    /** Where MCP bundles are unpacked. */
    private readonly bundlesDir?: string,
  ) {
    this.disposables.push(
      vscode.commands.registerCommand(REGISTRY_COMMANDS.addServer, () => this.addServer()),
      vscode.commands.registerCommand(REGISTRY_COMMANDS.updateServer, (name?: unknown) => this.updateServer(name)),
      vscode.commands.registerCommand(REGISTRY_COMMANDS.checkForUpdates, () => this.checkForUpdates()),
    );
  }

  private loadFlows(): Promise<RegistryFlows> {
    this.flows ??= import('./registry-flows.js').then(({ RegistryFlows }) => new RegistryFlows(this.hub, this.inputs, this.logger, this.bundlesDir));
    return this.flows;
  }

  private loadUpdates(): Promise<RegistryUpdates> {
    this.updates ??= import('../core/registry/lazy.js').then(({ RegistryUpdates, RegistryClient }) => {
      const updates = new RegistryUpdates({
        client: (url) => new RegistryClient(url),
        installed: () => this.hub.registryEntries(),
        onResult: (found) => this.hub.setAvailableUpdates(found),
        clock: systemClock,
        logger: this.logger,
      });
      if (this.disposed) updates.dispose();
      else this.disposables.push(updates);
      return updates;
    });
    return this.updates;
  }

  async addServer(): Promise<void> {
    return (await this.loadFlows()).addServer();
  }

  /** Moves a registry entry to the newer version, keeping its answers (asking only what is new), and so restarts it. */
  async updateServer(name?: unknown): Promise<void> {
    return (await this.loadFlows()).updateServer(name);
  }

  /** The first update check, then one a day. */
  startUpdateChecks(): void {
    void this.loadUpdates().then((updates) => {
      if (!this.disposed) updates.start();
    });
  }

  async checkForUpdates(): Promise<void> {
    const updates = await (await this.loadUpdates()).checkNow();
    void vscode.window.showInformationMessage(
      updates.size === 0
        ? 'MCP Hub: every server installed from a registry is up to date.'
        : `MCP Hub: ${updates.size} ${updates.size === 1 ? 'server has' : 'servers have'} an update; the panel shows Update on ${updates.size === 1 ? 'its row' : 'their rows'}.`,
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
  }
}
