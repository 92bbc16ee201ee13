/**
 * "Copy diagnostics": one server's state and OAuth trace as Markdown for a bug report. It says what
 * the panel says and no more: never a header, env or ${input:…} value (the entry's arguments,
 * headers and env are not read at all), never a token, never the signed-in account (only whether
 * one is known). Each field is scrubbed, and the whole report passes the scrubber once more.
 */
import { hubError } from './errors';
import type { McpHub } from './hub';
import { scrubber } from './scrub';
import { assertNever, type ServerState } from './state';

export interface DiagnosticsEnvironment {
  readonly extensionVersion: string;
  readonly vscodeVersion?: string;
  /** e.g. `linux-x64` or `darwin-arm64`. */
  readonly platform: string;
}

export function diagnosticsReport(hub: McpHub, name: string, extra: DiagnosticsEnvironment): string {
  const server = hub.server(name);
  if (!server) throw hubError('unknown_server', `No server named "${name}".`);
  const { config, state, session } = server;
  const text = (value: string) => scrubber.message(value);
  const lines = [
    `# MCP Hub diagnostics: ${text(name)}`,
    '',
    `- MCP Hub ${text(extra.extensionVersion)}${extra.vscodeVersion ? `, VS Code ${text(extra.vscodeVersion)}` : ''}, ${text(extra.platform)}`,
    `- Defined in: ${server.source} settings`,
    `- Transport: ${config ? config.type : 'invalid entry'}`,
    // As the panel shows it: the command (not its arguments or env), or the URL without its query.
    ...(config ? [`- Target: ${config.type === 'stdio' ? text(config.command) : scrubber.url(config.url)}`] : []),
    `- State: ${stateLine(state)}`,
    ...(state.kind === 'running'
      ? [
          `- Server: ${text(state.serverInfo.name)} ${text(state.serverInfo.version)}`,
          `- Protocol version: ${state.serverInfo.protocolVersion ? text(state.serverInfo.protocolVersion) : 'unknown'}`,
          `- Tools: ${state.tools.length}, resources: ${state.resources.length}, prompts: ${state.prompts.length}`,
        ]
      : []),
    '',
    '## OAuth',
    '',
    `- Signs in with OAuth: ${server.oauth ? 'yes' : 'no'}`,
    ...(session
      ? [
          `- Issuer: ${session.issuer ? scrubber.url(session.issuer) : 'unknown'}`,
          `- Scopes: ${session.scopes.length > 0 ? session.scopes.map(text).join(' ') : 'none named'}`,
          `- Expires: ${time(session.expiresAt)}`,
          `- Signed in: ${time(session.obtainedAt)}`,
          `- Refreshed: ${session.refreshedAt === undefined ? 'not yet' : time(session.refreshedAt)}`,
          `- Account known: ${session.account ? 'yes' : 'no'}`,
        ]
      : server.oauth
        ? ['- Session: none (signed out)']
        : []),
  ];
  const trace = hub.oauthTrace(name);
  if (trace.length > 0) {
    lines.push('', '## OAuth trace (newest sign-in first)', '', '| Time (UTC) | Kind | Step | Request | Status | ms | Note |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const step of trace) {
      const request = step.url ? `${step.method ?? ''} ${step.url}`.trim() : '';
      lines.push(`| ${[time(step.at), step.kind, step.label, request, step.status ?? '', step.ms ?? '', step.note ?? ''].map((c) => cell(String(c))).join(' | ')} |`);
    }
  }
  return scrubber.log(lines.join('\n') + '\n');
}

function stateLine(state: ServerState): string {
  const code = 'code' in state && state.code ? ` [${scrubber.message(state.code)}]` : '';
  switch (state.kind) {
    case 'error':
      return `error${code}: ${scrubber.message(state.message)}`;
    case 'authRequired':
      return `authRequired${code}: ${scrubber.message(state.reason)}`;
    case 'disabled':
      return `disabled (${state.reason})${state.message ? `: ${scrubber.message(state.message)}` : ''}`;
    case 'needsInput':
      // The names of the inputs, never their values.
      return `needsInput (${state.inputs.map((i) => scrubber.message(i)).join(', ')})`;
    case 'starting':
    case 'running':
    case 'authenticating':
    case 'stopped':
      return state.kind;
    default:
      return assertNever(state);
  }
}

function time(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? 'unknown' : new Date(ms).toISOString();
}

/** A table cell: one line, pipes escaped, scrubbed. */
function cell(value: string): string {
  return scrubber.message(value).replace(/\|/g, '\\|');
}
