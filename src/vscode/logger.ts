import * as vscode from 'vscode';
import { redactSecrets } from '../core/redact';
import type { Logger } from '../core/ports';

/** The "MCP Hub" log channel as the core's Logger; every line passes through redaction. */
export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    trace: (m) => channel.trace(redactSecrets(m)),
    debug: (m) => channel.debug(redactSecrets(m)),
    info: (m) => channel.info(redactSecrets(m)),
    warn: (m) => channel.warn(redactSecrets(m)),
    error: (m) => channel.error(redactSecrets(m)),
  };
}
