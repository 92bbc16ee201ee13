/**
 * What the editor's own MCP client (VS Code's, through its server definition provider) is given for
 * each hub server. The list is asked for eagerly and kept on disk by the editor (VS Code caches
 * provider definitions, headers included, in workspace storage: `mcp.extCachedServers`), so it
 * names each server and its gateway URL only. The token is handed over when the editor starts a
 * server (`resolveMcpServerDefinition`, which is not cached), after any sign-in the server needs.
 */
import type { McpHub } from '../hub';
import { whenReady } from './ready';

export interface EditorGateway {
  /** The gateway's URL for one server, or undefined while it does not listen. */
  url(server: string): string | undefined;
  /** The token now (it changes when the person rotates it). */
  token(): string;
}

/** One server as the editor's list holds it: nothing secret. */
export interface ListedServer {
  readonly name: string;
  readonly url: string;
}

/** What one start of a server is given: where, and the header only that start carries. */
export interface ServerStart {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface StartChoices {
  /**
   * Asks the person whether to sign in now to a server that needs it; `permission` is set when what
   * it needs is more permission (the sentence that says which), not a first sign-in.
   */
  confirmSignIn(name: string, permission?: string): Promise<boolean>;
  /** Tells the person a sign-in did not complete. */
  signInFailed(error: unknown): void;
}

export class EditorClient {
  constructor(
    private readonly hub: McpHub,
    private readonly gateway: EditorGateway,
  ) {}

  /** Every valid entry that is not disabled, while the gateway listens; never the token. */
  list(): ListedServer[] {
    const listed: ListedServer[] = [];
    for (const s of this.hub.servers()) {
      if (!s.config || s.state.kind === 'disabled') continue;
      const url = this.gateway.url(s.name);
      if (url) listed.push({ name: s.name, url });
    }
    return listed;
  }

  /**
   * The editor starts a server: wait for it, sign in when it needs that and the person says so, then
   * hand over the URL and the token. Undefined when it is not to start (gone, or no sign-in).
   */
  async start(name: string, choices: StartChoices): Promise<ServerStart | undefined> {
    const server = this.hub.server(name);
    if (!server) return undefined;
    const ready = await whenReady(this.hub, server.name);
    if (!ready) return undefined;
    if (ready.state.kind === 'authRequired') {
      const permission = ready.state.code === 'insufficient_scope' ? ready.state.reason : undefined;
      if (!(await choices.confirmSignIn(server.name, permission))) return undefined;
      try {
        await this.hub.authenticate(server.name);
      } catch (error) {
        choices.signInFailed(error);
        return undefined;
      }
    }
    const url = this.gateway.url(server.name);
    if (!url) return undefined;
    return { url, headers: { Authorization: `Bearer ${this.gateway.token()}` } };
  }
}
