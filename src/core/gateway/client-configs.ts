/**
 * Ready configurations that point other MCP clients at the gateway's combined endpoint. None holds
 * the token: each refers to it the client's own way (an environment variable, or VS Code's input
 * prompt, which keeps the value in VS Code's secret storage), so the configuration is safe in any
 * file, even a committed one. The token itself goes only to the clipboard, on the person's request.
 * Where a client has no way to refer to it, the configuration says so and where the token may go.
 */
export interface ClientConfig {
  readonly id: string;
  readonly label: string;
  /** Where it goes, in the client's own terms. */
  readonly where: string;
  readonly text: string;
  /** How the client gets the token, for the person (never the token). */
  readonly token: string;
}

export const GATEWAY_SERVER_NAME = 'mcp-hub';
/** The environment variable the configurations read the token from. */
export const TOKEN_ENV_VAR = 'MCP_HUB_TOKEN';
/** VS Code mcp.json's input that asks for the token once and keeps it in VS Code's secret storage. */
export const TOKEN_INPUT_ID = 'mcp-hub-token';

const FROM_ENV = `It reads the token from the environment variable ${TOKEN_ENV_VAR}: set that to the gateway token where the client starts (your shell profile or your system's secret store), never in a project's files.`;

/**
 * The portable `mcpServers` format that Copilot CLI and VS Code's Copilot agent harness read (the
 * harness does not read VS Code's mcp.json itself, and VS Code forwards no server there that needs
 * an `${input:…}`), from ~/.copilot/mcp-config.json or a workspace's .mcp.json. `tools: ["*"]` is
 * Copilot CLI's way of saying every tool.
 */
function portable(url: string): string {
  return JSON.stringify({ mcpServers: { [GATEWAY_SERVER_NAME]: { type: 'http', url, headers: { Authorization: `Bearer \${${TOKEN_ENV_VAR}}` }, tools: ['*'] } } }, null, 2);
}

const FROM_ENV_COPILOT = `${FROM_ENV} In VS Code's Copilot harness that is the environment VS Code started in (start VS Code from a shell that has it).`;

export function clientConfigs(url: string): ClientConfig[] {
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    {
      id: 'claude-code',
      label: 'Claude Code',
      where: 'run in a terminal',
      // Single quotes: the shell must not expand the variable; Claude Code does, at each start.
      text: `claude mcp add --transport http ${GATEWAY_SERVER_NAME} ${url} --header 'Authorization: Bearer \${${TOKEN_ENV_VAR}}'`,
      token: FROM_ENV,
    },
    {
      id: 'vscode',
      label: 'VS Code (mcp.json)',
      where: 'your user mcp.json ("MCP: Open User Configuration") or a .vscode/mcp.json',
      text: json({
        inputs: [{ type: 'promptString', id: TOKEN_INPUT_ID, description: 'MCP Hub gateway token', password: true }],
        servers: { [GATEWAY_SERVER_NAME]: { type: 'http', url, headers: { Authorization: `Bearer \${input:${TOKEN_INPUT_ID}}` } } },
      }),
      token:
        "VS Code asks for the token the first time it starts the server, and keeps it in its secret storage: paste it there. VS Code's Copilot agent harness is not given servers that need such an input: for the harness, use the Copilot entry.",
    },
    {
      id: 'copilot',
      label: 'Copilot CLI and VS Code’s Copilot agent harness',
      where: 'the "mcpServers" of ~/.copilot/mcp-config.json (or $COPILOT_HOME/mcp-config.json)',
      text: portable(url),
      token: FROM_ENV_COPILOT,
    },
    {
      id: 'mcp-json',
      label: 'Workspace .mcp.json (portable, shared with the project)',
      where:
        'the "mcpServers" of .mcp.json at the workspace root, which Copilot CLI, VS Code’s Copilot harness and Claude Code read; set mcpHub.gateway.port so the URL in it stays the same',
      text: portable(url),
      token: `${FROM_ENV_COPILOT} The file refers to the variable only, so it is safe to commit; everyone who uses it sets the variable to their own gateway's token.`,
    },
    {
      id: 'cursor',
      label: 'Cursor',
      where: 'the "mcpServers" of ~/.cursor/mcp.json',
      text: json({ mcpServers: { [GATEWAY_SERVER_NAME]: { url, headers: { Authorization: `Bearer \${env:${TOKEN_ENV_VAR}}` } } } }),
      token: FROM_ENV,
    },
    {
      id: 'codex',
      label: 'Codex CLI',
      where: '~/.codex/config.toml',
      text: `[mcp_servers.${GATEWAY_SERVER_NAME}]\nurl = "${url}"\nbearer_token_env_var = "${TOKEN_ENV_VAR}"\n`,
      token: FROM_ENV,
    },
    {
      id: 'gemini',
      label: 'Gemini CLI',
      where: 'the "mcpServers" of ~/.gemini/settings.json',
      text: json({ mcpServers: { [GATEWAY_SERVER_NAME]: { httpUrl: url, headers: { Authorization: `Bearer \${${TOKEN_ENV_VAR}}` } } } }),
      token: FROM_ENV,
    },
    {
      id: 'generic',
      label: 'Any Streamable HTTP client',
      where: 'the URL and the header to send with every request',
      text: `URL: ${url}\nHeader: Authorization: Bearer <the gateway token>\n`,
      token:
        "Put the token where the client keeps secrets; if it can only read it from its configuration file, that file must stay private: a user-level file of yours, never in a project's files or a commit.",
    },
  ];
}
