/**
 * The company IdP in VS Code: `mcpHub.enterprise.idp` from the user's settings (never a workspace's:
 * a shared folder must not choose where people sign in), its client secret from secret storage, or
 * a VS Code authentication provider's session (e.g. Microsoft's, for Entra ID) as the sign-in;
 * the Sign In / Sign Out commands; and what the panel's header shows of it.
 */
import * as vscode from 'vscode';
import { ENTERPRISE_IDP_SETTING, parseEnterpriseIdp, SETTINGS_SECTION, type EnterpriseIdpSettings } from '../core/config';
import { notificationText } from '../core/failure';
import type { McpHub } from '../core/hub';
import type { InputStore } from '../core/inputs';
import type { IdTokenSource } from '../core/oauth/idp';
import type { Logger } from '../core/ports';
import { scrubber } from '../core/scrub';
import type { EnterpriseView } from '../protocol';

export const ENTERPRISE_COMMANDS = {
  signIn: 'mcpHub.enterpriseSignIn',
  signOut: 'mcpHub.enterpriseSignOut',
} as const;

const INPUT_REF = /^\$\{input:([\w.-]+)\}$/;

export class EnterpriseHost implements vscode.Disposable {
  private current: EnterpriseView | undefined;
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** The panel's header line changed. */
  readonly onDidChange = this._onDidChange.event;
  private readonly disposables: vscode.Disposable[] = [this._onDidChange];

  constructor(
    private readonly hub: McpHub,
    private readonly inputs: InputStore,
    private readonly logger: Logger,
  ) {
    this.disposables.push(
      toDisposable(hub.onDidChangeEnterprise(() => void this.update())),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`${SETTINGS_SECTION}.enterprise`) && void this.apply()),
      toDisposable(inputs.onDidChange(() => void this.apply())),
      vscode.commands.registerCommand(ENTERPRISE_COMMANDS.signIn, () => this.signIn()),
      vscode.commands.registerCommand(ENTERPRISE_COMMANDS.signOut, () => this.signOut()),
    );
  }

  /** What the panel's header shows, or undefined when no IdP is configured. */
  view(): EnterpriseView | undefined {
    return this.current;
  }

  /** Reads the setting (user scope only) and configures the hub's IdP. */
  async apply(): Promise<void> {
    const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<unknown>('enterprise.idp');
    if (inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined) {
      this.logger.warn(`${ENTERPRISE_IDP_SETTING} in workspace settings is ignored: where you sign in is set in your user settings only`);
    }
    let settings: EnterpriseIdpSettings | undefined;
    try {
      settings = parseEnterpriseIdp(inspected?.globalValue);
    } catch (error) {
      this.logger.error(scrubber.message(error));
      void vscode.window.showErrorMessage(`MCP Hub: ${scrubber.message(error)}`);
    }
    let clientSecret: string | undefined;
    const ref = settings?.clientSecret ? INPUT_REF.exec(settings.clientSecret)?.[1] : undefined;
    if (settings && ref) {
      clientSecret = await this.inputs.get(ref).catch(() => undefined);
      if (!clientSecret) this.logger.warn(`${ENTERPRISE_IDP_SETTING}.clientSecret: no value is stored for \${input:${ref}}; set it with "MCP Hub: Set Value…"`);
    }
    this.logger.info(
      settings ? `company IdP: ${settings.issuer}${settings.authProvider ? ` (through the VS Code account ${settings.authProvider.id})` : ''}` : 'no company IdP configured',
    );
    this.hub.configureEnterprise(settings, {
      ...(clientSecret ? { clientSecret } : {}),
      ...(settings?.authProvider ? { external: vscodeAccount(settings.authProvider) } : {}),
    });
    await this.update();
  }

  private async update(): Promise<void> {
    const status = await this.hub.enterpriseStatus().catch((error: unknown) => {
      this.logger.warn(`reading the company IdP sign-in failed: ${scrubber.message(error)}`);
      return undefined;
    });
    let next: EnterpriseView | undefined;
    if (status) {
      const a = status.account;
      const who = a?.name && a.email ? `${a.name} (${a.email})` : (a?.email ?? a?.username ?? a?.name);
      let label = status.issuer;
      try {
        label = new URL(status.issuer).host;
      } catch {
        // kept as written
      }
      next = { label, signedIn: status.signedIn, signingIn: status.signingIn, via: status.via, ...(who ? { account: who } : {}) };
    }
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.logger.debug(`company IdP: ${next ? (next.signingIn ? 'signing in' : next.signedIn ? 'signed in' : 'signed out') : 'none'}`);
    this.current = next;
    this._onDidChange.fire();
  }

  async signIn(): Promise<void> {
    if (!this.current) {
      const open = 'Open Settings';
      const pick = await vscode.window.showInformationMessage(
        `MCP Hub: no company IdP is configured. Set ${ENTERPRISE_IDP_SETTING} (issuer and clientId) in your user settings.`,
        open,
      );
      if (pick === open) await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: ENTERPRISE_IDP_SETTING } });
      return;
    }
    try {
      await this.hub.enterpriseSignIn();
    } catch (error) {
      this.logger.warn(`company IdP sign-in did not complete: ${scrubber.message(error)}`);
      void vscode.window.showErrorMessage(`MCP Hub: signing in to your company IdP did not complete. ${notificationText(error)}`);
    }
  }

  cancel(): void {
    this.hub.cancelEnterpriseSignIn();
  }

  async signOut(): Promise<void> {
    await this.hub.enterpriseSignOut();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function toDisposable(d: { dispose(): void }): vscode.Disposable {
  return new vscode.Disposable(() => d.dispose());
}

/**
 * A VS Code authentication provider's session as the IdP sign-in. Its ID token is what providers
 * that speak OpenID Connect put beside the access token (Microsoft's does, as `idToken`).
 */
function vscodeAccount(provider: { id: string; scopes: readonly string[] }): IdTokenSource {
  const label = provider.id === 'microsoft' ? 'Microsoft' : provider.id;
  return {
    label,
    async idToken(interactive) {
      const session = await vscode.authentication.getSession(provider.id, [...provider.scopes], interactive ? { createIfNone: true } : { silent: true });
      // Not in VS Code's type: what an OpenID Connect provider's session carries beside it.
      const idToken: unknown = session ? (session as unknown as Record<string, unknown>).idToken : undefined;
      if (typeof idToken !== 'string') return undefined;
      scrubber.remember(idToken, session?.accessToken);
      return idToken;
    },
    onDidChange: (listener) => vscode.authentication.onDidChangeSessions((e) => e.provider.id === provider.id && listener()),
  };
}
