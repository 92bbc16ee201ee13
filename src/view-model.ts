/** Maps the hub's servers to what the panel shows. Pure: no `vscode`, no secrets. */
import type { HubServer } from './core/hub';
import type { ServerAction, ServerView } from './protocol';

export function toServerView(server: HubServer): ServerView {
  const { state, config } = server;
  const base = {
    name: server.name,
    transport: config ? config.type : ('invalid' as const),
    target: config ? (config.type === 'stdio' ? config.command : displayUrl(config.url)) : '',
    source: server.source,
    tools: [] as ServerView['tools'],
    resourceCount: 0,
    promptCount: 0,
    ...(server.session
      ? { session: { ...(server.session.issuer ? { issuer: server.session.issuer } : { issuer: '' }), scopes: server.session.scopes, ...(server.session.expiresAt ? { expiresAt: server.session.expiresAt } : {}) } }
      : {}),
  };
  // Log Out fits any state while a session exists; Copy Redirect URI fits any OAuth server.
  const logout: ServerAction[] = server.session ? ['logout'] : [];
  switch (state.kind) {
    case 'running':
      return {
        ...base,
        status: 'running',
        serverName: state.serverInfo.title ?? state.serverInfo.name,
        serverVersion: state.serverInfo.version,
        tools: state.tools.map((t) => ({ name: t.name, ...(t.title ? { title: t.title } : {}), ...(t.description ? { description: t.description } : {}) })),
        resourceCount: state.resources.length,
        promptCount: state.prompts.length,
        actions: ['restart', 'stop', ...logout],
      };
    case 'starting':
      return { ...base, status: 'starting', actions: ['stop'] };
    case 'authRequired':
      return { ...base, status: 'authRequired', message: state.reason, actions: ['authenticate', ...(server.oauth ? (['copyRedirectUri'] as const) : []), ...logout] };
    case 'authenticating':
      return {
        ...base,
        status: 'authenticating',
        ...(state.redirectUri ? { redirectUri: state.redirectUri } : {}),
        actions: ['cancel', 'pasteRedirect', ...(state.redirectUri ? (['copyRedirectUri'] as const) : [])],
      };
    case 'error': {
      // An invalid entry has no config: nothing to restart until the settings are fixed.
      const actions: ServerAction[] = config ? ['restart', 'stop', ...logout] : [];
      return { ...base, status: 'error', message: state.message, ...(state.detail ? { detail: state.detail } : {}), ...(state.retryAt ? { retryAt: state.retryAt } : {}), actions };
    }
    case 'stopped':
      return { ...base, status: 'stopped', actions: ['start', ...logout] };
    case 'disabled':
      return {
        ...base,
        status: 'disabled',
        message: state.reason === 'untrusted' ? 'defined in workspace settings; trust the workspace to start it' : 'set "disabled": false in settings to start it',
        actions: [],
      };
  }
}

/** The URL without its query or fragment, which may carry keys. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '';
  }
}
