/** Maps the hub's servers to what the panel shows. Pure: no `vscode`, no secrets. */
import type { HubServer } from './core/hub';
import { scrubber } from './core/scrub';
import type { Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import { isToolAllowed } from './core/config';
import { actionsFor } from './core/state';
import { filterReason } from './core/tool-switch';
import type { OrganisationPolicy } from './core/managed-policy';
import { MAX_RESOURCE_VIEWS, type OrganisationView, type PromptView, type ResourceView, type ServerView, type ToolView } from './protocol';

export function toServerView(server: HubServer): ServerView {
  const { state, config } = server;
  const actions = actionsFor(state, server.actionContext);
  const base = {
    name: server.name,
    transport: config ? config.type : ('invalid' as const),
    target: config ? (config.type === 'stdio' ? scrubber.commandLine(config.command, config.args) : scrubber.url(config.url)) : '',
    source: server.source,
    ...(config?.managed ? { managed: { by: scrubber.message(config.managed.by), availability: config.managed.availability } } : {}),
    tools: [] as ServerView['tools'],
    resourceCount: 0,
    promptCount: 0,
    actions,
    // The version a registry names is its text: scrubbed and short.
    ...(server.updateAvailable ? { updateAvailable: scrubber.message(server.updateAvailable).slice(0, 64) } : {}),
    ...(server.oauth ? { oauth: true } : {}),
    ...(server.warnings.length > 0 ? { warnings: server.warnings.map((w) => scrubber.message(w)) } : {}),
    ...(server.session
      ? {
          session: {
            issuer: server.session.issuer ? scrubber.url(server.session.issuer) : '',
            scopes: server.session.scopes.map((s) => scrubber.message(s)),
            ...(server.session.expiresAt ? { expiresAt: server.session.expiresAt } : {}),
            ...(server.session.obtainedAt ? { obtainedAt: server.session.obtainedAt } : {}),
            ...(server.session.refreshedAt ? { refreshedAt: server.session.refreshedAt } : {}),
            // Who is signed in: the account's claims were scrubbed and capped when they were stored.
            ...(server.session.account
              ? {
                  account: {
                    ...(server.session.account.name ? { name: server.session.account.name } : {}),
                    ...(server.session.account.email ? { email: server.session.account.email } : {}),
                    ...(server.session.account.username ? { username: server.session.account.username } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
  };
  // Every text that may come from a server or an authorization server passes the scrubber here too.
  const message = (text: string | undefined) => (text === undefined ? {} : { message: scrubber.message(text) });
  const detail = (text: string | undefined) => (text === undefined ? {} : { detail: scrubber.detail(text) });
  switch (state.kind) {
    case 'running':
      return {
        ...base,
        status: 'running',
        serverName: scrubber.message(state.serverInfo.title ?? state.serverInfo.name),
        serverVersion: scrubber.message(state.serverInfo.version),
        ...(state.serverInfo.protocolVersion ? { protocolVersion: scrubber.message(state.serverInfo.protocolVersion) } : {}),
        tools: state.tools.map(toolView),
        ...(state.filteredTools?.length && config
          ? {
              filteredTools: state.filteredTools.map((name) => ({
                name: scrubber.message(name),
                reason: filterReason(config.tools, name, config.managed) ?? 'filtered out',
                ...(config.managed && !isToolAllowed(config.managed.tools, name) ? { locked: true } : {}),
              })),
            }
          : {}),
        // Switches write the entry's own settings scope; an entry from a folder the person does not trust stays as it is.
        toolSwitches: config !== undefined,
        resourceCount: state.resources.length,
        promptCount: state.prompts.length,
        ...(state.resources.length > 0 ? { resources: state.resources.slice(0, MAX_RESOURCE_VIEWS).map(resourceView) } : {}),
        ...(state.serverInfo.offers?.resources ? { templates: true } : {}),
        ...(state.prompts.length > 0 ? { prompts: state.prompts.map(promptView) } : {}),
        ...(state.signIn ? { signingIn: true, ...(state.signIn.redirectUri ? { redirectUri: state.signIn.redirectUri } : {}) } : {}),
        // How the last sign-in for more permission ended comes first: it answers the button just pressed.
        ...message(state.notice ?? state.needsScope?.message),
        ...detail(state.noticeDetail),
      };
    case 'starting':
      return { ...base, status: 'starting' };
    case 'authRequired':
      return { ...base, status: 'authRequired', ...message(state.reason), ...detail(state.detail) };
    case 'authenticating':
      return { ...base, status: 'authenticating', ...(state.redirectUri ? { redirectUri: state.redirectUri } : {}) };
    case 'error':
      return { ...base, status: 'error', ...message(state.message), ...detail(state.detail), ...(state.retryAt ? { retryAt: state.retryAt } : {}) };
    case 'needsInput':
      return {
        ...base,
        status: 'needsInput',
        missingInputs: state.inputs,
        message: `Set Value… asks for ${state.inputs.length === 1 ? 'it' : 'them'} once and keeps ${state.inputs.length === 1 ? 'it' : 'them'} in VS Code secret storage.`,
      };
    case 'stopped':
      return { ...base, status: 'stopped' };
    case 'disabled':
      if (state.reason === 'policy')
        return { ...base, status: 'blocked', blockedBy: 'vscode', message: scrubber.message(`Not started: ${state.message ?? 'VS Code refuses it'}.`) };
      if (state.reason === 'organisation') {
        return { ...base, status: 'blocked', blockedBy: 'organisation', message: scrubber.message(`Not started: ${state.message ?? 'your organisation refuses it'}.`) };
      }
      if (state.reason === 'approval') {
        const asked = server.consent;
        const runs = asked ? (asked.transport === 'stdio' ? `runs ${asked.runs}` : `connects to ${asked.runs}`) : undefined;
        return {
          ...base,
          status: 'awaitingApproval',
          message: scrubber.message(
            state.message ? `From this workspace's settings; ${state.message}.` : `From this workspace's settings; it ${runs ?? 'runs'} once you approve it.`,
          ),
        };
      }
      return {
        ...base,
        status: 'disabled',
        message:
          state.message ?? (state.reason === 'untrusted' ? 'defined in workspace settings; trust the workspace to start it' : 'set "disabled": false in settings to start it'),
      };
  }
}

/** The organisation's policy for the panel's header; undefined when there is none. */
export function organisationView(org: OrganisationPolicy): OrganisationView | undefined {
  switch (org.kind) {
    case 'none':
      return undefined;
    case 'ok':
      return {
        kind: 'ok',
        name: scrubber.message(org.policy.organization),
        origin: scrubber.message(org.origin),
        gateway: org.policy.gateway,
        userServers: org.policy.userServers,
      };
    case 'broken':
      return { kind: 'broken', origin: scrubber.message(org.origin), problem: scrubber.message(org.problem) };
  }
}

export function toolView(t: Tool): ToolView {
  const a = t.annotations;
  const annotations = a
    ? {
        ...(a.readOnlyHint !== undefined ? { readOnly: a.readOnlyHint } : {}),
        ...(a.destructiveHint !== undefined ? { destructive: a.destructiveHint } : {}),
        ...(a.idempotentHint !== undefined ? { idempotent: a.idempotentHint } : {}),
        ...(a.openWorldHint !== undefined ? { openWorld: a.openWorldHint } : {}),
      }
    : undefined;
  return {
    name: scrubber.message(t.name),
    ...((t.title ?? a?.title) ? { title: scrubber.message((t.title ?? a?.title)!) } : {}),
    ...(t.description ? { description: scrubber.detail(t.description) } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

function resourceView(r: Resource): ResourceView {
  return {
    uri: r.uri,
    name: scrubber.message(r.name),
    ...(r.title ? { title: scrubber.message(r.title) } : {}),
    ...(r.mimeType ? { mimeType: scrubber.message(r.mimeType) } : {}),
    ...(r.description ? { description: scrubber.detail(r.description) } : {}),
  };
}

function promptView(p: Prompt): PromptView {
  return {
    name: scrubber.message(p.name),
    ...(p.title ? { title: scrubber.message(p.title) } : {}),
    ...(p.description ? { description: scrubber.detail(p.description) } : {}),
    arguments: (p.arguments ?? []).map((a) => ({
      name: scrubber.message(a.name),
      ...(a.description ? { description: scrubber.detail(a.description) } : {}),
      ...(a.required ? { required: true } : {}),
    })),
  };
}
