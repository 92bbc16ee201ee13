/**
 * The gateway's settings that the editor reads before the gateway runs, apart from gateway.ts so that
 * reading them does not load the gateway (and the SDK's server side with it).
 */

/** A classic session with nothing open for this long is closed (the `mcpHub.gateway.sessionIdleMinutes` default). */
export const SESSION_IDLE_MINUTES = 30;
/** The longest idle time the setting takes: a day. */
export const MAX_SESSION_IDLE_MINUTES = 24 * 60;

/** The idle time `mcpHub.gateway.sessionIdleMinutes` gives, or why the value cannot be used (the default applies then). */
export function sessionIdleSetting(value: unknown): { minutes: number; problem?: string } {
  if (value === undefined || value === null) return { minutes: SESSION_IDLE_MINUTES };
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1 || value > MAX_SESSION_IDLE_MINUTES) {
    return { minutes: SESSION_IDLE_MINUTES, problem: `mcpHub.gateway.sessionIdleMinutes must be a number from 1 to ${MAX_SESSION_IDLE_MINUTES}; using ${SESSION_IDLE_MINUTES}.` };
  }
  return { minutes: value };
}
