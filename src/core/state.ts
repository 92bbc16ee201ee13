/**
 * A server's state is one discriminated union. Every change goes through `transition`, which says
 * which moves are legal; a stale async result (a connect finishing after Stop) is refused there.
 */
import type { Prompt, Resource, Tool } from '@modelcontextprotocol/sdk/types.js';

export interface ServerInfo {
  readonly name: string;
  readonly version: string;
  readonly title?: string;
}

export interface RunningLists {
  readonly tools: readonly Tool[];
  readonly resources: readonly Resource[];
  readonly prompts: readonly Prompt[];
}

export type ServerState =
  | { readonly kind: 'starting' }
  | ({ readonly kind: 'running'; readonly serverInfo: ServerInfo; readonly instructions?: string } & RunningLists)
  | { readonly kind: 'authRequired'; readonly reason: string }
  | { readonly kind: 'authenticating'; readonly redirectUri?: string }
  | { readonly kind: 'error'; readonly message: string; readonly detail?: string; readonly retryAt?: number }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'disabled'; readonly reason: DisabledReason };

export type ServerStateKind = ServerState['kind'];
export type DisabledReason = 'settings' | 'untrusted';

export type ServerEvent =
  | { readonly type: 'start' }
  | ({ readonly type: 'connected'; readonly serverInfo: ServerInfo; readonly instructions?: string } & RunningLists)
  | ({ readonly type: 'listsChanged' } & Partial<RunningLists>)
  | { readonly type: 'failed'; readonly message: string; readonly detail?: string; readonly retryAt?: number }
  | { readonly type: 'unauthorized'; readonly reason: string }
  | { readonly type: 'authStarted'; readonly redirectUri?: string }
  | { readonly type: 'stop' }
  | { readonly type: 'disable'; readonly reason: DisabledReason };

/** The next state, or undefined when the event does not apply to the current state. */
export function transition(state: ServerState, event: ServerEvent): ServerState | undefined {
  switch (event.type) {
    case 'start':
      return state.kind === 'disabled' || state.kind === 'running' || state.kind === 'starting' ? undefined : { kind: 'starting' };
    case 'connected':
      // Authenticating ends in a fresh connect, so it may jump straight to running.
      if (state.kind !== 'starting' && state.kind !== 'authenticating') return undefined;
      return {
        kind: 'running',
        serverInfo: event.serverInfo,
        ...(event.instructions ? { instructions: event.instructions } : {}),
        tools: event.tools,
        resources: event.resources,
        prompts: event.prompts,
      };
    case 'listsChanged':
      if (state.kind !== 'running') return undefined;
      return {
        ...state,
        tools: event.tools ?? state.tools,
        resources: event.resources ?? state.resources,
        prompts: event.prompts ?? state.prompts,
      };
    case 'failed':
      if (state.kind !== 'starting' && state.kind !== 'running' && state.kind !== 'authenticating' && state.kind !== 'error') return undefined;
      return {
        kind: 'error',
        message: event.message,
        ...(event.detail ? { detail: event.detail } : {}),
        ...(event.retryAt !== undefined ? { retryAt: event.retryAt } : {}),
      };
    case 'unauthorized':
      // Log Out applies to any server that is not disabled, so every other state can need sign-in.
      if (state.kind === 'disabled') return undefined;
      return { kind: 'authRequired', reason: event.reason };
    case 'authStarted':
      // From authenticating it updates the flow's details (the redirect URI once known).
      if (state.kind !== 'authRequired' && state.kind !== 'error' && state.kind !== 'stopped' && state.kind !== 'authenticating') return undefined;
      return { kind: 'authenticating', ...(event.redirectUri ? { redirectUri: event.redirectUri } : {}) };
    case 'stop':
      return state.kind === 'disabled' || state.kind === 'stopped' ? undefined : { kind: 'stopped' };
    case 'disable':
      return { kind: 'disabled', reason: event.reason };
    default:
      return assertNever(event);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

export function canStart(state: ServerState): boolean {
  return state.kind === 'stopped' || state.kind === 'error' || state.kind === 'authRequired';
}

export function canStop(state: ServerState): boolean {
  return state.kind !== 'stopped' && state.kind !== 'disabled';
}

export function isActive(state: ServerState): boolean {
  return state.kind === 'starting' || state.kind === 'running' || state.kind === 'authenticating';
}
