import * as vscode from 'vscode';
import { scrubbedLogger } from '../core/scrub';
import type { Logger } from '../core/ports';

/** The "MCP Hub" log channel as the core's Logger; every line passes through the scrubber. */
export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return scrubbedLogger(channel);
}
