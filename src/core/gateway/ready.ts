/**
 * Waiting for a hub server to be ready, for the gateway's calls and VS Code's own client alike (apart
 * from surface.ts, which loads the SDK's server side).
 */
import type { HubServer, McpHub } from '../hub';

/** States a server leaves by itself: a call waits for them (within the server's timeout). */
const PASSING = new Set(['starting', 'authenticating']);

/**
 * The server once it is running, or as it is when it will not be soon (needs sign-in, stopped...);
 * undefined when there is no such server (removed from settings).
 */
export function whenReady(hub: McpHub, name: string, signal?: AbortSignal): Promise<HubServer | undefined> {
  const now = hub.server(name);
  if (!now) return Promise.resolve(undefined);
  const waits = (s: HubServer) => PASSING.has(s.state.kind) || (s.state.kind === 'error' && s.state.retryAt !== undefined);
  if (!waits(now)) return Promise.resolve(now);
  const timeoutMs = (now.config?.timeoutSeconds ?? 60) * 1000;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sub.dispose();
      signal?.removeEventListener('abort', done);
      resolve(hub.server(name));
    };
    const timer = setTimeout(done, timeoutMs);
    const sub = hub.onDidChange((c) => {
      const s = hub.server(name);
      if (c.name === name && (!s || !waits(s))) done();
    });
    signal?.addEventListener('abort', done, { once: true });
  });
}
