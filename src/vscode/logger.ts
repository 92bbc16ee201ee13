import * as vscode from 'vscode';
import { scrubber } from '../core/scrub';
import type { Logger } from '../core/ports';

/** The "MCP Hub" log channel as the core's Logger; every line passes through the scrubber. */
export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (m) => channel.trace(scrubber.log(m)),
    debug: (m) => channel.debug(scrubber.log(m)),
    info: (m) => channel.info(scrubber.log(m)),
    warn: (m) => channel.warn(scrubber.log(m)),
    error: (m) => channel.error(scrubber.log(m)),
  };
}
