/**
 * What the editor wrote to its own logs during a run, read from the user data folder once the
 * editor has closed: the extension host's log (errors and warnings that are MCP Hub's, such as a
 * bundled library tripping over the host's `navigator` or a webview without a CSP), and MCP Hub's
 * own log channel (how many times the gateway started).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from './paths';

export interface LogEntry {
  readonly file: string;
  readonly level: string;
  /** The entry's first line and any continuation lines (a stack). */
  readonly text: string;
}

/**
 * Warnings of VS Code's own that name MCP Hub whatever it does (the editor describing itself, not
 * MCP Hub misbehaving). Empty with code-server 4.139.1: the warnings VS Code wrote there (a resource
 * scoped setting read without a resource) name other extensions. Add one here with the version that
 * writes it, never an error.
 */
export const VSCODE_OWN_WARNINGS: readonly RegExp[] = [];

/** Every file under `dir` whose name matches `pattern`. */
export function filesUnder(dir: string, pattern: RegExp): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => pattern.test(f));
}

/** The extension host's own logs (not the output channels of extensions, MCP Hub's included). */
export function extensionHostLogs(userDataDir: string): string[] {
  return filesUnder(join(userDataDir, 'logs'), /exthost[^/]*\.log$/i).filter((f) => /exthost/i.test(basename(f)));
}

/** The entries of a VS Code log file: a line that starts with a timestamp and a [level], and the lines after it. */
export function entries(file: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\d{4}-\d{2}-\d{2} [\d:.]+ \[(\w+)\]/.exec(line);
    if (m) out.push({ file, level: m[1].toLowerCase(), text: line });
    else if (out.length > 0 && line.trim() !== '') out[out.length - 1] = { ...out[out.length - 1], text: `${out[out.length - 1].text}\n${line}` };
  }
  return out;
}

/** Whether an entry names MCP Hub: its id, its name, or a file of its bundle. */
export function namesMcpHub(text: string): boolean {
  return /mcp-hub\.mcp-hub|\bMCP Hub\b/i.test(text) || text.includes(join(ROOT, 'dist'));
}

/** Errors and warnings in the extension host's logs that name MCP Hub, but for VS Code's own (`allowed`). */
export function ourHostLogProblems(userDataDir: string, allowed: readonly RegExp[] = VSCODE_OWN_WARNINGS): { files: string[]; problems: LogEntry[] } {
  const files = extensionHostLogs(userDataDir);
  const problems = files
    .flatMap(entries)
    .filter((e) => (e.level === 'error' || e.level === 'warning') && namesMcpHub(e.text))
    .filter((e) => !(e.level === 'warning' && allowed.some((a) => a.test(e.text))));
  return { files, problems };
}

/** How many times the gateway started listening, from MCP Hub's log channel (every window of the run). */
export function gatewayStarts(userDataDir: string): { logs: number; starts: string[] } {
  const logs = filesUnder(join(userDataDir, 'logs'), /MCP Hub\.log$/);
  const starts = logs.flatMap((f) => readFileSync(f, 'utf8').split('\n')).filter((l) => l.includes('gateway listening on'));
  return { logs: logs.length, starts };
}
