/**
 * The organisation's policy in the editor: the managed file at this OS's fixed path (owned by root on
 * Linux and macOS) and VS Code's policy `McpHubOrganizationPolicy`, read at start, whenever the file
 * or its folder changes, when the window regains focus, and when VS Code's policies change. Nothing a
 * person or a folder sets can move the file (see managed-policy.ts).
 */
import * as vscode from 'vscode';
import { stableStringify } from '../core/config';
import {
  combineChannels,
  managedPolicyPath,
  NO_ORGANISATION_POLICY,
  POLICY_SETTING,
  policyFromVSCode,
  readPolicyFile,
  watchPolicyFile,
  type OrganisationPolicy,
  type PolicyFile,
} from '../core/managed-policy';
import type { Logger } from '../core/ports';
import { readVSCodePolicyValue } from './settings';

export class OrganisationHost implements vscode.Disposable {
  private current: OrganisationPolicy = NO_ORGANISATION_POLICY;
  private readonly file: PolicyFile;
  private readonly _onDidChange = new vscode.EventEmitter<OrganisationPolicy>();
  /** The policy changed (appeared, changed, went away or broke). */
  readonly onDidChange = this._onDidChange.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private reading: Promise<void> = Promise.resolve();

  constructor(private readonly logger: Logger) {
    // The fixed path of this OS, and root as its only owner where that can be checked.
    this.file = { path: managedPolicyPath(process.platform), ...(process.platform === 'win32' ? {} : { owner: 0 }) };
    const watcher = watchPolicyFile(this.file.path, () => void this.refresh());
    this.subscriptions.push(
      { dispose: () => watcher.dispose() },
      vscode.window.onDidChangeWindowState((state) => {
        if (state.focused) void this.refresh();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(POLICY_SETTING)) void this.refresh();
      }),
    );
  }

  get policy(): OrganisationPolicy {
    return this.current;
  }

  /** Reads both channels again (one read at a time); fires onDidChange when the policy is not what it was. */
  refresh(): Promise<void> {
    this.reading = this.reading.then(async () => {
      let next: OrganisationPolicy;
      try {
        next = combineChannels(await readPolicyFile(this.file), policyFromVSCode(readVSCodePolicyValue(), ''));
      } catch (error) {
        // Whatever went wrong, not knowing the policy is no reason to run what it may forbid.
        next = { kind: 'broken', origin: this.file.path, problem: `could not be read (${(error as Error).name})` };
      }
      if (stableStringify(next) === stableStringify(this.current)) return;
      this.current = next;
      this.log(next);
      this._onDidChange.fire(next);
    });
    return this.reading;
  }

  private log(p: OrganisationPolicy): void {
    if (p.kind === 'none') this.logger.info('organisation policy: none');
    else if (p.kind === 'broken') this.logger.error(`organisation policy: ${p.origin} cannot be used: ${p.problem}; no server runs until it is fixed`);
    else {
      const { organization, servers, userServers, gateway } = p.policy;
      this.logger.info(`organisation policy from ${p.origin}: ${organization}, ${servers.length} managed servers, userServers ${userServers}, gateway ${gateway}`);
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this._onDidChange.dispose();
  }
}
