/**
 * A server's state is one discriminated union. Every change goes through `transition`, which says
 * which moves are legal; a stale async result (a connect finishing after Stop) is refused there.
 * Which actions a state allows is decided here too (`actionsFor`), once, for the panel, the
 * commands and the API alike.
 */
import type { Prompt, Resource, Tool } from '@modelcontextprotocol/client';
import type { ServerAction } from '../protocol';
import type { Availability } from './config';
import { scrubber } from './scrub';

export interface ServerInfo {
  readonly name: string;
  readonly version: string;
  readonly title?: string;
  /** The negotiated protocol revision, e.g. '2026-07-28' or '2025-11-25'. */
  readonly protocolVersion?: string;
  /** What the server offers beyond its lists: resources (and templates), their update subscriptions, completions. */
  readonly offers?: {
    readonly resources?: boolean;
    readonly subscribe?: boolean;
    readonly completions?: boolean;
    /** The protocol extensions it declared (`capabilities.extensions`), such as MCP Apps. */
    readonly extensions?: Readonly<Record<string, unknown>>;
  };
}

export interface RunningLists {
  /** The tools that pass the entry's allow/deny filter: the only ones anything may call. */
  readonly tools: readonly Tool[];
  /** The names of the server's tools the filter keeps out (for the panel to show, never to call). */
  readonly filteredTools?: readonly string[];
  readonly resources: readonly Resource[];
  readonly prompts: readonly Prompt[];
}

/** A running server's sign-in news: it keeps running on its session while any of this happens. */
export interface RunningAuth {
  /** A sign-in is under way (for more permission); the old session keeps working until it ends. */
  readonly signIn?: { readonly redirectUri?: string };
  /** A tool was refused for lack of scope (403 insufficient_scope): Authenticate asks for these. */
  readonly needsScope?: { readonly scopes: readonly string[]; readonly message: string };
  /** News about the session in our words: how the last sign-in for more permission ended when it did not succeed, or when a session without a refresh token ends. */
  readonly notice?: string;
  /** The cleaned text the authorization server sent with that failure (untrusted, scrubbed). */
  readonly noticeDetail?: string;
}

export type ServerState =
  | { readonly kind: 'starting' }
  | ({ readonly kind: 'running'; readonly serverInfo: ServerInfo; readonly instructions?: string } & RunningLists & RunningAuth)
  | { readonly kind: 'authRequired'; readonly reason: string; readonly detail?: string; readonly code?: string }
  | { readonly kind: 'authenticating'; readonly redirectUri?: string }
  | { readonly kind: 'error'; readonly message: string; readonly detail?: string; readonly retryAt?: number; readonly code?: string }
  | { readonly kind: 'needsInput'; readonly inputs: readonly string[] }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'disabled'; readonly reason: DisabledReason; readonly message?: string };

export type ServerStateKind = ServerState['kind'];
/**
 * settings: "disabled": true (or a managed server turned off); untrusted: the workspace must be
 * trusted first (workspace entry, or ${workspaceFolder}); approval: a workspace entry waits for the
 * person's yes to its exact text; policy: VS Code's MCP policy refuses it (chat.mcp.access, allowed
 * or denied servers); organisation: the organisation's policy for MCP Hub refuses it (managed-policy.ts).
 */
export type DisabledReason = 'settings' | 'untrusted' | 'approval' | 'policy' | 'organisation';

export type ServerEvent =
  | { readonly type: 'start' }
  /** `notice`: news about the session it connected on (e.g. that it cannot be renewed). */
  | ({ readonly type: 'connected'; readonly serverInfo: ServerInfo; readonly instructions?: string; readonly notice?: string } & RunningLists)
  | ({ readonly type: 'listsChanged' } & Partial<RunningLists>)
  | { readonly type: 'failed'; readonly message: string; readonly detail?: string; readonly retryAt?: number; readonly code?: string }
  | { readonly type: 'unauthorized'; readonly reason: string; readonly detail?: string; readonly code?: string }
  | { readonly type: 'authStarted'; readonly redirectUri?: string }
  /** A sign-in on a running server ended without new tokens; it keeps running on its session. */
  | { readonly type: 'authEnded'; readonly notice?: string; readonly detail?: string }
  | { readonly type: 'scopeNeeded'; readonly scopes: readonly string[]; readonly message: string }
  | { readonly type: 'inputMissing'; readonly inputs: readonly string[] }
  | { readonly type: 'stop' }
  | { readonly type: 'disable'; readonly reason: DisabledReason; readonly message?: string };

const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** The next state, or undefined when the event does not apply to the current state. */
export function transition(state: ServerState, event: ServerEvent): ServerState | undefined {
  switch (event.type) {
    case 'start':
      // A running server starts again only once its sign-in for more permission has succeeded.
      if (state.kind === 'running') return state.signIn ? { kind: 'starting' } : undefined;
      return state.kind === 'disabled' || state.kind === 'starting' ? undefined : { kind: 'starting' };
    case 'connected':
      // Authenticating ends in a fresh connect, so it may jump straight to running.
      if (state.kind !== 'starting' && state.kind !== 'authenticating') return undefined;
      return {
        kind: 'running',
        serverInfo: event.serverInfo,
        ...(event.instructions ? { instructions: event.instructions } : {}),
        tools: event.tools,
        ...(event.filteredTools?.length ? { filteredTools: event.filteredTools } : {}),
        resources: event.resources,
        prompts: event.prompts,
        ...opt('notice', event.notice),
      };
    case 'listsChanged':
      if (state.kind !== 'running') return undefined;
      return {
        ...state,
        tools: event.tools ?? state.tools,
        ...(event.tools ? (event.filteredTools?.length ? { filteredTools: event.filteredTools } : { filteredTools: undefined }) : {}),
        resources: event.resources ?? state.resources,
        prompts: event.prompts ?? state.prompts,
      };
    case 'failed':
      if (state.kind !== 'starting' && state.kind !== 'running' && state.kind !== 'authenticating' && state.kind !== 'error') return undefined;
      return { kind: 'error', message: event.message, ...opt('detail', event.detail), ...opt('retryAt', event.retryAt), ...opt('code', event.code) };
    case 'unauthorized':
      // Log Out applies to any server that is not disabled, so every other state can need sign-in.
      if (state.kind === 'disabled') return undefined;
      return { kind: 'authRequired', reason: event.reason, ...opt('detail', event.detail), ...opt('code', event.code) };
    case 'authStarted':
      // A running server signs in for more permission while it keeps running on its session.
      if (state.kind === 'running') {
        const { notice: _n, noticeDetail: _d, ...rest } = state;
        return { ...rest, signIn: { ...opt('redirectUri', event.redirectUri) } };
      }
      // From authenticating it updates the flow's details (the redirect URI once known).
      if (state.kind !== 'authRequired' && state.kind !== 'error' && state.kind !== 'stopped' && state.kind !== 'authenticating') return undefined;
      return { kind: 'authenticating', ...opt('redirectUri', event.redirectUri) };
    case 'authEnded': {
      if (state.kind !== 'running' || !state.signIn) return undefined;
      const { signIn: _s, ...rest } = state;
      return { ...rest, ...opt('notice', event.notice), ...opt('noticeDetail', event.detail) };
    }
    case 'scopeNeeded':
      if (state.kind !== 'running') return undefined;
      return { ...state, needsScope: { scopes: event.scopes, message: event.message } };
    case 'inputMissing':
      return state.kind === 'starting' ? { kind: 'needsInput', inputs: event.inputs } : undefined;
    case 'stop':
      return state.kind === 'disabled' || state.kind === 'stopped' ? undefined : { kind: 'stopped' };
    case 'disable':
      return { kind: 'disabled', reason: event.reason, ...opt('message', event.message) };
    default:
      return assertNever(event);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

export function canStart(state: ServerState): boolean {
  return state.kind === 'stopped' || state.kind === 'error' || state.kind === 'authRequired' || state.kind === 'needsInput';
}

export function canStop(state: ServerState): boolean {
  return state.kind !== 'stopped' && state.kind !== 'disabled';
}

export function isActive(state: ServerState): boolean {
  return state.kind === 'starting' || state.kind === 'running' || state.kind === 'authenticating';
}

/** Whether a sign-in is under way: the authenticating state, or a running server signing in for more. */
export function isSigningIn(state: ServerState): boolean {
  return state.kind === 'authenticating' || (state.kind === 'running' && state.signIn !== undefined);
}

/** What a state allows beside the state itself. */
export interface ActionContext {
  /** The entry is valid (an invalid one can only be fixed in settings). */
  readonly configured: boolean;
  /** The server signs in with OAuth. */
  readonly oauth: boolean;
  /** A session is stored. */
  readonly session: boolean;
  /** The entry has ${input:…} references (their values can be set or changed). */
  readonly inputs: boolean;
  /** The entry has inline secrets that can move to secret storage. */
  readonly inlineSecrets: boolean;
  /** The entry was installed from a registry that has a newer version of it. */
  readonly update?: boolean;
  /** The organisation manages the server: a required one is never stopped; a default or optional one is turned on and off. */
  readonly managed?: Availability;
  /** How many accounts are signed in to the server's URL (oauth/accounts.ts); absent: none. */
  readonly accounts?: number;
  /** The entry is pinned to one account (auth.account): it neither switches nor adds accounts. */
  readonly pinned?: boolean;
}

/**
 * The actions that fit a server now, in display order: the panel's buttons, the commands' server
 * pickers and the API all ask this one function.
 */
export function actionsFor(state: ServerState, ctx: ActionContext): ServerAction[] {
  if (!ctx.configured) return [];
  if (ctx.managed === 'required') return stateActions(state, ctx).filter((a) => a !== 'stop');
  if (ctx.managed === undefined) return stateActions(state, ctx);
  // A default or optional managed server: the person turns it on or off (their choice is kept in their settings).
  if (state.kind === 'disabled' && state.reason === 'settings') return ['turnOn', ...stateActions(state, ctx)];
  return state.kind === 'disabled' ? stateActions(state, ctx) : [...stateActions(state, ctx), 'turnOff'];
}

/** Sign in with another account beside a session; Switch Account where there is another account to switch to. */
function accountActions(ctx: ActionContext): ServerAction[] {
  if (!ctx.oauth || ctx.pinned) return [];
  const accounts = ctx.accounts ?? 0;
  const canSwitch = accounts >= 2 || (accounts === 1 && !ctx.session);
  return [...(ctx.session && accounts >= 1 ? (['addAccount'] as const) : []), ...(canSwitch ? (['switchAccount'] as const) : [])];
}

function stateActions(state: ServerState, ctx: ActionContext): ServerAction[] {
  // Log Out is for the entry's account; beside it, an unpinned entry adds and switches the server's accounts.
  const logout: ServerAction[] = ctx.session ? ['logout'] : [];
  const accounts = accountActions(ctx);
  const secrets: ServerAction[] = [...(ctx.inlineSecrets ? (['moveSecrets'] as const) : []), ...(ctx.inputs ? (['setInput'] as const) : [])];
  // Moving to a newer version rewrites the entry, which restarts it: not in the middle of a start or a sign-in.
  const update: ServerAction[] = ctx.update ? ['update'] : [];
  switch (state.kind) {
    case 'running':
      if (state.signIn) return ['cancel', 'pasteRedirect', ...(state.signIn.redirectUri ? (['copyRedirectUri'] as const) : []), 'restart', 'stop', ...logout];
      return [...(ctx.oauth && state.needsScope ? (['authenticate'] as const) : []), ...update, 'restart', 'stop', ...logout, ...accounts, ...secrets];
    case 'starting':
      return ['stop'];
    case 'authRequired':
      return [...(ctx.oauth ? (['authenticate', 'copyRedirectUri'] as const) : []), ...update, ...logout, ...accounts, ...secrets];
    case 'authenticating':
      return ['cancel', 'pasteRedirect', ...(state.redirectUri ? (['copyRedirectUri'] as const) : [])];
    case 'error':
      return [...update, 'restart', 'stop', ...logout, ...accounts, ...secrets];
    case 'needsInput':
      return ['setInput', ...update, 'stop', ...secrets.filter((a) => a !== 'setInput')];
    case 'stopped':
      return ['start', ...update, ...logout, ...accounts, ...secrets];
    case 'disabled':
      return [...(state.reason === 'approval' ? (['approve'] as const) : []), ...(state.reason === 'settings' ? update : []), ...secrets];
    default:
      return assertNever(state);
  }
}

/**
 * The state with every text that may hold a server's words passed through the scrubber: used where
 * a state leaves the hub (the API) and where it is made (`ServerConnection.apply`).
 */
export function scrubState(state: ServerState): ServerState {
  switch (state.kind) {
    case 'error':
      return { ...state, message: scrubber.message(state.message), ...(state.detail !== undefined ? { detail: scrubber.detail(state.detail) } : {}) };
    case 'authRequired':
      return { ...state, reason: scrubber.message(state.reason), ...(state.detail !== undefined ? { detail: scrubber.detail(state.detail) } : {}) };
    case 'disabled':
      return state.message === undefined ? state : { ...state, message: scrubber.message(state.message) };
    case 'running':
      return {
        ...state,
        ...(state.notice !== undefined ? { notice: scrubber.message(state.notice) } : {}),
        ...(state.noticeDetail !== undefined ? { noticeDetail: scrubber.detail(state.noticeDetail) } : {}),
        ...(state.needsScope ? { needsScope: { ...state.needsScope, message: scrubber.message(state.needsScope.message) } } : {}),
      };
    case 'starting':
    case 'authenticating':
    case 'needsInput':
    case 'stopped':
      return state;
    default:
      return assertNever(state);
  }
}
