/**
 * <mcp-session>: who is signed in to a server (account, issuer, scopes, expiry, sign-in or last refresh) and, for
 * servers that sign in with OAuth, the way to its OAuth trace and a diagnostics report.
 */
import { html, nothing } from 'lit';
import type { SessionView } from '../../src/protocol';
import { LightElement } from './light-element';
import { isRecord, num, str, strings } from './format';
import { post } from './vscode-api';
import { icon } from './icon';
import './relative-time';

/** "Ada Lovelace (ada@example.com)", "ada", or nothing when the authorization server did not say. */
export function accountText(account: unknown): string | undefined {
  if (!isRecord(account)) return undefined;
  const name = str(account.name);
  const handle = str(account.email) ?? str(account.username);
  if (name && handle && name !== handle) return `${name} (${handle})`;
  return name ?? handle;
}

export class SessionInfo extends LightElement {
  static override properties = { server: {}, session: { attribute: false }, oauth: { type: Boolean } };

  declare server: string;
  declare session: SessionView | undefined;
  declare oauth: boolean;

  constructor() {
    super();
    this.server = '';
    this.session = undefined;
    this.oauth = false;
  }

  protected override render() {
    return html`${isRecord(this.session) ? this.renderSession(this.session) : nothing}${this.oauth ? this.renderOAuth() : nothing}`;
  }

  private renderSession(session: SessionView) {
    const account = accountText(session.account);
    const label = str(session.label);
    const issuer = str(session.issuer);
    const scopes = strings(session.scopes);
    const expiresAt = num(session.expiresAt);
    const refreshedAt = num(session.refreshedAt);
    const obtainedAt = num(session.obtainedAt);
    // "signed in <time>" until the tokens were refreshed, then "refreshed <time>".
    const times = [
      expiresAt !== undefined ? html`<mcp-time class="expires" kind="expiry" .at=${expiresAt}></mcp-time>` : undefined,
      refreshedAt !== undefined
        ? html`<mcp-time class="refreshed" kind="refreshed" .at=${refreshedAt}></mcp-time>`
        : obtainedAt !== undefined
          ? html`<mcp-time class="signed-in" kind="signedIn" .at=${obtainedAt}></mcp-time>`
          : undefined,
    ].filter((t) => t !== undefined);
    return html`<div class="session">
      ${icon('account', 'session-icon')}
      <div class="session-lines">
        <div class="account">
          ${
            label
              ? html`Signed in: account "<span class="account-name">${label}</span>", as chosen in the browser: the server does not say who signed in`
              : account
                ? html`Signed in as <span class="account-name">${account}</span>`
                : 'Signed in'
          }
        </div>
        ${issuer ? html`<div class="muted issuer" title=${issuer}>issuer ${issuer}</div>` : nothing}
        ${scopes.length > 0 ? html`<div class="muted scopes">scopes ${scopes.join(' ')}</div>` : nothing}
        ${times.length > 0 ? html`<div class="muted times">${times.map((t, i) => (i === 0 ? t : html` · ${t}`))}</div>` : nothing}
      </div>
    </div>`;
  }

  private renderOAuth() {
    return html`<div class="oauth-links">
      <button type="button" class="link-button" data-trace data-server=${this.server} data-focus="trace" @click=${() => post({ type: 'showTrace', server: this.server })}>
        OAuth trace
      </button>
      <span class="muted" aria-hidden="true">·</span>
      <button
        type="button"
        class="link-button"
        data-diagnostics
        data-server=${this.server}
        data-focus="diagnostics"
        title="Puts a scrubbed report about this server on the clipboard"
        @click=${() => post({ type: 'copyDiagnostics', server: this.server })}
      >
        Copy diagnostics
      </button>
    </div>`;
  }
}

customElements.define('mcp-session', SessionInfo);

declare global {
  interface HTMLElementTagNameMap {
    'mcp-session': SessionInfo;
  }
}
