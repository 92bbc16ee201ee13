import type * as vscode from 'vscode';
import { scrubbedLogger } from '../core/scrub';
import type { Logger } from '../core/ports';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error'];

/**
 * The "MCP Hub" log channel as the core's Logger; every line passes through the scrubber. When the
 * window closes (a reload), VS Code closes the channel before a server's last lines (stderr while
 * its process exits) have arrived; a write then throws "Channel has been closed", which would land
 * in the extension host's log as an error of ours. From then on lines are dropped.
 */
export function createLogger(channel: vscode.LogOutputChannel): Logger {
  let closed = false;
  const guarded = Object.fromEntries(
    LEVELS.map((level) => [
      level,
      (message: string) => {
        if (closed) return;
        try {
          channel[level](message);
        } catch {
          closed = true;
        }
      },
    ]),
  ) as Record<Level, (message: string) => void>;
  return scrubbedLogger(guarded);
}
